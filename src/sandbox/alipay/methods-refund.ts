// alipay.trade.refund and alipay.trade.fastpay.refund.query, with 直付通 escrow: a refund is paid from the
// trade's unsettled money first, then its royalty-frozen money, then the sub-merchant's available balance.
import { findVisibleTrade, type ApiMethod } from './call';
import { arrayField, optionalString, outNo, requiredAmount, requiredString, type Biz } from './biz';
import type { Ctx } from './context';
import type { Sql } from './db';
import { bizError } from './errors';
import { formatBeijing, formatBeijingMillis } from './clock';
import { feeReturnedFen, fenToYuan, amountToFen } from './money';
import { addAvailable, addReceiverBalance, findReceiver, findSubMerchant } from './store-apps';
import {
  findRefund,
  insertRefund,
  insertRoyalty,
  listRoyaltiesOfTrade,
  netRoyaltyOfReceiver,
  updateTrade,
} from './store-trades';
import { notifyTrade } from './trades';
import type { App, Refund, Trade } from './types';

const ROYALTY_RETURNS_MAX = 20;

function checkRefundable(trade: Trade): void {
  if (trade.status === 'WAIT_BUYER_PAY')
    throw bizError('ACQ.TRADE_STATUS_ERROR', '交易状态不合法: the trade is not paid');
  if (trade.status === 'TRADE_FINISHED') throw bizError('ACQ.TRADE_HAS_FINISHED', '交易已完结');
  if (trade.status === 'TRADE_CLOSED') throw bizError('ACQ.TRADE_HAS_CLOSE', '交易已关闭');
}

/** Takes shared commission back from its receivers into the sub-merchant's account (refund_royalty_parameters). */
async function returnRoyalties(
  tx: Sql,
  app: App,
  trade: Trade,
  outRequestNo: string,
  items: Biz[],
  now: number,
): Promise<number> {
  let total = 0;
  for (const item of items) {
    const account = requiredString(item, 'trans_out', 64);
    const amountFen = amountToFen(item.amount);
    if (amountFen === null)
      throw bizError('ACQ.INVALID_PARAMETER', 'refund_royalty_parameters.amount must be a yuan amount');
    const receiver = await findReceiver(tx, app.appId, account);
    if (!receiver)
      throw bizError('ACQ.REFUND_ROYALTY_PAYEE_ACCOUNT_NOT_EXIST', `royalty receiver ${account} does not exist`);
    if (amountFen > (await netRoyaltyOfReceiver(tx, trade.tradeNo, account))) {
      throw bizError('ACQ.ALLOC_AMOUNT_VALIDATE_ERROR', `退分账金额超限: ${account} holds less from this trade`);
    }
    if (amountFen > receiver.balanceFen)
      throw bizError('ACQ.TXN_RESULT_ACCOUNT_BALANCE_NOT_ENOUGH', `${account} has too little balance`);
    await addReceiverBalance(tx, app.appId, account, -amountFen);
    await insertRoyalty(tx, {
      tradeNo: trade.tradeNo,
      outRequestNo,
      kind: 'return',
      account,
      amountFen,
      createdAt: now,
    });
    total += amountFen;
  }
  if (total > 0) await addAvailable(tx, trade.smid, total);
  return total;
}

/** Where the refund's money comes from, in escrow order. */
function drawRefund(trade: Trade, refundFen: number, availableFen: number) {
  const fromUnsettledFen = Math.min(refundFen, trade.unsettledFen);
  const fromRoyaltyFrozenFen = Math.min(refundFen - fromUnsettledFen, trade.royaltyFrozenFen);
  const fromAvailableFen = refundFen - fromUnsettledFen - fromRoyaltyFrozenFen;
  if (fromAvailableFen > availableFen)
    throw bizError('ACQ.SELLER_BALANCE_NOT_ENOUGH', '卖家余额不足: the sub-merchant cannot cover this refund');
  return { fromUnsettledFen, fromRoyaltyFrozenFen, fromAvailableFen };
}

function refundAnswer(trade: Trade, refund: Refund, refundedFen: number, fundChange: 'Y' | 'N') {
  return {
    trade_no: trade.tradeNo,
    out_trade_no: trade.outTradeNo,
    buyer_logon_id: trade.buyerLogonId ?? undefined,
    buyer_user_id: trade.buyerId ?? undefined,
    fund_change: fundChange,
    refund_fee: fenToYuan(refundedFen),
    gmt_refund_pay: formatBeijing(refund.createdAt),
    send_back_fee: fenToYuan(refund.amountFen),
    refund_charge_amount: fenToYuan(refund.feeReturnedFen),
  };
}

