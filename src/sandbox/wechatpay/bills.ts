// Daily bills built from the sandbox's books, in WeChat Pay's file format: a UTF-8 BOM, a header line, detail
// lines whose every field starts with a backtick, then the summary caption, the summary row and a newline
// (CRLF line ends). Days are Beijing calendar days; today's bill is served too (the real one only after 10:00
// the next day), so tests need not wait.
import { all, type Tx } from './db';
import { yuan } from './money';
import type { RefundRow } from './refunds';
import { billTime } from './time';
import type { TradeRow } from './trades';

const BOM = '\uFEFF';
const EOL = '\r\n';

export const TRADE_BILL_HEADER = [
  '交易时间',
  '公众账号ID',
  '商户号',
  '特约商户号',
  '设备号',
  '微信订单号',
  '商户订单号',
  '用户标识',
  '交易类型',
  '交易状态',
  '付款银行',
  '货币种类',
  '应结订单金额',
  '代金券金额',
  '微信退款单号',
  '商户退款单号',
  '退款金额',
  '充值券退款金额',
  '退款类型',
  '退款状态',
  '商品名称',
  '商户数据包',
  '手续费',
  '费率',
  '订单金额',
  '申请退款金额',
  '费率备注',
];
export const TRADE_BILL_SUMMARY = [
  '总交易单数',
  '应结订单总金额',
  '退款总金额',
  '充值券退款总金额',
  '手续费总金额',
  '订单总金额',
  '申请退款总金额',
];

export const SHARING_BILL_HEADER = [
  '分账发起时间',
  '分账发起方',
  '分账方',
  '微信订单号',
  '微信分账/回退单号',
  '分账明细单号',
  '商户分账/回退单号',
  '分账金额(元)',
  '分账接收方',
  '业务类型',
  '处理状态',
  '分账描述',
];
export const SHARING_BILL_SUMMARY = ['总条数', '分账总金额(元)', '解冻总金额(元)', '回退总金额(元)'];

/** Free text may not break the comma-separated layout: commas become full-width, line breaks spaces. */
function clean(text: string | null): string {
  return (text ?? '').replace(/,/g, '，').replace(/[\r\n]+/g, ' ');
}

function line(fields: (string | number)[]): string {
  return fields.map((f) => `\`${f}`).join(',');
}

function file(header: string[], rows: string[], caption: string[], summary: (string | number)[]): string {
  return `${BOM}${header.join(',')}${EOL}${rows.map((r) => `${r}${EOL}`).join('')}${caption.join(',')}${EOL}${line(summary)}${EOL}`;
}

function feeRate(bp: number): string {
  return `${(bp / 100).toFixed(2)}%`;
}

export type TradeBillType = 'ALL' | 'SUCCESS' | 'REFUND';

export interface BillScope {
  spMchid: string;
  subMchid?: string;
  startMs: number;
  endMs: number;
}

export type RefundWithTrade = RefundRow &
  Pick<TradeRow, 'sp_appid' | 'payer_openid' | 'trade_type' | 'description' | 'attach' | 'fee_rate_bp'>;

/** A test knob's hook: may change the rows a bill is written from (bill-tamper.ts). */
export type TradeRowsTamper = (rows: { payments: TradeRow[]; refunds: RefundWithTrade[] }) => void;
export type SharingLinesTamper = (lines: SharingLine[]) => SharingLine[];

