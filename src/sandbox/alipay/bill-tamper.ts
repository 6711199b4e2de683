// Injected bill discrepancies, a test knob outside the real API (`PUT /faults { billTamper: [...] }`): the next
// download(s) of one day's trade bill carry the listed changes, so reconciliation can be shown to find each one.
// A change waits until a download of its day has the line it names; it is used up after `downloads` such bills.
import type { Refund, Trade } from './types';

export const BILL_TAMPER_CHANGES = [
  'missing_line',
  'extra_line',
  'amount_off_by_one_fen',
  'wrong_fee',
  'refund_failed',
] as const;
export type BillTamperChange = (typeof BILL_TAMPER_CHANGES)[number];

export interface BillTamper {
  bill_date: string;
  change: BillTamperChange;
  /** The payment line to change (missing_line, amount_off_by_one_fen, wrong_fee); default: the first one. */
  out_trade_no?: string;
  /** The refund line (退款批次号/请求号 = out_request_no) to change instead. */
  out_refund_no?: string;
  /** How many downloads of that day's bill carry the change (default 1). */
  downloads?: number;
}

export interface BillRows {
  payments: Trade[];
  refunds: Array<{ trade: Trade; refund: Refund }>;
}

const TAMPERS_MAX = 100;
const DOWNLOADS_MAX = 1000;
const FIELDS = ['bill_date', 'change', 'downloads', 'out_trade_no', 'out_refund_no'];

/** Validates the knob's value; returns an error message when invalid. */
export function parseBillTampers(value: unknown): BillTamper[] | string {
  if (!Array.isArray(value) || value.length > TAMPERS_MAX)
    return `billTamper must be an array of at most ${TAMPERS_MAX} changes`;
  const out: BillTamper[] = [];
  for (const [i, item] of value.entries()) {
    if (typeof item !== 'object' || item === null) return `billTamper[${i}] must be an object`;
    const t = item as Record<string, unknown>;
    const unknown = Object.keys(t).find((key) => !FIELDS.includes(key));
    if (unknown) return `billTamper[${i}]: unknown field ${unknown}`;
    if (typeof t.bill_date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(t.bill_date))
      return `billTamper[${i}].bill_date must be yyyy-MM-dd`;
    if (t.change === 'share_missing')
      return `billTamper[${i}]: Alipay 直付通 has no profit-sharing bill (share_missing is WeChat Pay's)`;
    if (!BILL_TAMPER_CHANGES.includes(t.change as BillTamperChange))
      return `billTamper[${i}].change must be one of ${BILL_TAMPER_CHANGES.join(', ')}`;
    const downloads = t.downloads ?? 1;
    if (!Number.isSafeInteger(downloads) || (downloads as number) < 1 || (downloads as number) > DOWNLOADS_MAX) {
      return `billTamper[${i}].downloads must be an integer from 1 to ${DOWNLOADS_MAX}`;
    }
    if (['out_trade_no', 'out_refund_no'].some((k) => t[k] !== undefined && typeof t[k] !== 'string'))
      return `billTamper[${i}]: out_trade_no and out_refund_no are strings`;
    out.push({ ...(t as unknown as BillTamper), downloads: downloads as number });
  }
  return out;
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

/** Applies one change to the rows a bill is written from; false when the bill has no line it names. */
export function tamperBillRows(t: BillTamper, rows: BillRows): boolean {
  const refund = (r: BillRows['refunds'][number]) =>
    t.out_refund_no === undefined || r.refund.outRequestNo === t.out_refund_no;
  const payment = (p: Trade) => t.out_trade_no === undefined || p.outTradeNo === t.out_trade_no;
  const onRefund = t.out_refund_no !== undefined;
  const editRefund = (edit: (r: Refund) => Refund) =>
    changeLine(rows.refunds, refund, (r) => ({ trade: r.trade, refund: edit(r.refund) }));
  switch (t.change) {
    case 'extra_line': {
      const template = rows.payments[0];
      if (!template) return false;
      // A payment the sandbox never took: fresh numbers, the first line's merchant and amounts.
      const suffix = String(Date.now()).slice(-10);
      rows.payments.push({ ...template, tradeNo: `2099000000${suffix}`, outTradeNo: `EXTRA${suffix}` });
      return true;
    }
    case 'refund_failed':
      // Alipay's trade bill lists successful refunds only: a refund that failed has no line at all.
      return changeLine(rows.refunds, refund, () => null);
    case 'missing_line':
      return onRefund ? changeLine(rows.refunds, refund, () => null) : changeLine(rows.payments, payment, () => null);
    case 'amount_off_by_one_fen':
      return onRefund
        ? editRefund((r) => ({ ...r, amountFen: r.amountFen + 1 }))
        : changeLine(rows.payments, payment, (p) => ({ ...p, totalFen: p.totalFen + 1 }));
    case 'wrong_fee':
      return onRefund
        ? editRefund((r) => ({ ...r, feeReturnedFen: r.feeReturnedFen + 1 }))
        : changeLine(rows.payments, payment, (p) => ({ ...p, feeFen: p.feeFen + 1 }));
    default: {
      const never: never = t.change;
      throw new Error(`unknown bill change ${String(never)}`);
    }
  }
}
