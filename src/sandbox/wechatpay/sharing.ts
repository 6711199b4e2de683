// Profit sharing of both merchant types: shares, finishing (unfreezing the rest), returns, and the automatic
// unfreeze. The rules are the gateway's: only after settlement, at most 30% of the paid amount to others, a
// limited number of requests and receivers, returns no larger than what the receiver got.
import { MAX_SHARE_RATIO_BP, sharingLimits, type Ctx, type Merchant } from './context';
import { all, one, type Tx } from './db';
import { wx } from './errors';
import { ids } from './ids';
import { requireSubMerchant } from './merchants';
import { shareCapFen } from './money';
import { isPaid, tradeById, type TradeRow } from './trades';

export type ShareApi = 'ecommerce' | 'service_provider';

export interface ShareOrderRow {
  order_id: string;
  api: ShareApi | 'system';
  kind: 'share' | 'finish' | 'auto_unfreeze';
  sp_mchid: string;
  sub_mchid: string;
  transaction_id: string;
  out_order_no: string;
  amount: number;
  unfrozen: number;
  description: string;
  created_ms: number;
}

export interface ShareReceiverRow {
  order_id: string;
  seq: number;
  type: string;
  account: string;
  amount: number;
  description: string;
  detail_id: string;
}

export interface ShareOrder {
  order: ShareOrderRow;
  receivers: ShareReceiverRow[];
}

export interface ReceiverInput {
  type: string;
  account: string;
  amount: number;
  description: string;
}

export interface ShareInput {
  api: ShareApi;
  merchant: Merchant;
  subMchid: string;
  transactionId: string;
  outOrderNo: string;
  /** Empty for a finish / unfreeze request. */
  receivers: ReceiverInput[];
  /** Unfreeze what is left after this request (`finish`, `unfreeze_unsplit`, finish-order, unfreeze). */
  finish: boolean;
  description: string;
}

export async function shareOrderByOutNo(tx: Tx, subMchid: string, outOrderNo: string): Promise<ShareOrder | undefined> {
  const order = await one<ShareOrderRow>(
    tx,
    `select * from wx_share_orders where sub_mchid = $1 and out_order_no = $2`,
    [subMchid, outOrderNo],
  );
  if (!order) return undefined;
  return {
    order,
    receivers: await all<ShareReceiverRow>(tx, `select * from wx_share_receivers where order_id = $1 order by seq`, [
      order.order_id,
    ]),
  };
}

/** The checks every share / finish request passes before any money moves. */
async function sharableTrade(ctx: Ctx, tx: Tx, input: ShareInput): Promise<TradeRow> {
  const trade = await tradeById(tx, input.transactionId);
  if (!trade || trade.sub_mchid !== input.subMchid || trade.sp_mchid !== input.merchant.mchid)
    throw wx.notExists('订单不存在');
  if (!isPaid(trade.state)) throw wx.invalid('订单未支付，不能分账');
  if (!trade.profit_sharing) throw wx.invalid('该订单下单时未指定分账（settle_info.profit_sharing），不能分账');
  if (ctx.clock.now() < (trade.settle_ms ?? Infinity)) throw wx.invalid('订单资金尚未结算，暂时不能分账，请稍后重试');
  if (trade.sharing_finished) throw wx.invalid('该订单已完结分账，剩余资金已解冻');
  if (trade.share_requests >= sharingLimits(input.merchant.type).requestsMax)
    throw wx.ruleLimit('该订单分账次数已达上限');
  return trade;
}

async function checkReceivers(tx: Tx, input: ShareInput, trade: TradeRow): Promise<number> {
  const { receiversMax } = sharingLimits(input.merchant.type);
  if (!input.finish && input.receivers.length === 0) throw wx.param('分账接收方列表不能为空');
  if (input.receivers.length > receiversMax) throw wx.param(`分账接收方不能超过 ${receiversMax} 个`);
  let total = 0;
  for (const receiver of input.receivers) {
    if (receiver.type !== 'MERCHANT_ID' && receiver.type !== 'PERSONAL_OPENID') throw wx.param('分账接收方类型错误');
    if (receiver.account === trade.sub_mchid) throw wx.param('分账接收方不能是分账出资方自己');
    const isPlatformItself = receiver.type === 'MERCHANT_ID' && receiver.account === trade.sp_mchid;
    const scope = input.api === 'ecommerce' ? '' : trade.sub_mchid;
    const added = await one(
      tx,
      `select 1 from wx_receivers where sp_mchid = $1 and sub_mchid = $2 and type = $3 and account = $4`,
      [trade.sp_mchid, scope, receiver.type, receiver.account],
    );
    if (!isPlatformItself && !added)
      throw wx.invalid(`分账接收方 ${receiver.account} 未添加，请先调用添加分账接收方接口`);
    total += receiver.amount;
  }
  if (total > trade.unsplit) throw wx.notEnough('订单剩余待分金额不足');
  const cap = shareCapFen(trade.total, MAX_SHARE_RATIO_BP);
  if (trade.shared - trade.returned + total > cap) throw wx.ruleLimit('分账金额超出最大分账比例（30%）');
  return total;
}

