// Query, close, refund and refund query, each on one sub-order's out_trade_no (merged payments included: Alipay
// queries, closes and refunds every sub-order on its own).
import type { Fen } from '../../shared/money';
import {
  ProviderError,
  type RefundInput,
  type RefundStatus,
  type SubTradeStatus,
  type TradeRef,
  type TradeState,
} from '../types';
import { ALIPAY_AMOUNT_FEN_MAX, fenToYuanString } from './amounts';
import { responseAmount, unexpectedBusinessFailure, type Gateway } from './gateway';
import { parseBeijingTime } from './time';
import {
  CODE_SUCCESS,
  METHOD,
  SUB_CODE,
  type CommonResponse,
  type RefundQueryResponse,
  type RefundQueryStatus,
  type RefundResponse,
  type RoyaltyParameter,
  type TradeQueryResponse,
  type TradeStatus,
} from './wire';

/**
 * Alipay returns shared commission only inside the refund itself (`refund_royalty_parameters`): there is no separate
 * "return share" call. `returnShareFen` (part of every RefundInput) is the commission given back with this refund.
 */
export type AlipayRefundInput = RefundInput;

export interface TradeVerbsContext {
  gateway: Gateway;
  /** The platform's Alipay user id: the royalty receiver that gives commission back on a refund. */
  platformUserId: string;
}

export async function queryTrade(ctx: TradeVerbsContext, ref: TradeRef): Promise<SubTradeStatus[]> {
  const statuses: SubTradeStatus[] = [];
  for (const order of ref.subOrders) {
    statuses.push(await querySubTrade(ctx, order.outTradeNo, order.subMerchantId));
  }
  return statuses;
}

async function querySubTrade(
  ctx: TradeVerbsContext,
  outTradeNo: string,
  subMerchantId: string,
): Promise<SubTradeStatus> {
  const res = await ctx.gateway<TradeQueryResponse>(METHOD.query, { out_trade_no: outTradeNo }, { kind: 'read' });
  // An unscanned precreate does not exist at Alipay yet: not paid, and still payable until it expires.
  if (res.sub_code === SUB_CODE.tradeNotExist) return { outTradeNo, subMerchantId, state: 'not_found' };
  if (res.code !== CODE_SUCCESS || !res.trade_status) throw unexpectedBusinessFailure(METHOD.query, res);
  const status: SubTradeStatus = { outTradeNo, subMerchantId, state: tradeState(res.trade_status, res.send_pay_date) };
  if (res.trade_no) status.transactionId = res.trade_no;
  if (res.total_amount) status.amountFen = responseAmount(METHOD.query, res.total_amount);
  const paidAt = res.send_pay_date ? parseBeijingTime(res.send_pay_date) : undefined;
  if (paidAt) status.paidAt = paidAt;
  return status;
}

/** TRADE_CLOSED means "closed unpaid" or "paid, then fully refunded"; only a paid trade has a send_pay_date. */
export function tradeState(status: TradeStatus, sendPayDate: string | undefined): TradeState {
  switch (status) {
    case 'WAIT_BUYER_PAY':
      return 'pending';
    case 'TRADE_SUCCESS':
    case 'TRADE_FINISHED':
      return 'succeeded';
    case 'TRADE_CLOSED':
      return sendPayDate ? 'refunded' : 'closed';
    default: {
      const unknown: never = status;
      throw new ProviderError(
        'unavailable',
        'provider_unexpected_status',
        `alipay.trade.query: unknown trade_status ${String(unknown)}`,
      );
    }
  }
}

export async function closeTrade(ctx: TradeVerbsContext, ref: TradeRef): Promise<void> {
  for (const order of ref.subOrders) await closeSubTrade(ctx, order.outTradeNo, order.subMerchantId);
}

async function closeSubTrade(ctx: TradeVerbsContext, outTradeNo: string, subMerchantId: string): Promise<void> {
  const res = await ctx.gateway<CommonResponse>(METHOD.close, { out_trade_no: outTradeNo }, { kind: 'read' });
  if (res.code === CODE_SUCCESS) return;
  switch (res.sub_code) {
    case SUB_CODE.tradeNotExist: // never scanned: nothing to close (the QR stays payable until it expires)
    case SUB_CODE.tradeHasClose:
      return;
    case SUB_CODE.tradeHasSuccess:
    case SUB_CODE.tradeHasFinished:
      throw alreadyPaid(res.sub_code);
    case SUB_CODE.tradeStatusError: {
      // "Not WAIT_BUYER_PAY": closed already, or paid. Only the trade itself can say which.
      const status = await querySubTrade(ctx, outTradeNo, subMerchantId);
      if (status.state === 'closed' || status.state === 'not_found') return;
      throw alreadyPaid(res.sub_code);
    }
    default:
      throw unexpectedBusinessFailure(METHOD.close, res);
  }
}

