// Create, query and close a payment. One sub-order is a partner transaction (/v3/pay/partner/transactions/*);
// several are one combined payment (合单, /v3/combine-transactions/*), each sub-order to its own sub-merchant.
// Every order asks for `settle_info.profit_sharing: true`: that is what keeps the money frozen as escrow.
import { fen } from '../../shared/money';
import {
  ProviderError,
  type CreateTradeInput,
  type PaymentAction,
  type PaymentScene,
  type SubTradeStatus,
  type TradeRef,
} from '../types';
import { asProviderError, isRejection } from './client';
import type { AdapterContext } from './context';
import { parseTime, rfc3339Beijing } from './format';
import { jsapiPayParams } from './sign';
import { tradeStateOf } from './states';
import type {
  CombineCloseBody,
  CombinePrepayBody,
  CombineTransaction,
  H5Answer,
  JsapiAnswer,
  NativeAnswer,
  PartnerPrepayBody,
  PartnerTransaction,
} from './wire';

type WechatScene = 'native' | 'jsapi' | 'h5';
type PrepayAnswer = Partial<NativeAnswer & JsapiAnswer & H5Answer>;

const OUT_TRADE_NO = /^[0-9A-Za-z_\-|*]{6,32}$/;
const NOT_FOUND_CODES = ['ORDER_NOT_EXIST', 'ORDERNOTEXIST', 'RESOURCE_NOT_EXISTS', 404];

export function isCombined(ref: { subOrders: unknown[] }): boolean {
  return ref.subOrders.length > 1;
}

function wechatSceneOf(scene: PaymentScene): WechatScene {
  switch (scene) {
    case 'qr':
      return 'native';
    case 'h5':
      return 'h5';
    case 'jsapi':
      return 'jsapi';
    case 'page':
      throw new ProviderError(
        'invalid_request',
        'scene_unsupported',
        'WeChat Pay has no desktop checkout page; use qr',
      );
    default: {
      const never: never = scene;
      throw new ProviderError('invalid_request', 'scene_unsupported', `unknown scene ${String(never)}`);
    }
  }
}

function validateCreate(input: CreateTradeInput, scene: WechatScene): void {
  if (input.subOrders.length === 0)
    throw new ProviderError('invalid_request', 'no_sub_orders', 'a trade needs at least one sub-order');
  for (const s of input.subOrders) {
    if (!OUT_TRADE_NO.test(s.outTradeNo))
      throw new ProviderError(
        'invalid_request',
        'out_trade_no_invalid',
        'out_trade_no must be 6-32 of [0-9A-Za-z_-|*]',
      );
    if (!Number.isSafeInteger(s.amountFen) || s.amountFen <= 0)
      throw new ProviderError('invalid_request', 'amount_invalid', 'amounts are positive fen');
  }
  if (isCombined(input) && !OUT_TRADE_NO.test(input.groupOutTradeNo)) {
    throw new ProviderError(
      'invalid_request',
      'out_trade_no_invalid',
      'combine_out_trade_no must be 6-32 of [0-9A-Za-z_-|*]',
    );
  }
  if (scene === 'jsapi' && !input.payer.wechatOpenid) {
    throw new ProviderError(
      'invalid_request',
      'payer_openid_required',
      "JSAPI needs the buyer's openid under sp_appid",
    );
  }
}

export async function createTrade(ctx: AdapterContext, input: CreateTradeInput): Promise<PaymentAction> {
  const scene = wechatSceneOf(input.scene);
  validateCreate(input, scene);
  const [path, body] = isCombined(input)
    ? [`/v3/combine-transactions/${scene}`, combinedBody(ctx, scene, input)]
    : [`/v3/pay/partner/transactions/${scene}`, partnerBody(ctx, scene, input)];
  let answer: PrepayAnswer;
  try {
    answer = (await ctx.http.call<PrepayAnswer>({ method: 'POST', path, body, effect: 'read' })).data;
  } catch (e) {
    if (isRejection(e, 'ORDERPAID')) throw new ProviderError('declined', 'trade_already_paid', e.message, e.code);
    if (isRejection(e, 'ORDER_CLOSED')) throw new ProviderError('declined', 'trade_closed', e.message, e.code);
    if (isRejection(e, 'OUT_TRADE_NO_USED'))
      throw new ProviderError('invalid_request', 'out_trade_no_reused', e.message, e.code);
    throw asProviderError(e);
  }
  return actionOf(ctx, scene, answer, input.returnUrl);
}

