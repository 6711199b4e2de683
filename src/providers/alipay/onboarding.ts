// 直付通 sub-merchant onboarding: ant.merchant.expand.indirect.zft.create (asynchronous review), then
// ant.merchant.expand.order.query until the application is finished (status 99) and names the smid.
import {
  ProviderError,
  type MediaUpload,
  type OnboardingInput,
  type OnboardingStatus,
  type SubjectType,
} from '../types';
import { unexpectedBusinessFailure, type Gateway, type Uploader } from './gateway';
import {
  CODE_SUCCESS,
  METHOD,
  type ImageUploadResponse,
  type MerchantOrderQueryResponse,
  type MerchantOrderStatus,
  type ZftCreateResponse,
} from './wire';

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

/** merchant_type and cert_type by legal form: 06 个人商户 (ID card 100), 07 个体工商户 and 01 企业 (licence 201). */
const MERCHANT_TYPE: Record<SubjectType, { merchantType: string; certType: string }> = {
  micro: { merchantType: '06', certType: '100' },
  individual_business: { merchantType: '07', certType: '201' },
  enterprise: { merchantType: '01', certType: '201' },
};

/**
 * The merchant's profile in zft.create's fields. Money settles to the merchant's real-name Alipay account
 * (settle.confirm pays an Alipay account, a card would ignore the freeze), which is also the binding account.
 * QR (当面付), H5 (wap支付) and desktop (电脑支付) are the services Hutong's scenes use; the site is the shop's page.
 */
function zftCreateBizContent(input: OnboardingInput): Record<string, unknown> {
  const type = MERCHANT_TYPE[input.subjectType];
  const person = input.legalPerson;
  const byLicence = input.subjectType !== 'micro' && input.licence;
  const biz: Record<string, unknown> = {
    external_id: input.outRequestNo,
    name: byLicence ? input.licence!.name : input.merchantName,
    alias_name: input.store.name,
    merchant_type: type.merchantType,
    mcc: MCC_PATTERN.test(input.category) ? input.category : DEFAULT_MCC,
    cert_type: type.certType,
    cert_no: byLicence ? input.licence!.number : person.idNumber,
    cert_image: byLicence ? input.licence!.imageId : person.idFrontImageId,
    legal_name: person.name,
    legal_cert_type: '100',
    legal_cert_no: person.idNumber,
    legal_cert_front_image: person.idFrontImageId,
    legal_cert_back_image: person.idBackImageId,
    contact_infos: [{ name: input.contact.name, mobile: input.contact.phone, email: input.contact.email }],
    service: ['当面付', 'wap支付', '电脑支付'],
    sites: [{ site_type: '01', site_url: input.store.url, site_name: input.store.name }],
  };
  if (!byLicence) biz.cert_image_back = person.idBackImageId;
  if (input.subjectType === 'individual_business') biz.cert_name = input.licence!.name;
  if (input.settlement.alipayLogonId) {
    biz.alipay_logon_id = input.settlement.alipayLogonId;
    biz.binding_alipay_logon_id = input.settlement.alipayLogonId;
    biz.default_settle_rule = {
      default_settle_type: 'alipayAccount',
      default_settle_target: input.settlement.alipayLogonId,
    };
  }
  return biz;
}

const IMAGE_TYPES = new Set(['jpg', 'jpeg', 'png', 'bmp', 'gif']);

/** ant.merchant.expand.indirect.image.upload: image_type and the bytes as image_content → image_id. */
export async function uploadImage(ctx: { upload: Uploader }, upload: MediaUpload): Promise<{ mediaId: string }> {
  const imageType = /\.([A-Za-z]+)$/.exec(upload.filename)?.[1]?.toLowerCase() ?? '';
  if (!IMAGE_TYPES.has(imageType))
    throw new ProviderError(
      'invalid_request',
      'image_type_unsupported',
      'Alipay takes bmp, jpg, jpeg, png or gif images',
    );
  const res = await ctx.upload<ImageUploadResponse>(
    METHOD.imageUpload,
    { image_type: imageType },
    'image_content',
    upload,
  );
  if (res.code === CODE_SUCCESS && res.image_id) return { mediaId: res.image_id };
  throw unexpectedBusinessFailure(METHOD.imageUpload, res);
}

export async function queryOnboarding(ctx: OnboardingContext, outRequestNo: string): Promise<OnboardingStatus> {
  const res = await ctx.gateway<MerchantOrderQueryResponse>(
    METHOD.merchantOrderQuery,
    { external_id: outRequestNo },
    { kind: 'read' },
  );
  if (res.code !== CODE_SUCCESS || !res.status) {
    if (res.code !== CODE_SUCCESS)
      throw new ProviderError(
        'declined',
        'onboarding_not_found',
        'Alipay has no application with this external_id',
        res.sub_code,
      );
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
      if (!smid)
        throw new ProviderError('unavailable', 'provider_response_malformed', 'finished application without an smid');
      return { ...base, state: 'finished', subMerchantId: smid };
    }
    case '-1':
      return { ...base, state: 'rejected', rejectReasons: res.reason ? [res.reason] : [] };
    default: {
      const unknown: never = status;
      throw new ProviderError(
        'unavailable',
        'provider_unexpected_status',
        `ant.merchant.expand.order.query: unknown status ${String(unknown)}`,
      );
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