export async function tradeBill(
  tx: Tx,
  scope: BillScope,
  billType: TradeBillType,
  tamper?: TradeRowsTamper,
): Promise<string> {
  const params = [scope.spMchid, scope.subMchid ?? null, scope.startMs, scope.endMs];
  const payments =
    billType === 'REFUND'
      ? []
      : await all<TradeRow>(
          tx,
          `select * from wx_trades where sp_mchid = $1 and ($2::text is null or sub_mchid = $2)
        and success_ms >= $3 and success_ms < $4 order by success_ms, seq`,
          params,
        );
  const refunds =
    billType === 'SUCCESS'
      ? []
      : await all<RefundWithTrade>(
          tx,
          `select r.*, t.sp_appid, t.payer_openid, t.trade_type, t.description, t.attach, t.fee_rate_bp
       from wx_refunds r join wx_trades t on t.transaction_id = r.transaction_id
      where r.sp_mchid = $1 and ($2::text is null or r.sub_mchid = $2) and r.created_ms >= $3 and r.created_ms < $4
      order by r.created_ms, r.refund_id`,
          params,
        );
  tamper?.({ payments, refunds });
  const rows = [
    ...payments.map((t) =>
      line([
        billTime(t.success_ms ?? 0),
        t.sp_appid,
        t.sp_mchid,
        t.sub_mchid,
        '',
        t.transaction_id,
        t.out_trade_no,
        t.payer_openid ?? '',
        t.trade_type,
        'SUCCESS',
        'OTHERS',
        'CNY',
        yuan(t.total),
        '0.00',
        '0',
        '0',
        '0.00',
        '0.00',
        '',
        '',
        clean(t.description),
        clean(t.attach),
        yuan(t.fee),
        feeRate(t.fee_rate_bp),
        yuan(t.total),
        '0.00',
        '',
      ]),
    ),
    ...refunds.map((r) =>
      line([
        billTime(r.created_ms),
        r.sp_appid,
        r.sp_mchid,
        r.sub_mchid,
        '',
        r.transaction_id,
        r.out_trade_no,
        r.payer_openid ?? '',
        r.trade_type,
        'REFUND',
        'OTHERS',
        'CNY',
        '0.00',
        '0.00',
        r.refund_id,
        r.out_refund_no,
        yuan(r.amount),
        '0.00',
        'ORIGINAL',
        r.status,
        clean(r.description),
        clean(r.attach),
        yuan(-r.fee_share),
        feeRate(r.fee_rate_bp),
        '0.00',
        yuan(r.amount),
        '',
      ]),
    ),
  ];
  const paid = payments.reduce((s, t) => s + t.total, 0);
  const refunded = refunds.reduce((s, r) => s + r.amount, 0);
  const fees = payments.reduce((s, t) => s + t.fee, 0) - refunds.reduce((s, r) => s + r.fee_share, 0);
  return file(TRADE_BILL_HEADER, rows, TRADE_BILL_SUMMARY, [
    rows.length,
    yuan(paid),
    yuan(refunded),
    '0.00',
    yuan(fees),
    yuan(paid),
    yuan(refunded),
  ]);
}

export interface SharingLine {
  created_ms: number;
  initiator: string;
  sub_mchid: string;
  transaction_id: string;
  wx_no: string;
  detail_id: string;
  out_no: string;
  amount: number;
  receiver: string;
  business: '分账' | '解冻给分账方' | '分账回退';
  description: string;
}

export async function sharingBill(tx: Tx, scope: BillScope, tamper?: SharingLinesTamper): Promise<string> {
  const params = [scope.spMchid, scope.subMchid ?? null, scope.startMs, scope.endMs];
  const found = await all<SharingLine>(
    tx,
    `select o.created_ms, o.sp_mchid as initiator, o.sub_mchid, o.transaction_id, o.order_id as wx_no, r.detail_id,
            o.out_order_no as out_no, r.amount, r.account as receiver, '分账' as business, r.description, 0 as ord
       from wx_share_orders o join wx_share_receivers r on r.order_id = o.order_id
      where o.sp_mchid = $1 and ($2::text is null or o.sub_mchid = $2) and o.created_ms >= $3 and o.created_ms < $4
     union all
     select o.created_ms, case when o.api = 'system' then 'system' else o.sp_mchid end, o.sub_mchid, o.transaction_id,
            o.order_id, '36' || substr(o.order_id, 3), o.out_order_no, o.unfrozen, o.sub_mchid, '解冻给分账方', o.description, 1
       from wx_share_orders o
      where (o.unfrozen > 0 or o.kind <> 'share')
        and o.sp_mchid = $1 and ($2::text is null or o.sub_mchid = $2) and o.created_ms >= $3 and o.created_ms < $4
     union all
     select x.created_ms, x.sp_mchid, x.sub_mchid, o.transaction_id, x.return_no, '', x.out_return_no, x.amount,
            x.return_mchid, '分账回退', x.description, 2
       from wx_returns x join wx_share_orders o on o.order_id = x.order_id
      where x.sp_mchid = $1 and ($2::text is null or x.sub_mchid = $2) and x.created_ms >= $3 and x.created_ms < $4
     order by created_ms, wx_no, ord, detail_id`,
    params,
  );
  const lines = tamper ? tamper(found) : found;
  const sum = (kind: SharingLine['business']) =>
    lines.filter((l) => l.business === kind).reduce((s, l) => s + l.amount, 0);
  const rows = lines.map((l) =>
    line([
      billTime(l.created_ms),
      l.initiator,
      l.sub_mchid,
      l.transaction_id,
      l.wx_no,
      l.detail_id,
      l.out_no,
      yuan(l.amount),
      l.receiver,
      l.business,
      'SUCCESS',
      clean(l.description),
    ]),
  );
  return file(SHARING_BILL_HEADER, rows, SHARING_BILL_SUMMARY, [
    rows.length,
    yuan(sum('分账')),
    yuan(sum('解冻给分账方')),
    yuan(sum('分账回退')),
  ]);
}
