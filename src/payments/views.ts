// Reply shapers (TypeScript → api.md JSON) for payments, attempts and refunds.
import type { Actor } from '../auth/actor';
import type { PaymentRow } from './payment-store';
import type { AttemptRow, RefundRow } from './store';
import type { MethodAvailability } from './eligibility';

/** What the orders routes need from payments to answer a checkout. */
export interface PaymentView {
  paymentJson(
    actor: Actor,
    paymentId: string,
    headers: Record<string, string | string[] | undefined>,
  ): Promise<ReturnType<typeof paymentJson>>;
}

export function attemptJson(a: AttemptRow) {
  return {
    id: a.id,
    payment_id: a.payment_id,
    method: a.method,
    scene: a.scene,
    status: a.status,
    action: a.action,
    failure_code: a.failure_code,
    late_paid: a.late_paid,
    expires_at: a.expires_at.toISOString(),
    succeeded_at: a.succeeded_at?.toISOString() ?? null,
    created_at: a.created_at.toISOString(),
  };
}

/**
 * A payment as its caller may see it. A merchant inside a shared (multi-merchant) payment sees its own orders only:
 * `amount` is their total and `order_ids` theirs; attempts without the buyer's pay action.
 */
export function paymentJson(
  p: PaymentRow,
  attempts: AttemptRow[],
  orders: Array<{ id: string; merchant_id: string; amount: number }>,
  methods: MethodAvailability[],
  actor?: Actor,
) {
  const merchantId = actor?.role === 'merchant' ? actor.merchantId : null;
  const visible = merchantId === null ? orders : orders.filter((o) => o.merchant_id === merchantId);
  const amount = merchantId === null ? p.amount : visible.reduce((sum, o) => sum + o.amount, 0);
  return {
    id: p.id,
    amount,
    currency: 'CNY' as const,
    status: p.status,
    expires_at: p.expires_at.toISOString(),
    succeeded_at: p.succeeded_at?.toISOString() ?? null,
    order_ids: visible.map((o) => o.id),
    attempts: attempts.map((a) => (merchantId === null ? attemptJson(a) : { ...attemptJson(a), action: null })),
    methods: methods.map((m) =>
      m.available ? { method: m.method, available: true } : { method: m.method, available: false, reason: m.reason },
    ),
    created_at: p.created_at.toISOString(),
  };
}

export function refundJson(r: RefundRow) {
  return {
    id: r.id,
    order_id: r.order_id,
    payment_attempt_id: r.attempt_id,
    kind: r.kind,
    method: r.method,
    amount: r.amount,
    currency: 'CNY' as const,
    status: r.status,
    reason: r.reason,
    failure_code: r.failure_code,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
  };
}