function alreadyPaid(providerCode: string): ProviderError {
  return new ProviderError(
    'declined',
    'trade_already_paid',
    'the buyer has paid this trade: it cannot be closed',
    providerCode,
  );
}

export async function refund(ctx: TradeVerbsContext, input: AlipayRefundInput): Promise<RefundStatus> {
  checkRefundInput(input);
  const biz: Record<string, unknown> = {
    out_trade_no: input.outTradeNo,
    refund_amount: fenToYuanString(input.refundFen),
    out_request_no: input.outRefundNo,
  };
  if (input.reason) biz.refund_reason = input.reason.slice(0, 256);
  if (input.returnShareFen && input.returnShareFen > 0) {
    const royalty: RoyaltyParameter = {
      royalty_type: 'transfer',
      trans_out_type: 'userId',
      trans_out: ctx.platformUserId,
      amount: fenToYuanString(input.returnShareFen),
    };
    biz.refund_royalty_parameters = [royalty];
  }
  const res = await ctx.gateway<RefundResponse>(METHOD.refund, biz, { kind: 'money' });
  if (res.code === CODE_SUCCESS) {
    // fund_change N: no money moved by *this* call (a repeated out_request_no, or not done yet): ask the refund.
    if (res.fund_change === 'Y') return { state: 'succeeded', refundFen: input.refundFen };
    const status = await queryRefund(ctx, input);
    // The gateway accepted the request (10000), so it exists even if the query cannot see it yet.
    return status.state === 'not_found' ? { state: 'processing' } : status;
  }
  throw refundFailure(res);
}

function checkRefundInput(input: AlipayRefundInput): void {
  if (!Number.isSafeInteger(input.refundFen) || input.refundFen < 1 || input.refundFen > ALIPAY_AMOUNT_FEN_MAX) {
    throw new ProviderError('invalid_request', 'amount_out_of_range', 'a refund is 0.01 yuan or more');
  }
  if (input.refundFen > input.totalFen) {
    throw new ProviderError('declined', 'refund_exceeds_remaining', 'a refund cannot exceed the paid amount');
  }
  if (!/^[0-9A-Za-z_]{1,64}$/.test(input.outRefundNo)) {
    throw new ProviderError(
      'invalid_request',
      'invalid_out_refund_no',
      'outRefundNo must be 1-64 letters, digits or underscores',
    );
  }
}

function refundFailure(res: RefundResponse): ProviderError {
  switch (res.sub_code) {
    case SUB_CODE.refundAmountExceeded:
      return new ProviderError(
        'declined',
        'refund_exceeds_remaining',
        'the refund is larger than what is left to refund',
        res.sub_code,
      );
    case SUB_CODE.tradeNotExist:
      return new ProviderError('declined', 'trade_not_found', 'Alipay has no such paid trade', res.sub_code);
    case SUB_CODE.tradeStatusError:
    case SUB_CODE.tradeHasClose:
    case SUB_CODE.tradeHasFinished:
      return new ProviderError(
        'declined',
        'trade_not_refundable',
        'the trade is not in a refundable state',
        res.sub_code,
      );
    case SUB_CODE.sellerBalanceNotEnough:
      return new ProviderError(
        'declined',
        'merchant_balance_insufficient',
        'the sub-merchant balance cannot cover the refund',
        res.sub_code,
      );
    default:
      return unexpectedBusinessFailure(METHOD.refund, res);
  }
}

export async function queryRefund(
  ctx: TradeVerbsContext,
  input: Pick<RefundInput, 'outTradeNo' | 'subMerchantId' | 'outRefundNo'>,
): Promise<RefundStatus> {
  const biz = { out_trade_no: input.outTradeNo, out_request_no: input.outRefundNo };
  const res = await ctx.gateway<RefundQueryResponse>(METHOD.refundQuery, biz, { kind: 'read' });
  if (res.sub_code === SUB_CODE.tradeNotExist) return { state: 'not_found' };
  if (res.code !== CODE_SUCCESS) throw unexpectedBusinessFailure(METHOD.refundQuery, res);
  // Alipay: "no refund_status means the request was not received or did not succeed".
  if (res.refund_status === undefined) return { state: 'not_found' };
  const status: RefundStatus = { state: refundState(res.refund_status) };
  if (res.refund_amount) status.refundFen = responseAmount(METHOD.refundQuery, res.refund_amount);
  return status;
}

function refundState(status: RefundQueryStatus): RefundStatus['state'] {
  switch (status) {
    case 'REFUND_SUCCESS':
      return 'succeeded';
    default: {
      const unknown: never = status;
      throw new ProviderError(
        'unavailable',
        'provider_unexpected_status',
        `refund query: unknown refund_status ${String(unknown)}`,
      );
    }
  }
}
