// WeChat Pay API v3 shapes, field names verbatim from the official partner docs (平台收付通 and 普通服务商).
// Nothing outside this folder imports this file: the adapter maps these to Hutong's types in one place.

/** Amounts on this wire are integer fen. */
export type WireFen = number;

export interface WireError {
  code: string;
  message: string;
}

// ---- partner payments: /v3/pay/partner/transactions/{native|jsapi|h5} ----
export interface PartnerPrepayBody {
  sp_appid: string;
  sp_mchid: string;
  sub_mchid: string;
  description: string;
  out_trade_no: string;
  time_expire: string;
  notify_url: string;
  amount: { total: WireFen; currency: 'CNY' };
  settle_info: { profit_sharing: boolean };
  payer?: { sp_openid: string };
  scene_info?: { payer_client_ip: string; h5_info?: { type: 'Wap' } };
}

export interface NativeAnswer {
  code_url: string;
}
export interface JsapiAnswer {
  prepay_id: string;
}
export interface H5Answer {
  h5_url: string;
}

export type WireTradeState = 'SUCCESS' | 'REFUND' | 'NOTPAY' | 'CLOSED' | 'REVOKED' | 'USERPAYING' | 'PAYERROR';

/** A partner transaction, as queried and as the plaintext of a TRANSACTION.SUCCESS notification. */
export interface PartnerTransaction {
  sp_appid: string;
  sp_mchid: string;
  sub_appid?: string;
  sub_mchid: string;
  out_trade_no: string;
  transaction_id?: string;
  trade_type?: string;
  trade_state: WireTradeState;
  trade_state_desc?: string;
  success_time?: string;
  attach?: string;
  amount?: { total: WireFen; payer_total?: WireFen; currency?: string; payer_currency?: string };
  payer?: { sp_openid?: string; sub_openid?: string };
}

// ---- combined payment (合单): /v3/combine-transactions/{native|jsapi|h5} ----
export interface CombineSubOrderBody {
  mchid: string;
  sub_mchid: string;
  attach: string;
  amount: { total_amount: WireFen; currency: 'CNY' };
  out_trade_no: string;
  description: string;
  settle_info: { profit_sharing: boolean };
}

export interface CombinePrepayBody {
  combine_appid: string;
  combine_mchid: string;
  combine_out_trade_no: string;
  scene_info: { payer_client_ip: string; h5_info?: { type: 'Wap' } };
  sub_orders: CombineSubOrderBody[];
  combine_payer_info?: { openid: string };
  time_expire: string;
  notify_url: string;
}

export interface CombineSubOrder {
  mchid: string;
  sub_mchid: string;
  out_trade_no: string;
  trade_state: WireTradeState;
  transaction_id?: string;
  success_time?: string;
  attach?: string;
  trade_type?: string;
  amount?: { total_amount: WireFen; payer_amount?: WireFen; currency?: string; payer_currency?: string };
}

/** A combined order, as queried and as the plaintext of its TRANSACTION.SUCCESS notification. */
export interface CombineTransaction {
  combine_appid: string;
  combine_mchid: string;
  combine_out_trade_no: string;
  sub_orders: CombineSubOrder[];
  combine_payer_info?: { openid?: string };
}

export interface CombineCloseBody {
  combine_appid: string;
  sub_orders: Array<{ mchid: string; out_trade_no: string; sub_mchid: string }>;
}

// ---- refunds ----
export interface RefundAmountBody {
  refund: WireFen;
  total: WireFen;
  currency: 'CNY';
}

/** 平台收付通 `POST /v3/ecommerce/refunds/apply`. */
export interface EcommerceRefundBody {
  sub_mchid: string;
  sp_appid: string;
  out_trade_no?: string;
  transaction_id?: string;
  out_refund_no: string;
  reason?: string;
  amount: RefundAmountBody;
  notify_url: string;
}

/** The apply answer carries no status; the query does. */
export interface EcommerceRefundAnswer {
  refund_id: string;
  out_refund_no: string;
  create_time?: string;
  amount?: { refund: WireFen; payer_refund?: WireFen; currency?: string };
}

/** 普通服务商 `POST /v3/refund/domestic/refunds`. */
export interface DomesticRefundBody {
  sub_mchid: string;
  out_trade_no?: string;
  transaction_id?: string;
  out_refund_no: string;
  reason?: string;
  notify_url: string;
  amount: RefundAmountBody;
}

export type WireRefundStatus = 'SUCCESS' | 'CLOSED' | 'PROCESSING' | 'ABNORMAL';

/** The refund query of either type (ecommerce query and domestic apply/query share these fields). */
export interface RefundRecord {
  refund_id: string;
  out_refund_no: string;
  transaction_id?: string;
  out_trade_no?: string;
  status: WireRefundStatus;
  success_time?: string;
  create_time?: string;
  amount?: { refund: WireFen; total?: WireFen; payer_refund?: WireFen; currency?: string };
}

/** Plaintext of a REFUND.* notification. */
export interface RefundNotice {
  sp_mchid: string;
  sub_mchid: string;
  out_trade_no: string;
  transaction_id?: string;
  out_refund_no: string;
  refund_id: string;
  refund_status: WireRefundStatus;
  success_time?: string;
  amount: { total?: WireFen; refund: WireFen; payer_total?: WireFen; payer_refund?: WireFen };
}

// ---- notifications ----
export interface NotificationEnvelope {
  id: string;
  create_time: string;
  event_type: string;
  resource_type: string;
  summary?: string;
  resource: EncryptedResource;
}

export interface EncryptedResource {
  algorithm: string;
  ciphertext: string;
  associated_data?: string;
  nonce: string;
  original_type?: string;
}
