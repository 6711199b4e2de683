// Return orders (分账回退): a receiver gives (part of) a share back to the sub-merchant's available balance,
// typically before a refund of money that was already shared.
import type { Ctx, Merchant } from './context';
import { one, type Tx } from './db';
import { wx } from './errors';
import { ids } from './ids';
import { requireSubMerchant } from './merchants';
import type { ShareApi, ShareOrderRow } from './sharing';

export interface ReturnRow {
  return_no: string;
  api: ShareApi;
  sp_mchid: string;
  sub_mchid: string;
  order_id: string;
  out_order_no: string;
  out_return_no: string;
  return_mchid: string;
  amount: number;
  description: string;
  created_ms: number;
}

export interface ReturnInput {
  api: ShareApi;
  merchant: Merchant;
  subMchid: string;
  orderId?: string;
  outOrderNo?: string;
  outReturnNo: string;
  returnMchid: string;
  amount: number;
  description: string;
}

export async function returnByOutNo(tx: Tx, subMchid: string, outReturnNo: string): Promise<ReturnRow | undefined> {
  return one<ReturnRow>(tx, `select * from wx_returns where sub_mchid = $1 and out_return_no = $2`, [
    subMchid,
    outReturnNo,
  ]);
}

async function sharedOrder(tx: Tx, input: ReturnInput): Promise<ShareOrderRow> {
  if (!input.orderId && !input.outOrderNo) throw wx.param('order_id 与 out_order_no 不能同时为空');
  const order = input.orderId
    ? await one<ShareOrderRow>(tx, `select * from wx_share_orders where order_id = $1 and sub_mchid = $2`, [
        input.orderId,
        input.subMchid,
      ])
    : await one<ShareOrderRow>(tx, `select * from wx_share_orders where out_order_no = $1 and sub_mchid = $2`, [
        input.outOrderNo,
        input.subMchid,
      ]);
  if (!order || order.kind !== 'share') throw wx.notExists('分账单不存在');
  return order;
}

/** What is left to return to one receiver of one share order. */
async function returnableFen(tx: Tx, order: ShareOrderRow, returnMchid: string): Promise<number> {
  const row = await one<{ shared: number; returned: number }>(
    tx,
    `select (select coalesce(sum(amount), 0) from wx_share_receivers
              where order_id = $1 and type = 'MERCHANT_ID' and account = $2)::bigint as shared,
            (select coalesce(sum(amount), 0) from wx_returns where order_id = $1 and return_mchid = $2)::bigint as returned`,
    [order.order_id, returnMchid],
  );
  if (!row || row.shared === 0) throw wx.invalid('回退商户不是该分账单的分账接收方');
  return row.shared - row.returned;
}

export async function requestReturn(ctx: Ctx, input: ReturnInput): Promise<ReturnRow> {
  return ctx.db.transaction(async (tx) => {
    await requireSubMerchant(tx, input.merchant.mchid, input.subMchid);
    const existing = await returnByOutNo(tx, input.subMchid, input.outReturnNo);
    if (existing) {
      if (existing.amount !== input.amount || existing.return_mchid !== input.returnMchid) {
        throw wx.invalid('商户回退单号已存在且请求参数不一致');
      }
      return existing;
    }
    const order = await sharedOrder(tx, input);
    if (input.amount > (await returnableFen(tx, order, input.returnMchid)))
      throw wx.notEnough('回退金额超过该接收方可回退金额');
    const now = ctx.clock.now();
    const row: ReturnRow = {
      return_no: ids.returnNo(now),
      api: input.api,
      sp_mchid: order.sp_mchid,
      sub_mchid: order.sub_mchid,
      order_id: order.order_id,
      out_order_no: order.out_order_no,
      out_return_no: input.outReturnNo,
      return_mchid: input.returnMchid,
      amount: input.amount,
      description: input.description,
      created_ms: now,
    };
    await tx.query(
      `insert into wx_returns (return_no, api, sp_mchid, sub_mchid, order_id, out_order_no, out_return_no, return_mchid,
         amount, description, created_ms) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        row.return_no,
        row.api,
        row.sp_mchid,
        row.sub_mchid,
        row.order_id,
        row.out_order_no,
        row.out_return_no,
        row.return_mchid,
        row.amount,
        row.description,
        now,
      ],
    );
    await tx.query(`update wx_trades set returned = returned + $2 where transaction_id = $1`, [
      order.transaction_id,
      input.amount,
    ]);
    // Returned money lands in the sub-merchant's available balance (not back in the freeze).
    await tx.query(`update wx_sub_merchants set available = available + $2 where sub_mchid = $1`, [
      order.sub_mchid,
      input.amount,
    ]);
    return row;
  });
}
