// Notifications: verify → decrypt → event, and the exact reply WeChat Pay expects.
// Order matters: the signature first (a forgery learns nothing more, not even whether it is stale), then the
// timestamp (a replay of a genuine old notification), then the AEAD decryption with the APIv3 key.
import { fen } from '../../shared/money';
import {
  NotificationRejected,
  type NotificationReply,
  type NotificationRequest,
  type PaidSubTrade,
  type ProviderEvent,
} from '../types';
import { parseTime } from './format';
import { decryptResource, verifySha256Rsa, wechatpayMessage, type WechatpayKeys } from './sign';
import { refundStateOf } from './states';
import type { CombineTransaction, NotificationEnvelope, PartnerTransaction, RefundNotice } from './wire';

/** WeChat Pay's own tolerance, and the one the client library applies to responses. */
export const NOTIFICATION_MAX_SKEW_SECONDS = 300;

export function parseNotification(req: NotificationRequest, keys: WechatpayKeys, now: Date): ProviderEvent {
  const envelope = verifyEnvelope(req, keys, now);
  let plaintext: string;
  try {
    plaintext = decryptResource(envelope.resource, keys.apiv3Key);
  } catch {
    throw new NotificationRejected(
      'decrypt_failed',
      'resource did not decrypt with the APIv3 key (key changed, or ciphertext altered?)',
    );
  }
  const resource = parseJson(plaintext, 'decrypted resource') as Record<string, unknown>;
  return eventOf(envelope, resource);
}

function verifyEnvelope(req: NotificationRequest, keys: WechatpayKeys, now: Date): NotificationEnvelope {
  const timestamp = header(req, 'wechatpay-timestamp');
  const nonce = header(req, 'wechatpay-nonce');
  const signature = header(req, 'wechatpay-signature');
  const serial = header(req, 'wechatpay-serial');
  if (!timestamp || !nonce || !signature || !serial) {
    throw new NotificationRejected('bad_signature', 'missing Wechatpay-Timestamp/Nonce/Signature/Serial headers');
  }
  const key = keys.verifiers.get(serial);
  if (!key)
    throw new NotificationRejected(
      'bad_signature',
      'unknown Wechatpay-Serial (a new platform key or certificate not configured yet?)',
    );
  if (!verifySha256Rsa(wechatpayMessage(timestamp, nonce, req.rawBody), signature, key)) {
    throw new NotificationRejected('bad_signature', 'signature does not verify (raw body altered or re-serialised?)');
  }
  const sentAt = /^\d{1,12}$/.test(timestamp) ? Number(timestamp) : NaN;
  if (!(Math.abs(Math.floor(now.getTime() / 1000) - sentAt) <= NOTIFICATION_MAX_SKEW_SECONDS)) {
    throw new NotificationRejected(
      'stale_timestamp',
      'Wechatpay-Timestamp more than 5 minutes from now (a replay, or clock skew?)',
    );
  }
  const envelope = parseJson(req.rawBody, 'body') as Partial<NotificationEnvelope>;
  const r = envelope.resource;
  if (
    typeof envelope.id !== 'string' ||
    typeof envelope.event_type !== 'string' ||
    !r ||
    typeof r.ciphertext !== 'string' ||
    typeof r.nonce !== 'string'
  ) {
    throw new NotificationRejected('malformed', 'notification lacks id, event_type or resource');
  }
  if (r.algorithm !== 'AEAD_AES_256_GCM')
    throw new NotificationRejected('malformed', 'resource algorithm is not AEAD_AES_256_GCM');
  return envelope as NotificationEnvelope;
}

function header(req: NotificationRequest, name: string): string | undefined {
  for (const [k, v] of Object.entries(req.headers)) {
    if (k.toLowerCase() === name) return Array.isArray(v) ? v[0] : v;
  }
  return undefined;
}

function parseJson(text: string, what: string): unknown {
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object') return value;
  } catch {
    // fall through
  }
  throw new NotificationRejected('malformed', `${what} is not a JSON object`);
}

