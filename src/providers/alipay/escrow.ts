// 直付通 escrow release. A paid trade waits unsettled in the sub-merchant's account. Release is two calls:
// alipay.trade.settle.confirm (settle to the merchant's default account, frozen for royalty: royalty_freeze), then
// alipay.trade.order.settle paying the commission to the platform (a receiver bound once beforehand) with
// extend_params.royalty_finish releasing the rest. Both are repeat-safe by their out_request_no.
import { fen, type Fen } from '../../shared/money';
import {
  ProviderError,
  type EscrowOperations,
  type EscrowTradeRef,
  type ReturnShareInput,
  type ShareInput,
  type ShareStatus,
} from '../types';
import { fenToYuanString } from './amounts';
import { responseAmount, unexpectedBusinessFailure, type Gateway } from './gateway';
import {
  CODE_SUCCESS,
  METHOD,
  SUB_CODE,
  type CommonResponse,
  type OnsettleQueryResponse,
  type OrderSettleQueryResponse,
  type OrderSettleResponse,
  type RoyaltyDetailState,
  type RoyaltyParameter,
  type RoyaltyRelationBindResponse,
  type SettleConfirmResponse,
} from './wire';

export interface EscrowContext {
  gateway: Gateway;
  /** The platform's Alipay user id (2088…): the royalty receiver. */
  platformUserId: string;
}

/** Alipay request numbers are at most 64 characters; the settle.confirm one adds a 2-character suffix. */
const OUT_ORDER_NO_PATTERN = /^[0-9A-Za-z_]{1,62}$/;

type ShareRequest = EscrowTradeRef & { outOrderNo: string; commissionFen: Fen; description: string };

export function createEscrow(ctx: EscrowContext): EscrowOperations {
  const bindReceiverOnce = onceUntilSuccess(() => bindPlatformReceiver(ctx));
  return {
    queryUnsplit: (ref) => queryUnsettled(ctx, ref),
    ensurePlatformReceiver: () => bindReceiverOnce(),
    shareAndRelease: (input: ShareInput) => settleAndShare(ctx, bindReceiverOnce, input),
    releaseRemaining: (input) => settleAndShare(ctx, bindReceiverOnce, { ...input, commissionFen: fen(0) }),
    queryShare: (input) => queryShare(ctx, input),
    returnShare: (input: ReturnShareInput) => Promise.reject(returnShareInsideRefund(input)),
    balance: () =>
      Promise.reject(
        new ProviderError(
          'invalid_request',
          'balance_not_supported',
          "Alipay has no balance API for 直付通 sub-merchants: sum queryUnsplit over the merchant's unreleased trades",
        ),
      ),
  };
}

/** alipay.trade.order.onsettle.query: what of the trade is still unsettled or unshared. */
async function queryUnsettled(ctx: EscrowContext, ref: EscrowTradeRef): Promise<Fen> {
  const res = await ctx.gateway<OnsettleQueryResponse>(
    METHOD.onsettleQuery,
    { trade_no: ref.transactionId },
    { kind: 'read' },
  );
  if (res.sub_code === SUB_CODE.tradeNotExist)
    throw new ProviderError('declined', 'trade_not_found', 'Alipay has no such trade', res.sub_code);
  if (res.code !== CODE_SUCCESS || res.unsettled_amount === undefined)
    throw unexpectedBusinessFailure(METHOD.onsettleQuery, res);
  return responseAmount(METHOD.onsettleQuery, res.unsettled_amount);
}

async function settleAndShare(
  ctx: EscrowContext,
  bindReceiver: () => Promise<void>,
  input: ShareRequest,
): Promise<ShareStatus> {
  if (!Number.isSafeInteger(input.commissionFen) || input.commissionFen < 0 || input.commissionFen > input.amountFen) {
    throw new ProviderError(
      'invalid_request',
      'invalid_commission',
      'commission must be between 0 and the trade amount',
    );
  }
  if (!OUT_ORDER_NO_PATTERN.test(input.outOrderNo)) {
    throw new ProviderError(
      'invalid_request',
      'invalid_out_order_no',
      'outOrderNo must be 1-62 letters, digits or underscores',
    );
  }
  const unsettled = await queryUnsettled(ctx, input);
  if (input.commissionFen > unsettled) return repeatedShareOrRefusal(ctx, input);
  if (unsettled > 0) {
    const confirmed = await confirmSettlement(ctx, input, unsettled);
    if (confirmed === 'not_settled_yet') return { state: 'not_settled_yet', sharedFen: fen(0) };
  }
  if (input.commissionFen > 0) await bindReceiver();
  return orderSettle(ctx, input);
}

