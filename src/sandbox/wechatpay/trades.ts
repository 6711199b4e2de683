// Trades (one per sub-order) and payables (what a buyer pays: a partner order or a combined order).
import { all, one, type Tx } from './db';
import { wx } from './errors';
import { rfc3339 } from './time';

export type TradeState = 'NOTPAY' | 'SUCCESS' | 'REFUND' | 'CLOSED' | 'PAYERROR';
export type TradeType = 'NATIVE' | 'JSAPI' | 'MWEB';

export interface TradeRow {
  transaction_id: string;
  prepay_id: string;
  sp_mchid: string;
  sub_mchid: string;
  sp_appid: string;
  sub_appid: string | null;
  out_trade_no: string;
  combine_out_trade_no: string | null;
  trade_type: TradeType;
  description: string;
  attach: string | null;
  notify_url: string;
  total: number;
  state: TradeState;
  profit_sharing: boolean;
  fee_rate_bp: number;
  fee: number;
  fee_returned: number;
  refunded: number;
  shared: number;
  returned: number;
  unfrozen: number;
  unsplit: number;
  sharing_finished: boolean;
  share_requests: number;
  payer_openid: string | null;
  success_ms: number | null;
  settle_ms: number | null;
  unfreeze_ms: number | null;
  time_expire_ms: number;
  created_ms: number;
}

export interface PayableRow {
  prepay_id: string;
  code_token: string;
  sp_mchid: string;
  kind: 'single' | 'combine';
  combine_out_trade_no: string | null;
  appid: string;
  trade_type: TradeType;
  notify_url: string;
  payer_openid: string | null;
  scene_info: Record<string, unknown> | null;
  time_expire_ms: number;
  created_ms: number;
}

export const TRADE_STATE_DESC: Record<TradeState, string> = {
  NOTPAY: '订单未支付',
  SUCCESS: '支付成功',
  REFUND: '转入退款',
  CLOSED: '订单已关闭',
  PAYERROR: '支付失败，请重新下单支付',
};

export const OUT_TRADE_NO_PATTERN = /^[0-9A-Za-z_\-|*]{6,32}$/;
/** Unpaid orders without time_expire close after two hours, as WeChat Pay's default. */
export const DEFAULT_EXPIRE_MS = 2 * 3600_000;

export function isPaid(state: TradeState): boolean {
  return state === 'SUCCESS' || state === 'REFUND';
}

export async function tradeByOutNo(tx: Tx, subMchid: string, outTradeNo: string): Promise<TradeRow | undefined> {
  return one<TradeRow>(tx, `select * from wx_trades where sub_mchid = $1 and out_trade_no = $2`, [
    subMchid,
    outTradeNo,
  ]);
}

export async function tradeById(tx: Tx, transactionId: string): Promise<TradeRow | undefined> {
  return one<TradeRow>(tx, `select * from wx_trades where transaction_id = $1`, [transactionId]);
}

export async function tradesOfPayable(tx: Tx, prepayId: string): Promise<TradeRow[]> {
  return all<TradeRow>(tx, `select * from wx_trades where prepay_id = $1 order by seq`, [prepayId]);
}

export async function payableById(tx: Tx, prepayId: string): Promise<PayableRow | undefined> {
  return one<PayableRow>(tx, `select * from wx_payables where prepay_id = $1`, [prepayId]);
}

/** Closes unpaid trades whose time_expire has passed (lazily on reads, and by the sweeper). */
export async function closeExpired(tx: Tx, nowMs: number, prepayId?: string): Promise<number> {
  const result = await tx.query(
    `update wx_trades set state = 'CLOSED'
      where state in ('NOTPAY', 'PAYERROR') and time_expire_ms <= $1 and ($2::text is null or prepay_id = $2)`,
    [nowMs, prepayId ?? null],
  );
  return result.affectedRows ?? 0;
}

/**
 * The rule for re-using an out_trade_no: a paid order answers ORDERPAID, a closed one ORDER_CLOSED; an unpaid
 * one with the same amount and trade type is the same order (its prepay handle is returned again); anything
 * else is OUT_TRADE_NO_USED.
 */
export function checkReuse(existing: TradeRow, total: number, tradeType: TradeType): void {
  if (isPaid(existing.state)) throw wx.orderPaid();
  if (existing.state === 'CLOSED') throw wx.orderClosed();
  if (existing.total !== total || existing.trade_type !== tradeType) throw wx.outTradeNoUsed();
}

/** The partner query / notification body of one trade (field names as WeChat Pay's). */
export function partnerTransactionJson(t: TradeRow): Record<string, unknown> {
  const paid = isPaid(t.state);
  return {
    sp_appid: t.sp_appid,
    sp_mchid: t.sp_mchid,
    ...(t.sub_appid ? { sub_appid: t.sub_appid } : {}),
    sub_mchid: t.sub_mchid,
    out_trade_no: t.out_trade_no,
    ...(paid ? { transaction_id: t.transaction_id, trade_type: t.trade_type } : {}),
    trade_state: t.state,
    trade_state_desc: TRADE_STATE_DESC[t.state],
    ...(paid ? { bank_type: 'OTHERS' } : {}),
    ...(t.attach ? { attach: t.attach } : {}),
    ...(paid && t.success_ms !== null ? { success_time: rfc3339(t.success_ms) } : {}),
    ...(paid ? { payer: { sp_openid: t.payer_openid ?? '' } } : {}),
    amount: paid
      ? { total: t.total, payer_total: t.total, currency: 'CNY', payer_currency: 'CNY' }
      : { total: t.total, currency: 'CNY', payer_currency: 'CNY' },
  };
}

/** One sub-order in the combined query / notification body. */
export function combineSubOrderJson(t: TradeRow): Record<string, unknown> {
  const paid = isPaid(t.state);
  return {
    mchid: t.sp_mchid,
    trade_type: t.trade_type,
    trade_state: t.state,
    ...(paid ? { bank_type: 'OTHERS' } : {}),
    attach: t.attach ?? '',
    ...(paid && t.success_ms !== null ? { success_time: rfc3339(t.success_ms) } : {}),
    ...(paid ? { transaction_id: t.transaction_id } : {}),
    out_trade_no: t.out_trade_no,
    sub_mchid: t.sub_mchid,
    ...(t.sub_appid ? { sub_appid: t.sub_appid } : {}),
    amount: {
      total_amount: t.total,
      currency: 'CNY',
      ...(paid ? { payer_amount: t.total, payer_currency: 'CNY' } : {}),
    },
  };
}

export function combineJson(p: PayableRow, trades: TradeRow[]): Record<string, unknown> {
  return {
    combine_appid: p.appid,
    combine_mchid: p.sp_mchid,
    combine_out_trade_no: p.combine_out_trade_no,
    ...(p.scene_info && typeof p.scene_info.device_id === 'string'
      ? { scene_info: { device_id: p.scene_info.device_id } }
      : {}),
    sub_orders: trades.map(combineSubOrderJson),
    combine_payer_info: { openid: trades.find((t) => t.payer_openid)?.payer_openid ?? p.payer_openid ?? '' },
  };
}
