// Every deadline in Hutong reads this clock, so tests can move time instead of waiting.
export interface Clock {
  now(): Date;
}

export class SystemClock implements Clock {
  private offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  /** Moves time forward; used by tests and the demo's test-clock endpoint. */
  advance(ms: number): Date {
    if (!Number.isInteger(ms) || ms < 0) throw new RangeError('advance takes a non-negative integer of ms');
    this.offsetMs += ms;
    return this.now();
  }
}

/**
 * Real time for signature freshness (WeChat Pay's 5-minute window is about wall-clock time, not business time).
 * Tests may skew it to see a notification go stale; production leaves it at zero.
 */
export class WallClock implements Clock {
  skewMs = 0;
  now(): Date {
    return new Date(Date.now() + this.skewMs);
  }
}