/** The settle.confirm request number, derived so that a retry of the same share repeats the same confirm. */
export function confirmRequestNo(outOrderNo: string): string {
  return `${outOrderNo}_c`;
}

async function confirmSettlement(
  ctx: EscrowContext,
  input: ShareRequest,
  amountFen: Fen,
): Promise<'confirmed' | 'not_settled_yet'> {
  const biz = {
    out_request_no: confirmRequestNo(input.outOrderNo),
    trade_no: input.transactionId,
    settle_info: { settle_detail_infos: [{ trans_in_type: 'defaultSettle', amount: fenToYuanString(amountFen) }] },
    // Settled money stays frozen for the royalty that follows, so the merchant cannot withdraw the commission first.
    extend_params: { royalty_freeze: 'true' },
  };
  const res = await ctx.gateway<SettleConfirmResponse>(METHOD.settleConfirm, biz, { kind: 'money' });
  if (res.code === CODE_SUCCESS) return 'confirmed';
  if (isNotSettledYet(res)) return 'not_settled_yet';
  throw shareFailure(METHOD.settleConfirm, res);
}

/**
 * Less is left than the commission: only a repeat of a share that already went through can succeed, and Alipay
 * answers a repeated out_request_no with the original result. Anything else is refused.
 */
async function repeatedShareOrRefusal(ctx: EscrowContext, input: ShareRequest): Promise<ShareStatus> {
  const res = await ctx.gateway<OrderSettleResponse>(METHOD.orderSettle, orderSettleBizContent(ctx, input), {
    kind: 'money',
  });
  if (res.code === CODE_SUCCESS) return { state: 'finished', sharedFen: input.commissionFen };
  throw new ProviderError(
    'declined',
    'share_exceeds_unsplit',
    'the commission is larger than what the trade still holds',
    res.sub_code,
  );
}

async function orderSettle(ctx: EscrowContext, input: ShareRequest): Promise<ShareStatus> {
  const res = await ctx.gateway<OrderSettleResponse>(METHOD.orderSettle, orderSettleBizContent(ctx, input), {
    kind: 'money',
  });
  if (res.code === CODE_SUCCESS) return { state: 'finished', sharedFen: input.commissionFen };
  if (isNotSettledYet(res)) return { state: 'not_settled_yet', sharedFen: fen(0) };
  throw shareFailure(METHOD.orderSettle, res);
}

function orderSettleBizContent(ctx: EscrowContext, input: ShareRequest): Record<string, unknown> {
  const royalties: RoyaltyParameter[] =
    input.commissionFen > 0
      ? [
          {
            royalty_type: 'transfer',
            trans_in_type: 'userId',
            trans_in: ctx.platformUserId,
            amount: fenToYuanString(input.commissionFen),
            desc: input.description.slice(0, 200),
          },
        ]
      : [];
  return {
    out_request_no: input.outOrderNo,
    trade_no: input.transactionId,
    royalty_parameters: royalties,
    royalty_mode: 'sync',
    // Finish: whatever is not shared by this call is released to the merchant.
    extend_params: { royalty_finish: 'true' },
  };
}

/** ACQ.ILLEGAL_SETTLE_STATE: the payment is still clearing, so nothing can be settled or shared yet; retry later. */
function isNotSettledYet(res: CommonResponse): boolean {
  return res.sub_code === 'ACQ.ILLEGAL_SETTLE_STATE';
}