function partnerBody(ctx: AdapterContext, scene: WechatScene, input: CreateTradeInput): PartnerPrepayBody {
  const sub = input.subOrders[0]!;
  const body: PartnerPrepayBody = {
    sp_appid: ctx.config.spAppid,
    sp_mchid: ctx.config.spMchid,
    sub_mchid: sub.subMerchantId,
    description: sub.description,
    out_trade_no: sub.outTradeNo,
    time_expire: rfc3339Beijing(input.expiresAt),
    notify_url: input.notifyUrl,
    amount: { total: sub.amountFen, currency: 'CNY' },
    settle_info: { profit_sharing: true },
    scene_info: { payer_client_ip: input.payer.clientIp },
  };
  if (scene === 'jsapi') body.payer = { sp_openid: input.payer.wechatOpenid! };
  if (scene === 'h5') body.scene_info = { payer_client_ip: input.payer.clientIp, h5_info: { type: 'Wap' } };
  return body;
}

function combinedBody(ctx: AdapterContext, scene: WechatScene, input: CreateTradeInput): CombinePrepayBody {
  const body: CombinePrepayBody = {
    combine_appid: ctx.config.spAppid,
    combine_mchid: ctx.config.spMchid,
    combine_out_trade_no: input.groupOutTradeNo,
    scene_info:
      scene === 'h5'
        ? { payer_client_ip: input.payer.clientIp, h5_info: { type: 'Wap' } }
        : { payer_client_ip: input.payer.clientIp },
    // `attach` is required on sub-orders; it comes back in notifications, so it names the group.
    sub_orders: input.subOrders.map((s) => ({
      mchid: ctx.config.spMchid,
      sub_mchid: s.subMerchantId,
      attach: input.groupOutTradeNo,
      amount: { total_amount: s.amountFen, currency: 'CNY' as const },
      out_trade_no: s.outTradeNo,
      description: s.description,
      settle_info: { profit_sharing: true },
    })),
    time_expire: rfc3339Beijing(input.expiresAt),
    notify_url: input.notifyUrl,
  };
  if (scene === 'jsapi') body.combine_payer_info = { openid: input.payer.wechatOpenid! };
  return body;
}

function actionOf(ctx: AdapterContext, scene: WechatScene, answer: PrepayAnswer, returnUrl?: string): PaymentAction {
  const missing = () =>
    new ProviderError('unavailable', 'malformed_answer', `gateway answer lacks the ${scene} payment field`);
  switch (scene) {
    case 'native':
      if (!answer.code_url) throw missing();
      return { type: 'qr', code_url: answer.code_url };
    case 'h5': {
      if (!answer.h5_url) throw missing();
      // WeChat Pay sends the buyer back to `redirect_url` appended to h5_url (URL-encoded) after paying.
      const url = returnUrl
        ? `${answer.h5_url}${answer.h5_url.includes('?') ? '&' : '?'}redirect_url=${encodeURIComponent(returnUrl)}`
        : answer.h5_url;
      return { type: 'redirect', url };
    }
    case 'jsapi': {
      if (!answer.prepay_id) throw missing();
      const params = jsapiPayParams(ctx.config.spAppid, answer.prepay_id, ctx.keys.merchantPrivateKey, ctx.now());
      return { type: 'jsapi', params: { ...params } };
    }
    default: {
      const never: never = scene;
      throw new ProviderError('invalid_request', 'scene_unsupported', `unknown scene ${String(never)}`);
    }
  }
}

