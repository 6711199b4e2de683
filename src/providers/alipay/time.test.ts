import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBeijingTime, toBeijingTime } from './time';

describe('Beijing wall-clock times', () => {
  it('writes an instant as Beijing time, eight hours ahead of UTC, whatever the process time zone', () => {
    expect(toBeijingTime(new Date('2026-01-01T16:30:05Z'))).toBe('2026-01-02 00:30:05');
  });

  it('reads Alipay times back to the same instant, to the second', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800 }), (seconds) => {
        const instant = new Date(seconds * 1000);
        expect(parseBeijingTime(toBeijingTime(instant))?.getTime()).toBe(instant.getTime());
      }),
    );
  });

  it('refuses texts that are not real times', () => {
    expect(parseBeijingTime('2026-02-30 10:00:00')).toBeUndefined();
    expect(parseBeijingTime('2026-01-01')).toBeUndefined();
    expect(parseBeijingTime('')).toBeUndefined();
  });
});
