// WeChat Pay API v3 shapes of the money APIs after payment — 平台收付通 profit sharing (escrow), fund balance,
// bills and 二级商户 onboarding — field names verbatim from the official partner docs. Like wire.ts, nothing
// outside this folder imports this file.
import type { WireFen } from './wire';

// ---- 平台收付通 profit sharing (escrow) ----
export interface EcommerceShareReceiver {
  type: 'MERCHANT_ID' | 'PERSONAL_OPENID';
  receiver_account: string;
  amount: WireFen;
  description: string;
}

export interface EcommerceShareBody {
  appid: string;
  sub_mchid: string;
  transaction_id: string;
  out_order_no: string;
  receivers: EcommerceShareReceiver[];
  finish: boolean;
}

export type WireShareStatus = 'PROCESSING' | 'FINISHED';
export type WireReceiverResult = 'PENDING' | 'SUCCESS' | 'CLOSED';

export interface EcommerceShareOrder {
  sub_mchid: string;
  transaction_id: string;
  out_order_no: string;
  order_id: string;
  status: WireShareStatus;
  receivers?: Array<{
    amount: WireFen;
    description?: string;
    type?: string;
    receiver_account?: string;
    receiver_mchid?: string;
    result: WireReceiverResult;
    fail_reason?: string;
    detail_id?: string;
    finish_time?: string;
  }>;
  finish_amount?: WireFen;
  finish_description?: string;
}

export interface FinishOrderBody {
  sub_mchid: string;
  transaction_id: string;
  out_order_no: string;
  description: string;
}

export interface FinishOrderAnswer {
  sub_mchid: string;
  transaction_id: string;
  out_order_no: string;
  order_id: string;
}

export interface UnsplitAmountAnswer {
  transaction_id: string;
  unsplit_amount: WireFen;
}

export interface ReturnOrderBody {
  sub_mchid: string;
  out_order_no: string;
  out_return_no: string;
  return_mchid: string;
  amount: WireFen;
  description: string;
}

export type WireReturnResult = 'PROCESSING' | 'SUCCESS' | 'FAILED';

export interface ReturnOrderAnswer {
  sub_mchid: string;
  order_id?: string;
  out_order_no: string;
  out_return_no: string;
  return_no?: string;
  return_mchid: string;
  amount: WireFen;
  result: WireReturnResult;
  fail_reason?: string;
  finish_time?: string;
}

export type WireReceiverRelation = 'SUPPLIER' | 'DISTRIBUTOR' | 'SERVICE_PROVIDER' | 'PLATFORM' | 'OTHERS';

export interface AddReceiverBody {
  appid: string;
  type: 'MERCHANT_ID' | 'PERSONAL_OPENID';
  account: string;
  /** MERCHANT_ID: the merchant's full name, in plain text. */
  name?: string;
  /** PERSONAL_OPENID: the person's name, RSA-OAEP encrypted (optional; checked when given). */
  encrypted_name?: string;
  relation_type: WireReceiverRelation;
}

export interface FundBalanceAnswer {
  sub_mchid: string;
  account_type?: string;
  available_amount: WireFen;
  pending_amount: WireFen;
}

// ---- bills ----
export interface BillAnswer {
  hash_type: string;
  hash_value: string;
  download_url: string;
}

// ---- 二级商户 onboarding: /v3/ecommerce/applyments/ ----
export interface ApplymentBody {
  out_request_no: string;
  /** 2401 小微商户, 4 个体工商户, 2 企业. */
  organization_type: '2401' | '4' | '2';
  /** 个体工商户/企业 only. */
  business_license_info?: {
    business_license_copy: string;
    business_license_number: string;
    merchant_name: string;
    legal_person: string;
    company_address?: string;
  };
  id_doc_type: 'IDENTIFICATION_TYPE_MAINLAND_IDCARD';
  id_card_info: {
    id_card_copy: string;
    id_card_national: string;
    id_card_name: string;
    id_card_number: string;
    id_card_valid_time_begin: string;
    /** A date, or 长期. */
    id_card_valid_time: string;
  };
  need_account_info: true;
  account_info: {
    /** 74 对公, 75 对私. */
    bank_account_type: '74' | '75';
    account_bank: string;
    account_name: string;
    bank_address_code?: string;
    account_number: string;
  };
  contact_info: {
    /** 65 经营者/法人. */
    contact_type: '65';
    contact_name: string;
    mobile_phone: string;
    contact_email: string;
  };
  sales_scene_info: { store_name: string; store_url: string };
  merchant_shortname: string;
}

/** POST /v3/merchant/media/upload → the id forms carry in *_copy fields. */
export interface MediaUploadAnswer {
  media_id: string;
}

export interface ApplymentAnswer {
  applyment_id: number | string;
  out_request_no: string;
}

export type WireApplymentState =
  | 'CHECKING'
  | 'ACCOUNT_NEED_VERIFY'
  | 'AUDITING'
  | 'REJECTED'
  | 'NEED_SIGN'
  | 'FINISH'
  | 'FROZEN'
  | 'CANCELED';

export interface ApplymentStatusAnswer {
  applyment_state: WireApplymentState;
  applyment_state_desc?: string;
  sign_state?: string;
  sign_url?: string;
  sub_mchid?: string;
  audit_detail?: Array<{ param_name?: string; reject_reason: string }>;
  legal_validation_url?: string;
  out_request_no: string;
  applyment_id: number | string;
  account_validation?: Record<string, unknown>;
}