/** Shares (and / or unfreezes the rest of) one paid order; the same out_order_no again is the same request. */
export async function requestShare(ctx: Ctx, input: ShareInput, kind: 'share' | 'finish'): Promise<ShareOrder> {
  return ctx.db.transaction(async (tx) => {
    await requireSubMerchant(tx, input.merchant.mchid, input.subMchid);
    const existing = await shareOrderByOutNo(tx, input.subMchid, input.outOrderNo);
    if (existing) {
      if (existing.order.transaction_id !== input.transactionId || existing.order.kind !== kind) {
        throw wx.invalid('商户分账单号已存在且请求参数不一致');
      }
      return existing;
    }
    const trade = await sharableTrade(ctx, tx, input);
    const amount = await checkReceivers(tx, input, trade);
    const unfrozen = input.finish ? trade.unsplit - amount : 0;
    const now = ctx.clock.now();
    const order: ShareOrderRow = {
      order_id: ids.shareOrderId(now),
      api: input.api,
      kind,
      sp_mchid: trade.sp_mchid,
      sub_mchid: trade.sub_mchid,
      transaction_id: trade.transaction_id,
      out_order_no: input.outOrderNo,
      amount,
      unfrozen,
      description: input.description,
      created_ms: now,
    };
    await moveShareMoney(tx, trade, amount, unfrozen, input.finish);
    const receivers = input.receivers.map((r, seq) => ({
      order_id: order.order_id,
      seq,
      type: r.type,
      account: r.account,
      amount: r.amount,
      description: r.description,
      detail_id: ids.detailId(now),
    }));
    await insertShareOrder(tx, order, receivers);
    return { order, receivers };
  });
}

async function moveShareMoney(
  tx: Tx,
  trade: TradeRow,
  amount: number,
  unfrozen: number,
  finish: boolean,
): Promise<void> {
  await tx.query(
    `update wx_trades set shared = shared + $2, unfrozen = unfrozen + $3, unsplit = unsplit - $2 - $3,
            share_requests = share_requests + 1, sharing_finished = sharing_finished or $4
      where transaction_id = $1`,
    [trade.transaction_id, amount, unfrozen, finish],
  );
  if (unfrozen > 0) {
    await tx.query(`update wx_sub_merchants set available = available + $2 where sub_mchid = $1`, [
      trade.sub_mchid,
      unfrozen,
    ]);
  }
}

async function insertShareOrder(tx: Tx, o: ShareOrderRow, receivers: ShareReceiverRow[]): Promise<void> {
  await tx.query(
    `insert into wx_share_orders (order_id, api, kind, sp_mchid, sub_mchid, transaction_id, out_order_no, amount,
       unfrozen, description, created_ms) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [
      o.order_id,
      o.api,
      o.kind,
      o.sp_mchid,
      o.sub_mchid,
      o.transaction_id,
      o.out_order_no,
      o.amount,
      o.unfrozen,
      o.description,
      o.created_ms,
    ],
  );
  for (const r of receivers) {
    await tx.query(
      `insert into wx_share_receivers (order_id, seq, type, account, amount, description, detail_id)
       values ($1, $2, $3, $4, $5, $6, $7)`,
      [r.order_id, r.seq, r.type, r.account, r.amount, r.description, r.detail_id],
    );
  }
}

/** WeChat Pay's own unfreeze of an order still frozen when its freeze period ends (by the sandbox clock). */
export async function autoUnfreezeDue(tx: Tx, nowMs: number): Promise<number> {
  const due = await all<TradeRow>(
    tx,
    `select * from wx_trades where profit_sharing and not sharing_finished and state in ('SUCCESS', 'REFUND')
        and unfreeze_ms <= $1 order by unfreeze_ms limit 500`,
    [nowMs],
  );
  for (const trade of due) {
    await moveShareMoney(tx, trade, 0, trade.unsplit, true);
    await insertShareOrder(
      tx,
      {
        order_id: ids.shareOrderId(nowMs),
        api: 'system',
        kind: 'auto_unfreeze',
        sp_mchid: trade.sp_mchid,
        sub_mchid: trade.sub_mchid,
        transaction_id: trade.transaction_id,
        out_order_no: `AUTO_UNFREEZE_${trade.transaction_id}`,
        amount: 0,
        unfrozen: trade.unsplit,
        description: '冻结期满自动解冻',
        created_ms: nowMs,
      },
      [],
    );
  }
  return due.length;
}
