// Refunds of both merchant types: the rules of the real gateway, the fee given back, the escrow source.
import type { Ctx, Merchant } from './context';
import { one, type Tx } from './db';
import { wx } from './errors';
import { ids } from './ids';
import { requireSubMerchant } from './merchants';
import { refundFeeShare } from './money';
import { enqueueNotification } from './notify';
import { rfc3339 } from './time';
import { isPaid, tradeById, tradeByOutNo, type TradeRow } from './trades';
import { checkNotifyUrl } from './orders';

export type RefundStatus = 'PROCESSING' | 'SUCCESS' | 'CLOSED' | 'ABNORMAL';

export interface RefundRow {
  refund_id: string;
  api: 'ecommerce' | 'domestic';
  sp_mchid: string;
  sub_mchid: string;
  transaction_id: string;
  out_trade_no: string;
  out_refund_no: string;
  amount: number;
  total: number;
  fee_share: number;
  /** UNAVAILABLE: taken from the order's frozen (unsplit) money; AVAILABLE: from the available balance. */
  source: 'UNAVAILABLE' | 'AVAILABLE';
  status: RefundStatus;
  reason: string | null;
  notify_url: string;
  created_ms: number;
  success_ms: number | null;
}

export interface RefundInput {
  api: 'ecommerce' | 'domestic';
  merchant: Merchant;
  subMchid: string;
  transactionId?: string;
  outTradeNo?: string;
  outRefundNo: string;
  reason?: string;
  notifyUrl?: string;
  refund: number;
  total: number;
  fundsAccount?: string;
}

export async function refundByOutNo(tx: Tx, subMchid: string, outRefundNo: string): Promise<RefundRow | undefined> {
  return one<RefundRow>(tx, `select * from wx_refunds where sub_mchid = $1 and out_refund_no = $2`, [
    subMchid,
    outRefundNo,
  ]);
}

async function findRefundedTrade(tx: Tx, input: RefundInput): Promise<TradeRow> {
  if (!input.transactionId && !input.outTradeNo) throw wx.param('transaction_id 与 out_trade_no 不能同时为空');
  const trade = input.transactionId
    ? await tradeById(tx, input.transactionId)
    : await tradeByOutNo(tx, input.subMchid, input.outTradeNo as string);
  if (!trade || trade.sub_mchid !== input.subMchid || trade.sp_mchid !== input.merchant.mchid)
    throw wx.notExists('订单不存在');
  if (!isPaid(trade.state)) throw wx.invalid('订单未支付或已关闭，不能退款');
  if (input.total !== trade.total) throw wx.invalid('订单金额 amount.total 与原订单不一致');
  return trade;
}

/** Where the money of a refund comes from, or the refusal the gateway gives. */
async function refundSource(tx: Tx, trade: TradeRow, net: number, fundsAccount?: string): Promise<RefundRow['source']> {
  const frozen = trade.profit_sharing && !trade.sharing_finished && fundsAccount !== 'AVAILABLE';
  if (frozen) {
    // The escrow rule: a refund may take only what is still unsplit; the rest must be unfrozen first.
    if (net > trade.unsplit) throw wx.ruleLimit('订单剩余待分金额不足，请先解冻剩余资金（完结分账）后再退款');
    return 'UNAVAILABLE';
  }
  const sub = await one<{ available: number }>(tx, `select available from wx_sub_merchants where sub_mchid = $1`, [
    trade.sub_mchid,
  ]);
  if (!sub || sub.available < net) throw wx.notEnough('商户可用余额不足');
  return 'AVAILABLE';
}

export async function applyRefund(ctx: Ctx, input: RefundInput): Promise<{ refund: RefundRow; created: boolean }> {
  if (input.notifyUrl !== undefined) checkNotifyUrl(ctx, input.notifyUrl);
  const outcome = await ctx.db.transaction(async (tx) => {
    await requireSubMerchant(tx, input.merchant.mchid, input.subMchid);
    const trade = await findRefundedTrade(tx, input);
    const existing = await refundByOutNo(tx, input.subMchid, input.outRefundNo);
    if (existing) {
      if (existing.transaction_id !== trade.transaction_id || existing.amount !== input.refund) {
        throw wx.invalid('商户退款单号已存在且请求参数不一致');
      }
      return { refund: existing, created: false };
    }
    if (input.refund > trade.total - trade.refunded) throw wx.invalid('申请退款金额超过订单可退金额');
    const feeShare = refundFeeShare({
      paidFen: trade.total,
      feeFen: trade.fee,
      refundFen: input.refund,
      refundedBeforeFen: trade.refunded,
      feeReturnedBeforeFen: trade.fee_returned,
    });
    const net = input.refund - feeShare;
    const source = await refundSource(tx, trade, net, input.fundsAccount);
    const now = ctx.clock.now();
    const status = ctx.faults.value.refundResult;
    const refund: RefundRow = {
      refund_id: ids.refundId(now),
      api: input.api,
      sp_mchid: trade.sp_mchid,
      sub_mchid: trade.sub_mchid,
      transaction_id: trade.transaction_id,
      out_trade_no: trade.out_trade_no,
      out_refund_no: input.outRefundNo,
      amount: input.refund,
      total: trade.total,
      fee_share: feeShare,
      source,
      status,
      reason: input.reason ?? null,
      notify_url: input.notifyUrl ?? trade.notify_url,
      created_ms: now,
      success_ms: status === 'SUCCESS' ? now : null,
    };
    if (status !== 'CLOSED') await takeRefundMoney(tx, trade, refund, net);
    await insertRefund(tx, refund);
    await enqueueNotification(tx, ctx, {
      spMchid: trade.sp_mchid,
      apiv3Key: input.merchant.apiv3Key,
      url: refund.notify_url,
      eventType: `REFUND.${status as 'SUCCESS' | 'ABNORMAL' | 'CLOSED'}`,
      summary: { SUCCESS: '退款成功', ABNORMAL: '退款异常', CLOSED: '退款关闭' }[
        status as 'SUCCESS' | 'ABNORMAL' | 'CLOSED'
      ],
      originalType: 'refund',
      resource: refundNotificationJson(refund, trade),
    });
    return { refund, created: true };
  });
  if (outcome.created) ctx.wakeNotifier();
  return outcome;
}

