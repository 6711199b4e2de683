// Injected bill discrepancies, a test knob outside the real API (`PUT /faults { billTamper: [...] }`): the next
// download(s) of one day's bill carry the listed changes, so reconciliation can be shown to find each of them.
// A change waits until a download of its day has the line it names; it is used up after `downloads` such bills.

export const BILL_TAMPER_CHANGES = [
  'missing_line',
  'extra_line',
  'amount_off_by_one_fen',
  'wrong_fee',
  'refund_failed',
  'share_missing',
] as const;
export type BillTamperChange = (typeof BILL_TAMPER_CHANGES)[number];

export interface BillTamper {
  bill_date: string;
  change: BillTamperChange;
  /** The payment line to change (missing_line, amount_off_by_one_fen, wrong_fee); default: the first one. */
  out_trade_no?: string;
  /** The refund line to change instead (missing_line, amount_off_by_one_fen, wrong_fee, refund_failed). */
  out_refund_no?: string;
  /** share_missing: the share order whose 分账 line(s) disappear; default: the first one. */
  out_order_no?: string;
  /** How many downloads of that day's bill carry the change (default 1). */
  downloads?: number;
}

const TAMPERS_MAX = 100;
const DOWNLOADS_MAX = 1000;
const SELECTORS = ['out_trade_no', 'out_refund_no', 'out_order_no'] as const;

/** Validates the knob's value; throws with a readable message. */
export function checkBillTampers(value: unknown): BillTamper[] {
  if (!Array.isArray(value) || value.length > TAMPERS_MAX)
    throw new Error(`billTamper must be an array of at most ${TAMPERS_MAX} changes`);
  return value.map((item, i) => {
    if (typeof item !== 'object' || item === null) throw new Error(`billTamper[${i}] must be an object`);
    const t = item as Record<string, unknown>;
    for (const key of Object.keys(t)) {
      if (!['bill_date', 'change', 'downloads', ...SELECTORS].includes(key))
        throw new Error(`billTamper[${i}]: unknown field ${key}`);
    }
    if (typeof t.bill_date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(t.bill_date))
      throw new Error(`billTamper[${i}].bill_date must be YYYY-MM-DD`);
    if (!BILL_TAMPER_CHANGES.includes(t.change as BillTamperChange))
      throw new Error(`billTamper[${i}].change must be one of ${BILL_TAMPER_CHANGES.join(', ')}`);
    const downloads = t.downloads ?? 1;
    if (!Number.isSafeInteger(downloads) || (downloads as number) < 1 || (downloads as number) > DOWNLOADS_MAX) {
      throw new Error(`billTamper[${i}].downloads must be an integer from 1 to ${DOWNLOADS_MAX}`);
    }
    for (const s of SELECTORS)
      if (t[s] !== undefined && typeof t[s] !== 'string') throw new Error(`billTamper[${i}].${s} must be a string`);
    if (t.change === 'refund_failed' && t.out_trade_no !== undefined)
      throw new Error(`billTamper[${i}]: refund_failed names a refund (out_refund_no)`);
    return { ...(t as unknown as BillTamper), downloads: downloads as number };
  });
}

/** The rows a trade bill is written from (payments, refunds), as bills.ts reads them. */
interface PaymentLike {
  transaction_id: string;
  out_trade_no: string;
  total: number;
  fee: number;
}
interface RefundLike {
  out_refund_no: string;
  amount: number;
  fee_share: number;
  status: string;
}
interface SharingLike {
  out_no: string;
  business: string;
}

/** Replaces (or, given null, removes) the first line `pick` accepts; false when there is none. */
function changeLine<T>(lines: T[], pick: (line: T) => boolean, edit: (line: T) => T | null): boolean {
  const index = lines.findIndex(pick);
  if (index < 0) return false;
  const edited = edit(lines[index]!);
  if (edited === null) lines.splice(index, 1);
  else lines[index] = edited;
  return true;
}

/** Applies one change to a trade bill's rows; false when the bill has no line it names (it stays pending). */
export function tamperTradeRows<P extends PaymentLike, R extends RefundLike>(
  t: BillTamper,
  rows: { payments: P[]; refunds: R[] },
): boolean {
  const refund = (r: R) => t.out_refund_no === undefined || r.out_refund_no === t.out_refund_no;
  const payment = (p: P) => t.out_trade_no === undefined || p.out_trade_no === t.out_trade_no;
  const onRefund = t.out_refund_no !== undefined;
  switch (t.change) {
    case 'share_missing':
      return false;
    case 'extra_line': {
      const template = rows.payments[0];
      if (!template) return false;
      // A payment the sandbox never took: fresh numbers, the first line's merchant and amounts.
      const suffix = String(Date.now()).slice(-10);
      rows.payments.push({ ...template, transaction_id: `42000099${suffix}`, out_trade_no: `EXTRA${suffix}` });
      return true;
    }
    case 'refund_failed':
      return changeLine(rows.refunds, refund, (r) => ({ ...r, status: 'CLOSED' }));
    case 'missing_line':
      return onRefund ? changeLine(rows.refunds, refund, () => null) : changeLine(rows.payments, payment, () => null);
    case 'amount_off_by_one_fen':
      return onRefund
        ? changeLine(rows.refunds, refund, (r) => ({ ...r, amount: r.amount + 1 }))
        : changeLine(rows.payments, payment, (p) => ({ ...p, total: p.total + 1 }));
    case 'wrong_fee':
      return onRefund
        ? changeLine(rows.refunds, refund, (r) => ({ ...r, fee_share: r.fee_share + 1 }))
        : changeLine(rows.payments, payment, (p) => ({ ...p, fee: p.fee + 1 }));
    default: {
      const never: never = t.change;
      throw new Error(`unknown bill change ${String(never)}`);
    }
  }
}

/** share_missing: the 分账 lines of one share order disappear from the profit-sharing bill. */
export function tamperSharingLines<L extends SharingLike>(t: BillTamper, lines: L[]): L[] | undefined {
  if (t.change !== 'share_missing') return undefined;
  const target = t.out_order_no ?? lines.find((l) => l.business === '分账')?.out_no;
  const kept = lines.filter((l) => !(l.business === '分账' && l.out_no === target));
  return kept.length < lines.length ? kept : undefined;
}