export async function queryTrade(ctx: AdapterContext, ref: TradeRef): Promise<SubTradeStatus[]> {
  const notFound = (): SubTradeStatus[] =>
    ref.subOrders.map((s) => ({ outTradeNo: s.outTradeNo, subMerchantId: s.subMerchantId, state: 'not_found' }));
  try {
    if (!isCombined(ref)) {
      const sub = ref.subOrders[0]!;
      const path = `/v3/pay/partner/transactions/out-trade-no/${encodeURIComponent(sub.outTradeNo)}`;
      const query = { sp_mchid: ctx.config.spMchid, sub_mchid: sub.subMerchantId };
      const tx = (await ctx.http.call<PartnerTransaction>({ method: 'GET', path, query, effect: 'read' })).data;
      return [statusOf(sub, tx.trade_state, tx.transaction_id, tx.amount?.total, tx.success_time)];
    }
    const path = `/v3/combine-transactions/out-trade-no/${encodeURIComponent(ref.groupOutTradeNo)}`;
    const combined = (await ctx.http.call<CombineTransaction>({ method: 'GET', path, effect: 'read' })).data;
    return ref.subOrders.map((sub) => {
      const found = combined.sub_orders.find((o) => o.out_trade_no === sub.outTradeNo);
      if (!found) return { outTradeNo: sub.outTradeNo, subMerchantId: sub.subMerchantId, state: 'not_found' as const };
      return statusOf(sub, found.trade_state, found.transaction_id, found.amount?.total_amount, found.success_time);
    });
  } catch (e) {
    if (isRejection(e, ...NOT_FOUND_CODES)) return notFound();
    throw asProviderError(e);
  }
}

function statusOf(
  sub: TradeRef['subOrders'][number],
  tradeState: PartnerTransaction['trade_state'],
  transactionId: string | undefined,
  amount: number | undefined,
  successTime: string | undefined,
): SubTradeStatus {
  const status: SubTradeStatus = {
    outTradeNo: sub.outTradeNo,
    subMerchantId: sub.subMerchantId,
    state: tradeStateOf(tradeState),
  };
  if (transactionId) status.transactionId = transactionId;
  if (amount !== undefined) status.amountFen = fen(amount);
  const paidAt = parseTime(successTime);
  if (paidAt) status.paidAt = paidAt;
  return status;
}

export async function closeTrade(ctx: AdapterContext, ref: TradeRef): Promise<void> {
  try {
    if (!isCombined(ref)) {
      const sub = ref.subOrders[0]!;
      const path = `/v3/pay/partner/transactions/out-trade-no/${encodeURIComponent(sub.outTradeNo)}/close`;
      const answer = await ctx.http.call({
        method: 'POST',
        path,
        body: { sp_mchid: ctx.config.spMchid, sub_mchid: sub.subMerchantId },
        effect: 'read',
      });
      return refuseWhilePaying(answer.status);
    }
    const body: CombineCloseBody = {
      combine_appid: ctx.config.spAppid,
      sub_orders: ref.subOrders.map((s) => ({
        mchid: ctx.config.spMchid,
        out_trade_no: s.outTradeNo,
        sub_mchid: s.subMerchantId,
      })),
    };
    const path = `/v3/combine-transactions/out-trade-no/${encodeURIComponent(ref.groupOutTradeNo)}/close`;
    refuseWhilePaying((await ctx.http.call({ method: 'POST', path, body, effect: 'read' })).status);
  } catch (e) {
    if (isRejection(e, 'ORDERPAID', 'ORDER_PAID'))
      throw new ProviderError('declined', 'trade_already_paid', e.message, e.code);
    // Closing is idempotent: already closed, or never created, both mean "cannot be paid".
    if (isRejection(e, 'ORDER_CLOSED', ...NOT_FOUND_CODES)) return;
    throw asProviderError(e);
  }
}

/** 202 USERPAYING: the buyer is entering a password right now; the close did not happen. */
function refuseWhilePaying(status: number): void {
  if (status === 202)
    throw new ProviderError('unavailable', 'trade_being_paid', 'the buyer is paying; query, then retry the close');
}
