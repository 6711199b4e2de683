// What the sandbox holds, for tests and reconciliation checks: per sub-merchant (frozen = unsettled +
// royalty-frozen, available) with each trade's escrow, and per app (fees, royalty receivers).
import type { Ctx } from './context';
import { many, one } from './db';
import { SandboxError } from './errors';
import { findApp, findSubMerchant, listReceivers } from './store-apps';
import {
  listRefundsOfTrade,
  listRoyaltiesOfTrade,
  listSettlementsOfTrade,
  listVisibleTradesOfSmid,
} from './store-trades';
import type { Trade } from './types';

const TRADES_IN_BOOKS_MAX = 1_000;

async function tradeBooks(ctx: Ctx, t: Trade) {
  const refunds = await listRefundsOfTrade(ctx.db, t.tradeNo);
  const settlements = await listSettlementsOfTrade(ctx.db, t.tradeNo);
  const royalties = await listRoyaltiesOfTrade(ctx.db, t.tradeNo);
  return {
    trade_no: t.tradeNo,
    out_trade_no: t.outTradeNo,
    kind: t.kind,
    status: t.status,
    pre_order_no: t.preOrderNo,
    total_amount: t.totalFen,
    fee: t.feeFen,
    fee_returned: t.feeReturnedFen,
    refunded: t.refundedFen,
    unsettled: t.unsettledFen,
    royalty_frozen: t.royaltyFrozenFen,
    frozen: t.unsettledFen + t.royaltyFrozenFen,
    settled: t.settledFen,
    shared: t.sharedFen,
    released: t.releasedFen,
    royalty_finished: t.royaltyFinished,
    settle_info: {
      settle_detail_infos: t.settleInfo.settle_detail_infos.map((d) => ({
        trans_in_type: d.trans_in_type,
        trans_in: d.trans_in,
        amount: d.amount_fen,
      })),
      settle_period_time: t.settleInfo.settle_period_time,
    },
    auto_settle_at: t.settlePeriodMs !== null && t.paidAt !== null ? t.paidAt + t.settlePeriodMs : null,
    created_at: t.scannedAt ?? t.createdAt,
    paid_at: t.paidAt,
    closed_at: t.closedAt,
    refunds: refunds.map((r) => ({
      out_request_no: r.outRequestNo,
      amount: r.amountFen,
      fee_returned: r.feeReturnedFen,
      royalty_returned: r.royaltyReturnedFen,
      from_unsettled: r.fromUnsettledFen,
      from_royalty_frozen: r.fromRoyaltyFrozenFen,
      from_available: r.fromAvailableFen,
      created_at: r.createdAt,
    })),
    settlements: settlements.map((s) => ({
      out_request_no: s.outRequestNo,
      amount: s.amountFen,
      destination: s.destination,
      created_at: s.createdAt,
    })),
    royalties: royalties.map((r) => ({
      out_request_no: r.outRequestNo,
      kind: r.kind,
      trans_in: r.account,
      amount: r.amountFen,
      created_at: r.createdAt,
    })),
  };
}

export async function subMerchantBooks(ctx: Ctx, smid: string) {
  const merchant = await findSubMerchant(ctx.db, smid);
  if (!merchant) throw new SandboxError(404, 'sub_merchant_not_found', `no sub-merchant ${smid}`);
  const totals = await one<{ unsettled: number; royalty_frozen: number }>(
    ctx.db,
    'select coalesce(sum(unsettled_fen), 0)::bigint as unsettled, coalesce(sum(royalty_frozen_fen), 0)::bigint as royalty_frozen from trades where smid = $1',
    [smid],
  );
  const unsettled = Number(totals!.unsettled);
  const royaltyFrozen = Number(totals!.royalty_frozen);
  const trades = (await listVisibleTradesOfSmid(ctx.db, smid)).slice(-TRADES_IN_BOOKS_MAX);
  return {
    smid,
    app_id: merchant.appId,
    name: merchant.name,
    status: merchant.status === '99' ? 'approved' : 'auditing',
    frozen: unsettled + royaltyFrozen,
    unsettled,
    royalty_frozen: royaltyFrozen,
    available: merchant.availableFen,
    withdrawn: merchant.withdrawnFen,
    trades: await Promise.all(trades.map((t) => tradeBooks(ctx, t))),
  };
}

export async function appBooks(ctx: Ctx, appId: string) {
  const app = await findApp(ctx.db, appId);
  if (!app) throw new SandboxError(404, 'app_not_found', `no app ${appId}`);
  const fees = await one<{ charged: number; returned: number }>(
    ctx.db,
    'select coalesce(sum(fee_fen), 0)::bigint as charged, coalesce(sum(fee_returned_fen), 0)::bigint as returned from trades where app_id = $1',
    [appId],
  );
  const smids = await many<{ smid: string; status: string }>(
    ctx.db,
    'select smid, status from sub_merchants where app_id = $1 order by smid',
    [appId],
  );
  const receivers = await listReceivers(ctx.db, appId);
  return {
    app_id: app.appId,
    seller_id: app.sellerId,
    fee_rate_bp: app.feeRateBp,
    fees: {
      charged: Number(fees!.charged),
      returned: Number(fees!.returned),
      net: Number(fees!.charged) - Number(fees!.returned),
    },
    sub_merchants: smids.map((s) => ({ smid: s.smid, status: s.status === '99' ? 'approved' : 'auditing' })),
    receivers: receivers.map((r) => ({ account: r.account, type: r.type, name: r.name, balance: r.balanceFen })),
  };
}
