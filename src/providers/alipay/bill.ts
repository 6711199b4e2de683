// The trade bill: ask the gateway for a download URL, download the zip, unzip, decode GBK, and read the detail CSV
// (业务明细) into BillLines. Alipay's zip holds the detail file and a summary file (业务明细(汇总)); the file names are
// GBK without the zip UTF-8 flag, so the detail file is recognised by its header, not its name.
import { unzipSync } from 'fflate';
import iconv from 'iconv-lite';
import { request } from 'undici';
import { fen, type Fen } from '../../shared/money';
import { ProviderError, type BillLine } from '../types';
import { signedYuanStringToFen } from './amounts';
import { unexpectedBusinessFailure, type Gateway } from './gateway';
import { parseBeijingTime } from './time';
import { CODE_SUCCESS, METHOD, type BillDownloadUrlResponse } from './wire';

export interface BillContext {
  gateway: Gateway;
  timeoutMs: number;
}

/** A day's bill is a few MB at most; a larger download is refused rather than held in memory. */
const BILL_ZIP_BYTES_MAX = 64 * 1024 * 1024;
const BILL_DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

export async function fetchTradeBill(
  ctx: BillContext,
  input: { date: string; subMerchantId?: string },
): Promise<BillLine[]> {
  if (!BILL_DATE_PATTERN.test(input.date))
    throw new ProviderError('invalid_request', 'invalid_bill_date', 'bill date is YYYY-MM-DD (Asia/Shanghai)');
  const url = await billDownloadUrl(ctx, input);
  if (url === undefined) return [];
  const zip = await download(url, ctx.timeoutMs);
  return parseTradeBillZip(zip, input.subMerchantId ?? '');
}

async function billDownloadUrl(
  ctx: BillContext,
  input: { date: string; subMerchantId?: string },
): Promise<string | undefined> {
  // 直付通: a sub-merchant's own trade bill is bill_type trade_zft_merchant with its smid; the platform's is trade.
  const biz = input.subMerchantId
    ? { bill_type: 'trade_zft_merchant', bill_date: input.date, smid: input.subMerchantId }
    : { bill_type: 'trade', bill_date: input.date };
  const res = await ctx.gateway<BillDownloadUrlResponse>(METHOD.billDownloadUrl, biz, { kind: 'read' });
  // A day without trades has no bill file.
  if (res.sub_code === 'isp.bill_not_exist') return undefined;
  if (res.code !== CODE_SUCCESS || !res.bill_download_url) throw unexpectedBusinessFailure(METHOD.billDownloadUrl, res);
  return res.bill_download_url;
}

async function download(url: string, timeoutMs: number): Promise<Uint8Array> {
  try {
    const res = await request(url, { method: 'GET', headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new ProviderError('unavailable', 'bill_download_failed', `bill download answered HTTP ${res.statusCode}`);
    }
    const declared = Number(res.headers['content-length'] ?? 0);
    if (declared > BILL_ZIP_BYTES_MAX) {
      await res.body.dump();
      throw new ProviderError('unavailable', 'bill_too_large', 'bill download is larger than the limit');
    }
    return new Uint8Array(await res.body.arrayBuffer());
  } catch (error) {
    if (error instanceof ProviderError) throw error;
    throw new ProviderError(
      'unavailable',
      'bill_download_failed',
      'bill download failed (timeout or connection error)',
    );
  }
}

export function parseTradeBillZip(zip: Uint8Array, subMerchantId: string): BillLine[] {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(zip);
  } catch {
    throw new ProviderError('unavailable', 'bill_malformed', 'the bill download is not a zip file');
  }
  const lines: BillLine[] = [];
  let detailFiles = 0;
  for (const content of Object.values(files)) {
    const text = iconv.decode(Buffer.from(content), 'gbk');
    const table = readDetailTable(text);
    if (!table) continue;
    detailFiles += 1;
    for (const row of table.rows) lines.push(billLine(table.columns, row, subMerchantId));
  }
  if (detailFiles === 0)
    throw new ProviderError('unavailable', 'bill_malformed', 'the bill zip has no detail (业务明细) file');
  return lines;
}