async function applyRefund(
  ctx: Ctx,
  tx: Sql,
  app: App,
  trade: Trade,
  outRequestNo: string,
  refundFen: number,
  biz: Biz,
): Promise<Refund> {
  const now = ctx.clock.now();
  const royaltyItems = arrayField(biz, 'refund_royalty_parameters', ROYALTY_RETURNS_MAX) ?? [];
  const royaltyReturnedFen = await returnRoyalties(tx, app, trade, outRequestNo, royaltyItems, now);
  const merchant = (await findSubMerchant(tx, trade.smid))!;
  const draw = drawRefund(trade, refundFen, merchant.availableFen);
  const refundedAfterFen = trade.refundedFen + refundFen;
  const refund: Refund = {
    tradeNo: trade.tradeNo,
    outRequestNo,
    amountFen: refundFen,
    royaltyReturnedFen,
    ...draw,
    refundedAfterFen,
    feeReturnedFen: feeReturnedFen(trade.feeFen, trade.feeReturnedFen, refundFen, trade.refundedFen, trade.totalFen),
    reason: optionalString(biz, 'refund_reason', 256),
    createdAt: now,
  };
  const closes = refundedAfterFen === trade.totalFen;
  const fields: Partial<Trade> = {
    refundedFen: refundedAfterFen,
    feeReturnedFen: trade.feeReturnedFen + refund.feeReturnedFen,
    unsettledFen: trade.unsettledFen - draw.fromUnsettledFen,
    royaltyFrozenFen: trade.royaltyFrozenFen - draw.fromRoyaltyFrozenFen,
    sharedFen: trade.sharedFen - royaltyReturnedFen,
    ...(closes ? { status: 'TRADE_CLOSED' as const, closedAt: now } : {}),
  };
  if (!(await updateTrade(tx, trade.tradeNo, trade.status, fields)))
    throw bizError('ACQ.SYSTEM_ERROR', 'concurrent change; retry');
  if (draw.fromAvailableFen > 0) await addAvailable(tx, trade.smid, -draw.fromAvailableFen);
  await insertRefund(tx, refund);
  await notifyTrade(
    ctx,
    tx,
    app,
    { ...trade, ...fields },
    {
      refund_fee: fenToYuan(refundedAfterFen),
      gmt_refund: formatBeijingMillis(now),
      out_biz_no: outRequestNo,
      send_back_fee: fenToYuan(refundFen),
    },
  );
  return refund;
}

/** Partial and repeated refunds; a repeated out_request_no is idempotent (fund_change "N"). */
export const refund: ApiMethod = async ({ ctx, app, biz }) =>
  ctx.db.transaction(async (tx) => {
    const trade = await findVisibleTrade(tx, app, biz, true);
    const refundFen = requiredAmount(biz, 'refund_amount');
    // Without out_request_no Alipay treats the call as the trade's one full refund, keyed by out_trade_no.
    const outRequestNo = outNo(biz, 'out_request_no', false) ?? trade.outTradeNo;
    const previous = await findRefund(tx, trade.tradeNo, outRequestNo);
    if (previous) {
      if (previous.amountFen !== refundFen)
        throw bizError('ACQ.DISCORDANT_REPEAT_REQUEST', `out_request_no ${outRequestNo} was used with another amount`);
      return refundAnswer(trade, previous, trade.refundedFen, 'N');
    }
    checkRefundable(trade);
    if (refundFen > trade.totalFen - trade.refundedFen)
      throw bizError('ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', '退款金额超限');
    const done = await applyRefund(ctx, tx, app, trade, outRequestNo, refundFen, biz);
    return refundAnswer(trade, done, done.refundedAfterFen, 'Y');
  });

/** An unknown out_request_no answers 10000 without refund_status, as the real gateway does. */
export const refundQuery: ApiMethod = async ({ ctx, app, biz }) => {
  const trade = await findVisibleTrade(ctx.db, app, biz);
  const outRequestNo = outNo(biz, 'out_request_no')!;
  const found = await findRefund(ctx.db, trade.tradeNo, outRequestNo);
  if (!found) return { trade_no: trade.tradeNo, out_trade_no: trade.outTradeNo };
  const returns = (await listRoyaltiesOfTrade(ctx.db, trade.tradeNo)).filter(
    (r) => r.kind === 'return' && r.outRequestNo === outRequestNo,
  );
  return {
    trade_no: trade.tradeNo,
    out_trade_no: trade.outTradeNo,
    out_request_no: outRequestNo,
    total_amount: fenToYuan(trade.totalFen),
    refund_amount: fenToYuan(found.amountFen),
    refund_status: 'REFUND_SUCCESS',
    refund_reason: found.reason ?? undefined,
    gmt_refund_pay: formatBeijing(found.createdAt),
    send_back_fee: fenToYuan(found.amountFen),
    refund_charge_amount: fenToYuan(found.feeReturnedFen),
    refund_royaltys:
      returns.length === 0
        ? undefined
        : returns.map((r) => ({
            refund_amount: fenToYuan(r.amountFen),
            royalty_type: 'transfer',
            result_code: 'SUCCESS',
            trans_out: r.account,
            trans_in: trade.smid,
          })),
  };
};
