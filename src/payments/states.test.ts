import { describe, expect, test } from 'vitest';
import { ATTEMPT_STATUSES, ATTEMPT_TRANSITIONS, REFUND_STATUSES, REFUND_TRANSITIONS } from './states';

function reachable<S extends string>(initial: S, table: Readonly<Record<S, readonly S[]>>): Set<S> {
  const seen = new Set<S>([initial]);
  const queue: S[] = [initial];
  while (queue.length) for (const to of table[queue.shift()!]) if (!seen.has(to)) { seen.add(to); queue.push(to); }
  return seen;
}

describe('payment state machines', () => {
  test('every attempt state is reachable from created, and success is final', () => {
    expect([...reachable('created', ATTEMPT_TRANSITIONS)].sort()).toEqual([...ATTEMPT_STATUSES].sort());
    expect(ATTEMPT_TRANSITIONS.succeeded).toEqual([]);
  });

  test('every refund state is reachable from pending, and every target is a known state', () => {
    expect([...reachable('pending', REFUND_TRANSITIONS)].sort()).toEqual([...REFUND_STATUSES].sort());
    for (const targets of Object.values(REFUND_TRANSITIONS)) for (const t of targets) expect(REFUND_STATUSES).toContain(t);
  });
});
