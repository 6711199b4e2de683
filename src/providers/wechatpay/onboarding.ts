// 二级商户 onboarding on 平台收付通: POST /v3/ecommerce/applyments/ keyed by our out_request_no (repeating it is
// idempotent), then its state by out-request-no. Sensitive fields are RSA-OAEP encrypted with the WeChat Pay public
// key, whose id goes in the `Wechatpay-Serial` header.
import { ProviderError, type OnboardingInput, type OnboardingStatus } from '../types';
import { asProviderError, isRejection } from './client';
import type { AdapterContext } from './context';
import { unsupportedForMerchantType } from './escrow';
import { encryptSensitive } from './sign';
import { onboardingStateOf } from './states';
import type { ApplymentAnswer, ApplymentBody, ApplymentStatusAnswer } from './wire-platform';

/** 小微商户 (an individual seller): the only organization type Hutong's onboarding input describes. */
const ORGANIZATION_TYPE_MICRO = '2401';

/**
 * Fields the real gateway requires for a 小微 applyment that Hutong's generic input lacks (ID card images uploaded
 * through the media API, validity dates, the bank and its region code). Left out when not given; the real gateway
 * then answers PARAM_ERROR, which surfaces as invalid_request.
 */
export interface WechatpayOnboardingExtras {
  idCardCopyMediaId?: string;
  idCardNationalMediaId?: string;
  idCardValidFrom?: string;
  idCardValidTo?: string;
  accountBank?: string;
  bankAddressCode?: string;
  contactEmail?: string;
  storeUrl?: string;
}

export type WechatpayOnboardingInput = OnboardingInput & WechatpayOnboardingExtras;

export interface WechatpayOnboardingStatus extends OnboardingStatus {
  /** NEED_SIGN: where the merchant signs the agreement. */
  signUrl?: string;
  /** WeChat Pay's own state word, for support. */
  providerState: string;
}

function guard(ctx: AdapterContext): void {
  if (ctx.config.merchantType !== 'ecommerce_platform') throw unsupportedForMerchantType('onboarding');
}

export async function submitOnboarding(ctx: AdapterContext, input: WechatpayOnboardingInput): Promise<WechatpayOnboardingStatus> {
  guard(ctx);
  const body = applymentBody(ctx, input);
  try {
    const answer = (
      await ctx.http.call<ApplymentAnswer>({ method: 'POST', path: '/v3/ecommerce/applyments/', body, effect: 'read', withSerialHeader: true })
    ).data;
    return { state: 'checking', applicationId: String(answer.applyment_id), providerState: 'CHECKING' };
  } catch (e) {
    throw asProviderError(e);
  }
}

function applymentBody(ctx: AdapterContext, input: WechatpayOnboardingInput): ApplymentBody {
  const seal = (plain: string) => encryptSensitive(plain, ctx.keys.encryption.key);
  const body: ApplymentBody = {
    out_request_no: input.outRequestNo,
    organization_type: ORGANIZATION_TYPE_MICRO,
    id_doc_type: 'IDENTIFICATION_TYPE_MAINLAND_IDCARD',
    id_card_info: { id_card_name: seal(input.contactName), id_card_number: seal(input.idCardNumber) },
    need_account_info: true,
    account_info: { bank_account_type: '75', account_name: seal(input.contactName), account_number: seal(input.bankAccountNumber) },
    contact_info: { contact_type: '65', contact_name: seal(input.contactName), mobile_phone: seal(input.contactPhone) },
    sales_scene_info: { store_name: input.merchantName },
    merchant_shortname: input.merchantName,
  };
  if (input.idCardCopyMediaId) body.id_card_info.id_card_copy = input.idCardCopyMediaId;
  if (input.idCardNationalMediaId) body.id_card_info.id_card_national = input.idCardNationalMediaId;
  if (input.idCardValidFrom) body.id_card_info.id_card_valid_time_begin = input.idCardValidFrom;
  if (input.idCardValidTo) body.id_card_info.id_card_valid_time = input.idCardValidTo;
  if (input.accountBank) body.account_info.account_bank = input.accountBank;
  if (input.bankAddressCode) body.account_info.bank_address_code = input.bankAddressCode;
  if (input.contactEmail) body.contact_info.contact_email = seal(input.contactEmail);
  if (input.storeUrl) body.sales_scene_info.store_url = input.storeUrl;
  return body;
}

export async function queryOnboarding(ctx: AdapterContext, outRequestNo: string): Promise<WechatpayOnboardingStatus> {
  guard(ctx);
  const path = `/v3/ecommerce/applyments/out-request-no/${encodeURIComponent(outRequestNo)}`;
  let answer: ApplymentStatusAnswer;
  try {
    answer = (await ctx.http.call<ApplymentStatusAnswer>({ method: 'GET', path, effect: 'read' })).data;
  } catch (e) {
    if (isRejection(e, 'RESOURCE_NOT_EXISTS', 404)) throw new ProviderError('invalid_request', 'applyment_not_found', e.message, e.code);
    throw asProviderError(e);
  }
  const status: WechatpayOnboardingStatus = {
    state: onboardingStateOf(answer.applyment_state),
    applicationId: String(answer.applyment_id),
    providerState: answer.applyment_state,
  };
  if (answer.applyment_state === 'FINISH' && answer.sub_mchid) status.subMerchantId = answer.sub_mchid;
  if (answer.sign_url) status.signUrl = answer.sign_url;
  const reasons = rejectReasons(answer);
  if (reasons.length > 0) status.rejectReasons = reasons;
  return status;
}

function rejectReasons(answer: ApplymentStatusAnswer): string[] {
  if (answer.applyment_state === 'FROZEN') return [`FROZEN: ${answer.applyment_state_desc ?? 'application frozen by WeChat Pay'}`];
  if (answer.applyment_state !== 'REJECTED') return [];
  const details = (answer.audit_detail ?? []).map((d) => (d.param_name ? `${d.param_name}: ${d.reject_reason}` : d.reject_reason));
  return details.length > 0 ? details : [answer.applyment_state_desc ?? 'rejected'];
}
