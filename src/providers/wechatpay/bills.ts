// The trade bill (one line per paid sub-order and per refund) and the profit-sharing bill (one line per share,
// return and unfreeze): request a download_url, fetch the file with a signed GET, check its SHA1, parse.
import { fen, type Fen } from '../../shared/money';
import { ProviderError, type BillLine, type SharingBillLine } from '../types';
import { cell, parseBacktickCsv } from './bill-csv';
import { asProviderError, isRejection } from './client';
import type { AdapterContext } from './context';
import { parseBeijingDateTime, yuanTextToFen } from './format';
import type { BillAnswer } from './wire-platform';

const BILL_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** WeChat Pay's profit-sharing bill line is the interface's SharingBillLine. */
export type ProfitSharingBillLine = SharingBillLine;

async function downloadBill(
  ctx: AdapterContext,
  path: string,
  query: Record<string, string | undefined>,
): Promise<Buffer | undefined> {
  if (!BILL_DATE.test(query.bill_date ?? ''))
    throw new ProviderError('invalid_request', 'bill_date_invalid', 'bill dates are yyyy-MM-dd');
  let answer: BillAnswer;
  try {
    answer = (await ctx.http.call<BillAnswer>({ method: 'GET', path, query, effect: 'read' })).data;
  } catch (e) {
    // A day without trades has no file at all.
    if (isRejection(e, 'NO_STATEMENT_EXIST')) return undefined;
    if (isRejection(e, 'STATEMENT_CREATING'))
      throw new ProviderError('unavailable', 'bill_not_ready', e.message, e.code);
    throw asProviderError(e);
  }
  return ctx.http.downloadBill(answer.download_url, answer.hash_value);
}

function unparseable(what: string): ProviderError {
  return new ProviderError('unavailable', 'bill_unparseable', `bill unreadable: ${what}`);
}

function readingBill<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    throw e instanceof ProviderError ? e : unparseable(e instanceof Error ? e.message : String(e));
  }
}

export async function fetchTradeBill(
  ctx: AdapterContext,
  input: { date: string; subMerchantId?: string },
): Promise<BillLine[]> {
  const file = await downloadBill(ctx, '/v3/bill/tradebill', {
    bill_date: input.date,
    sub_mchid: input.subMerchantId,
    bill_type: 'ALL',
  });
  return file ? readingBill(() => tradeBillLines(file)) : [];
}

/**
 * SUCCESS lines are payments, REFUND lines refunds (dated when the refund started); other states (REVOKED, only
 * for card-present payments Hutong does not make) are skipped. Fees are magnitudes: charged on a payment line,
 * returned on a refund line (the bill writes the latter negative).
 */
export function tradeBillLines(file: Buffer | string): BillLine[] {
  const out: BillLine[] = [];
  for (const row of parseBacktickCsv(file).rows) {
    const state = cell(row, '交易状态');
    if (state !== 'SUCCESS' && state !== 'REFUND') continue;
    const base = {
      outTradeNo: required(row, '商户订单号'),
      transactionId: required(row, '微信订单号'),
      subMerchantId: cell(row, '特约商户号', '子商户号') || required(row, '商户号'),
      feeFen: fen(Math.abs(yuan(row, '手续费'))),
      occurredAt: parseBeijingDateTime(required(row, '交易时间')),
    };
    if (state === 'SUCCESS') {
      out.push({ kind: 'payment', ...base, amountFen: fen(Math.abs(yuan(row, '订单金额', '应结订单金额'))) });
    } else {
      const line: BillLine = {
        kind: 'refund',
        ...base,
        amountFen: fen(Math.abs(yuan(row, '退款金额'))),
        outRefundNo: required(row, '商户退款单号'),
      };
      const refundStatus = cell(row, '退款状态');
      if (refundStatus) line.refundStatus = refundStatus;
      out.push(line);
    }
  }
  return out;
}

export async function fetchProfitSharingBill(
  ctx: AdapterContext,
  input: { date: string; subMerchantId?: string },
): Promise<ProfitSharingBillLine[]> {
  const file = await downloadBill(ctx, '/v3/profitsharing/bills', {
    bill_date: input.date,
    sub_mchid: input.subMerchantId,
  });
  return file ? readingBill(() => profitSharingBillLines(file)) : [];
}

export function profitSharingBillLines(file: Buffer | string): ProfitSharingBillLine[] {
  return parseBacktickCsv(file).rows.map((row) => {
    const kindText = cell(row, '分账类型', '动账类型', '业务类型') ?? '分账';
    const line: ProfitSharingBillLine = {
      kind: sharingKindOf(kindText),
      kindText,
      transactionId: required(row, '微信订单号'),
      outOrderNo: required(row, '商户分账单号', '商户分账/回退单号', '商户分账单号/商户回退单号'),
      receiverAccount: required(row, '分账接收方', '分账接收方账号', '接收方'),
      amountFen: fen(Math.abs(yuan(row, '分账金额(元)', '分账金额', '转入金额(元)', '金额'))),
      status: cell(row, '分账状态', '处理状态', '状态') ?? '',
      occurredAt: parseBeijingDateTime(required(row, '分账发起时间', '发起时间')),
    };
    const sponsor = cell(row, '分账出资商户号', '分账方商户号', '分账方', '出资方商户号');
    if (sponsor) line.sponsorMchid = sponsor;
    const description = cell(row, '分账描述', '描述');
    if (description) line.description = description;
    return line;
  });
}

function sharingKindOf(text: string): ProfitSharingBillLine['kind'] {
  if (/回退|RETURN/i.test(text)) return 'return';
  if (/解冻|完结|UNFREEZE|FINISH/i.test(text)) return 'unfreeze';
  return 'share';
}

function required(row: Record<string, string>, ...names: string[]): string {
  const value = cell(row, ...names);
  if (!value) throw unparseable(`missing ${names[0]}`);
  return value;
}

function yuan(row: Record<string, string>, ...names: string[]): number {
  try {
    return yuanTextToFen(required(row, ...names));
  } catch (e) {
    throw e instanceof ProviderError ? e : unparseable(`${names[0]} is not an amount`);
  }
}
