// The sandbox's fee arithmetic (the same rounding Hutong's ledger uses): examples and conservation properties.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { divRoundHalfUp, feeOf, refundFeeShare, shareCapFen, unsplitOf, yuan } from './money';

describe('fee', () => {
  test.each([
    [10_001, 60, 60], // 60.006
    [2_345, 60, 14], // 14.07
    [84, 60, 1], // 0.504
    [83, 60, 0], // 0.498
    [250, 20, 1], // exactly 0.5 rounds up
    [1, 60, 0],
    [100_000_000_000, 60, 600_000_000],
  ])('fee of %i fen at %i bp is %i fen', (paid, bp, fee) => {
    expect(feeOf(paid, bp)).toBe(fee);
  });

  test('round-half-up division is exact for large operands', () => {
    expect(divRoundHalfUp(10n ** 20n + 5n, 10n)).toBe(10n ** 19n + 1n);
  });
});

describe('refund fee shares', () => {
  test('each refund gives back round-half-up(fee × r / paid) and the last one the rest', () => {
    const paid = 10_001;
    const fee = feeOf(paid, 60);
    const first = refundFeeShare({
      paidFen: paid,
      feeFen: fee,
      refundFen: 3_333,
      refundedBeforeFen: 0,
      feeReturnedBeforeFen: 0,
    });
    const last = refundFeeShare({
      paidFen: paid,
      feeFen: fee,
      refundFen: 6_668,
      refundedBeforeFen: 3_333,
      feeReturnedBeforeFen: first,
    });
    expect([first, last]).toEqual([20, 40]);
  });

  test('property: however a payment is refunded in parts, the shares are non-negative and add up to the fee', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.integer({ min: 0, max: 1_000 }),
        fc.array(fc.integer({ min: 1, max: 1_000 }), { minLength: 1, maxLength: 12 }),
        (paid, bp, weights) => {
          const fee = feeOf(paid, bp);
          // Split `paid` into parts proportional to the weights (largest remainder onto the last part).
          const totalWeight = weights.reduce((a, b) => a + b, 0);
          const parts = weights.map((w) => Math.floor((paid * w) / totalWeight)).filter((p) => p > 0);
          const rest = paid - parts.reduce((a, b) => a + b, 0);
          if (rest > 0) parts.push(rest);
          let refunded = 0;
          let returned = 0;
          for (const part of parts) {
            const share = refundFeeShare({
              paidFen: paid,
              feeFen: fee,
              refundFen: part,
              refundedBeforeFen: refunded,
              feeReturnedBeforeFen: returned,
            });
            expect(share).toBeGreaterThanOrEqual(0);
            refunded += part;
            returned += share;
          }
          expect(returned).toBe(fee);
        },
      ),
    );
  });
});

describe('escrow', () => {
  test('unsplit = paid − fee + fees returned − refunded − shared − unfrozen', () => {
    expect(
      unsplitOf({
        paid: 10_000,
        fee: 60,
        feeReturnedFromFrozen: 12,
        refundedFromFrozen: 2_000,
        shared: 1_000,
        unfrozen: 0,
      }),
    ).toBe(6_952);
  });

  test('the sharing cap is 30% of the paid amount, rounded down', () => {
    expect(shareCapFen(1_000, 3_000)).toBe(300);
    expect(shareCapFen(1_001, 3_000)).toBe(300);
  });

  test('bill amounts are yuan with two decimals', () => {
    expect([yuan(0), yuan(5), yuan(-3), yuan(123_456)]).toEqual(['0.00', '0.05', '-0.03', '1234.56']);
  });
});
