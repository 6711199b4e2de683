// Escrow on 平台收付通: a paid order's money stays frozen in the sub-merchant's account until profit sharing
// shares the commission to the platform and, with `finish: true`, unfreezes the rest (or `finish-order` unfreezes
// without sharing). Sharing is asynchronous and refused until the payment has settled.
import { fen, type Fen } from '../../shared/money';
import {
  ProviderError,
  type EscrowOperations,
  type EscrowTradeRef,
  type ReturnShareInput,
  type ShareInput,
  type ShareStatus,
} from '../types';
import { asProviderError, callStrict, isRejection } from './client';
import type { AdapterContext } from './context';
import { encryptSensitive } from './sign';
import { returnStateOf, shareStateOf } from './states';
import type {
  AddReceiverBody,
  EcommerceShareBody,
  EcommerceShareOrder,
  FinishOrderAnswer,
  FinishOrderBody,
  FundBalanceAnswer,
  ReturnOrderAnswer,
  ReturnOrderBody,
  UnsplitAmountAnswer,
  WireReceiverRelation,
} from './wire-platform';

/** 未结算 / 尚未结算 / 结算中 (not settled), 稍后 (later), or the English gateway's "settle…". */
const NOT_SETTLED_MESSAGE = /结算|稍后|settle/i;

export interface ReceiverInput {
  type: 'MERCHANT_ID' | 'PERSONAL_OPENID';
  account: string;
  relationType: WireReceiverRelation;
  /** MERCHANT_ID: the full name (required by WeChat Pay). PERSONAL_OPENID: the person's name, sent encrypted. */
  name?: string;
}

export interface FundBalance {
  subMerchantId: string;
  availableFen: Fen;
  /** WeChat Pay `pending_amount` (不可用余额): frozen escrow and money not yet settled. */
  pendingFen: Fen;
}

export interface ReturnShareStatus {
  state: 'processing' | 'succeeded' | 'failed';
  amountFen: Fen;
  failReason?: string;
}

export interface WechatpayEscrow extends EscrowOperations {
  addReceiver(input: ReceiverInput): Promise<void>;
  fundBalance(subMerchantId: string): Promise<FundBalance>;
  queryReturnShare(
    input: Pick<ReturnShareInput, 'subMerchantId' | 'outOrderNo' | 'outReturnNo'>,
  ): Promise<ReturnShareStatus>;
}

export function unsupportedForMerchantType(what: string): ProviderError {
  return new ProviderError(
    'invalid_request',
    'not_supported_for_merchant_type',
    `${what} is not available for the service-provider type yet`,
  );
}

