// Alipay's own names, verbatim (https://opendocs.alipay.com/apis). Only this folder imports this file: the rest of
// Hutong sees Fen, TradeState and the other types of ../types.ts. The SDK runs with `camelcase: false`, so responses
// keep these snake_case names.
import type { YuanString } from './amounts';

export const METHOD = {
  precreate: 'alipay.trade.precreate',
  pagePay: 'alipay.trade.page.pay',
  wapPay: 'alipay.trade.wap.pay',
  mergePrecreate: 'alipay.trade.merge.precreate',
  wapMergePay: 'alipay.trade.wap.merge.pay',
  query: 'alipay.trade.query',
  close: 'alipay.trade.close',
  refund: 'alipay.trade.refund',
  refundQuery: 'alipay.trade.fastpay.refund.query',
  billDownloadUrl: 'alipay.data.dataservice.bill.downloadurl.query',
  zftCreate: 'ant.merchant.expand.indirect.zft.create',
  merchantOrderQuery: 'ant.merchant.expand.order.query',
  imageUpload: 'ant.merchant.expand.indirect.image.upload',
  settleConfirm: 'alipay.trade.settle.confirm',
  orderSettle: 'alipay.trade.order.settle',
  orderSettleQuery: 'alipay.trade.order.settle.query',
  onsettleQuery: 'alipay.trade.order.onsettle.query',
  royaltyRelationBind: 'alipay.trade.royalty.relation.bind',
} as const;
export type AlipayMethod = (typeof METHOD)[keyof typeof METHOD];

/** Every `<method>_response` carries these. 10000 success, 20000 unavailable, 4000x request/business errors. */
export interface CommonResponse {
  code: string;
  msg: string;
  sub_code?: string;
  sub_msg?: string;
}

export const CODE_SUCCESS = '10000';
export const CODE_BUSINESS_FAILED = '40004';

export const SUB_CODE = {
  tradeNotExist: 'ACQ.TRADE_NOT_EXIST',
  tradeHasSuccess: 'ACQ.TRADE_HAS_SUCCESS',
  tradeHasClose: 'ACQ.TRADE_HAS_CLOSE',
  tradeHasFinished: 'ACQ.TRADE_HAS_FINISHED',
  tradeStatusError: 'ACQ.TRADE_STATUS_ERROR',
  refundAmountExceeded: 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL',
  sellerBalanceNotEnough: 'ACQ.SELLER_BALANCE_NOT_ENOUGH',
  systemError: 'ACQ.SYSTEM_ERROR',
} as const;

// ---- requests -------------------------------------------------------------------------------------------------

export interface SubMerchant {
  merchant_id: string;
}

/** 直付通: settle later, to the sub-merchant's default settlement account, and by itself after the period. */
export interface SettleInfo {
  settle_detail_infos: Array<{ trans_in_type: 'defaultSettle'; amount: YuanString }>;
  settle_period_time: string;
}

export interface TradeBizContent {
  out_trade_no: string;
  total_amount: YuanString;
  subject: string;
  product_code?: 'FACE_TO_FACE_PAYMENT' | 'FAST_INSTANT_TRADE_PAY' | 'QUICK_WAP_WAY';
  time_expire: string;
  sub_merchant: SubMerchant;
  settle_info: SettleInfo;
}

export interface MergeOrderDetail extends TradeBizContent {
  app_id: string;
}

export interface MergePrecreateBizContent {
  out_merge_no: string;
  time_expire: string;
  order_details: MergeOrderDetail[];
}

/** One royalty line: to the platform (`userId` = its 2088… user id). */
export interface RoyaltyParameter {
  royalty_type: 'transfer';
  trans_in_type?: 'userId';
  trans_in?: string;
  trans_out_type?: 'userId';
  trans_out?: string;
  amount: YuanString;
  desc?: string;
}

// ---- responses ------------------------------------------------------------------------------------------------

export interface PrecreateResponse extends CommonResponse {
  out_trade_no?: string;
  qr_code?: string;
}

export interface MergePrecreateResponse extends CommonResponse {
  out_merge_no?: string;
  pre_order_no?: string;
}

export type TradeStatus = 'WAIT_BUYER_PAY' | 'TRADE_CLOSED' | 'TRADE_SUCCESS' | 'TRADE_FINISHED';

export interface TradeQueryResponse extends CommonResponse {
  trade_no?: string;
  out_trade_no?: string;
  trade_status?: TradeStatus;
  total_amount?: string;
  send_pay_date?: string;
}

export interface RefundResponse extends CommonResponse {
  trade_no?: string;
  out_trade_no?: string;
  fund_change?: 'Y' | 'N';
  /** Cumulative: everything refunded on the trade so far. */
  refund_fee?: string;
}

export type RefundQueryStatus = 'REFUND_SUCCESS';

export interface RefundQueryResponse extends CommonResponse {
  trade_no?: string;
  out_trade_no?: string;
  out_request_no?: string;
  /** Absent when the request is unknown or did not succeed. */
  refund_status?: RefundQueryStatus;
  /** This request's amount. */
  refund_amount?: string;
  total_amount?: string;
}

export interface BillDownloadUrlResponse extends CommonResponse {
  bill_download_url?: string;
}

export interface ZftCreateResponse extends CommonResponse {
  order_id?: string;
  external_id?: string;
}

export interface ImageUploadResponse extends CommonResponse {
  /** The key forms carry in cert_image, legal_cert_front_image, legal_cert_back_image. */
  image_id?: string;
}

/** 031 submitted for review, 99 finished, -1 failed. */
export type MerchantOrderStatus = '031' | '99' | '-1';

export interface MerchantOrderQueryResponse extends CommonResponse {
  order_id?: string;
  external_id?: string;
  status?: MerchantOrderStatus;
  /** JSON text, e.g. {"smid":"2088…","cardAliasNo":"…"}. */
  ext_info?: string;
  ip_role_id?: string[];
  merchant_name?: string;
  apply_time?: string;
  reason?: string;
}

export interface SettleConfirmResponse extends CommonResponse {
  trade_no?: string;
  out_request_no?: string;
  settle_amount?: string;
}

export interface OrderSettleResponse extends CommonResponse {
  trade_no?: string;
  settle_no?: string;
}

export type RoyaltyDetailState = 'SUCCESS' | 'FAIL' | 'PROCESSING';

export interface OrderSettleQueryResponse extends CommonResponse {
  out_request_no?: string;
  operation_dt?: string;
  royalty_detail_list?: Array<{
    operation_type?: string;
    trans_in?: string;
    amount?: string;
    state?: RoyaltyDetailState;
    error_code?: string;
    error_desc?: string;
  }>;
}

export interface OnsettleQueryResponse extends CommonResponse {
  /** What of the trade is not settled (or shared) yet. */
  unsettled_amount?: string;
}

export interface RoyaltyRelationBindResponse extends CommonResponse {
  result_code?: string;
}

/** The async notification (`trade_status_sync`), as form fields. */
export interface TradeNotification {
  notify_id: string;
  notify_time?: string;
  notify_type?: string;
  app_id: string;
  seller_id?: string;
  out_trade_no: string;
  trade_no: string;
  trade_status?: TradeStatus;
  total_amount?: string;
  gmt_payment?: string;
  refund_fee?: string;
  out_biz_no?: string;
  gmt_refund?: string;
  charset?: string;
  sign_type?: string;
  sign?: string;
}
