// Sharing receivers (added before a share to them is accepted) and the unsplit-amount query.
import type { Ctx, Merchant } from './context';
import { wx } from './errors';
import { requireSubMerchant } from './merchants';
import { isPaid, tradeById } from './trades';

export const RELATION_TYPES = [
  'SERVICE_PROVIDER',
  'STORE',
  'STAFF',
  'STORE_OWNER',
  'PARTNER',
  'HEADQUARTER',
  'BRAND',
  'DISTRIBUTOR',
  'USER',
  'SUPPLIER',
  'PLATFORM',
  'OTHERS',
  'CUSTOM',
];

export interface ReceiverInput {
  type: string;
  account: string;
  relationType: string;
}

/** Adds a receiver: for the platform type it is the platform's (scope ''), for a service provider per sub-merchant. */
export async function addReceiver(ctx: Ctx, merchant: Merchant, scope: string, input: ReceiverInput): Promise<void> {
  if (input.type !== 'MERCHANT_ID' && input.type !== 'PERSONAL_OPENID')
    throw wx.param('type 须为 MERCHANT_ID 或 PERSONAL_OPENID');
  if (!RELATION_TYPES.includes(input.relationType)) throw wx.param('relation_type 取值错误');
  await ctx.db.transaction(async (tx) => {
    if (scope !== '') await requireSubMerchant(tx, merchant.mchid, scope);
    await tx.query(
      `insert into wx_receivers (sp_mchid, sub_mchid, type, account, relation_type, created_ms)
       values ($1, $2, $3, $4, $5, $6)
       on conflict (sp_mchid, sub_mchid, type, account) do update set relation_type = excluded.relation_type`,
      [merchant.mchid, scope, input.type, input.account, input.relationType, ctx.clock.now()],
    );
  });
}

export async function deleteReceiver(
  ctx: Ctx,
  merchant: Merchant,
  scope: string,
  type: string,
  account: string,
): Promise<void> {
  await ctx.db.query(`delete from wx_receivers where sp_mchid = $1 and sub_mchid = $2 and type = $3 and account = $4`, [
    merchant.mchid,
    scope,
    type,
    account,
  ]);
}

export async function unsplitAmount(
  ctx: Ctx,
  merchant: Merchant,
  transactionId: string,
): Promise<{ transaction_id: string; unsplit_amount: number }> {
  const trade = await tradeById(ctx.db, transactionId);
  if (!trade || trade.sp_mchid !== merchant.mchid || !isPaid(trade.state)) throw wx.notExists('订单不存在');
  return { transaction_id: trade.transaction_id, unsplit_amount: trade.unsplit };
}
