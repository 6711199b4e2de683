// Money inside Hutong is integer fen in a branded number. A safe integer holds ±90 trillion yuan, far past any
// order, and stays a plain JSON number on the wire (api.md); bigint columns come back through a checked parser.
export type Fen = number & { readonly __unit: 'fen' };

export class MoneyError extends Error {}

/** Invariant: a Fen is a safe integer. */
export function fen(value: number | bigint | string): Fen {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(n)) throw new MoneyError(`not an integer amount of fen: ${String(value)}`);
  return n as Fen;
}

export const ZERO_FEN = 0 as Fen;

export function addFen(...amounts: Fen[]): Fen {
  return fen(amounts.reduce((sum, a) => sum + a, 0));
}

export function subFen(a: Fen, b: Fen): Fen {
  return fen(a - b);
}

/** round-half-up(amount × numerator / denominator) for non-negative operands, exact in bigint. */
export function mulDivRoundHalfUpFen(amount: Fen, numerator: number, denominator: number): Fen {
  if (amount < 0 || numerator < 0 || denominator <= 0)
    throw new MoneyError('mulDivRoundHalfUpFen takes non-negative operands');
  const product = BigInt(amount) * BigInt(numerator);
  const d = BigInt(denominator);
  return fen((product * 2n + d) / (2n * d));
}

/** floor(amount × numerator / denominator) for non-negative operands. */
export function mulDivFloorFen(amount: Fen, numerator: number, denominator: number): Fen {
  if (amount < 0 || numerator < 0 || denominator <= 0)
    throw new MoneyError('mulDivFloorFen takes non-negative operands');
  return fen((BigInt(amount) * BigInt(numerator)) / BigInt(denominator));
}

/** Splits `total` over `weights` by largest remainder: the parts always sum to `total`. */
export function allocateFen(total: Fen, weights: number[]): Fen[] {
  const weightSum = weights.reduce((s, w) => s + w, 0);
  if (weights.length === 0 || weightSum <= 0) throw new MoneyError('allocateFen needs positive weights');
  const raw = weights.map((w) => BigInt(total) * BigInt(w));
  const parts = raw.map((r) => r / BigInt(weightSum));
  let left = BigInt(total) - parts.reduce((s, p) => s + p, 0n);
  const order = raw
    .map((r, i) => ({ i, rem: r % BigInt(weightSum) }))
    .sort((a, b) => (a.rem === b.rem ? a.i - b.i : a.rem > b.rem ? -1 : 1));
  for (const { i } of order) {
    if (left <= 0n) break;
    parts[i] = (parts[i] as bigint) + 1n;
    left -= 1n;
  }
  return parts.map((p) => fen(p));
}
