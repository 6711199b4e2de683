// Creating a trade for a scene. One sub-order: precreate (QR), page.pay (desktop page) or wap.pay (mobile H5).
// Several: one merged payment (merge.precreate, then the wap.merge.pay URL); Alipay has no PC-page or QR merge, so a
// desktop shows a QR of that H5 URL. Every trade names the merchant's smid and asks for later settlement.
import type { AlipaySdk } from 'alipay-sdk';
import { ProviderError, type CreateTradeInput, type PaymentAction, type ProviderSubOrder } from '../types';
import { ALIPAY_AMOUNT_FEN_MAX, fenToYuanString } from './amounts';
import { requestTimestamp, unexpectedBusinessFailure, type Gateway } from './gateway';
import { toBeijingTime } from './time';
import {
  CODE_SUCCESS,
  METHOD,
  type MergeOrderDetail,
  type MergePrecreateBizContent,
  type MergePrecreateResponse,
  type PrecreateResponse,
  type TradeBizContent,
} from './wire';

export interface TradeContext {
  appId: string;
  settlePeriod: string;
  gateway: Gateway;
  sdk: AlipaySdk;
}

/** Alipay: out_trade_no is at most 64 letters, digits and underscores. */
const OUT_TRADE_NO_PATTERN = /^[0-9A-Za-z_]{1,64}$/;
const SUBJECT_LENGTH_MAX = 256;
/** Sub-orders in one merged payment (Alipay's limit for order_details). */
export const MERGE_SUB_ORDERS_MAX = 10;

export async function createTrade(ctx: TradeContext, input: CreateTradeInput): Promise<PaymentAction> {
  checkCreateInput(input);
  const scene = input.scene;
  if (input.subOrders.length > 1) {
    if (scene === 'jsapi') throw sceneNotSupported();
    const url = await mergedPaymentUrl(ctx, input);
    return scene === 'h5' ? { type: 'redirect', url } : { type: 'qr', code_url: url };
  }
  const order = input.subOrders[0] as ProviderSubOrder;
  switch (scene) {
    case 'qr':
      return { type: 'qr', code_url: await precreate(ctx, input, order) };
    case 'page':
      return {
        type: 'redirect',
        url: pagePayUrl(ctx, input, tradeBizContent(ctx, input, order, 'FAST_INSTANT_TRADE_PAY'), METHOD.pagePay),
      };
    case 'h5':
      return {
        type: 'redirect',
        url: pagePayUrl(ctx, input, tradeBizContent(ctx, input, order, 'QUICK_WAP_WAY'), METHOD.wapPay),
      };
    case 'jsapi':
      throw sceneNotSupported();
    default: {
      const unknown: never = scene;
      throw new ProviderError('invalid_request', 'scene_not_supported', `unknown scene ${String(unknown)}`);
    }
  }
}

function sceneNotSupported(): ProviderError {
  return new ProviderError(
    'invalid_request',
    'scene_not_supported',
    'Alipay has no jsapi scene (that is WeChat Pay inside WeChat)',
  );
}

function checkCreateInput(input: CreateTradeInput): void {
  if (input.subOrders.length === 0)
    throw new ProviderError('invalid_request', 'no_sub_orders', 'a trade needs at least one sub-order');
  if (input.subOrders.length > MERGE_SUB_ORDERS_MAX) {
    throw new ProviderError(
      'invalid_request',
      'too_many_sub_orders',
      `a merged payment takes at most ${MERGE_SUB_ORDERS_MAX} sub-orders`,
    );
  }
  if (input.subOrders.length > 1 && !OUT_TRADE_NO_PATTERN.test(input.groupOutTradeNo)) {
    throw new ProviderError(
      'invalid_request',
      'invalid_out_trade_no',
      'groupOutTradeNo must be 1-64 letters, digits or underscores',
    );
  }
  for (const order of input.subOrders) {
    if (!OUT_TRADE_NO_PATTERN.test(order.outTradeNo)) {
      throw new ProviderError(
        'invalid_request',
        'invalid_out_trade_no',
        'outTradeNo must be 1-64 letters, digits or underscores',
      );
    }
    if (!Number.isSafeInteger(order.amountFen) || order.amountFen < 1 || order.amountFen > ALIPAY_AMOUNT_FEN_MAX) {
      throw new ProviderError('invalid_request', 'amount_out_of_range', 'an Alipay trade is 0.01 to 100000000.00 yuan');
    }
    if (order.subMerchantId.length === 0)
      throw new ProviderError('invalid_request', 'sub_merchant_missing', 'every sub-order names its smid');
  }
}

export function tradeBizContent(
  ctx: TradeContext,
  input: CreateTradeInput,
  order: ProviderSubOrder,
  productCode: TradeBizContent['product_code'],
): TradeBizContent {
  const amount = fenToYuanString(order.amountFen);
  return {
    out_trade_no: order.outTradeNo,
    total_amount: amount,
    subject: order.description.slice(0, SUBJECT_LENGTH_MAX),
    product_code: productCode,
    time_expire: toBeijingTime(input.expiresAt),
    sub_merchant: { merchant_id: order.subMerchantId },
    // 直付通 escrow: the money waits unsettled in the sub-merchant's account until settle.confirm, or the period.
    settle_info: {
      settle_detail_infos: [{ trans_in_type: 'defaultSettle', amount }],
      settle_period_time: ctx.settlePeriod,
    },
  };
}

async function precreate(ctx: TradeContext, input: CreateTradeInput, order: ProviderSubOrder): Promise<string> {
  const biz = tradeBizContent(ctx, input, order, 'FACE_TO_FACE_PAYMENT');
  const res = await ctx.gateway<PrecreateResponse>(METHOD.precreate, biz, { kind: 'read', notifyUrl: input.notifyUrl });
  if (res.code !== CODE_SUCCESS || !res.qr_code) throw unexpectedBusinessFailure(METHOD.precreate, res);
  return res.qr_code;
}

/** page.pay / wap.pay / wap.merge.pay are not API calls but a signed URL the buyer's browser opens (GET). */
function pagePayUrl(ctx: TradeContext, input: CreateTradeInput, bizContent: object, method: string): string {
  const params: Record<string, unknown> = { bizContent, notifyUrl: input.notifyUrl, timestamp: requestTimestamp() };
  if (input.returnUrl) params.returnUrl = input.returnUrl;
  return ctx.sdk.pageExec(method, 'GET', params);
}

async function mergedPaymentUrl(ctx: TradeContext, input: CreateTradeInput): Promise<string> {
  const biz: MergePrecreateBizContent = {
    out_merge_no: input.groupOutTradeNo,
    time_expire: toBeijingTime(input.expiresAt),
    order_details: input.subOrders.map(
      (order): MergeOrderDetail => ({
        app_id: ctx.appId,
        ...tradeBizContent(ctx, input, order, 'QUICK_WAP_WAY'),
      }),
    ),
  };
  const res = await ctx.gateway<MergePrecreateResponse>(METHOD.mergePrecreate, biz, {
    kind: 'read',
    notifyUrl: input.notifyUrl,
  });
  if (res.code !== CODE_SUCCESS || !res.pre_order_no) throw unexpectedBusinessFailure(METHOD.mergePrecreate, res);
  return pagePayUrl(ctx, input, { pre_order_no: res.pre_order_no }, METHOD.wapMergePay);
}