interface Columns {
  tradeNo: number;
  outTradeNo: number;
  bizType: number;
  finishedAt: number;
  orderAmount: number;
  receiptAmount: number;
  refundRequestNo: number;
  fee: number;
  subMerchant: number | undefined;
}

/** The detail table: the first non-comment line is the header; data rows run to the next `#` line. */
function readDetailTable(text: string): { columns: Columns; rows: string[][] } | undefined {
  const all = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const start = all.findIndex((line) => line.trim() !== '' && !line.startsWith('#'));
  if (start < 0) return undefined;
  const header = splitCsvLine(all[start] as string);
  const columns = findColumns(header);
  if (!columns) return undefined;
  const rows: string[][] = [];
  for (const line of all.slice(start + 1)) {
    if (line.startsWith('#')) break;
    if (line.trim() === '') continue;
    rows.push(splitCsvLine(line));
  }
  return { columns, rows };
}

function findColumns(header: string[]): Columns | undefined {
  const at = (prefix: string) => header.findIndex((name) => name.startsWith(prefix));
  const columns = {
    tradeNo: at('支付宝交易号'),
    outTradeNo: at('商户订单号'),
    bizType: at('业务类型'),
    finishedAt: at('完成时间'),
    orderAmount: at('订单金额'),
    receiptAmount: at('商家实收'),
    refundRequestNo: at('退款批次号'),
    fee: at('服务费'),
  };
  if (Object.values(columns).some((index) => index < 0)) return undefined;
  const subMerchant = header.findIndex((name) => name.includes('二级商户') || name.toLowerCase() === 'smid');
  return { ...columns, subMerchant: subMerchant < 0 ? undefined : subMerchant };
}

/** Alipay's bill fields are unquoted and often end with a tab (so spreadsheets keep long numbers as text). */
export function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const ch = line[i] as string;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        current += '"';
        i += 1;
      } else if (ch === '"') quoted = false;
      else current += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      fields.push(current.trim());
      current = '';
    } else current += ch;
  }
  fields.push(current.trim());
  return fields;
}

function billLine(c: Columns, row: string[], defaultSubMerchantId: string): BillLine {
  const cell = (index: number) => row[index] ?? '';
  const bizType = cell(c.bizType);
  if (bizType !== '交易' && bizType !== '退款') throw malformedRow(`unknown 业务类型 ${bizType}`);
  const occurredAt = parseBeijingTime(cell(c.finishedAt));
  if (!occurredAt) throw malformedRow('完成时间 is not a time');
  const line: BillLine = {
    kind: bizType === '交易' ? 'payment' : 'refund',
    outTradeNo: cell(c.outTradeNo),
    transactionId: cell(c.tradeNo),
    subMerchantId: (c.subMerchant === undefined ? '' : cell(c.subMerchant)) || defaultSubMerchantId,
    // A payment row's amount is the order amount; a refund row repeats the order amount and carries the refund
    // as a negative 商家实收 (with the returned fee positive). BillLine holds magnitudes.
    amountFen: magnitude(cell(bizType === '交易' ? c.orderAmount : c.receiptAmount)),
    feeFen: magnitude(cell(c.fee) || '0'),
    occurredAt,
  };
  if (line.kind === 'refund') {
    line.outRefundNo = cell(c.refundRequestNo);
    // The trade bill lists only refunds that succeeded.
    line.refundStatus = 'REFUND_SUCCESS';
  }
  return line;
}

function magnitude(text: string): Fen {
  try {
    return fen(Math.abs(signedYuanStringToFen(text)));
  } catch {
    throw malformedRow(`amount ${JSON.stringify(text)} is not yuan`);
  }
}

function malformedRow(detail: string): ProviderError {
  return new ProviderError('unavailable', 'bill_malformed', `trade bill row: ${detail}`);
}
