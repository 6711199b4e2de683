import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fen, MoneyError } from '../../shared/money';
import { fenToYuanString, signedYuanStringToFen, yuanStringToFen } from './amounts';

describe('yuan strings at the Alipay edge', () => {
  it('writes fen as yuan with exactly two decimals', () => {
    expect(fenToYuanString(fen(0))).toBe('0.00');
    expect(fenToYuanString(fen(1))).toBe('0.01');
    expect(fenToYuanString(fen(1230))).toBe('12.30');
    expect(fenToYuanString(fen(10_000_000_000))).toBe('100000000.00');
  });

  it('round-trips every safe fen amount exactly, far beyond where floats lose cents', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (n) => {
        const text = fenToYuanString(fen(n));
        expect(text).toMatch(/^\d+\.\d{2}$/);
        expect(yuanStringToFen(text)).toBe(n);
      }),
    );
  });

  it('reads one or two decimals, or none, as integer arithmetic on the digits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000_000 }), fc.constantFrom(0, 1, 2), (n, decimals) => {
        const whole = Math.floor(n / 100);
        const cents = n % 100;
        const text =
          decimals === 0
            ? String(whole)
            : decimals === 1
              ? `${whole}.${Math.floor(cents / 10)}`
              : `${whole}.${String(cents).padStart(2, '0')}`;
        const expected = decimals === 0 ? whole * 100 : decimals === 1 ? whole * 100 + Math.floor(cents / 10) * 10 : n;
        expect(yuanStringToFen(text)).toBe(expected);
      }),
    );
  });

  it('reads the signed amounts of bills', () => {
    expect(signedYuanStringToFen('-0.06')).toBe(-6);
    expect(signedYuanStringToFen('-12.3')).toBe(-1230);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (n) => {
        expect(signedYuanStringToFen(`-${fenToYuanString(fen(n))}`)).toBe(-n);
      }),
    );
  });

  it('refuses anything that is not plainly a yuan amount', () => {
    for (const bad of [
      '',
      '-',
      '.5',
      '1.',
      '1.234',
      '1e3',
      ' 1.00',
      '1.00 ',
      '+1.00',
      '0x10',
      '1,000.00',
      'NaN',
      'Infinity',
    ]) {
      expect(() => signedYuanStringToFen(bad), bad).toThrow(MoneyError);
    }
    expect(() => yuanStringToFen('-1.00')).toThrow(MoneyError);
  });

  it('refuses to write negative or fractional fen', () => {
    expect(() => fenToYuanString(-1 as never)).toThrow(MoneyError);
    expect(() => fenToYuanString(1.5 as never)).toThrow(MoneyError);
  });
});
