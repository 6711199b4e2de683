// The one small interface every payment provider adapter implements. The payments module is its only caller:
// it commits the attempt/refund row with its provider order number first, then calls a verb (never inside a
// transaction), so every verb must be safe to repeat with the same numbers.
import type { Fen } from '../shared/money';

export type ProviderName = 'alipay' | 'wechatpay';
export const PROVIDER_NAMES: readonly ProviderName[] = ['alipay', 'wechatpay'];

/** qr: desktop scan; page: Alipay desktop checkout page; h5: mobile browser; jsapi: inside WeChat. */
export type PaymentScene = 'qr' | 'h5' | 'jsapi' | 'page';

export interface ProviderSubOrder {
  /** Hutong's per-merchant provider order number (≤ 32 chars, [0-9A-Za-z_]). */
  outTradeNo: string;
  /** Alipay 直付通 `smid` or WeChat Pay `sub_mchid`. */
  subMerchantId: string;
  amountFen: Fen;
  description: string;
}

export interface CreateTradeInput {
  scene: PaymentScene;
  /** `out_merge_no` / `combine_out_trade_no`; used only when there are several sub-orders. */
  groupOutTradeNo: string;
  subOrders: ProviderSubOrder[];
  expiresAt: Date;
  notifyUrl: string;
  returnUrl?: string;
  payer: { wechatOpenid?: string; clientIp: string };
}

export type PaymentAction =
  | { type: 'qr'; code_url: string }
  | { type: 'redirect'; url: string }
  | { type: 'jsapi'; params: Record<string, string> };

/** Identifies what was created: one trade, or a merged/combined group of sub-trades. */
export interface TradeRef {
  groupOutTradeNo: string;
  subOrders: Array<{ outTradeNo: string; subMerchantId: string; amountFen: Fen }>;
}

/** not_found: the provider has no such trade yet (an unscanned Alipay precreate): not paid. */
export type TradeState = 'not_found' | 'pending' | 'succeeded' | 'closed' | 'refunded';

export interface SubTradeStatus {
  outTradeNo: string;
  subMerchantId: string;
  state: TradeState;
  transactionId?: string;
  amountFen?: Fen;
  paidAt?: Date;
}

export interface RefundInput {
  outTradeNo: string;
  subMerchantId: string;
  transactionId?: string;
  outRefundNo: string;
  refundFen: Fen;
  /** The sub-order's paid amount. */
  totalFen: Fen;
  reason?: string;
  notifyUrl: string;
  /**
   * Commission the platform gives back inside this refund, for a provider that returns shared money within the
   * refund itself (Alipay `refund_royalty_parameters`). A provider that returns it by a separate call first
   * (`EscrowOperations.returnShare`, WeChat Pay) is never given one.
   */
  returnShareFen?: Fen;
}

export type RefundState = 'not_found' | 'processing' | 'succeeded' | 'closed' | 'abnormal';

export interface RefundStatus {
  state: RefundState;
  providerRefundId?: string;
  refundFen?: Fen;
}

export interface PaidSubTrade {
  outTradeNo: string;
  subMerchantId: string;
  transactionId: string;
  amountFen: Fen;
  paidAt: Date;
}

/** A provider notification, verified and normalized. */
export type ProviderEvent =
  | {
      kind: 'trade_paid';
      eventId: string;
      /** Alipay `app_id` / WeChat Pay `sp_appid` or `combine_appid`. */
      appId: string;
      /** Alipay `seller_id` / WeChat Pay `sp_mchid` or `combine_mchid`. */
      platformMerchantId: string;
      groupOutTradeNo?: string;
      subTrades: PaidSubTrade[];
    }
  | { kind: 'trade_closed'; eventId: string; outTradeNos: string[] }
  | {
      kind: 'refund_finished';
      eventId: string;
      outTradeNo: string;
      outRefundNo: string;
      subMerchantId?: string;
      state: 'succeeded' | 'closed' | 'abnormal';
      refundFen: Fen;
    }
  | { kind: 'ignored'; eventId: string; reason: string };

export interface NotificationRequest {
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
}

/** The exact HTTP answer the provider expects. */
export interface NotificationReply {
  statusCode: number;
  contentType?: string;
  body: string;
}

/** The applicant's legal form: 小微/个人 (no licence), 个体工商户, or a company (企业). */
export type SubjectType = 'micro' | 'individual_business' | 'enterprise';

