// Yuan strings ("12.30") exist only at the wire edge: parsed and made here with integer arithmetic, never floats.

/** Alipay's amount range: 0.01 … 100000000.00 yuan. */
export const AMOUNT_FEN_MIN = 1;
export const AMOUNT_FEN_MAX = 10_000_000_000;

const YUAN_PATTERN = /^(0|[1-9]\d{0,8})(?:\.(\d{1,2}))?$/;

/** Parses a yuan amount ("88.88", "0.1", "12"; a JSON number is read through its shortest decimal form). */
export function yuanToFen(value: unknown): number | null {
  let text: string;
  if (typeof value === 'string') text = value.trim();
  else if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
  else return null;
  const match = YUAN_PATTERN.exec(text);
  if (!match) return null;
  const whole = Number(match[1]);
  const cents = Number((match[2] ?? '').padEnd(2, '0'));
  const fen = whole * 100 + cents;
  return Number.isSafeInteger(fen) ? fen : null;
}

/** Parses an amount that must lie in Alipay's range. */
export function amountToFen(value: unknown): number | null {
  const fen = yuanToFen(value);
  return fen !== null && fen >= AMOUNT_FEN_MIN && fen <= AMOUNT_FEN_MAX ? fen : null;
}

/** Formats fen as yuan with two decimals; negative values keep their sign ("-0.06"). */
export function fenToYuan(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** round-half-up(numerator / denominator) for non-negative integers, exact through BigInt. */
export function divRoundHalfUp(numerator: bigint, denominator: bigint): number {
  return Number((2n * numerator + denominator) / (2n * denominator));
}

/** Alipay's fee on a payment: round-half-up(paid × rate). */
export function feeFen(paidFen: number, feeRateBp: number): number {
  return divRoundHalfUp(BigInt(paidFen) * BigInt(feeRateBp), 10_000n);
}

/**
 * The part of the fee a refund returns: round-half-up(fee × r / paid); the refund that completes the
 * trade returns whatever is left of the fee, so the returns always sum to the fee.
 */
export function feeReturnedFen(
  fee: number,
  feeReturnedSoFar: number,
  refundFen: number,
  refundedSoFar: number,
  paidFen: number,
): number {
  if (refundedSoFar + refundFen >= paidFen) return fee - feeReturnedSoFar;
  const share = divRoundHalfUp(BigInt(fee) * BigInt(refundFen), BigInt(paidFen));
  return Math.min(share, fee - feeReturnedSoFar);
}
