// Refunds, per sub-order (a combined payment's sub-orders are refunded one by one on their own out_trade_no).
// 平台收付通: /v3/ecommerce/refunds/apply, whose answer has no status, so the refund is queried right after.
// 普通服务商: /v3/refund/domestic/refunds, whose answer has the status.
import { fen } from '../../shared/money';
import { ProviderError, type RefundInput, type RefundStatus } from '../types';
import { asProviderError, isRejection } from './client';
import type { AdapterContext } from './context';
import { refundStateOf } from './states';
import type { DomesticRefundBody, EcommerceRefundAnswer, EcommerceRefundBody, RefundRecord } from './wire';

const OUT_REFUND_NO = /^[0-9A-Za-z_\-|*@]{1,64}$/;

export async function refund(ctx: AdapterContext, input: RefundInput): Promise<RefundStatus> {
  if (!OUT_REFUND_NO.test(input.outRefundNo))
    throw new ProviderError(
      'invalid_request',
      'out_refund_no_invalid',
      'out_refund_no must be 1-64 of [0-9A-Za-z_-|*@]',
    );
  if (!Number.isSafeInteger(input.refundFen) || input.refundFen <= 0 || input.refundFen > input.totalFen) {
    throw new ProviderError(
      'invalid_request',
      'refund_amount_invalid',
      'a refund is positive and at most the paid amount',
    );
  }
  try {
    return ctx.config.merchantType === 'ecommerce_platform'
      ? await applyEcommerce(ctx, input)
      : await applyDomestic(ctx, input);
  } catch (e) {
    // More than the frozen, unshared money: unfreeze (finish-order) first, then refund again with the same number.
    if (isRejection(e, 'RULE_LIMIT')) throw new ProviderError('declined', 'refund_needs_unfreeze', e.message, e.code);
    if (isRejection(e, 'NOT_ENOUGH')) throw new ProviderError('declined', 'insufficient_funds', e.message, e.code);
    if (isRejection(e, 'ORDER_NOT_EXIST', 'RESOURCE_NOT_EXISTS', 404))
      throw new ProviderError('invalid_request', 'trade_not_found', e.message, e.code);
    throw asProviderError(e);
  }
}

async function applyEcommerce(ctx: AdapterContext, input: RefundInput): Promise<RefundStatus> {
  const body: EcommerceRefundBody = {
    sub_mchid: input.subMerchantId,
    sp_appid: ctx.config.spAppid,
    out_trade_no: input.outTradeNo,
    out_refund_no: input.outRefundNo,
    amount: { refund: input.refundFen, total: input.totalFen, currency: 'CNY' },
    notify_url: input.notifyUrl,
  };
  if (input.reason) body.reason = input.reason;
  const applied = (
    await ctx.http.call<EcommerceRefundAnswer>({
      method: 'POST',
      path: '/v3/ecommerce/refunds/apply',
      body,
      effect: 'money',
    })
  ).data;
  const accepted: RefundStatus = {
    state: 'processing',
    providerRefundId: applied.refund_id,
    refundFen: fen(applied.amount?.refund ?? input.refundFen),
  };
  try {
    const status = await queryRefund(ctx, input);
    return status.state === 'not_found' ? accepted : status;
  } catch (e) {
    // The refund was accepted; only its status is unknown for now. The notification or a later query will tell.
    if (e instanceof ProviderError && e.kind === 'unavailable') return accepted;
    throw e;
  }
}

async function applyDomestic(ctx: AdapterContext, input: RefundInput): Promise<RefundStatus> {
  const body: DomesticRefundBody = {
    sub_mchid: input.subMerchantId,
    out_trade_no: input.outTradeNo,
    out_refund_no: input.outRefundNo,
    notify_url: input.notifyUrl,
    amount: { refund: input.refundFen, total: input.totalFen, currency: 'CNY' },
  };
  if (input.reason) body.reason = input.reason;
  const record = (
    await ctx.http.call<RefundRecord>({ method: 'POST', path: '/v3/refund/domestic/refunds', body, effect: 'money' })
  ).data;
  return statusOf(record);
}

export async function queryRefund(
  ctx: AdapterContext,
  input: Pick<RefundInput, 'outTradeNo' | 'subMerchantId' | 'outRefundNo'>,
): Promise<RefundStatus> {
  const no = encodeURIComponent(input.outRefundNo);
  const path =
    ctx.config.merchantType === 'ecommerce_platform'
      ? `/v3/ecommerce/refunds/out-refund-no/${no}`
      : `/v3/refund/domestic/refunds/${no}`;
  try {
    const record = (
      await ctx.http.call<RefundRecord>({
        method: 'GET',
        path,
        query: { sub_mchid: input.subMerchantId },
        effect: 'read',
      })
    ).data;
    return statusOf(record);
  } catch (e) {
    if (isRejection(e, 'RESOURCE_NOT_EXISTS', 'ORDER_NOT_EXIST', 404)) return { state: 'not_found' };
    throw asProviderError(e);
  }
}

function statusOf(record: RefundRecord): RefundStatus {
  const status: RefundStatus = { state: refundStateOf(record.status), providerRefundId: record.refund_id };
  if (record.amount?.refund !== undefined) status.refundFen = fen(record.amount.refund);
  return status;
}