/**
 * A sub-merchant application, complete: what `ant.merchant.expand.indirect.zft.create` and the 二级商户 applyment
 * need. Hutong builds it from the merchant's profile (src/onboarding); nothing in it is invented. Sensitive values
 * are encrypted on the wire by the adapter where the provider requires it, and never logged.
 */
export interface OnboardingInput {
  /** Our request number (WeChat Pay `out_request_no`, Alipay `external_id`). */
  outRequestNo: string;
  merchantName: string;
  category: string;
  subjectType: SubjectType;
  /** Business licence (营业执照); absent for `micro`. */
  licence?: { number: string; name: string; address?: string; imageId: string };
  legalPerson: {
    name: string;
    /** Mainland resident ID card number. */
    idNumber: string;
    /** YYYY-MM-DD. */
    idValidFrom: string;
    /** YYYY-MM-DD, or `long` (长期). */
    idValidTo: string;
    idFrontImageId: string;
    idBackImageId: string;
  };
  settlement: {
    /** The bank account WeChat Pay settles to (required there; Alipay 直付通 settles to the Alipay account). */
    bank?: {
      accountType: 'personal' | 'corporate';
      accountName: string;
      accountNumber: string;
      bankName: string;
      /** Province/city code of the bank (WeChat Pay bank_address_code). */
      regionCode?: string;
    };
    /** The merchant's real-name Alipay account that 直付通 settles to (settle.confirm pays an Alipay account). */
    alipayLogonId?: string;
  };
  contact: { name: string; phone: string; email: string };
  store: { name: string; url: string };
}

/** An image for an application (licence, ID card sides), uploaded through the provider's media API. */
export interface MediaUpload {
  /** Shown to the provider; its extension names the format (jpg, png, bmp). */
  filename: string;
  content: Buffer;
}

export type OnboardingState = 'checking' | 'auditing' | 'need_sign' | 'finished' | 'rejected' | 'canceled';

export interface OnboardingStatus {
  state: OnboardingState;
  /** Provider's application id, for queries. */
  applicationId?: string;
  subMerchantId?: string;
  rejectReasons?: string[];
}

export interface BillLine {
  kind: 'payment' | 'refund';
  outTradeNo: string;
  transactionId: string;
  subMerchantId: string;
  amountFen: Fen;
  feeFen: Fen;
  outRefundNo?: string;
  refundStatus?: string;
  occurredAt: Date;
}

/** One line of a provider's profit-sharing bill (WeChat Pay 分账账单): a share, a return or an unfreeze. */
export interface SharingBillLine {
  kind: 'share' | 'return' | 'unfreeze';
  /** The provider's own word for the kind, as written in the bill. */
  kindText: string;
  transactionId: string;
  outOrderNo: string;
  sponsorMchid?: string;
  receiverAccount: string;
  amountFen: Fen;
  status: string;
  description?: string;
  occurredAt: Date;
}

export interface ProviderAdapter {
  readonly name: ProviderName;
  readonly scenes: readonly PaymentScene[];
  createTrade(input: CreateTradeInput): Promise<PaymentAction>;
  queryTrade(ref: TradeRef): Promise<SubTradeStatus[]>;
  /** Idempotent; a trade that does not exist yet counts as closed. Throws ProviderError `trade_already_paid`. */
  closeTrade(ref: TradeRef): Promise<void>;
  refund(input: RefundInput): Promise<RefundStatus>;
  queryRefund(input: Pick<RefundInput, 'outTradeNo' | 'subMerchantId' | 'outRefundNo'>): Promise<RefundStatus>;
  /** Verifies signature (and decrypts); throws NotificationRejected on anything not provably from the provider. */
  parseNotification(req: NotificationRequest): Promise<ProviderEvent>;
  acknowledge(outcome: { ok: true } | { ok: false; message: string }): NotificationReply;
  fetchTradeBill(input: { date: string; subMerchantId?: string }): Promise<BillLine[]>;
  /**
   * The day's profit-sharing bill, where the provider keeps one apart from the trade bill (WeChat Pay). A provider
   * whose shares appear in its trade bills (Alipay 直付通) throws ProviderError `bill_type_unsupported`.
   */
  fetchSharingBill(input: { date: string; subMerchantId?: string }): Promise<SharingBillLine[]>;
  submitOnboarding(input: OnboardingInput): Promise<OnboardingStatus>;
  queryOnboarding(outRequestNo: string): Promise<OnboardingStatus>;
  /** Alipay `ant.merchant.expand.indirect.image.upload` / WeChat Pay `/v3/merchant/media/upload`: the id forms carry. */
  uploadImage(upload: MediaUpload): Promise<{ mediaId: string }>;
}

