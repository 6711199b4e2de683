// Alipay's async notification: a form-encoded POST, signed over every field but `sign` and `sign_type`. Verify →
// app id → event id → typed event, as style.md §5 splits it; the integrity checks against our own records (amount,
// out_trade_no, seller_id) belong to the payments module, which has the records.
import type { AlipaySdk } from 'alipay-sdk';
import {
  NotificationRejected,
  ProviderError,
  type NotificationReply,
  type NotificationRequest,
  type ProviderEvent,
} from '../types';
import { yuanStringToFen } from './amounts';
import { parseBeijingTime } from './time';
import { queryRefund, type TradeVerbsContext } from './trades';
import type { TradeNotification, TradeStatus } from './wire';

export interface NotificationContext extends TradeVerbsContext {
  sdk: AlipaySdk;
  appId: string;
}

/** Notifications are small; anything larger is not one. */
const NOTIFICATION_BYTES_MAX = 64 * 1024;

export async function parseNotification(ctx: NotificationContext, req: NotificationRequest): Promise<ProviderEvent> {
  const fields = parseForm(req.rawBody);
  verifySignature(ctx.sdk, fields);
  if (fields.app_id !== ctx.appId)
    throw new NotificationRejected('unknown_app', 'the notification is for another Alipay app');
  const notification = requireFields(fields);
  if (notification.out_biz_no !== undefined || notification.refund_fee !== undefined) {
    return refundEvent(ctx, notification);
  }
  return tradeEvent(notification);
}

function parseForm(rawBody: string): Record<string, string> {
  if (rawBody.length === 0 || rawBody.length > NOTIFICATION_BYTES_MAX) throw malformed('empty or oversized body');
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(rawBody);
  } catch {
    throw malformed('not form-encoded');
  }
  for (const [key, value] of params) {
    // A repeated field would let a forger append a value the signature check never saw.
    if (Object.hasOwn(fields, key)) throw malformed(`field ${key} appears twice`);
    fields[key] = value;
  }
  return fields;
}

function verifySignature(sdk: AlipaySdk, fields: Record<string, string>): void {
  if (!fields.sign) throw new NotificationRejected('bad_signature', 'unsigned notification');
  // RSA2 only: Hutong never asks for RSA (SHA1), so a notification claiming it is not Alipay's answer to us.
  if (fields.sign_type !== 'RSA2') throw new NotificationRejected('bad_signature', 'sign_type is not RSA2');
  if (fields.charset && fields.charset.toLowerCase() !== 'utf-8') throw malformed('charset is not utf-8');
  let verified = false;
  try {
    verified = sdk.checkNotifySignV2({ ...fields });
  } catch {
    verified = false;
  }
  if (!verified) {
    throw new NotificationRejected(
      'bad_signature',
      'signature does not verify with the Alipay public key (body re-encoded by a proxy, or the wrong key?)',
    );
  }
}

function requireFields(fields: Record<string, string>): TradeNotification {
  for (const name of ['notify_id', 'out_trade_no', 'trade_no'] as const) {
    if (!fields[name]) throw malformed(`missing ${name}`);
  }
  return fields as unknown as TradeNotification;
}

function tradeEvent(n: TradeNotification): ProviderEvent {
  if (n.trade_status === undefined) throw malformed('missing trade_status');
  const status: TradeStatus = n.trade_status;
  switch (status) {
    case 'TRADE_SUCCESS':
    case 'TRADE_FINISHED':
      return paidEvent(n);
    case 'TRADE_CLOSED':
      return { kind: 'trade_closed', eventId: n.notify_id, outTradeNos: [n.out_trade_no] };
    case 'WAIT_BUYER_PAY':
      return { kind: 'ignored', eventId: n.notify_id, reason: 'trade_created' };
    default: {
      const unknown: never = status;
      throw malformed(`unknown trade_status ${String(unknown)}`);
    }
  }
}

function paidEvent(n: TradeNotification): ProviderEvent {
  const paidAt = parseBeijingTime(n.gmt_payment ?? n.notify_time ?? '');
  if (!paidAt) throw malformed('gmt_payment is not a time');
  return {
    kind: 'trade_paid',
    eventId: n.notify_id,
    appId: n.app_id,
    platformMerchantId: n.seller_id ?? '',
    subTrades: [
      {
        outTradeNo: n.out_trade_no,
        // Alipay's notification does not name the smid: the payments module takes it from the attempt it owns.
        subMerchantId: '',
        transactionId: n.trade_no,
        amountFen: amountOf(n.total_amount, 'total_amount'),
        paidAt,
      },
    ],
  };
}

/**
 * A refund's notification carries the trade's cumulative `refund_fee`, not this refund's amount, so the refund
 * itself is read back (fastpay.refund.query by `out_biz_no`) to report exactly what this request refunded.
 */
async function refundEvent(ctx: NotificationContext, n: TradeNotification): Promise<ProviderEvent> {
  if (!n.out_biz_no) throw malformed('refund notification without out_biz_no');
  const status = await queryRefund(ctx, { outTradeNo: n.out_trade_no, subMerchantId: '', outRefundNo: n.out_biz_no });
  if (status.state !== 'succeeded' || status.refundFen === undefined) {
    // Notified before the query can see it: answer "fail" and let Alipay's retry bring it back.
    throw new ProviderError(
      'unavailable',
      'refund_not_visible_yet',
      'the notified refund is not visible to refund query yet',
    );
  }
  return {
    kind: 'refund_finished',
    eventId: n.notify_id,
    outTradeNo: n.out_trade_no,
    outRefundNo: n.out_biz_no,
    state: 'succeeded',
    refundFen: status.refundFen,
  };
}

function amountOf(text: string | undefined, field: string) {
  try {
    return yuanStringToFen(text ?? '');
  } catch {
    throw malformed(`${field} is not a yuan amount`);
  }
}

function malformed(detail: string): NotificationRejected {
  return new NotificationRejected('malformed', `malformed Alipay notification: ${detail}`);
}

/** Alipay retries anything but the plain body `success` (8 times over about 25 hours). */
export function acknowledge(outcome: { ok: true } | { ok: false; message: string }): NotificationReply {
  return { statusCode: 200, contentType: 'text/plain', body: outcome.ok ? 'success' : 'fail' };
}
