// 直付通 sub-merchant onboarding: ant.merchant.expand.indirect.zft.create (asynchronous review), then
// ant.merchant.expand.order.query until the application is finished (status 99) and names the smid.
import { ProviderError, type OnboardingInput, type OnboardingStatus } from '../types';
import { unexpectedBusinessFailure, type Gateway } from './gateway';
import { CODE_SUCCESS, METHOD, type MerchantOrderQueryResponse, type MerchantOrderStatus, type ZftCreateResponse } from './wire';

export interface OnboardingContext {
  gateway: Gateway;
}

/** Alipay's MCC for general online retail, used when the category is not itself an MCC code. */
const DEFAULT_MCC = 'B0001';
const MCC_PATTERN = /^[A-Z]\d{4}$/;

export async function submitOnboarding(ctx: OnboardingContext, input: OnboardingInput): Promise<OnboardingStatus> {
  const res = await ctx.gateway<ZftCreateResponse>(METHOD.zftCreate, zftCreateBizContent(input), { kind: 'read' });
  if (res.code === CODE_SUCCESS && res.order_id) return { state: 'auditing', applicationId: res.order_id };
  throw unexpectedBusinessFailure(METHOD.zftCreate, res);
}

/**
 * The fields Hutong has for a merchant, mapped to a personal-merchant (06) application that settles to its bank
 * card. Real applications need more (business licence images, sites, a binding Alipay account): against the real
 * gateway those come from the merchant's profile, which OnboardingInput does not carry yet.
 */
function zftCreateBizContent(input: OnboardingInput): Record<string, unknown> {
  return {
    external_id: input.outRequestNo,
    name: input.merchantName,
    alias_name: input.merchantName,
    merchant_type: '06',
    mcc: MCC_PATTERN.test(input.category) ? input.category : DEFAULT_MCC,
    cert_type: '100',
    cert_no: input.idCardNumber,
    legal_name: input.contactName,
    legal_cert_no: input.idCardNumber,
    contact_infos: [{ name: input.contactName, mobile: input.contactPhone }],
    service: ['当面付', 'wap支付', '电脑支付'],
    biz_cards: [{ account_holder_name: input.contactName, account_no: input.bankAccountNumber, account_type: 'DC', usage_type: '01' }],
  };
}

export async function queryOnboarding(ctx: OnboardingContext, outRequestNo: string): Promise<OnboardingStatus> {
  const res = await ctx.gateway<MerchantOrderQueryResponse>(METHOD.merchantOrderQuery, { external_id: outRequestNo }, { kind: 'read' });
  if (res.code !== CODE_SUCCESS || !res.status) {
    if (res.code !== CODE_SUCCESS) throw new ProviderError('declined', 'onboarding_not_found', 'Alipay has no application with this external_id', res.sub_code);
    throw unexpectedBusinessFailure(METHOD.merchantOrderQuery, res);
  }
  return onboardingStatus(res, res.status);
}

function onboardingStatus(res: MerchantOrderQueryResponse, status: MerchantOrderStatus): OnboardingStatus {
  const base: OnboardingStatus = { state: 'auditing' };
  if (res.order_id) base.applicationId = res.order_id;
  switch (status) {
    case '031':
      return base;
    case '99': {
      const smid = smidOf(res);
      if (!smid) throw new ProviderError('unavailable', 'provider_response_malformed', 'finished application without an smid');
      return { ...base, state: 'finished', subMerchantId: smid };
    }
    case '-1':
      return { ...base, state: 'rejected', rejectReasons: res.reason ? [res.reason] : [] };
    default: {
      const unknown: never = status;
      throw new ProviderError('unavailable', 'provider_unexpected_status', `ant.merchant.expand.order.query: unknown status ${String(unknown)}`);
    }
  }
}

/** The smid is `ip_role_id[0]`, and also inside the ext_info JSON text. */
function smidOf(res: MerchantOrderQueryResponse): string | undefined {
  if (res.ip_role_id?.[0]) return res.ip_role_id[0];
  if (!res.ext_info) return undefined;
  try {
    const ext = JSON.parse(res.ext_info) as { smid?: unknown };
    return typeof ext.smid === 'string' ? ext.smid : undefined;
  } catch {
    return undefined;
  }
}
