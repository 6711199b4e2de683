// Combined payment (合单): /v3/combine-transactions/{native,jsapi,h5}, query and close by combine_out_trade_no.
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import type { Merchant } from './context';
import { one } from './db';
import { wx } from './errors';
import { checkCaller, orderAnswer, placeOrder, type OrderInput } from './orders';
import { CombineCloseBody, CombineH5Body, CombineJsapiBody, CombineNativeBody } from './schemas';
import { closeExpired, combineJson, isPaid, tradesOfPayable, type PayableRow, type TradeType } from './trades';
import { baseUrl, merchantOf, typed, type V3Env } from './v3';
import { SANDBOX_CLIENT } from '../access';

type CombineBody = Static<typeof CombineNativeBody>;

function combineOrder(merchant: Merchant, body: CombineBody, tradeType: TradeType): OrderInput {
  checkCaller(merchant, body.combine_mchid, body.combine_appid);
  for (const sub of body.sub_orders) {
    if (sub.mchid !== merchant.mchid) throw wx.invalid('子单发起方商户号 mchid 须与合单发起方一致');
  }
  const payerOpenid = body.combine_payer_info?.openid;
  return {
    tradeType,
    appid: body.combine_appid,
    notifyUrl: body.notify_url,
    combineOutTradeNo: body.combine_out_trade_no,
    ...(body.time_expire !== undefined ? { timeExpire: body.time_expire } : {}),
    ...(payerOpenid ? { payerOpenid } : {}),
    ...(body.scene_info ? { sceneInfo: body.scene_info } : {}),
    subOrders: body.sub_orders.map((sub) => ({
      subMchid: sub.sub_mchid,
      ...(sub.sub_appid ? { subAppid: sub.sub_appid } : {}),
      outTradeNo: sub.out_trade_no,
      description: sub.description,
      attach: sub.attach,
      total: sub.amount.total_amount,
      profitSharing: sub.settle_info?.profit_sharing === true,
    })),
  };
}

export function registerCombineRoutes(app: FastifyInstance, env: V3Env): void {
  const { ctx, prefix } = env;
  const r = typed(app);
  const kinds = [
    ['native', 'NATIVE', CombineNativeBody],
    ['jsapi', 'JSAPI', CombineJsapiBody],
    ['h5', 'MWEB', CombineH5Body],
  ] as const;
  for (const [path, tradeType, schema] of kinds) {
    r.post(`/v3/combine-transactions/${path}`, { config: SANDBOX_CLIENT, schema: { body: schema } }, async (req) => {
      const merchant = merchantOf(req);
      const payable = await placeOrder(ctx, merchant, combineOrder(merchant, req.body as CombineBody, tradeType));
      return orderAnswer(payable, baseUrl(req, prefix));
    });
  }

  r.get('/v3/combine-transactions/out-trade-no/:combine_out_trade_no', { config: SANDBOX_CLIENT }, async (req) => {
    const merchant = merchantOf(req);
    const { combine_out_trade_no } = req.params as { combine_out_trade_no: string };
    return ctx.db.transaction(async (tx) => {
      const payable = await one<PayableRow>(
        tx,
        `select * from wx_payables where sp_mchid = $1 and combine_out_trade_no = $2`,
        [merchant.mchid, combine_out_trade_no],
      );
      if (!payable) throw wx.orderNotExist();
      await closeExpired(tx, ctx.clock.now(), payable.prepay_id);
      return combineJson(payable, await tradesOfPayable(tx, payable.prepay_id));
    });
  });

  r.post(
    '/v3/combine-transactions/out-trade-no/:combine_out_trade_no/close',
    { config: SANDBOX_CLIENT, schema: { body: CombineCloseBody } },
    async (req, reply) => {
      const merchant = merchantOf(req);
      const { combine_out_trade_no } = req.params as { combine_out_trade_no: string };
      if (req.body.combine_appid !== merchant.appid) throw wx.appidMismatch();
      await ctx.db.transaction(async (tx) => {
        const payable = await one<PayableRow>(
          tx,
          `select * from wx_payables where sp_mchid = $1 and combine_out_trade_no = $2`,
          [merchant.mchid, combine_out_trade_no],
        );
        if (!payable) throw wx.orderNotExist();
        const trades = await tradesOfPayable(tx, payable.prepay_id);
        for (const sub of req.body.sub_orders) {
          if (!trades.some((t) => t.sub_mchid === sub.sub_mchid && t.out_trade_no === sub.out_trade_no)) {
            throw wx.param(`子单 ${sub.out_trade_no} 不属于该合单`);
          }
        }
        // A combined order is paid as a whole, so one paid sub-order means the whole order is paid.
        if (trades.some((t) => isPaid(t.state))) throw wx.orderPaid();
        await tx.query(
          `update wx_trades set state = 'CLOSED' where prepay_id = $1 and state in ('NOTPAY', 'PAYERROR')`,
          [payable.prepay_id],
        );
      });
      return reply.code(204).send();
    },
  );
}