function eventOf(envelope: NotificationEnvelope, resource: Record<string, unknown>): ProviderEvent {
  const eventId = envelope.id;
  try {
    if (envelope.event_type === 'TRANSACTION.SUCCESS') {
      return 'combine_out_trade_no' in resource
        ? combinedPaid(eventId, resource as unknown as CombineTransaction)
        : partnerPaid(eventId, resource as unknown as PartnerTransaction);
    }
    if (envelope.event_type.startsWith('REFUND.')) return refundFinished(eventId, resource as unknown as RefundNotice);
  } catch (e) {
    if (e instanceof NotificationRejected) throw e;
    throw new NotificationRejected('malformed', 'decrypted resource lacks the fields its event_type promises');
  }
  return { kind: 'ignored', eventId, reason: `event_type ${envelope.event_type}` };
}

function partnerPaid(eventId: string, tx: PartnerTransaction): ProviderEvent {
  if (tx.trade_state !== 'SUCCESS') return { kind: 'ignored', eventId, reason: `trade_state ${tx.trade_state}` };
  const sub = paidSubTrade(tx.out_trade_no, tx.sub_mchid, tx.transaction_id, tx.amount?.total, tx.success_time);
  return { kind: 'trade_paid', eventId, appId: tx.sp_appid, platformMerchantId: tx.sp_mchid, subTrades: [sub] };
}

function combinedPaid(eventId: string, tx: CombineTransaction): ProviderEvent {
  if (!Array.isArray(tx.sub_orders)) throw new Error('sub_orders missing');
  const paid = tx.sub_orders.filter((o) => o.trade_state === 'SUCCESS');
  if (paid.length === 0) return { kind: 'ignored', eventId, reason: 'no sub-order in SUCCESS' };
  return {
    kind: 'trade_paid',
    eventId,
    appId: tx.combine_appid,
    platformMerchantId: tx.combine_mchid,
    groupOutTradeNo: tx.combine_out_trade_no,
    subTrades: paid.map((o) =>
      paidSubTrade(o.out_trade_no, o.sub_mchid, o.transaction_id, o.amount?.total_amount, o.success_time),
    ),
  };
}

function paidSubTrade(
  outTradeNo: string,
  subMchid: string,
  transactionId?: string,
  amount?: number,
  successTime?: string,
): PaidSubTrade {
  const paidAt = parseTime(successTime);
  if (!outTradeNo || !subMchid || !transactionId || amount === undefined || !paidAt)
    throw new Error('paid sub-order incomplete');
  return { outTradeNo, subMerchantId: subMchid, transactionId, amountFen: fen(amount), paidAt };
}

function refundFinished(eventId: string, notice: RefundNotice): ProviderEvent {
  const state = refundStateOf(notice.refund_status);
  if (state === 'processing') return { kind: 'ignored', eventId, reason: 'refund still processing' };
  return {
    kind: 'refund_finished',
    eventId,
    outTradeNo: notice.out_trade_no,
    outRefundNo: notice.out_refund_no,
    subMerchantId: notice.sub_mchid,
    state,
    refundFen: fen(notice.amount.refund),
  };
}

/** What went wrong, for the reply: a NotificationRejected reason, or an explicit status. */
export type AcknowledgeOutcome = { ok: true } | { ok: false; message: string; reason?: string; statusCode?: number };

/**
 * 204 with no body when handled. Otherwise `{ code: "FAIL", message }`: 401 for a bad signature or a stale
 * timestamp, 400 for a malformed body, 500 for anything else (a decrypt failure means our APIv3 key is wrong, so
 * WeChat Pay should retry after we fix it). Any non-2xx makes WeChat Pay retry on its schedule.
 */
export function acknowledge(outcome: AcknowledgeOutcome): NotificationReply {
  if (outcome.ok) return { statusCode: 204, body: '' };
  return {
    statusCode: outcome.statusCode ?? statusForReason(outcome.reason),
    contentType: 'application/json; charset=utf-8',
    body: JSON.stringify({ code: 'FAIL', message: outcome.message }),
  };
}

function statusForReason(reason: string | undefined): number {
  if (reason === 'bad_signature' || reason === 'stale_timestamp') return 401;
  if (reason === 'malformed') return 400;
  return 500;
}

/** The reply for a rejected notification, in one call: `acknowledge` with the rejection's reason. */
export function rejectionReply(rejection: NotificationRejected): NotificationReply {
  return acknowledge({ ok: false, message: rejection.message, reason: rejection.reason });
}
