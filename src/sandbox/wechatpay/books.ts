// Per sub-merchant books, for tests and reconciliation checks (outside the real API).
import type { Ctx } from './context';
import { all, one } from './db';
import { ToolError } from './errors';
import { unsplitOf } from './money';
import { balanceOf } from './routes-fund';
import { rfc3339 } from './time';
import { isPaid, type TradeRow } from './trades';

type BookTrade = TradeRow & { refunded_frozen: number; fee_returned_frozen: number };

export class InvariantViolation extends Error {}

function bookTradeJson(t: BookTrade): Record<string, unknown> {
  const paid = isPaid(t.state) ? t.total : 0;
  if (paid > 0 && t.profit_sharing) {
    const expected = unsplitOf({
      paid,
      fee: t.fee,
      feeReturnedFromFrozen: t.fee_returned_frozen,
      refundedFromFrozen: t.refunded_frozen,
      shared: t.shared,
      unfrozen: t.unfrozen,
    });
    // Invariant: the unsplit amount kept step by step equals the formula over the order's history.
    if (expected !== t.unsplit)
      throw new InvariantViolation(`unsplit of ${t.transaction_id} is ${t.unsplit}, expected ${expected}`);
  }
  return {
    transaction_id: t.transaction_id,
    out_trade_no: t.out_trade_no,
    combine_out_trade_no: t.combine_out_trade_no,
    trade_type: t.trade_type,
    status: t.state,
    total: t.total,
    paid,
    fee: t.fee,
    fee_rate_bp: t.fee_rate_bp,
    fee_returned: t.fee_returned,
    refunded: t.refunded,
    shared: t.shared,
    returned: t.returned,
    unfrozen: t.unfrozen,
    unsplit: t.unsplit,
    profit_sharing: t.profit_sharing,
    sharing_finished: t.sharing_finished,
    share_requests: t.share_requests,
    success_time: t.success_ms === null ? null : rfc3339(t.success_ms),
    settle_time: t.settle_ms === null ? null : rfc3339(t.settle_ms),
    unfreeze_time: t.unfreeze_ms === null ? null : rfc3339(t.unfreeze_ms),
  };
}

export async function subMerchantBooks(ctx: Ctx, subMchid: string): Promise<Record<string, unknown>> {
  return ctx.db.transaction(async (tx) => {
    const sub = await one<{ sp_mchid: string; name: string; withdrawn: number }>(
      tx,
      `select sp_mchid, name, withdrawn from wx_sub_merchants where sub_mchid = $1`,
      [subMchid],
    );
    if (!sub) throw new ToolError(404, 'unknown_sub_merchant', `no sub-merchant ${subMchid} in this sandbox`);
    const trades = await all<BookTrade>(
      tx,
      `select t.*,
              (select coalesce(sum(r.amount), 0) from wx_refunds r
                where r.transaction_id = t.transaction_id and r.source = 'UNAVAILABLE' and r.status <> 'CLOSED')::bigint as refunded_frozen,
              (select coalesce(sum(r.fee_share), 0) from wx_refunds r
                where r.transaction_id = t.transaction_id and r.source = 'UNAVAILABLE' and r.status <> 'CLOSED')::bigint as fee_returned_frozen
         from wx_trades t where t.sub_mchid = $1 order by t.seq`,
      [subMchid],
    );
    const balance = await balanceOf(tx, subMchid);
    return {
      sub_mchid: subMchid,
      sp_mchid: sub.sp_mchid,
      name: sub.name,
      frozen: balance.frozen,
      available: balance.available,
      withdrawn: sub.withdrawn,
      trades: trades.map(bookTradeJson),
    };
  });
}

export async function notificationList(
  ctx: Ctx,
  spMchid: string | undefined,
  limit: number,
): Promise<Record<string, unknown>[]> {
  const rows = await all<{
    seq: number;
    id: string;
    sp_mchid: string;
    url: string;
    event_type: string;
    status: string;
    attempts: number;
    duplicate: boolean;
    last_http_status: number | null;
    created_ms: number;
  }>(
    ctx.db,
    `select seq, id, sp_mchid, url, event_type, status, attempts, duplicate, last_http_status, created_ms
       from wx_notifications where ($1::text is null or sp_mchid = $1) order by seq desc limit $2`,
    [spMchid ?? null, limit],
  );
  return rows.map((n) => ({
    id: n.id,
    sp_mchid: n.sp_mchid,
    url: n.url,
    event_type: n.event_type,
    status: n.status,
    attempts: n.attempts,
    duplicate: n.duplicate,
    last_http_status: n.last_http_status,
    create_time: rfc3339(n.created_ms),
  }));
}
