// The ordinary service provider's profit sharing: /v3/profitsharing/{orders, orders/unfreeze, return-orders,
// transactions/{id}/amounts, merchant-configs, receivers/*}.
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { MAX_SHARE_RATIO_BP } from './context';
import { wx } from './errors';
import { requireSubMerchant } from './merchants';
import { addReceiver, deleteReceiver, unsplitAmount } from './receivers';
import { requestReturn, returnByOutNo } from './returns';
import { checkEncryptedFields } from './sensitive';
import { requestShare, shareOrderByOutNo } from './sharing';
import { serviceProviderReturnJson, serviceProviderShareJson } from './sharing-json';
import { merchantOf, typed, type V3Env } from './v3';
import { SANDBOX_CLIENT } from '../access';

const Str = (max = 64) => Type.String({ minLength: 1, maxLength: max });

const ShareBody = Type.Object({
  sub_mchid: Str(32),
  appid: Type.Optional(Str(32)),
  sub_appid: Type.Optional(Str(32)),
  transaction_id: Str(32),
  out_order_no: Str(64),
  receivers: Type.Array(
    Type.Object({
      type: Str(32),
      account: Str(64),
      name: Type.Optional(Type.String()),
      amount: Type.Integer({ minimum: 1 }),
      description: Str(80),
    }),
    { maxItems: 50 },
  ),
  unfreeze_unsplit: Type.Boolean(),
});

const UnfreezeBody = Type.Object({
  sub_mchid: Str(32),
  transaction_id: Str(32),
  out_order_no: Str(64),
  description: Str(80),
});

const ReturnBody = Type.Object({
  sub_mchid: Str(32),
  order_id: Type.Optional(Str(64)),
  out_order_no: Type.Optional(Str(64)),
  out_return_no: Str(64),
  return_mchid: Str(32),
  amount: Type.Integer({ minimum: 1 }),
  description: Str(80),
});

const ReceiverBody = Type.Object({
  sub_mchid: Str(32),
  appid: Str(32),
  sub_appid: Type.Optional(Str(32)),
  type: Str(32),
  account: Str(64),
  name: Type.Optional(Type.String()),
  relation_type: Str(32),
  custom_relation: Type.Optional(Str(10)),
});