function shareFailure(method: string, res: CommonResponse): ProviderError {
  switch (res.sub_code) {
    case SUB_CODE.tradeNotExist:
      return new ProviderError('declined', 'trade_not_found', 'Alipay has no such trade', res.sub_code);
    case SUB_CODE.tradeStatusError:
      return new ProviderError('declined', 'trade_not_settleable', 'the trade is not paid, or is closed', res.sub_code);
    case 'ACQ.TRADE_SETTLE_ERROR':
      // Alipay: "the request may or may not have succeeded; repeat it with the same parameters".
      return new ProviderError(
        'outcome_unknown',
        'provider_system_error',
        `${method}: settlement outcome unknown`,
        res.sub_code,
      );
    case 'ACQ.ALLOC_AMOUNT_VALIDATE_ERROR':
      return new ProviderError(
        'declined',
        'share_exceeds_limit',
        'the share exceeds what may be shared from this trade',
        res.sub_code,
      );
    default:
      return unexpectedBusinessFailure(method, res);
  }
}

async function queryShare(
  ctx: EscrowContext,
  input: Pick<ShareInput, 'outOrderNo' | 'outTradeNo' | 'subMerchantId' | 'transactionId'>,
): Promise<ShareStatus> {
  const biz = { out_request_no: input.outOrderNo, trade_no: input.transactionId };
  const res = await ctx.gateway<OrderSettleQueryResponse>(METHOD.orderSettleQuery, biz, { kind: 'read' });
  if (res.code !== CODE_SUCCESS) {
    throw new ProviderError(
      'declined',
      'share_not_found',
      'Alipay has no settle request with this number',
      res.sub_code ?? res.code,
    );
  }
  let sharedFen = fen(0);
  let state: ShareStatus['state'] = 'finished';
  for (const detail of res.royalty_detail_list ?? []) {
    const detailState = royaltyState(detail.state ?? 'PROCESSING');
    if (detailState === 'closed') state = 'closed';
    else if (detailState === 'processing' && state !== 'closed') state = 'processing';
    if (detailState === 'finished' && detail.trans_in === ctx.platformUserId && detail.amount) {
      sharedFen = fen(sharedFen + responseAmount(METHOD.orderSettleQuery, detail.amount));
    }
  }
  return { state, sharedFen };
}

function royaltyState(state: RoyaltyDetailState): 'finished' | 'processing' | 'closed' {
  switch (state) {
    case 'SUCCESS':
      return 'finished';
    case 'PROCESSING':
      return 'processing';
    case 'FAIL':
      return 'closed';
    default: {
      const unknown: never = state;
      throw new ProviderError(
        'unavailable',
        'provider_unexpected_status',
        `settle query: unknown state ${String(unknown)}`,
      );
    }
  }
}

/** alipay.trade.royalty.relation.bind: the platform as a royalty receiver. Binding again is harmless. */
async function bindPlatformReceiver(ctx: EscrowContext): Promise<void> {
  const biz = {
    out_request_no: `bind_${ctx.platformUserId}`,
    receiver_list: [{ type: 'userId', account: ctx.platformUserId, memo: 'platform commission' }],
  };
  const res = await ctx.gateway<RoyaltyRelationBindResponse>(METHOD.royaltyRelationBind, biz, { kind: 'read' });
  if (res.code !== CODE_SUCCESS) throw unexpectedBusinessFailure(METHOD.royaltyRelationBind, res);
}

/** Runs `task` once; a failure is forgotten so the next caller tries again. */
function onceUntilSuccess(task: () => Promise<void>): () => Promise<void> {
  let pending: Promise<void> | undefined;
  return () => {
    pending ??= task().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}

/**
 * Alipay has no call that moves a share back on its own: commission is returned inside the refund, with
 * `refund_royalty_parameters` naming the platform as the payer (trans_out). The Alipay adapter's `refund` takes it
 * as `returnShareFen`. A separate return would otherwise be booked as done while no money moved, so it is refused.
 */
function returnShareInsideRefund(input: ReturnShareInput): ProviderError {
  return new ProviderError(
    'invalid_request',
    'return_share_inside_refund',
    `Alipay returns commission inside the refund: pass returnShareFen=${input.amountFen} to refund() instead`,
  );
}
