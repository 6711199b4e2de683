// Matching a provider's bill lines to the ledger's, each to exactly one and back. Pure: the service fetches the
// lines, this decides what matches and what does not. A key is what the provider and Hutong both know a line by:
// a payment by (sub-merchant, provider transaction id), a refund by out_refund_no, a profit-sharing line by
// (out_order_no, receiver).
import type { BillDay } from './bill-day';

export type BillType = 'trade' | 'profit_sharing';
export type LineKind = 'payment' | 'refund' | 'share' | 'return' | 'unfreeze';
/** succeeded: the money moved; processing: not final yet; closed / abnormal: a refund or share that failed. */
export type LineStatus = 'succeeded' | 'processing' | 'closed' | 'abnormal';
export type MismatchKind =
  | 'missing_in_hutong'
  | 'missing_at_provider'
  | 'amount_differs'
  | 'fee_differs'
  | 'status_differs'
  /** Both sides agree on a payment, but it belongs to an attempt that lost its payment and is not refunded in full. */
  | 'kept_from_losing_attempt';

export interface ProviderRef {
  sub_merchant_id?: string;
  transaction_id?: string;
  out_trade_no?: string;
  out_refund_no?: string;
  out_order_no?: string;
  receiver?: string;
}

export interface HutongRef {
  entry_id: string;
  idempotency_key: string;
  order_id: string | null;
  merchant_id: string | null;
  out_trade_no: string | null;
}

interface Line {
  bill: BillType;
  kind: LineKind;
  key: string;
  amount: number;
  /** Trade bill only: the fee charged (payment) or given back (refund), as a magnitude. */
  fee?: number;
  status: LineStatus;
  occurredAt: Date;
}

export interface ProviderLine extends Line {
  ref: ProviderRef;
}

export interface LedgerLine extends Line {
  ref: HutongRef;
  /** What the provider refers to it by, for a report when its line is missing. */
  providerRef: ProviderRef;
  /** Must the provider's bill list it? (Alipay's trade bill lists successful refunds only.) */
  listed: boolean;
}

/** One discrepancy, with what it takes to act on it: both sides' references and amounts. The wire shape. */
export interface Mismatch {
  kind: MismatchKind;
  bill: BillType;
  line: LineKind;
  key: string;
  provider_ref: ProviderRef | null;
  hutong_ref: HutongRef | null;
  provider_amount: number | null;
  hutong_amount: number | null;
  provider_fee?: number | null;
  hutong_fee?: number | null;
  provider_status?: LineStatus | null;
  hutong_status?: LineStatus | null;
  occurred_at: string;
  note?: string;
}

export interface MatchOutcome {
  matchedByBill: Record<BillType, number>;
  mismatches: Mismatch[];
  /** Ledger lines of the day the bill does not list: missing at the provider unless a neighbouring day lists them. */
  unlisted: LedgerLine[];
}

/** Lines that move no money need no ledger event: a refund or share that failed, or a share still processing. */
export function movesNoMoney(line: ProviderLine): boolean {
  if (line.amount === 0) return true;
  if (line.kind === 'refund') return line.status === 'closed';
  if (line.kind === 'payment') return false;
  return line.status !== 'succeeded';
}

export function matchLines(theirs: ProviderLine[], ours: LedgerLine[], day: BillDay): MatchOutcome {
  const byKey = new Map<string, LedgerLine>();
  const unlisted: LedgerLine[] = [];
  for (const line of ours) {
    if (byKey.has(line.key))
      unlisted.push(line); // a second event for one provider line: the provider has one too few
    else byKey.set(line.key, line);
  }
  const matchedByBill: Record<BillType, number> = { trade: 0, profit_sharing: 0 };
  const mismatches: Mismatch[] = [];
  const used = new Set<string>();
  for (const line of theirs) {
    const mine = byKey.get(line.key);
    if (!mine || used.has(line.key)) {
      if (!movesNoMoney(line))
        mismatches.push(missingInHutong(line, mine ? 'the bill lists this line twice' : undefined));
      continue;
    }
    used.add(line.key);
    const found = compare(line, mine);
    if (found.length === 0) matchedByBill[line.bill] += 1;
    mismatches.push(...found);
  }
  for (const line of byKey.values()) if (!used.has(line.key)) unlisted.push(line);
  // Only the day's own events are owed a line in this bill; others belong to their own day's bill.
  const owed = unlisted.filter((l) => l.listed && l.occurredAt >= day.start && l.occurredAt < day.end);
  return { matchedByBill, mismatches, unlisted: owed };
}

/** Every difference between a line and its ledger counterpart, one mismatch each. */
function compare(theirs: ProviderLine, mine: LedgerLine): Mismatch[] {
  const out: Mismatch[] = [];
  const both = (kind: MismatchKind): Mismatch => ({
    kind,
    bill: theirs.bill,
    line: theirs.kind,
    key: theirs.key,
    provider_ref: theirs.ref,
    hutong_ref: mine.ref,
    provider_amount: theirs.amount,
    hutong_amount: mine.amount,
    occurred_at: theirs.occurredAt.toISOString(),
  });
  if (theirs.amount !== mine.amount) out.push(both('amount_differs'));
  if (theirs.fee !== undefined && mine.fee !== undefined && theirs.fee !== mine.fee) {
    out.push({ ...both('fee_differs'), provider_fee: theirs.fee, hutong_fee: mine.fee });
  }
  if (statusDiffers(theirs.status, mine.status)) {
    out.push({ ...both('status_differs'), provider_status: theirs.status, hutong_status: mine.status });
  }
  return out;
}

/**
 * Statuses are compared as of the bill's cut-off: Hutong's side is `processing` when it was not final by then, and
 * the provider may have finished it since, so only two final statuses (or a final one of ours against a provider
 * still processing) can disagree.
 */
export function statusDiffers(theirs: LineStatus, ours: LineStatus): boolean {
  return ours !== 'processing' && theirs !== ours;
}

function missingInHutong(line: ProviderLine, note?: string): Mismatch {
  return {
    kind: 'missing_in_hutong',
    bill: line.bill,
    line: line.kind,
    key: line.key,
    provider_ref: line.ref,
    hutong_ref: null,
    provider_amount: line.amount,
    hutong_amount: null,
    ...(line.fee !== undefined ? { provider_fee: line.fee } : {}),
    occurred_at: line.occurredAt.toISOString(),
    ...(note ? { note } : {}),
  };
}

export function missingAtProvider(line: LedgerLine): Mismatch {
  return {
    kind: 'missing_at_provider',
    bill: line.bill,
    line: line.kind,
    key: line.key,
    provider_ref: line.providerRef,
    hutong_ref: line.ref,
    provider_amount: null,
    hutong_amount: line.amount,
    ...(line.fee !== undefined ? { hutong_fee: line.fee } : {}),
    ...(line.kind === 'refund' ? { hutong_status: line.status } : {}),
    occurred_at: line.occurredAt.toISOString(),
  };
}
