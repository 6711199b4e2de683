// The sandbox clock and WeChat Pay's time formats (all in Beijing time, UTC+8).
// Business time (expiry, settlement, automatic unfreeze, bill days) follows the test clock; signatures use
// the real wall clock, because clients check response timestamps against theirs (±300 s).
import type { Db } from './db';

const BEIJING_OFFSET_MS = 8 * 3600_000;
export const DAY_MS = 86_400_000;

export class SandboxClock {
  private offsetMs = 0;

  constructor(private readonly db: Db) {}

  async load(): Promise<void> {
    const { rows } = await this.db.query<{ value: string }>(
      `select value from wx_settings where key = 'clock_offset_ms'`,
    );
    this.offsetMs = rows[0] ? Number(rows[0].value) : 0;
  }

  now(): number {
    return Date.now() + this.offsetMs;
  }

  get offset(): number {
    return this.offsetMs;
  }

  /** Moves the clock forward (never back: money history only moves forward). */
  async advance(ms: number): Promise<void> {
    this.offsetMs += ms;
    await this.db.query(
      `insert into wx_settings (key, value) values ('clock_offset_ms', $1)
       on conflict (key) do update set value = excluded.value`,
      [String(this.offsetMs)],
    );
  }
}

function beijingParts(ms: number): string {
  return new Date(ms + BEIJING_OFFSET_MS).toISOString(); // "YYYY-MM-DDTHH:mm:ss.sssZ" in Beijing wall time
}

/** RFC 3339 with the +08:00 offset, as WeChat Pay writes times: 2024-11-24T10:00:00+08:00. */
export function rfc3339(ms: number): string {
  return `${beijingParts(ms).slice(0, 19)}+08:00`;
}

/** The bills' time format: 2024-11-24 10:00:00. */
export function billTime(ms: number): string {
  return beijingParts(ms).slice(0, 19).replace('T', ' ');
}

/** The Beijing calendar day of an instant: YYYY-MM-DD. */
export function beijingDay(ms: number): string {
  return beijingParts(ms).slice(0, 10);
}

/** [start, end) epoch ms of a Beijing calendar day, or undefined for a malformed date. */
export function beijingDayRange(day: string): [number, number] | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const startUtc = Date.parse(`${day}T00:00:00Z`);
  if (Number.isNaN(startUtc) || beijingParts(startUtc).slice(0, 10) !== day) return undefined;
  const start = startUtc - BEIJING_OFFSET_MS;
  return [start, start + DAY_MS];
}

/** Parses `time_expire` (RFC 3339); undefined when malformed. */
export function parseRfc3339(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Compact Beijing timestamp used inside generated ids: yyyyMMddHHmmss. */
export function idStamp(ms: number): string {
  return beijingParts(ms).slice(0, 19).replace(/[-T:]/g, '');
}