export function createEscrow(ctx: AdapterContext): WechatpayEscrow {
  const guard = (what: string) => {
    if (ctx.config.merchantType !== 'ecommerce_platform') throw unsupportedForMerchantType(what);
  };
  const receiverMchid = ctx.config.platformReceiverMchid ?? ctx.config.spMchid;

  /** Share-order answers list receivers; money unfrozen back to the sub-merchant itself is not a share. */
  const statusOf = (order: EcommerceShareOrder): ShareStatus => {
    const shares = (order.receivers ?? []).filter((r) => (r.receiver_account ?? r.receiver_mchid) !== order.sub_mchid);
    const live = shares.filter((r) => r.result !== 'CLOSED');
    const state = shareStateOf(order.status);
    const closed = state === 'finished' && shares.length > 0 && live.length === 0;
    return { state: closed ? 'closed' : state, sharedFen: fen(live.reduce((sum, r) => sum + r.amount, 0)) };
  };

  const queryShare: EscrowOperations['queryShare'] = async (input) => {
    guard('profit sharing');
    const query = {
      sub_mchid: input.subMerchantId,
      transaction_id: input.transactionId,
      out_order_no: input.outOrderNo,
    };
    try {
      return statusOf(
        (
          await ctx.http.call<EcommerceShareOrder>({
            method: 'GET',
            path: '/v3/ecommerce/profitsharing/orders',
            query,
            effect: 'read',
          })
        ).data,
      );
    } catch (e) {
      if (isRejection(e, 'RESOURCE_NOT_EXISTS', 404))
        throw new ProviderError('invalid_request', 'share_not_found', e.message, e.code);
      throw asProviderError(e);
    }
  };

  /**
   * Shares and finish-orders are refused with 400 INVALID_REQUEST until the payment settles; retried later, they
   * succeed. The gateway uses the same code for final refusals too (receiver not added, sharing already finished,
   * order not shareable), and only its message tells them apart, so "not settled" is read off the message.
   */
  const shareRefusal = (e: unknown): ShareStatus => {
    if (isRejection(e, 'INVALID_REQUEST') && NOT_SETTLED_MESSAGE.test(e.message))
      return { state: 'not_settled_yet', sharedFen: fen(0) };
    if (isRejection(e, 'INVALID_REQUEST')) throw new ProviderError('declined', 'share_refused', e.message, e.code);
    if (isRejection(e, 'RULE_LIMIT')) throw new ProviderError('declined', 'share_exceeds_limit', e.message, e.code);
    if (isRejection(e, 'NOT_ENOUGH')) throw new ProviderError('declined', 'share_exceeds_unsplit', e.message, e.code);
    throw asProviderError(e);
  };

  const releaseRemaining: EscrowOperations['releaseRemaining'] = async (input) => {
    guard('finish-order');
    const body: FinishOrderBody = {
      sub_mchid: input.subMerchantId,
      transaction_id: input.transactionId,
      out_order_no: input.outOrderNo,
      description: input.description,
    };
    try {
      await ctx.http.call<FinishOrderAnswer>({
        method: 'POST',
        path: '/v3/ecommerce/profitsharing/finish-order',
        body,
        effect: 'money',
      });
    } catch (e) {
      return shareRefusal(e);
    }
    return queryAfterAccepted(input);
  };

  /** Accepted asynchronously; its state is whatever the query says now, or processing if that is unavailable. */
  const queryAfterAccepted = async (
    input: EscrowTradeRef & { outOrderNo: string },
    requestedFen = 0,
  ): Promise<ShareStatus> => {
    try {
      return await queryShare(input);
    } catch (e) {
      if (e instanceof ProviderError && (e.kind === 'unavailable' || e.code === 'share_not_found'))
        return { state: 'processing', sharedFen: fen(requestedFen) };
      throw e;
    }
  };

  const fundBalance = async (subMerchantId: string): Promise<FundBalance> => {
    guard('fund balance');
    const path = `/v3/ecommerce/fund/balance/${encodeURIComponent(subMerchantId)}`;
    const answer = await callStrict<FundBalanceAnswer>(ctx.http, {
      method: 'GET',
      path,
      query: { account_type: 'BASIC' },
      effect: 'read',
    });
    return { subMerchantId, availableFen: fen(answer.available_amount), pendingFen: fen(answer.pending_amount) };
  };

  return {
    async queryUnsplit(ref: EscrowTradeRef): Promise<Fen> {
      guard('unsplit amount');
      const path = `/v3/ecommerce/profitsharing/orders/${encodeURIComponent(ref.transactionId)}/amounts`;
      return fen(
        (await callStrict<UnsplitAmountAnswer>(ctx.http, { method: 'GET', path, effect: 'read' })).unsplit_amount,
      );
    },

    async shareAndRelease(input: ShareInput): Promise<ShareStatus> {
      guard('profit sharing');
      if (!Number.isSafeInteger(input.commissionFen) || input.commissionFen < 0) {
        throw new ProviderError('invalid_request', 'commission_invalid', 'commission is non-negative fen');
      }
      // WeChat Pay refuses a receiver with amount 0: a zero commission only releases the rest.
      if (input.commissionFen === 0) return releaseRemaining({ ...input, description: input.description });
      const body: EcommerceShareBody = {
        appid: ctx.config.spAppid,
        sub_mchid: input.subMerchantId,
        transaction_id: input.transactionId,
        out_order_no: input.outOrderNo,
        receivers: [
          {
            type: 'MERCHANT_ID',
            receiver_account: receiverMchid,
            amount: input.commissionFen,
            description: input.description,
          },
        ],
        finish: true,
      };
      let order: EcommerceShareOrder;
      try {
        order = (
          await ctx.http.call<EcommerceShareOrder>({
            method: 'POST',
            path: '/v3/ecommerce/profitsharing/orders',
            body,
            effect: 'money',
          })
        ).data;
      } catch (e) {
        return shareRefusal(e);
      }
      return order.status ? statusOf(order) : queryAfterAccepted(input, input.commissionFen);
    },

    queryShare,

    async returnShare(input: ReturnShareInput) {
      guard('return orders');
      const body: ReturnOrderBody = {
        sub_mchid: input.subMerchantId,
        out_order_no: input.outOrderNo,
        out_return_no: input.outReturnNo,
        return_mchid: receiverMchid,
        amount: input.amountFen,
        description: 'refund',
      };
      try {
        const answer = (
          await ctx.http.call<ReturnOrderAnswer>({
            method: 'POST',
            path: '/v3/ecommerce/profitsharing/returnorders',
            body,
            effect: 'money',
          })
        ).data;
        return { state: returnStateOf(answer.result) };
      } catch (e) {
        if (isRejection(e, 'NOT_ENOUGH'))
          throw new ProviderError('declined', 'return_exceeds_shared', e.message, e.code);
        throw asProviderError(e);
      }
    },

    async queryReturnShare(input) {
      guard('return orders');
      const query = {
        sub_mchid: input.subMerchantId,
        out_order_no: input.outOrderNo,
        out_return_no: input.outReturnNo,
      };
      try {
        const answer = (
          await ctx.http.call<ReturnOrderAnswer>({
            method: 'GET',
            path: '/v3/ecommerce/profitsharing/returnorders',
            query,
            effect: 'read',
          })
        ).data;
        const status: ReturnShareStatus = { state: returnStateOf(answer.result), amountFen: fen(answer.amount) };
        if (answer.fail_reason) status.failReason = answer.fail_reason;
        return status;
      } catch (e) {
        if (isRejection(e, 'RESOURCE_NOT_EXISTS', 404))
          throw new ProviderError('invalid_request', 'return_not_found', e.message, e.code);
        throw asProviderError(e);
      }
    },

    releaseRemaining,

    /** The balance API has no "frozen" figure: `pending_amount` (不可用余额) is what escrow keeps frozen. */
    async balance(subMerchantId: string) {
      const b = await fundBalance(subMerchantId);
      return { frozenFen: b.pendingFen, availableFen: b.availableFen };
    },

    fundBalance,

    async ensurePlatformReceiver(name: string): Promise<void> {
      await this.addReceiver({ type: 'MERCHANT_ID', account: receiverMchid, relationType: 'PLATFORM', name });
    },

    async addReceiver(input: ReceiverInput): Promise<void> {
      guard('profit sharing receivers');
      const body: AddReceiverBody = {
        appid: ctx.config.spAppid,
        type: input.type,
        account: input.account,
        relation_type: input.relationType,
      };
      // A merchant receiver's full name goes in plain text; a person's name only encrypted (and then checked).
      const personal = input.type === 'PERSONAL_OPENID';
      if (input.name && personal) body.encrypted_name = encryptSensitive(input.name, ctx.keys.encryption.key);
      if (input.name && !personal) body.name = input.name;
      const path = '/v3/ecommerce/profitsharing/receivers/add';
      await callStrict(ctx.http, {
        method: 'POST',
        path,
        body,
        effect: 'read',
        withSerialHeader: Boolean(body.encrypted_name),
      });
    },
  };
}
