// Shapes shared across the sandbox's files. Amounts are integer fen; instants are sandbox-clock epoch ms.

/**
 * Fault knobs. Counters count down as they fire; set them again to re-arm.
 * - notifyDelayMs: every notification's first delivery waits this long (sandbox clock).
 * - notifyDrop: the next N notifications are dropped — never delivered, never retried.
 * - notifyDuplicate: the next N notifications are delivered twice.
 * - notifyReorder: the next N notifications are held back and delivered only after the notification queued
 *   after them has been tried (or after a hold of 30 s on the sandbox clock when none follows).
 * - callError5xx: the next N gateway calls answer HTTP 503 without taking effect.
 * - callTimeoutMs: every gateway answer is delayed this long; the call itself takes effect (outcome unknown
 *   to a client that gives up first).
 */
export interface AlipayFaults {
  notifyDelayMs: number;
  notifyDrop: number;
  notifyDuplicate: number;
  notifyReorder: number;
  callError5xx: number;
  callTimeoutMs: number;
}

export const NO_FAULTS: AlipayFaults = {
  notifyDelayMs: 0,
  notifyDrop: 0,
  notifyDuplicate: 0,
  notifyReorder: 0,
  callError5xx: 0,
  callTimeoutMs: 0,
};

export type TradeStatus = 'WAIT_BUYER_PAY' | 'TRADE_SUCCESS' | 'TRADE_FINISHED' | 'TRADE_CLOSED';
export type TradeKind = 'precreate' | 'page' | 'wap' | 'merge';

export interface App {
  appId: string;
  sellerId: string;
  publicKeyPem: string;
  feeRateBp: number;
  createdAt: number;
}

export interface SubMerchant {
  smid: string;
  appId: string;
  orderId: string;
  externalId: string;
  name: string;
  aliasName: string | null;
  merchantType: string | null;
  status: '031' | '99';
  settleToCard: boolean;
  availableFen: number;
  withdrawnFen: number;
  applyTime: number;
  approveAt: number;
}

export interface SettleDetail {
  trans_in_type: string;
  trans_in?: string;
  amount_fen: number;
}

export interface SettleInfo {
  settle_detail_infos: SettleDetail[];
  settle_period_time?: string;
}

export interface Trade {
  tradeNo: string;
  appId: string;
  outTradeNo: string;
  kind: TradeKind;
  qrToken: string | null;
  preOrderNo: string | null;
  smid: string;
  subject: string;
  body: string | null;
  totalFen: number;
  status: TradeStatus;
  visible: boolean;
  notifyUrl: string | null;
  returnUrl: string | null;
  passbackParams: string | null;
  settleInfo: SettleInfo;
  settlePeriodMs: number | null;
  buyerId: string | null;
  buyerLogonId: string | null;
  createdAt: number;
  scannedAt: number | null;
  paidAt: number | null;
  closedAt: number | null;
  expireAt: number;
  feeFen: number;
  feeReturnedFen: number;
  refundedFen: number;
  unsettledFen: number;
  royaltyFrozenFen: number;
  settledFen: number;
  sharedFen: number;
  releasedFen: number;
  royaltyFinished: boolean;
}

export interface Refund {
  tradeNo: string;
  outRequestNo: string;
  amountFen: number;
  feeReturnedFen: number;
  royaltyReturnedFen: number;
  fromUnsettledFen: number;
  fromRoyaltyFrozenFen: number;
  fromAvailableFen: number;
  refundedAfterFen: number;
  reason: string | null;
  createdAt: number;
}

export interface Buyer {
  buyerId: string;
  buyerLogonId: string;
}

const CAMEL_KEYS = new Map<string, string>();

/** Converts a row's snake_case columns to camelCase keys. */
export function camelRow<T>(row: Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  for (const key in row) {
    let camel = CAMEL_KEYS.get(key);
    if (camel === undefined) {
      camel = key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
      CAMEL_KEYS.set(key, camel);
    }
    out[camel] = row[key];
  }
  return out as T;
}
