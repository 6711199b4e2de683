// WeChat Pay states → Hutong's. Each map is an exhaustive switch: a new provider state fails the type check here,
// and an unknown one at run time is an `unavailable` error (never guessed into a money state).
import { ProviderError, type OnboardingState, type RefundState, type ShareStatus, type TradeState } from '../types';
import type { WireRefundStatus, WireTradeState } from './wire';
import type { WireApplymentState, WireReturnResult, WireShareStatus } from './wire-platform';

function unknownState(what: string, value: unknown): ProviderError {
  return new ProviderError('unavailable', 'unknown_provider_state', `unknown WeChat Pay ${what}: ${String(value)}`);
}

export function tradeStateOf(state: WireTradeState): TradeState {
  switch (state) {
    case 'NOTPAY':
    case 'USERPAYING':
      return 'pending';
    case 'SUCCESS':
      return 'succeeded';
    // REFUND: paid, then (partly or fully) refunded; the money did arrive.
    case 'REFUND':
      return 'refunded';
    case 'CLOSED':
    case 'REVOKED':
    case 'PAYERROR':
      return 'closed';
    default: {
      const never: never = state;
      throw unknownState('trade_state', never);
    }
  }
}

export function refundStateOf(status: WireRefundStatus): Exclude<RefundState, 'not_found'> {
  switch (status) {
    case 'SUCCESS':
      return 'succeeded';
    case 'PROCESSING':
      return 'processing';
    case 'CLOSED':
      return 'closed';
    case 'ABNORMAL':
      return 'abnormal';
    default: {
      const never: never = status;
      throw unknownState('refund status', never);
    }
  }
}

export function shareStateOf(status: WireShareStatus): ShareStatus['state'] {
  switch (status) {
    case 'PROCESSING':
      return 'processing';
    case 'FINISHED':
      return 'finished';
    default: {
      const never: never = status;
      throw unknownState('profit sharing status', never);
    }
  }
}

export function returnStateOf(result: WireReturnResult): 'processing' | 'succeeded' | 'failed' {
  switch (result) {
    case 'PROCESSING':
      return 'processing';
    case 'SUCCESS':
      return 'succeeded';
    case 'FAILED':
      return 'failed';
    default: {
      const never: never = result;
      throw unknownState('return order result', never);
    }
  }
}

/**
 * ACCOUNT_NEED_VERIFY (the merchant must prove its bank account) is still checking from our side. FROZEN has no
 * Hutong state: the application cannot proceed without WeChat Pay's intervention, so it reads as rejected with a
 * reason saying so; CANCELED is canceled.
 */
export function onboardingStateOf(state: WireApplymentState): OnboardingState {
  switch (state) {
    case 'CHECKING':
    case 'ACCOUNT_NEED_VERIFY':
      return 'checking';
    case 'AUDITING':
      return 'auditing';
    case 'NEED_SIGN':
      return 'need_sign';
    case 'FINISH':
      return 'finished';
    case 'REJECTED':
    case 'FROZEN':
      return 'rejected';
    case 'CANCELED':
      return 'canceled';
    default: {
      const never: never = state;
      throw unknownState('applyment_state', never);
    }
  }
}
