// The platform's profit sharing: /v3/ecommerce/profitsharing/{orders, finish-order, returnorders, receivers/*}
// and the unsplit amount.
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { wx } from './errors';
import { requireSubMerchant } from './merchants';
import { requestReturn, returnByOutNo } from './returns';
import { checkEncryptedFields } from './sensitive';
import { requestShare, shareOrderByOutNo } from './sharing';
import { ecommerceReturnJson, ecommerceShareAcceptedJson, ecommerceShareQueryJson } from './sharing-json';
import { addReceiver, deleteReceiver, unsplitAmount } from './receivers';
import { merchantOf, typed, type V3Env } from './v3';
import { SANDBOX_CLIENT } from '../access';

const Str = (max = 64) => Type.String({ minLength: 1, maxLength: max });

const ShareBody = Type.Object({
  appid: Str(32),
  sub_mchid: Str(32),
  transaction_id: Str(32),
  out_order_no: Str(64),
  receivers: Type.Array(
    Type.Object({
      type: Str(32),
      receiver_account: Str(64),
      amount: Type.Integer({ minimum: 1 }),
      description: Str(80),
      receiver_name: Type.Optional(Type.String()),
    }),
    { maxItems: 50 },
  ),
  finish: Type.Boolean(),
});

const FinishBody = Type.Object({
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
  appid: Str(32),
  type: Str(32),
  account: Str(64),
  name: Type.Optional(Type.String()),
  encrypted_name: Type.Optional(Type.String()),
  relation_type: Type.Optional(Str(32)),
  relation_name: Type.Optional(Str(32)),
});

export function registerEcommerceSharingRoutes(app: FastifyInstance, env: V3Env): void {
  const { ctx } = env;
  const r = typed(app);

  r.post('/v3/ecommerce/profitsharing/orders', { config: SANDBOX_CLIENT, schema: { body: ShareBody } }, async (req) => {
    const merchant = merchantOf(req);
    const b = req.body;
    if (b.appid !== merchant.appid) throw wx.appidMismatch();
    b.receivers.forEach((rcv, i) => checkEncryptedFields(ctx, req, rcv, ['receiver_name'], `receivers[${i}]`));
    const share = await requestShare(
      ctx,
      {
        api: 'ecommerce',
        merchant,
        subMchid: b.sub_mchid,
        transactionId: b.transaction_id,
        outOrderNo: b.out_order_no,
        receivers: b.receivers.map((rcv) => ({
          type: rcv.type,
          account: rcv.receiver_account,
          amount: rcv.amount,
          description: rcv.description,
        })),
        finish: b.finish,
        description: '分账完结',
      },
      'share',
    );
    return ecommerceShareAcceptedJson(share);
  });

  r.get(
    '/v3/ecommerce/profitsharing/orders',
    {
      config: SANDBOX_CLIENT,
      schema: { querystring: Type.Object({ sub_mchid: Str(32), transaction_id: Str(32), out_order_no: Str(64) }) },
    },
    async (req) => {
      const merchant = merchantOf(req);
      const share = await ctx.db.transaction(async (tx) => {
        await requireSubMerchant(tx, merchant.mchid, req.query.sub_mchid);
        return shareOrderByOutNo(tx, req.query.sub_mchid, req.query.out_order_no);
      });
      if (!share || share.order.transaction_id !== req.query.transaction_id) throw wx.notExists('分账单不存在');
      return ecommerceShareQueryJson(share);
    },
  );

  r.post(
    '/v3/ecommerce/profitsharing/finish-order',
    { config: SANDBOX_CLIENT, schema: { body: FinishBody } },
    async (req) => {
      const b = req.body;
      const share = await requestShare(
        ctx,
        {
          api: 'ecommerce',
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
      return ecommerceShareAcceptedJson(share);
    },
  );

  r.get('/v3/ecommerce/profitsharing/orders/:transaction_id/amounts', { config: SANDBOX_CLIENT }, async (req) => {
    const { transaction_id } = req.params as { transaction_id: string };
    return unsplitAmount(ctx, merchantOf(req), transaction_id);
  });

  r.post(
    '/v3/ecommerce/profitsharing/returnorders',
    { config: SANDBOX_CLIENT, schema: { body: ReturnBody } },
    async (req) => {
      const b = req.body;
      const row = await requestReturn(ctx, {
        api: 'ecommerce',
        merchant: merchantOf(req),
        subMchid: b.sub_mchid,
        outReturnNo: b.out_return_no,
        returnMchid: b.return_mchid,
        amount: b.amount,
        description: b.description,
        ...(b.order_id ? { orderId: b.order_id } : {}),
        ...(b.out_order_no ? { outOrderNo: b.out_order_no } : {}),
      });
      return ecommerceReturnJson(row, true);
    },
  );

  r.get(
    '/v3/ecommerce/profitsharing/returnorders',
    {
      config: SANDBOX_CLIENT,
      schema: {
        querystring: Type.Object({
          sub_mchid: Str(32),
          order_id: Type.Optional(Str(64)),
          out_order_no: Type.Optional(Str(64)),
          out_return_no: Str(64),
        }),
      },
    },
    async (req) => {
      const merchant = merchantOf(req);
      const q = req.query;
      const row = await ctx.db.transaction(async (tx) => {
        await requireSubMerchant(tx, merchant.mchid, q.sub_mchid);
        return returnByOutNo(tx, q.sub_mchid, q.out_return_no);
      });
      const matches =
        row && (q.order_id ? row.order_id === q.order_id : q.out_order_no ? row.out_order_no === q.out_order_no : true);
      if (!row || !matches) throw wx.notExists('回退单不存在');
      return ecommerceReturnJson(row, false);
    },
  );

  r.post(
    '/v3/ecommerce/profitsharing/receivers/add',
    { config: SANDBOX_CLIENT, schema: { body: ReceiverBody } },
    async (req) => {
      const merchant = merchantOf(req);
      const b = req.body;
      if (b.appid !== merchant.appid) throw wx.appidMismatch();
      checkEncryptedFields(ctx, req, b, ['encrypted_name'], 'body');
      await addReceiver(ctx, merchant, '', {
        type: b.type,
        account: b.account,
        relationType: b.relation_type ?? 'OTHERS',
      });
      return { type: b.type, account: b.account };
    },
  );

  r.post(
    '/v3/ecommerce/profitsharing/receivers/delete',
    {
      config: SANDBOX_CLIENT,
      schema: { body: Type.Object({ appid: Str(32), type: Str(32), account: Str(64) }) },
    },
    async (req) => {
      const merchant = merchantOf(req);
      if (req.body.appid !== merchant.appid) throw wx.appidMismatch();
      await deleteReceiver(ctx, merchant, '', req.body.type, req.body.account);
      return { type: req.body.type, account: req.body.account };
    },
  );
}
