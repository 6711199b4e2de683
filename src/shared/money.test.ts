import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { allocateFen, fen, mulDivRoundHalfUpFen } from './money';

describe('Fen', () => {
  test('refuses anything that is not a safe integer', () => {
    for (const bad of [1.5, Number.NaN, 2 ** 60, '12.30']) expect(() => fen(bad as number)).toThrow();
    expect(fen('1230')).toBe(1230);
  });

  test('allocation conserves every fen and never goes negative', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 ** 12 }),
        fc.array(fc.integer({ min: 1, max: 10 ** 6 }), { minLength: 1, maxLength: 20 }),
        (total, weights) => {
          const parts = allocateFen(fen(total), weights);
          expect(parts.reduce((s, p) => s + p, 0)).toBe(total);
          expect(parts.every((p) => p >= 0)).toBe(true);
        },
      ),
    );
  });

  test('round-half-up of a product matches exact rational rounding', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 10 }), fc.integer({ min: 0, max: 10_000 }), (amount, bp) => {
        const got = mulDivRoundHalfUpFen(fen(amount), bp, 10_000);
        const exact = (BigInt(amount) * BigInt(bp) * 2n + 10_000n) / 20_000n;
        expect(BigInt(got)).toBe(exact);
      }),
    );
    expect(mulDivRoundHalfUpFen(fen(25), 60, 10_000)).toBe(0); // 0.15 fen
    expect(mulDivRoundHalfUpFen(fen(250), 60, 10_000)).toBe(2); // 1.5 fen rounds up
  });
});
