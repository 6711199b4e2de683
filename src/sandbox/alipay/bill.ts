// Alipay's trade bill (业务明细): a zip of two GBK CSV files — the detail lines and a summary — built from the
// sandbox's books for one Beijing day or month. Payment lines are dated by payment, refund lines by refund.
import iconv from 'iconv-lite';
import { zipSync } from 'fflate';
import type { Sql } from './db';
import { many } from './db';
import { formatBeijing, formatBeijingChinese } from './clock';
import { fenToYuan } from './money';
import { camelRow, type Refund, type Trade } from './types';
import type { BillRows } from './bill-tamper';

/** A test knob's hook: may change the rows a bill is written from (bill-tamper.ts). */
export type BillRowsTamper = (rows: BillRows) => void;

export interface BillRequest {
  appId: string;
  account: string;
  period: string;
  startMs: number;
  endMs: number;
  smid: string | null;
}

const DETAIL_HEADER = [
  '支付宝交易号',
  '商户订单号',
  '业务类型',
  '商品名称',
  '创建时间',
  '完成时间',
  '门店编号',
  '门店名称',
  '操作员',
  '终端号',
  '对方账户',
  '订单金额（元）',
  '商家实收（元）',
  '支付宝红包（元）',
  '集分宝（元）',
  '支付宝优惠（元）',
  '商家优惠（元）',
  '券核销金额（元）',
  '券名称',
  '商家红包消费金额（元）',
  '卡消费金额（元）',
  '退款批次号/请求号',
  '服务费（元）',
  '分润（元）',
  '备注',
];
const SUMMARY_HEADER = [
  '门店编号',
  '门店名称',
  '交易订单总笔数',
  '退款订单总笔数',
  '订单金额（元）',
  '商家实收（元）',
  '支付宝优惠（元）',
  '商家优惠（元）',
  '卡消费金额（元）',
  '服务费（元）',
  '分润（元）',
  '实收净额（元）',
];
const RULE = '-----------------------------------------';
const ZERO = '0.00';

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** Alipay appends a tab to long numbers so spreadsheets keep them as text; readers trim it. */
function asText(value: string): string {
  return value === '' ? '' : `${value}\t`;
}

interface BillLine {
  cells: string[];
  kind: 'trade' | 'refund';
  receiptFen: number;
  orderFen: number;
  feeFen: number;
}

function paymentLine(t: Trade): BillLine {
  const cells = [
    asText(t.tradeNo),
    asText(t.outTradeNo),
    '交易',
    t.subject,
    formatBeijing(t.scannedAt ?? t.createdAt),
    formatBeijing(t.paidAt!),
    '',
    '',
    '',
    '',
    t.buyerLogonId ?? '',
    fenToYuan(t.totalFen),
    fenToYuan(t.totalFen),
    ZERO,
    ZERO,
    ZERO,
    ZERO,
    ZERO,
    '',
    ZERO,
    ZERO,
    '',
    fenToYuan(-t.feeFen),
    ZERO,
    '',
  ];
  return { cells, kind: 'trade', receiptFen: t.totalFen, orderFen: t.totalFen, feeFen: -t.feeFen };
}

function refundLine(t: Trade, r: Refund): BillLine {
  const cells = [
    asText(t.tradeNo),
    asText(t.outTradeNo),
    '退款',
    t.subject,
    formatBeijing(t.scannedAt ?? t.createdAt),
    formatBeijing(r.createdAt),
    '',
    '',
    '',
    '',
    t.buyerLogonId ?? '',
    fenToYuan(t.totalFen),
    fenToYuan(-r.amountFen),
    ZERO,
    ZERO,
    ZERO,
    ZERO,
    ZERO,
    '',
    ZERO,
    ZERO,
    asText(r.outRequestNo),
    fenToYuan(r.feeReturnedFen),
    ZERO,
    r.reason ?? '',
  ];
  return { cells, kind: 'refund', receiptFen: -r.amountFen, orderFen: t.totalFen, feeFen: r.feeReturnedFen };
}