export function registerServiceProviderSharingRoutes(app: FastifyInstance, env: V3Env): void {
  const { ctx } = env;
  const r = typed(app);

  r.post('/v3/profitsharing/orders', { config: SANDBOX_CLIENT, schema: { body: ShareBody } }, async (req) => {
    const b = req.body;
    b.receivers.forEach((rcv, i) => checkEncryptedFields(ctx, req, rcv, ['name'], `receivers[${i}]`));
    const share = await requestShare(
      ctx,
      {
        api: 'service_provider',
        merchant: merchantOf(req),
        subMchid: b.sub_mchid,
        transactionId: b.transaction_id,
        outOrderNo: b.out_order_no,
        receivers: b.receivers.map(({ type, account, amount, description }) => ({
          type,
          account,
          amount,
          description,
        })),
        finish: b.unfreeze_unsplit,
        description: '解冻给分账方',
      },
      'share',
    );
    return serviceProviderShareJson(share, true);
  });

  r.get(
    '/v3/profitsharing/orders/:out_order_no',
    {
      config: SANDBOX_CLIENT,
      schema: { querystring: Type.Object({ sub_mchid: Str(32), transaction_id: Str(32) }) },
    },
    async (req) => {
      const merchant = merchantOf(req);
      const { out_order_no } = req.params as { out_order_no: string };
      const share = await ctx.db.transaction(async (tx) => {
        await requireSubMerchant(tx, merchant.mchid, req.query.sub_mchid);
        return shareOrderByOutNo(tx, req.query.sub_mchid, out_order_no);
      });
      if (!share || share.order.transaction_id !== req.query.transaction_id) throw wx.notExists('分账单不存在');
      return serviceProviderShareJson(share, false);
    },
  );

  r.post(
    '/v3/profitsharing/orders/unfreeze',
    { config: SANDBOX_CLIENT, schema: { body: UnfreezeBody } },
    async (req) => {
      const b = req.body;
      const share = await requestShare(
        ctx,
        {
          api: 'service_provider',
          merchant: merchantOf(req),
          subMchid: b.sub_mchid,
          transactionId: b.transaction_id,
          outOrderNo: b.out_order_no,
          receivers: [],
          finish: true,
          description: b.description,
        },
        'finish',
      );
      return serviceProviderShareJson(share, true);
    },
  );

  r.post('/v3/profitsharing/return-orders', { config: SANDBOX_CLIENT, schema: { body: ReturnBody } }, async (req) => {
    const b = req.body;
    const row = await requestReturn(ctx, {
      api: 'service_provider',
      merchant: merchantOf(req),
      subMchid: b.sub_mchid,
      outReturnNo: b.out_return_no,
      returnMchid: b.return_mchid,
      amount: b.amount,
      description: b.description,
      ...(b.order_id ? { orderId: b.order_id } : {}),
      ...(b.out_order_no ? { outOrderNo: b.out_order_no } : {}),
    });
    return serviceProviderReturnJson(row, true);
  });

  r.get(
    '/v3/profitsharing/return-orders/:out_return_no',
    {
      config: SANDBOX_CLIENT,
      schema: { querystring: Type.Object({ sub_mchid: Str(32), out_order_no: Str(64) }) },
    },
    async (req) => {
      const merchant = merchantOf(req);
      const { out_return_no } = req.params as { out_return_no: string };
      const row = await ctx.db.transaction(async (tx) => {
        await requireSubMerchant(tx, merchant.mchid, req.query.sub_mchid);
        return returnByOutNo(tx, req.query.sub_mchid, out_return_no);
      });
      if (!row || row.out_order_no !== req.query.out_order_no) throw wx.notExists('回退单不存在');
      return serviceProviderReturnJson(row, false);
    },
  );

  r.get('/v3/profitsharing/transactions/:transaction_id/amounts', { config: SANDBOX_CLIENT }, async (req) => {
    const { transaction_id } = req.params as { transaction_id: string };
    return unsplitAmount(ctx, merchantOf(req), transaction_id);
  });

  r.get('/v3/profitsharing/merchant-configs/:sub_mchid', { config: SANDBOX_CLIENT }, async (req) => {
    const { sub_mchid } = req.params as { sub_mchid: string };
    await ctx.db.transaction((tx) => requireSubMerchant(tx, merchantOf(req).mchid, sub_mchid));
    // Every sandbox sub-merchant has authorised its service provider to share up to the default 30%.
    return { sub_mchid, max_ratio: MAX_SHARE_RATIO_BP };
  });

  r.post('/v3/profitsharing/receivers/add', { config: SANDBOX_CLIENT, schema: { body: ReceiverBody } }, async (req) => {
    const merchant = merchantOf(req);
    const b = req.body;
    checkEncryptedFields(ctx, req, b, ['name'], 'body');
    await addReceiver(ctx, merchant, b.sub_mchid, { type: b.type, account: b.account, relationType: b.relation_type });
    return {
      sub_mchid: b.sub_mchid,
      type: b.type,
      account: b.account,
      relation_type: b.relation_type,
      ...(b.name ? { name: b.name } : {}),
      ...(b.custom_relation ? { custom_relation: b.custom_relation } : {}),
    };
  });

  r.post(
    '/v3/profitsharing/receivers/delete',
    {
      config: SANDBOX_CLIENT,
      schema: { body: Type.Object({ sub_mchid: Str(32), appid: Str(32), type: Str(32), account: Str(64) }) },
    },
    async (req) => {
      const b = req.body;
      await deleteReceiver(ctx, merchantOf(req), b.sub_mchid, b.type, b.account);
      return { sub_mchid: b.sub_mchid, type: b.type, account: b.account };
    },
  );
}
