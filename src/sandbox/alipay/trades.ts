// The trade lifecycle: create (lazily visible), scan, pay, close — and the notifications each change sends.
import type { Ctx } from './context';
import type { Sql } from './db';
import { bizError } from './errors';
import { SandboxError } from './errors';
import { beijingDay, formatBeijing } from './clock';
import { feeFen, fenToYuan } from './money';
import { findTradeByNo, findTradeByOutTradeNo, insertTrade, markTradePaid, updateTrade } from './store-trades';
import type { TradeDraft } from './biz';
import type { App, Buyer, Trade, TradeKind } from './types';

export interface TradePlacement {
  kind: TradeKind;
  visible: boolean;
  qrToken: string | null;
  preOrderNo: string | null;
  notifyUrl: string | null;
  returnUrl: string | null;
}

/**
 * Creates the trade, or returns the existing one for the same out_trade_no when it is the same trade
 * (amount and sub-merchant). Reuse with other terms is ACQ.CONTEXT_INCONSISTENT; a paid or closed trade
 * cannot be created again.
 */
export async function createOrReuseTrade(
  ctx: Ctx,
  tx: Sql,
  appId: string,
  draft: TradeDraft,
  placement: TradePlacement,
): Promise<Trade> {
  const inserted = await insertTrade(tx, {
    tradeNoPrefix: beijingDay(ctx.clock.now()).replaceAll('-', ''),
    appId,
    outTradeNo: draft.outTradeNo,
    kind: placement.kind,
    qrToken: placement.qrToken,
    preOrderNo: placement.preOrderNo,
    smid: draft.smid,
    subject: draft.subject,
    body: draft.body,
    totalFen: draft.totalFen,
    visible: placement.visible,
    notifyUrl: placement.notifyUrl,
    returnUrl: placement.returnUrl,
    passbackParams: draft.passbackParams,
    settleInfo: draft.settleInfo,
    settlePeriodMs: draft.settlePeriodMs,
    createdAt: ctx.clock.now(),
    expireAt: draft.expireAt,
  });
  if (inserted) return inserted;
  const existing = (await findTradeByOutTradeNo(tx, appId, draft.outTradeNo, true))!;
  if (
    existing.totalFen !== draft.totalFen ||
    existing.smid !== draft.smid ||
    existing.preOrderNo !== placement.preOrderNo
  ) {
    throw bizError(
      'ACQ.CONTEXT_INCONSISTENT',
      `out_trade_no ${draft.outTradeNo} exists with other terms (amount, sub-merchant or merged order)`,
    );
  }
  if (existing.status === 'TRADE_SUCCESS' || existing.status === 'TRADE_FINISHED')
    throw bizError('ACQ.TRADE_HAS_SUCCESS', 'the trade is already paid');
  if (existing.status === 'TRADE_CLOSED') throw bizError('ACQ.TRADE_HAS_CLOSE', 'the trade is closed');
  const fields: Partial<Trade> = {};
  if (placement.qrToken && !existing.qrToken) fields.qrToken = placement.qrToken;
  if (placement.returnUrl) fields.returnUrl = placement.returnUrl;
  if (placement.notifyUrl && !existing.notifyUrl) fields.notifyUrl = placement.notifyUrl;
  if (Object.keys(fields).length > 0) await updateTrade(tx, existing.tradeNo, 'WAIT_BUYER_PAY', fields);
  if (placement.visible) await scanTrade(ctx, tx, existing);
  return { ...existing, ...fields, visible: existing.visible || placement.visible };
}

/** A buyer scanned the QR or opened the page: the trade now exists at the gateway (WAIT_BUYER_PAY). */
export async function scanTrade(ctx: Ctx, tx: Sql, trade: Trade): Promise<void> {
  if (trade.visible || trade.status !== 'WAIT_BUYER_PAY') return;
  await updateTrade(tx, trade.tradeNo, 'WAIT_BUYER_PAY', { visible: true, scannedAt: ctx.clock.now() });
}