async function billLines(sql: Sql, req: BillRequest, tamper?: BillRowsTamper): Promise<BillLine[]> {
  const smidFilter = req.smid ? 'and t.smid = $4' : '';
  const params = [req.appId, req.startMs, req.endMs, ...(req.smid ? [req.smid] : [])];
  const paid = await many<Record<string, unknown>>(
    sql,
    `select t.* from trades t where t.app_id = $1 and t.paid_at >= $2 and t.paid_at < $3 ${smidFilter} order by t.paid_at, t.trade_no`,
    params,
  );
  const refunded = await many<{ trade: Record<string, unknown>; refund: Record<string, unknown> }>(
    sql,
    `select to_jsonb(t) as trade, to_jsonb(r) as refund from refunds r join trades t on t.trade_no = r.trade_no
     where t.app_id = $1 and r.created_at >= $2 and r.created_at < $3 ${smidFilter} order by r.created_at, r.out_request_no`,
    params,
  );
  const rows: BillRows = {
    payments: paid.map((row) => camelRow<Trade>(row)),
    refunds: refunded.map((row) => ({ trade: camelRow<Trade>(row.trade), refund: camelRow<Refund>(row.refund) })),
  };
  tamper?.(rows);
  return [...rows.payments.map(paymentLine), ...rows.refunds.map((r) => refundLine(r.trade, r.refund))];
}

function preamble(title: string, req: BillRequest): string[] {
  return [
    `#${title}`,
    `#账号：[${req.account}]`,
    `#起始日期：[${formatBeijingChinese(req.startMs)}]   终止日期：[${formatBeijingChinese(req.endMs)}]`,
  ];
}

function detailCsv(req: BillRequest, lines: BillLine[], exportedAt: number): string {
  const trades = lines.filter((l) => l.kind === 'trade').length;
  return (
    [
      ...preamble('支付宝业务明细查询', req),
      `#${RULE}业务明细列表${RULE}`,
      DETAIL_HEADER.join(','),
      ...lines.map((l) => l.cells.map(csvField).join(',')),
      `#${RULE}业务明细列表结束${RULE}`,
      `#交易合计：${trades}笔，退款合计：${lines.length - trades}笔`,
      `#导出时间：[${formatBeijingChinese(exportedAt)}]`,
    ].join('\r\n') + '\r\n'
  );
}

function summaryCsv(req: BillRequest, lines: BillLine[], exportedAt: number): string {
  const trades = lines.filter((l) => l.kind === 'trade');
  const sum = (pick: (l: BillLine) => number) => lines.reduce((s, l) => s + pick(l), 0);
  const receipt = sum((l) => l.receiptFen);
  const fee = sum((l) => l.feeFen);
  const order = trades.reduce((s, l) => s + l.orderFen, 0);
  const totals = [
    String(trades.length),
    String(lines.length - trades.length),
    fenToYuan(order),
    fenToYuan(receipt),
    ZERO,
    ZERO,
    ZERO,
    fenToYuan(fee),
    ZERO,
    fenToYuan(receipt + fee),
  ];
  return (
    [
      ...preamble('支付宝业务汇总查询', req),
      `#${RULE}业务汇总列表${RULE}`,
      SUMMARY_HEADER.join(','),
      ['', '', ...totals].join(','),
      ['合计', '', ...totals].join(','),
      `#${RULE}业务汇总列表结束${RULE}`,
      `#导出时间：[${formatBeijingChinese(exportedAt)}]`,
    ].join('\r\n') + '\r\n'
  );
}

/** The bill as Alipay serves it: `<account>_<date>.csv.zip` holding 业务明细.csv and 业务明细(汇总).csv in GBK. */
export async function buildTradeBill(
  sql: Sql,
  req: BillRequest,
  exportedAt: number,
  tamper?: BillRowsTamper,
): Promise<{ fileName: string; zip: Uint8Array }> {
  const lines = await billLines(sql, req, tamper);
  const stem = `${req.account}_${req.period.replaceAll('-', '')}`;
  const zip = zipSync({
    [`${stem}_业务明细.csv`]: iconv.encode(detailCsv(req, lines, exportedAt), 'gbk'),
    [`${stem}_业务明细(汇总).csv`]: iconv.encode(summaryCsv(req, lines, exportedAt), 'gbk'),
  });
  return { fileName: `${stem}.csv.zip`, zip };
}
