// Partner payments (both merchant types): /v3/pay/partner/transactions/{native,jsapi,h5}, query, close.
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import type { Merchant } from './context';
import { wx } from './errors';
import { checkCaller, orderAnswer, placeOrder, type OrderInput } from './orders';
import { PartnerCloseBody, PartnerH5Body, PartnerJsapiBody, PartnerNativeBody, PartnerQuery } from './schemas';
import type { Tx } from './db';
import { requireSubMerchant } from './merchants';
import {
  closeExpired,
  isPaid,
  partnerTransactionJson,
  tradeById,
  tradeByOutNo,
  type TradeRow,
  type TradeType,
} from './trades';
import { baseUrl, merchantOf, typed, type V3Env } from './v3';
import { SANDBOX_CLIENT } from '../access';

type PartnerBody = Static<typeof PartnerNativeBody> & {
  payer?: { sp_openid?: string; sub_openid?: string };
};

function partnerOrder(merchant: Merchant, body: PartnerBody, tradeType: TradeType): OrderInput {
  checkCaller(merchant, body.sp_mchid, body.sp_appid);
  if (body.amount.currency !== undefined && body.amount.currency !== 'CNY') throw wx.param('仅支持人民币 CNY');
  const payerOpenid = body.payer?.sp_openid ?? body.payer?.sub_openid;
  if (tradeType === 'JSAPI' && !payerOpenid) throw wx.param('payer.sp_openid 与 payer.sub_openid 不能同时为空');
  return {
    tradeType,
    appid: body.payer?.sub_openid && body.sub_appid ? body.sub_appid : body.sp_appid,
    notifyUrl: body.notify_url,
    ...(body.time_expire !== undefined ? { timeExpire: body.time_expire } : {}),
    ...(payerOpenid ? { payerOpenid } : {}),
    ...(body.scene_info ? { sceneInfo: body.scene_info } : {}),
    subOrders: [
      {
        subMchid: body.sub_mchid,
        ...(body.sub_appid ? { subAppid: body.sub_appid } : {}),
        outTradeNo: body.out_trade_no,
        description: body.description,
        ...(body.attach !== undefined ? { attach: body.attach } : {}),
        total: body.amount.total,
        profitSharing: body.settle_info?.profit_sharing === true,
      },
    ],
  };
}

export function registerPartnerPayRoutes(app: FastifyInstance, env: V3Env): void {
  const { ctx, prefix } = env;
  const r = typed(app);
  const kinds = [
    ['native', 'NATIVE', PartnerNativeBody],
    ['jsapi', 'JSAPI', PartnerJsapiBody],
    ['h5', 'MWEB', PartnerH5Body],
  ] as const;
  for (const [path, tradeType, schema] of kinds) {
    r.post(
      `/v3/pay/partner/transactions/${path}`,
      { config: SANDBOX_CLIENT, schema: { body: schema } },
      async (req) => {
        const merchant = merchantOf(req);
        const payable = await placeOrder(ctx, merchant, partnerOrder(merchant, req.body as PartnerBody, tradeType));
        return orderAnswer(payable, baseUrl(req, prefix));
      },
    );
  }

  const queryOne = async (spMchid: string, merchant: Merchant, find: (tx: Tx) => Promise<TradeRow | undefined>) => {
    if (spMchid !== merchant.mchid) throw wx.invalid('请求中的商户号与签名商户号不一致');
    return ctx.db.transaction(async (tx) => {
      const found = await find(tx);
      if (!found || found.sp_mchid !== merchant.mchid) throw wx.orderNotExist();
      if (await closeExpired(tx, ctx.clock.now(), found.prepay_id))
        return partnerTransactionJson({ ...found, state: 'CLOSED' });
      return partnerTransactionJson(found);
    });
  };

  r.get(
    '/v3/pay/partner/transactions/out-trade-no/:out_trade_no',
    { config: SANDBOX_CLIENT, schema: { querystring: PartnerQuery } },
    async (req) => {
      const merchant = merchantOf(req);
      const { out_trade_no } = req.params as { out_trade_no: string };
      return queryOne(req.query.sp_mchid, merchant, (tx) => tradeByOutNo(tx, req.query.sub_mchid, out_trade_no));
    },
  );

  r.get(
    '/v3/pay/partner/transactions/id/:transaction_id',
    { config: SANDBOX_CLIENT, schema: { querystring: PartnerQuery } },
    async (req) => {
      const merchant = merchantOf(req);
      const { transaction_id } = req.params as { transaction_id: string };
      return queryOne(req.query.sp_mchid, merchant, async (tx) => {
        const trade = await tradeById(tx, transaction_id);
        // Before payment a transaction id does not exist for the outside world.
        return trade && trade.sub_mchid === req.query.sub_mchid && isPaid(trade.state) ? trade : undefined;
      });
    },
  );

  r.post(
    '/v3/pay/partner/transactions/out-trade-no/:out_trade_no/close',
    { config: SANDBOX_CLIENT, schema: { body: PartnerCloseBody } },
    async (req, reply) => {
      const merchant = merchantOf(req);
      const { out_trade_no } = req.params as { out_trade_no: string };
      if (req.body.sp_mchid !== merchant.mchid) throw wx.invalid('请求中的商户号与签名商户号不一致');
      await ctx.db.transaction(async (tx) => {
        await requireSubMerchant(tx, merchant.mchid, req.body.sub_mchid);
        const trade = await tradeByOutNo(tx, req.body.sub_mchid, out_trade_no);
        if (!trade) throw wx.orderNotExist();
        if (trade.combine_out_trade_no) throw wx.invalid('合单子单请使用合单关单接口');
        if (isPaid(trade.state)) throw wx.orderPaid();
        await tx.query(
          `update wx_trades set state = 'CLOSED' where transaction_id = $1 and state in ('NOTPAY', 'PAYERROR')`,
          [trade.transaction_id],
        );
      });
      return reply.code(204).send();
    },
  );
}