function refusal(ctx: Ctx, trade: Trade | undefined, tradeNo: string): SandboxError {
  if (!trade) return new SandboxError(404, 'trade_not_found', `trade ${tradeNo} does not exist`);
  if (trade.status === 'TRADE_SUCCESS' || trade.status === 'TRADE_FINISHED') {
    return new SandboxError(409, 'trade_already_paid', `trade ${trade.outTradeNo} is already paid`);
  }
  if (trade.status === 'TRADE_CLOSED')
    return new SandboxError(409, 'trade_closed', `trade ${trade.outTradeNo} is closed`);
  if (ctx.clock.now() >= trade.expireAt)
    return new SandboxError(409, 'trade_closed', `trade ${trade.outTradeNo} has expired`);
  return new SandboxError(409, 'trade_state_changed', 'the trade changed meanwhile; retry');
}

/**
 * Pays the trades (as read by the caller) as one buyer payment: all of them or none, since a merged payment
 * is atomic. Each is one conditional UPDATE, so a concurrent close or payment makes this one fail cleanly.
 */
export async function payTrades(ctx: Ctx, trades: Trade[], buyer: Buyer): Promise<Trade[]> {
  return ctx.db.transaction(async (tx) => {
    const paid: Trade[] = [];
    for (const trade of trades) {
      const { app } = (await ctx.apps.get(tx, trade.appId))!;
      const fee = feeFen(trade.totalFen, app.feeRateBp);
      const after = await markTradePaid(tx, trade.tradeNo, ctx.clock.now(), {
        buyerId: buyer.buyerId,
        buyerLogonId: buyer.buyerLogonId,
        feeFen: fee,
      });
      if (!after) throw refusal(ctx, await findTradeByNo(tx, trade.tradeNo), trade.tradeNo);
      await notifyTrade(ctx, tx, app, after, {});
      paid.push(after);
    }
    return paid;
  });
}

/** Closes an unpaid trade (API close or timeout). Only a trade that exists at the gateway notifies. */
export async function closeTrade(ctx: Ctx, tx: Sql, trade: Trade): Promise<boolean> {
  const now = ctx.clock.now();
  if (!(await updateTrade(tx, trade.tradeNo, 'WAIT_BUYER_PAY', { status: 'TRADE_CLOSED', closedAt: now })))
    return false;
  if (trade.visible) {
    const { app } = (await ctx.apps.get(tx, trade.appId))!;
    await notifyTrade(ctx, tx, app, { ...trade, status: 'TRADE_CLOSED', closedAt: now }, {});
  }
  return true;
}

/** Queues trade_status_sync for the trade's current state; `extra` adds refund fields. */
export async function notifyTrade(
  ctx: Ctx,
  tx: Sql,
  app: App,
  trade: Trade,
  extra: Record<string, string>,
): Promise<void> {
  if (!trade.notifyUrl) return;
  const paid = trade.paidAt !== null;
  const amount = fenToYuan(trade.totalFen);
  const paidAmount = paid ? amount : undefined;
  await ctx.notifier.enqueue(tx, trade.tradeNo, trade.notifyUrl, {
    notify_time: formatBeijing(ctx.clock.now()),
    notify_type: 'trade_status_sync',
    app_id: app.appId,
    auth_app_id: app.appId,
    charset: 'utf-8',
    version: '1.0',
    trade_no: trade.tradeNo,
    out_trade_no: trade.outTradeNo,
    trade_status: trade.status,
    total_amount: amount,
    receipt_amount: paidAmount,
    invoice_amount: paidAmount,
    buyer_pay_amount: paidAmount,
    point_amount: paid ? '0.00' : undefined,
    subject: trade.subject,
    body: trade.body ?? undefined,
    gmt_create: formatBeijing(trade.scannedAt ?? trade.createdAt),
    gmt_payment: trade.paidAt !== null ? formatBeijing(trade.paidAt) : undefined,
    gmt_close: trade.closedAt !== null ? formatBeijing(trade.closedAt) : undefined,
    seller_id: app.sellerId,
    buyer_id: trade.buyerId ?? undefined,
    buyer_logon_id: trade.buyerLogonId ?? undefined,
    passback_params: trade.passbackParams ?? undefined,
    fund_bill_list: paid ? JSON.stringify([{ amount, fundChannel: 'ALIPAYACCOUNT' }]) : undefined,
    ...extra,
  });
}
