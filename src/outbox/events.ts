// Every event the outbox carries, as one discriminated union: a topic names exactly one payload schema. Writers get
// the type from `OutboxEvent`; readers get it back only through `parseEvent`, which validates the stored JSON, so a
// payload that does not match its topic (or a topic nobody defined) is refused rather than cast.
import { Type, type Static, type TSchema } from 'typebox';
import { Value } from 'typebox/value';

const Str = Type.String({ minLength: 1 });
const Amount = Type.Integer({ minimum: 0 });
const Provider = Type.Union([Type.Literal('alipay'), Type.Literal('wechatpay')]);

/** The payment an event belongs to: its ordering key (events of one payment are consumed in the order written). */
const OfPayment = { payment_id: Str };

const Trade = { ...OfPayment, provider: Provider, order_id: Str, merchant_id: Str, out_trade_no: Str };

const Refund = {
  ...Trade,
  refund_id: Str,
  kind: Type.Union([Type.Literal('order'), Type.Literal('duplicate_payment')]),
  amount: Amount,
  trade_amount: Amount,
};

export const EVENT_SCHEMAS = {
  /** A provider order of an attempt was paid (each sub-order of a merged or combined payment has its own). */
  'payment.sub_order_paid': Type.Object({
    ...Trade,
    attempt_id: Str,
    sub_merchant_id: Type.String(),
    transaction_id: Str,
    amount: Amount,
    paid_at: Str,
  }),
  /** The checkout's payment succeeded (its winning attempt is paid in full). */
  'payment.succeeded': Type.Object({ ...OfPayment, attempt_id: Str, provider: Provider, amount: Amount }),
  'refund.created': Type.Object({ ...Refund }),
  'refund.processing': Type.Object({ ...Refund }),
  'refund.succeeded': Type.Object({ ...Refund }),
  'refund.closed': Type.Object({ ...Refund }),
  'refund.abnormal': Type.Object({ ...Refund }),
  /** WeChat Pay: the unsplit money of a trade was unfrozen to the merchant's available balance for a refund. */
  'escrow.unfrozen': Type.Object({ ...Refund, out_order_no: Str }),
  /** Commission given back to the merchant before a refund of a released order; `amount` is the commission. */
  'escrow.commission_returned': Type.Object({ ...Refund, out_return_no: Str }),
  'escrow.released': Type.Object({ ...Trade, commission: Amount }),
  /** An unpaid checkout was closed (cancelled or timed out): its open attempts must be closed at the providers. */
  'checkout.closed': Type.Object({
    ...OfPayment,
    reason: Type.Union([Type.Literal('cancelled'), Type.Literal('unpaid_timeout')]),
  }),
  /** The buyer (or the auto-confirm timer) confirmed receipt: the order's escrow is due for release. */
  'order.completed': Type.Object({ ...OfPayment, order_id: Str, merchant_id: Str }),
} satisfies Record<string, TSchema>;

export type Topic = keyof typeof EVENT_SCHEMAS;
export const TOPICS = Object.keys(EVENT_SCHEMAS) as Topic[];

export type PayloadOf<T extends Topic> = Static<(typeof EVENT_SCHEMAS)[T]>;

/** `{ topic, payload }` for every topic: a `switch (event.topic)` narrows the payload. */
export type OutboxEvent = { [T in Topic]: { topic: T; payload: PayloadOf<T> } }[Topic];

export function isTopic(topic: string): topic is Topic {
  return Object.hasOwn(EVENT_SCHEMAS, topic);
}

export type ParsedEvent = { ok: true; event: OutboxEvent } | { ok: false; reason: string };

/** The only way a stored event becomes typed: the topic must be known and the payload must match its schema. */
export function parseEvent(topic: string, payload: unknown): ParsedEvent {
  if (!isTopic(topic)) return { ok: false, reason: `unknown topic ${topic}` };
  const schema = EVENT_SCHEMAS[topic];
  if (!Value.Check(schema, payload)) {
    const first = Value.Errors(schema, payload)[0];
    return {
      ok: false,
      reason: `invalid ${topic} payload${first ? `: ${first.instancePath || '/'} ${first.message}` : ''}`,
    };
  }
  return { ok: true, event: { topic, payload } as OutboxEvent };
}
