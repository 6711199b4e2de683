// 二级商户 onboarding on 平台收付通: POST /v3/ecommerce/applyments/ keyed by our out_request_no (repeating it is
// idempotent), then its state by out-request-no. Sensitive fields are RSA-OAEP encrypted with the WeChat Pay public
// key, whose id goes in the `Wechatpay-Serial` header.
import { createHash } from 'node:crypto';
import { Multipart } from 'wechatpay-axios-plugin';
import {
  ProviderError,
  type MediaUpload,
  type OnboardingInput,
  type OnboardingStatus,
  type SubjectType,
} from '../types';
import { asProviderError, isRejection } from './client';
import type { AdapterContext } from './context';
import { unsupportedForMerchantType } from './escrow';
import { encryptSensitive } from './sign';
import { onboardingStateOf } from './states';
import type { ApplymentAnswer, ApplymentBody, ApplymentStatusAnswer, MediaUploadAnswer } from './wire-platform';

const ORGANIZATION_TYPE: Record<SubjectType, ApplymentBody['organization_type']> = {
  micro: '2401',
  individual_business: '4',
  enterprise: '2',
};

export interface WechatpayOnboardingStatus extends OnboardingStatus {
  /** NEED_SIGN: where the merchant signs the agreement. */
  signUrl?: string;
  /** WeChat Pay's own state word, for support. */
  providerState: string;
}

function guard(ctx: AdapterContext): void {
  if (ctx.config.merchantType !== 'ecommerce_platform') throw unsupportedForMerchantType('onboarding');
}

export async function submitOnboarding(
  ctx: AdapterContext,
  input: OnboardingInput,
): Promise<WechatpayOnboardingStatus> {
  guard(ctx);
  const body = applymentBody(ctx, input);
  try {
    const answer = (
      await ctx.http.call<ApplymentAnswer>({
        method: 'POST',
        path: '/v3/ecommerce/applyments/',
        body,
        effect: 'read',
        withSerialHeader: true,
      })
    ).data;
    return { state: 'checking', applicationId: String(answer.applyment_id), providerState: 'CHECKING' };
  } catch (e) {
    throw asProviderError(e);
  }
}

/** The merchant's profile in the applyment's fields; names, ID and account numbers, phone and email encrypted. */
function applymentBody(ctx: AdapterContext, input: OnboardingInput): ApplymentBody {
  const seal = (plain: string) => encryptSensitive(plain, ctx.keys.encryption.key);
  const person = input.legalPerson;
  const bank = input.settlement.bank;
  if (!bank)
    throw new ProviderError(
      'invalid_request',
      'onboarding_incomplete',
      'a 二级商户 application needs the settlement bank account',
    );
  const body: ApplymentBody = {
    out_request_no: input.outRequestNo,
    organization_type: ORGANIZATION_TYPE[input.subjectType],
    id_doc_type: 'IDENTIFICATION_TYPE_MAINLAND_IDCARD',
    id_card_info: {
      id_card_copy: person.idFrontImageId,
      id_card_national: person.idBackImageId,
      id_card_name: seal(person.name),
      id_card_number: seal(person.idNumber),
      id_card_valid_time_begin: person.idValidFrom,
      id_card_valid_time: person.idValidTo === 'long' ? '长期' : person.idValidTo,
    },
    need_account_info: true,
    account_info: {
      bank_account_type: bank.accountType === 'corporate' ? '74' : '75',
      account_bank: bank.bankName,
      account_name: seal(bank.accountName),
      account_number: seal(bank.accountNumber),
    },
    contact_info: {
      contact_type: '65',
      contact_name: seal(input.contact.name),
      mobile_phone: seal(input.contact.phone),
      contact_email: seal(input.contact.email),
    },
    sales_scene_info: { store_name: input.store.name, store_url: input.store.url },
    merchant_shortname: input.store.name,
  };
  if (bank.regionCode) body.account_info.bank_address_code = bank.regionCode;
  if (input.subjectType !== 'micro' && input.licence) {
    body.business_license_info = {
      business_license_copy: input.licence.imageId,
      business_license_number: input.licence.number,
      merchant_name: input.licence.name,
      legal_person: person.name,
      ...(input.licence.address ? { company_address: input.licence.address } : {}),
    };
  }
  return body;
}

const IMAGE_EXTENSIONS = new Set(['jpg', 'jpeg', 'png', 'bmp']);
/** WeChat Pay's limit for one image. */
export const MEDIA_BYTES_MAX = 2 * 1024 * 1024;

/**
 * POST /v3/merchant/media/upload, multipart/form-data with `meta` ({ filename, sha256 }) and `file`. The request
 * signature covers the `meta` JSON, not the file: the plugin signs `JSON.stringify(form)`, which is the meta.
 */
export async function uploadImage(ctx: AdapterContext, upload: MediaUpload): Promise<{ mediaId: string }> {
  const extension = /\.([A-Za-z]+)$/.exec(upload.filename)?.[1]?.toLowerCase() ?? '';
  if (!IMAGE_EXTENSIONS.has(extension))
    throw new ProviderError('invalid_request', 'image_type_unsupported', 'WeChat Pay takes jpg, png or bmp images');
  if (upload.content.length > MEDIA_BYTES_MAX)
    throw new ProviderError('invalid_request', 'image_too_large', 'WeChat Pay takes images up to 2 MB');
  const meta = { filename: upload.filename, sha256: createHash('sha256').update(upload.content).digest('hex') };
  const form = new Multipart().append('meta', JSON.stringify(meta)).append('file', upload.content, upload.filename);
  try {
    const answer = await ctx.http.call<MediaUploadAnswer>({
      method: 'POST',
      path: '/v3/merchant/media/upload',
      body: form,
      effect: 'read',
      headers: form.getHeaders() as Record<string, string>,
    });
    return { mediaId: answer.data.media_id };
  } catch (e) {
    throw asProviderError(e);
  }
}

export async function queryOnboarding(ctx: AdapterContext, outRequestNo: string): Promise<WechatpayOnboardingStatus> {
  guard(ctx);
  const path = `/v3/ecommerce/applyments/out-request-no/${encodeURIComponent(outRequestNo)}`;
  let answer: ApplymentStatusAnswer;
  try {
    answer = (await ctx.http.call<ApplymentStatusAnswer>({ method: 'GET', path, effect: 'read' })).data;
  } catch (e) {
    if (isRejection(e, 'RESOURCE_NOT_EXISTS', 404))
      throw new ProviderError('invalid_request', 'applyment_not_found', e.message, e.code);
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
  if (answer.applyment_state === 'FROZEN')
    return [`FROZEN: ${answer.applyment_state_desc ?? 'application frozen by WeChat Pay'}`];
  if (answer.applyment_state !== 'REJECTED') return [];
  const details = (answer.audit_detail ?? []).map((d) =>
    d.param_name ? `${d.param_name}: ${d.reject_reason}` : d.reject_reason,
  );
  return details.length > 0 ? details : [answer.applyment_state_desc ?? 'rejected'];
}