async function takeRefundMoney(tx: Tx, trade: TradeRow, refund: RefundRow, net: number): Promise<void> {
  await tx.query(
    `update wx_trades set refunded = refunded + $2, fee_returned = fee_returned + $3, state = 'REFUND',
            unsplit = unsplit - $4 where transaction_id = $1`,
    [trade.transaction_id, refund.amount, refund.fee_share, refund.source === 'UNAVAILABLE' ? net : 0],
  );
  if (refund.source === 'AVAILABLE') {
    await tx.query(`update wx_sub_merchants set available = available - $2 where sub_mchid = $1`, [
      trade.sub_mchid,
      net,
    ]);
  }
}

async function insertRefund(tx: Tx, r: RefundRow): Promise<void> {
  await tx.query(
    `insert into wx_refunds (refund_id, api, sp_mchid, sub_mchid, transaction_id, out_trade_no, out_refund_no, amount,
       total, fee_share, source, status, reason, notify_url, created_ms, success_ms)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
    [
      r.refund_id,
      r.api,
      r.sp_mchid,
      r.sub_mchid,
      r.transaction_id,
      r.out_trade_no,
      r.out_refund_no,
      r.amount,
      r.total,
      r.fee_share,
      r.source,
      r.status,
      r.reason,
      r.notify_url,
      r.created_ms,
      r.success_ms,
    ],
  );
}

const USER_RECEIVED_ACCOUNT = '支付用户零钱';

export function refundNotificationJson(r: RefundRow, trade: Pick<TradeRow, 'sp_mchid'>): Record<string, unknown> {
  return {
    sp_mchid: trade.sp_mchid,
    sub_mchid: r.sub_mchid,
    transaction_id: r.transaction_id,
    out_trade_no: r.out_trade_no,
    refund_id: r.refund_id,
    out_refund_no: r.out_refund_no,
    refund_status: r.status,
    ...(r.success_ms !== null ? { success_time: rfc3339(r.success_ms) } : {}),
    user_received_account: USER_RECEIVED_ACCOUNT,
    amount: { total: r.total, refund: r.amount, payer_total: r.total, payer_refund: r.amount },
    ...(r.api === 'ecommerce' ? { refund_account: 'REFUND_SOURCE_SUB_MERCHANT' } : {}),
  };
}

/** `POST /v3/ecommerce/refunds/apply` answers without a status (the query has it). */
export function ecommerceApplyJson(r: RefundRow): Record<string, unknown> {
  return {
    refund_id: r.refund_id,
    out_refund_no: r.out_refund_no,
    create_time: rfc3339(r.created_ms),
    amount: { refund: r.amount, payer_refund: r.amount, discount_refund: 0, currency: 'CNY' },
    promotion_detail: [],
    refund_account: 'REFUND_SOURCE_SUB_MERCHANT',
  };
}

export function ecommerceQueryJson(r: RefundRow): Record<string, unknown> {
  return {
    refund_id: r.refund_id,
    out_refund_no: r.out_refund_no,
    transaction_id: r.transaction_id,
    out_trade_no: r.out_trade_no,
    channel: 'ORIGINAL',
    user_received_account: USER_RECEIVED_ACCOUNT,
    ...(r.success_ms !== null ? { success_time: rfc3339(r.success_ms) } : {}),
    create_time: rfc3339(r.created_ms),
    status: r.status,
    amount: { refund: r.amount, payer_refund: r.amount, discount_refund: 0, currency: 'CNY' },
    promotion_detail: [],
    refund_account: 'REFUND_SOURCE_SUB_MERCHANT',
    funds_account: r.source,
  };
}

/** The service-provider refund body (apply and query share it; a fresh apply says PROCESSING). */
export function domesticJson(r: RefundRow, status: RefundStatus = r.status): Record<string, unknown> {
  return {
    refund_id: r.refund_id,
    out_refund_no: r.out_refund_no,
    transaction_id: r.transaction_id,
    out_trade_no: r.out_trade_no,
    channel: 'ORIGINAL',
    user_received_account: USER_RECEIVED_ACCOUNT,
    ...(status !== 'PROCESSING' && r.success_ms !== null ? { success_time: rfc3339(r.success_ms) } : {}),
    create_time: rfc3339(r.created_ms),
    status,
    funds_account: r.source,
    amount: {
      total: r.total,
      refund: r.amount,
      from: [],
      payer_total: r.total,
      payer_refund: r.amount,
      settlement_refund: r.amount,
      settlement_total: r.total,
      discount_refund: 0,
      currency: 'CNY',
      refund_fee: r.fee_share,
    },
    promotion_detail: [],
  };
}