/**
 * Provider failures split by what the caller should do next:
 * declined / invalid_request: final; unavailable: retry later; outcome_unknown: query before deciding.
 */
export type ProviderErrorKind = 'declined' | 'invalid_request' | 'unavailable' | 'outcome_unknown';

export class ProviderError extends Error {
  constructor(
    readonly kind: ProviderErrorKind,
    /** Hutong's code, e.g. trade_already_paid, refund_exceeds_remaining, refund_needs_unfreeze. */
    readonly code: string,
    message: string,
    /** The provider's own code (ACQ.TRADE_HAS_SUCCESS, ORDERPAID, …) for logs and support. */
    readonly providerCode?: string,
  ) {
    super(message);
    this.name = 'ProviderError';
  }

  /** Whether the same call (with the same request numbers) may succeed later; declined and invalid requests never do. */
  get retryable(): boolean {
    return this.kind === 'unavailable' || this.kind === 'outcome_unknown';
  }
}

export class NotificationRejected extends Error {
  constructor(
    /** bad_signature | stale_timestamp | malformed | decrypt_failed | unknown_app */
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'NotificationRejected';
  }
}

/**
 * Escrow release verbs (the ledger issue drives them through payments). WeChat Pay: profit sharing on a frozen
 * order; Alipay 直付通: settle.confirm → order.settle with royalty. Each takes our own request number so a
 * repeat is idempotent at the provider.
 */
export interface EscrowTradeRef {
  outTradeNo: string;
  subMerchantId: string;
  transactionId: string;
  amountFen: Fen;
}

export interface ShareInput extends EscrowTradeRef {
  /** WeChat Pay `out_order_no` / Alipay `out_request_no` of the settle call. */
  outOrderNo: string;
  /** The platform's commission; 0 means only release the rest. */
  commissionFen: Fen;
  description: string;
}

export interface ShareStatus {
  state: 'processing' | 'finished' | 'not_settled_yet' | 'closed';
  sharedFen: Fen;
}

export interface ReturnShareInput extends EscrowTradeRef {
  outOrderNo: string;
  outReturnNo: string;
  amountFen: Fen;
}

export interface EscrowOperations {
  /** Money of one trade still frozen and unshared (WeChat Pay `unsplit_amount`; Alipay unsettled). */
  queryUnsplit(ref: EscrowTradeRef): Promise<Fen>;
  /** Share the commission to the platform and release the rest to the merchant (`finish`). */
  shareAndRelease(input: ShareInput): Promise<ShareStatus>;
  queryShare(
    input: Pick<ShareInput, 'outOrderNo' | 'outTradeNo' | 'subMerchantId' | 'transactionId'>,
  ): Promise<ShareStatus>;
  /** Take a share back into the sub-merchant's account before refunding shared money. */
  returnShare(input: ReturnShareInput): Promise<{ state: 'processing' | 'succeeded' | 'failed' }>;
  /** Where return orders are asynchronous (WeChat Pay), what became of one. */
  queryReturnShare?(
    input: Pick<ReturnShareInput, 'subMerchantId' | 'outOrderNo' | 'outReturnNo'>,
  ): Promise<{ state: 'processing' | 'succeeded' | 'failed' }>;
  /** Release (unfreeze) what is left without sharing, e.g. before a refund larger than the unsplit amount. */
  releaseRemaining(input: EscrowTradeRef & { outOrderNo: string; description: string }): Promise<ShareStatus>;
  /** Frozen and available money the provider holds for a sub-merchant. */
  balance(subMerchantId: string): Promise<{ frozenFen: Fen; availableFen: Fen }>;
  /**
   * Makes the platform's own account a profit-sharing receiver, once (repeat-safe): WeChat Pay adds it as a receiver
   * with relation PLATFORM under `name` (its full legal name); Alipay binds the royalty relation.
   */
  ensurePlatformReceiver(name: string): Promise<void>;
}
