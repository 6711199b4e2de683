// The fee arithmetic the ledger mirrors: fee = round-half-up(paid × rate); refunds return it in proportion
// and the last refund returns the rest, so the returns always add up to the fee.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AMOUNT_FEN_MAX, feeFen, feeReturnedFen, fenToYuan, yuanToFen } from './money';

describe('yuan strings', () => {
  it('parses exactly and formats back', () => {
    expect(yuanToFen('88.88')).toBe(8888);
    expect(yuanToFen('0.1')).toBe(10);
    expect(yuanToFen('12')).toBe(1200);
    expect(yuanToFen(0.07)).toBe(7);
    expect(fenToYuan(-6)).toBe('-0.06');
    for (const bad of ['1.001', '-1.00', '1e3', '01.00', '', ' ', 'abc', '1.', '.5', null, [1], {}])
      expect(yuanToFen(bad)).toBeNull();
    fc.assert(fc.property(fc.integer({ min: 0, max: AMOUNT_FEN_MAX }), (fen) => yuanToFen(fenToYuan(fen)) === fen));
  });
});

describe('fees', () => {
  it('rounds half up', () => {
    expect(feeFen(1250, 60)).toBe(8); // 7.5 → 8
    expect(feeFen(1249, 60)).toBe(7); // 7.494 → 7
    expect(feeFen(AMOUNT_FEN_MAX, 10_000)).toBe(AMOUNT_FEN_MAX);
  });

  it('returns the whole fee over any sequence of refunds that empties the trade, never more', () => {
    const refundsOf = (paid: number) => fc.array(fc.integer({ min: 1, max: paid }), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: AMOUNT_FEN_MAX })
          .chain((paid) => fc.tuple(fc.constant(paid), fc.integer({ min: 0, max: 10_000 }), refundsOf(paid))),
        ([paid, bp, wishes]) => {
          const fee = feeFen(paid, bp);
          let refunded = 0;
          let returned = 0;
          for (const wish of [...wishes, paid]) {
            const r = Math.min(wish, paid - refunded);
            if (r === 0) continue;
            const share = feeReturnedFen(fee, returned, r, refunded, paid);
            expect(share).toBeGreaterThanOrEqual(0);
            refunded += r;
            returned += share;
            expect(returned).toBeLessThanOrEqual(fee);
          }
          expect(refunded).toBe(paid);
          expect(returned).toBe(fee);
        },
      ),
    );
  });
});
