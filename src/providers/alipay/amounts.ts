// Alipay speaks yuan strings with at most two decimals ("88.88"); Hutong speaks integer fen. These two functions are
// the only crossing, and both are exact string/integer arithmetic: a float never touches money.
import { fen, MoneyError, type Fen } from '../../shared/money';

/** A yuan amount exactly as Alipay writes it on the wire, e.g. "12.30". Made only by `fenToYuanString`. */
export type YuanString = string & { readonly __unit: 'yuan_string' };

/** Alipay's largest single trade amount: 100000000.00 yuan. */
export const ALIPAY_AMOUNT_FEN_MAX = 10_000_000_000 as Fen;

/** 1230 → "12.30". Invariant: the result parses back to the same fen. */
export function fenToYuanString(amount: Fen): YuanString {
  if (!Number.isSafeInteger(amount) || amount < 0)
    throw new MoneyError(`not a non-negative fen amount: ${String(amount)}`);
  const digits = String(amount).padStart(3, '0');
  return `${digits.slice(0, -2)}.${digits.slice(-2)}` as YuanString;
}

const YUAN_PATTERN = /^(-?)(\d{1,16})(?:\.(\d{1,2}))?$/;

/** "12.3" → 1230, "-0.06" → -6 (bills carry signed amounts). Anything else, e.g. "1e3" or "1.234", throws. */
export function signedYuanStringToFen(text: string): Fen {
  const match = YUAN_PATTERN.exec(text);
  if (!match) throw new MoneyError(`not a yuan amount: ${JSON.stringify(text)}`);
  const [, sign, whole, fraction = ''] = match;
  const magnitude = BigInt(whole as string) * 100n + BigInt(fraction.padEnd(2, '0') || '0');
  return fen(sign === '-' ? -magnitude : magnitude);
}

/** "12.30" → 1230. Negative amounts are refused: API amounts are never negative. */
export function yuanStringToFen(text: string): Fen {
  if (text.startsWith('-')) throw new MoneyError(`negative yuan amount: ${JSON.stringify(text)}`);
  return signedYuanStringToFen(text);
}
