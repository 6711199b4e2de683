import { describe, expect, test } from 'vitest';
import { ORDER_INITIAL, ORDER_STATUSES, ORDER_TRANSITIONS } from './states';

describe('order state machine', () => {
  test('every target is a known state and every state is reachable from the initial one', () => {
    const reached = new Set([ORDER_INITIAL]);
    const queue = [ORDER_INITIAL];
    while (queue.length) {
      const from = queue.shift()!;
      for (const to of ORDER_TRANSITIONS[from]) {
        expect(ORDER_STATUSES).toContain(to);
        if (!reached.has(to)) { reached.add(to); queue.push(to); }
      }
    }
    expect([...reached].sort()).toEqual([...ORDER_STATUSES].sort());
  });

  test('completed and closed are final', () => {
    expect(ORDER_TRANSITIONS.completed).toEqual([]);
    expect(ORDER_TRANSITIONS.closed).toEqual([]);
  });
});
