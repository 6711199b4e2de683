// Refund APIs: the platform's /v3/ecommerce/refunds/* and the service provider's /v3/refund/domestic/refunds.
import type { FastifyInstance } from 'fastify';
import { one } from './db';
import { wx } from './errors';
import { requireSubMerchant } from './merchants';
import {
  applyRefund,
  domesticJson,
  ecommerceApplyJson,
  ecommerceQueryJson,
  refundByOutNo,
  type RefundRow,
} from './refunds';
import { DomesticRefundBody, EcommerceRefundBody, SubMchidQuery } from './schemas';
import { merchantOf, typed, type V3Env } from './v3';
import { SANDBOX_CLIENT } from '../access';

export function registerRefundRoutes(app: FastifyInstance, env: V3Env): void {
  const { ctx } = env;
  const r = typed(app);

  r.post(
    '/v3/ecommerce/refunds/apply',
    { config: SANDBOX_CLIENT, schema: { body: EcommerceRefundBody } },
    async (req) => {
      const merchant = merchantOf(req);
      const b = req.body;
      if (b.sp_appid !== merchant.appid) throw wx.appidMismatch();
      const { refund } = await applyRefund(ctx, {
        api: 'ecommerce',
        merchant,
        subMchid: b.sub_mchid,
        outRefundNo: b.out_refund_no,
        refund: b.amount.refund,
        total: b.amount.total,
        ...(b.transaction_id ? { transactionId: b.transaction_id } : {}),
        ...(b.out_trade_no ? { outTradeNo: b.out_trade_no } : {}),
        ...(b.reason !== undefined ? { reason: b.reason } : {}),
        ...(b.notify_url ? { notifyUrl: b.notify_url } : {}),
        ...(b.funds_account ? { fundsAccount: b.funds_account } : {}),
      });
      return ecommerceApplyJson(refund);
    },
  );

  const findRefund = async (spMchid: string, subMchid: string, where: 'out_refund_no' | 'refund_id', value: string) =>
    ctx.db.transaction(async (tx) => {
      await requireSubMerchant(tx, spMchid, subMchid);
      const found =
        where === 'out_refund_no'
          ? await refundByOutNo(tx, subMchid, value)
          : await one<RefundRow>(tx, `select * from wx_refunds where refund_id = $1 and sub_mchid = $2`, [
              value,
              subMchid,
            ]);
      if (!found) throw wx.notExists('退款单不存在');
      return found;
    });

  r.get(
    '/v3/ecommerce/refunds/out-refund-no/:out_refund_no',
    { config: SANDBOX_CLIENT, schema: { querystring: SubMchidQuery } },
    async (req) => {
      const { out_refund_no } = req.params as { out_refund_no: string };
      return ecommerceQueryJson(
        await findRefund(merchantOf(req).mchid, req.query.sub_mchid, 'out_refund_no', out_refund_no),
      );
    },
  );

  r.get(
    '/v3/ecommerce/refunds/id/:refund_id',
    { config: SANDBOX_CLIENT, schema: { querystring: SubMchidQuery } },
    async (req) => {
      const { refund_id } = req.params as { refund_id: string };
      return ecommerceQueryJson(await findRefund(merchantOf(req).mchid, req.query.sub_mchid, 'refund_id', refund_id));
    },
  );

  r.post(
    '/v3/refund/domestic/refunds',
    { config: SANDBOX_CLIENT, schema: { body: DomesticRefundBody } },
    async (req) => {
      const merchant = merchantOf(req);
      const b = req.body;
      const { refund, created } = await applyRefund(ctx, {
        api: 'domestic',
        merchant,
        subMchid: b.sub_mchid,
        outRefundNo: b.out_refund_no,
        refund: b.amount.refund,
        total: b.amount.total,
        ...(b.transaction_id ? { transactionId: b.transaction_id } : {}),
        ...(b.out_trade_no ? { outTradeNo: b.out_trade_no } : {}),
        ...(b.reason !== undefined ? { reason: b.reason } : {}),
        ...(b.notify_url ? { notifyUrl: b.notify_url } : {}),
        ...(b.funds_account ? { fundsAccount: b.funds_account } : {}),
      });
      // A fresh refund is answered as accepted (PROCESSING); its outcome comes by notification and query.
      return domesticJson(refund, created && refund.status !== 'CLOSED' ? 'PROCESSING' : refund.status);
    },
  );

  r.get(
    '/v3/refund/domestic/refunds/:out_refund_no',
    { config: SANDBOX_CLIENT, schema: { querystring: SubMchidQuery } },
    async (req) => {
      const { out_refund_no } = req.params as { out_refund_no: string };
      return domesticJson(await findRefund(merchantOf(req).mchid, req.query.sub_mchid, 'out_refund_no', out_refund_no));
    },
  );
}
