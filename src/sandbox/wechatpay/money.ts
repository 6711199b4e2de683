// The fee and escrow arithmetic of the sandbox (and so of Hutong's ledger), in integer fen.
//   fee            = roundHalfUp(paid × fee_rate_bp / 10000)
//   frozen at pay  = paid − fee
//   refund r       returns roundHalfUp(fee × r / paid) of the fee; the refund that completes `paid` returns
//                  whatever is left of the fee
//   unsplit        = paid − fee + fees returned − refunded − shared − unfrozen (for money still frozen)
//   a refund needs an unfreeze first when r − its fee share > unsplit
//   sharing cap    = floor(paid × 3000 / 10000): at most 30% of the paid amount to others

/** round-half-up(numerator / denominator) for non-negative integers, exact for any safe-integer inputs. */
export function divRoundHalfUp(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n || numerator < 0n)
    throw new Error('divRoundHalfUp takes a non-negative numerator over a positive denominator');
  return (2n * numerator + denominator) / (2n * denominator);
}

function safe(value: bigint): number {
  const n = Number(value);
  // Invariant: every amount is a safe integer of fen.
  if (!Number.isSafeInteger(n)) throw new Error(`amount out of safe range: ${value}`);
  return n;
}

export function feeOf(paidFen: number, feeRateBp: number): number {
  return safe(divRoundHalfUp(BigInt(paidFen) * BigInt(feeRateBp), 10_000n));
}

/**
 * The part of the fee a refund gives back. `refundedBeforeFen` counts earlier refunds that still stand
 * (closed ones excluded), `feeReturnedBeforeFen` what they gave back.
 */
export function refundFeeShare(args: {
  paidFen: number;
  feeFen: number;
  refundFen: number;
  refundedBeforeFen: number;
  feeReturnedBeforeFen: number;
}): number {
  const { paidFen, feeFen, refundFen, refundedBeforeFen, feeReturnedBeforeFen } = args;
  if (refundedBeforeFen + refundFen === paidFen) return feeFen - feeReturnedBeforeFen;
  const share = safe(divRoundHalfUp(BigInt(feeFen) * BigInt(refundFen), BigInt(paidFen)));
  // Never give back more than is left, whatever the rounding of earlier refunds did.
  return Math.min(share, feeFen - feeReturnedBeforeFen);
}

export function shareCapFen(paidFen: number, maxRatioBp: number): number {
  return safe((BigInt(paidFen) * BigInt(maxRatioBp)) / 10_000n);
}

export interface EscrowTotals {
  paid: number;
  fee: number;
  feeReturnedFromFrozen: number;
  refundedFromFrozen: number;
  shared: number;
  unfrozen: number;
}

/** Invariant: the unsplit amount is what was frozen at payment minus everything that has left the freeze. */
export function unsplitOf(t: EscrowTotals): number {
  return t.paid - t.fee + t.feeReturnedFromFrozen - t.refundedFromFrozen - t.shared - t.unfrozen;
}

/** Yuan with two decimals, for bills: 1234 → "12.34", -5 → "-0.05". */
export function yuan(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
