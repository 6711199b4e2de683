// SQL for attempts, their per-merchant provider orders, refunds, the inbox and anomalies (events: src/outbox).
import type { Queryable } from '../shared/db';
import type { PaymentAction, PaymentScene, ProviderName } from '../providers/types';
import { transition, withoutStatus } from '../shared/machine';
import { ATTEMPT_MACHINE, REFUND_MACHINE, type AttemptStatus, type RefundStatus } from './states';
import { unclaimed } from '../ops/claims';

export interface AttemptRow {
  id: string;
  payment_id: string;
  method: ProviderName;
  scene: PaymentScene;
  status: AttemptStatus;
  action: PaymentAction | null;
  failure_code: string | null;
  late_paid: boolean;
  expires_at: Date;
  next_check_at: Date;
  check_count: number;
  succeeded_at: Date | null;
  closed_at: Date | null;
  created_at: Date;
}

export interface AttemptOrderRow {
  attempt_id: string;
  order_id: string;
  merchant_id: string;
  out_trade_no: string;
  sub_merchant_id: string;
  amount: number;
  paid: boolean;
  transaction_id: string | null;
  paid_at: Date | null;
}

export interface RefundRow {
  id: string;
  kind: 'order' | 'duplicate_payment';
  payment_id: string;
  order_id: string;
  merchant_id: string;
  attempt_id: string;
  method: ProviderName;
  out_trade_no: string;
  sub_merchant_id: string;
  transaction_id: string | null;
  trade_amount: number;
  amount: number;
  reason: string | null;
  status: RefundStatus;
  step: string | null;
  failure_code: string | null;
  provider_refund_id: string | null;
  commission_return: number | null;
  commission_returned: boolean;
  next_check_at: Date;
  check_count: number;
  created_at: Date;
  updated_at: Date;
}

export const attemptStore = {
  async insert(q: Queryable, a: AttemptRow, orders: AttemptOrderRow[]): Promise<void> {
    await q.query(
      `INSERT INTO attempts (id, payment_id, method, scene, status, expires_at, next_check_at, created_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
      [a.id, a.payment_id, a.method, a.scene, a.status, a.expires_at, a.next_check_at, a.created_at],
    );
    await q.query(
      `INSERT INTO attempt_orders (attempt_id, order_id, merchant_id, out_trade_no, sub_merchant_id, amount)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])`,
      [
        orders.map((o) => o.attempt_id),
        orders.map((o) => o.order_id),
        orders.map((o) => o.merchant_id),
        orders.map((o) => o.out_trade_no),
        orders.map((o) => o.sub_merchant_id),
        orders.map((o) => o.amount),
      ],
    );
  },
  async get(q: Queryable, id: string, forUpdate = false): Promise<AttemptRow | undefined> {
    return (await q.query<AttemptRow>(`SELECT * FROM attempts WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]))
      .rows[0];
  },
  async ofPayment(q: Queryable, paymentId: string): Promise<AttemptRow[]> {
    return (
      await q.query<AttemptRow>('SELECT * FROM attempts WHERE payment_id = $1 ORDER BY created_at, id', [paymentId])
    ).rows;
  },
  async orders(q: Queryable, attemptId: string): Promise<AttemptOrderRow[]> {
    return (
      await q.query<AttemptOrderRow>('SELECT * FROM attempt_orders WHERE attempt_id = $1 ORDER BY out_trade_no', [
        attemptId,
      ])
    ).rows;
  },
  async orderByOutTradeNo(q: Queryable, outTradeNo: string): Promise<AttemptOrderRow | undefined> {
    return (await q.query<AttemptOrderRow>('SELECT * FROM attempt_orders WHERE out_trade_no = $1', [outTradeNo]))
      .rows[0];
  },
  async paidOrderOfOrder(
    q: Queryable,
    orderId: string,
  ): Promise<(AttemptOrderRow & { method: ProviderName }) | undefined> {
    const { rows } = await q.query<AttemptOrderRow & { method: ProviderName }>(
      `SELECT ao.*, a.method FROM attempt_orders ao JOIN attempts a ON a.id = ao.attempt_id
       WHERE ao.order_id = $1 AND a.status = 'succeeded' AND ao.paid`,
      [orderId],
    );
    return rows[0];
  },
  async markOrderPaid(q: Queryable, outTradeNo: string, transactionId: string, paidAt: Date): Promise<boolean> {
    const r = await q.query(
      'UPDATE attempt_orders SET paid = true, transaction_id = $2, paid_at = $3 WHERE out_trade_no = $1 AND NOT paid',
      [outTradeNo, transactionId, paidAt],
    );
    return r.rowCount === 1;
  },
  async transition(
    q: Queryable,
    id: string,
    from: readonly AttemptStatus[],
    to: AttemptStatus,
    set: Record<string, unknown> = {},
  ): Promise<AttemptRow | undefined> {
    return transition<AttemptStatus, AttemptRow>(q, ATTEMPT_MACHINE, id, from, to, set);
  },
  async update(q: Queryable, id: string, set: Record<string, unknown>): Promise<void> {
    const cols = Object.keys(withoutStatus(set));
    await q.query(`UPDATE attempts SET ${cols.map((c, i) => `${c} = $${i + 2}`).join(', ')} WHERE id = $1`, [
      id,
      ...cols.map((c) => (c === 'action' ? JSON.stringify(set[c]) : set[c])),
    ]);
  },
  /** The payment can no longer be paid: its open attempts expire at `at` and are due for the janitor now. */
  async expireOpen(q: Queryable, paymentId: string, at: Date): Promise<void> {
    await q.query(
      `UPDATE attempts SET expires_at = LEAST(expires_at, $2), next_check_at = LEAST(next_check_at, $2)
       WHERE payment_id = $1 AND status IN ('created', 'pending')`,
      [paymentId, at],
    );
  },
  async due(q: Queryable, now: Date, limit: number): Promise<AttemptRow[]> {
    return (
      await q.query<AttemptRow>(
        `SELECT * FROM attempts a WHERE status IN ('created', 'pending') AND next_check_at <= $1
         AND ${unclaimed('attempt', 'a.id', '$1')} ORDER BY next_check_at LIMIT $2`,
        [now, limit],
      )
    ).rows;
  },
};

export const refundStore = {
  async insert(q: Queryable, r: RefundRow): Promise<boolean> {
    const res = await q.query(
      `INSERT INTO refunds (id, kind, payment_id, order_id, merchant_id, attempt_id, method, out_trade_no, sub_merchant_id, transaction_id,
         trade_amount, amount, reason, status, next_check_at, created_at, updated_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17) ON CONFLICT DO NOTHING`,
      [
        r.id,
        r.kind,
        r.payment_id,
        r.order_id,
        r.merchant_id,
        r.attempt_id,
        r.method,
        r.out_trade_no,
        r.sub_merchant_id,
        r.transaction_id,
        r.trade_amount,
        r.amount,
        r.reason,
        r.status,
        r.next_check_at,
        r.created_at,
        r.updated_at,
      ],
    );
    return res.rowCount === 1;
  },
  async get(q: Queryable, id: string): Promise<RefundRow | undefined> {
    return (await q.query<RefundRow>('SELECT * FROM refunds WHERE id = $1', [id])).rows[0];
  },
  async ofOrder(q: Queryable, orderId: string): Promise<RefundRow[]> {
    return (await q.query<RefundRow>('SELECT * FROM refunds WHERE order_id = $1 ORDER BY created_at, id', [orderId]))
      .rows;
  },
  /** Sum of order refunds that hold money (not closed), for the "never more than what is left" check. */
  async heldAmount(q: Queryable, orderId: string): Promise<number> {
    const { rows } = await q.query<{ held: number }>(
      `SELECT COALESCE(sum(amount), 0)::bigint AS held FROM refunds WHERE order_id = $1 AND kind = 'order' AND status <> 'closed'`,
      [orderId],
    );
    return rows[0]?.held ?? 0;
  },
  async openCount(q: Queryable, orderId: string): Promise<number> {
    const { rows } = await q.query<{ n: number }>(
      `SELECT count(*)::bigint AS n FROM refunds WHERE order_id = $1 AND kind = 'order' AND status IN ('pending', 'processing', 'blocked_insufficient_funds')`,
      [orderId],
    );
    return rows[0]?.n ?? 0;
  },
  async transition(
    q: Queryable,
    id: string,
    from: readonly RefundStatus[],
    to: RefundStatus,
    now: Date,
    set: Record<string, unknown> = {},
  ): Promise<RefundRow | undefined> {
    return transition<RefundStatus, RefundRow>(q, REFUND_MACHINE, id, from, to, { updated_at: now, ...set });
  },
  async update(q: Queryable, id: string, set: Record<string, unknown>): Promise<void> {
    const cols = Object.keys(withoutStatus(set));
    await q.query(`UPDATE refunds SET ${cols.map((c, i) => `${c} = $${i + 2}`).join(', ')} WHERE id = $1`, [
      id,
      ...cols.map((c) => set[c]),
    ]);
  },
  async due(q: Queryable, now: Date, limit: number): Promise<RefundRow[]> {
    return (
      await q.query<RefundRow>(
        `SELECT * FROM refunds r WHERE status IN ('pending', 'processing', 'blocked_insufficient_funds') AND next_check_at <= $1
         AND ${unclaimed('refund', 'r.id', '$1')} ORDER BY next_check_at LIMIT $2`,
        [now, limit],
      )
    ).rows;
  },
};

export const eventStore = {
  /** Returns false when this provider event id was already recorded. */
  async recordInbox(
    q: Queryable,
    provider: ProviderName,
    eventId: string,
    kind: string,
    payload: unknown,
    now: Date,
  ): Promise<boolean> {
    const r = await q.query(
      `INSERT INTO notification_inbox (provider, event_id, kind, payload, received_at) VALUES ($1,$2,$3,$4,$5) ON CONFLICT DO NOTHING`,
      [provider, eventId, kind, JSON.stringify(payload), now],
    );
    return r.rowCount === 1;
  },
  async inboxProcessed(q: Queryable, provider: ProviderName, eventId: string): Promise<boolean> {
    const { rows } = await q.query<{ processed_at: Date | null }>(
      'SELECT processed_at FROM notification_inbox WHERE provider = $1 AND event_id = $2',
      [provider, eventId],
    );
    return rows[0]?.processed_at != null;
  },
  async markProcessed(
    q: Queryable,
    provider: ProviderName,
    eventId: string,
    outcome: string,
    now: Date,
  ): Promise<void> {
    await q.query(
      'UPDATE notification_inbox SET processed_at = $3, outcome = $4 WHERE provider = $1 AND event_id = $2',
      [provider, eventId, now, outcome],
    );
  },
  async anomaly(
    q: Queryable,
    provider: ProviderName,
    kind: string,
    reference: string | null,
    details: unknown,
    now: Date,
  ): Promise<void> {
    await q.query(
      'INSERT INTO payment_anomalies (provider, kind, reference, details, created_at) VALUES ($1,$2,$3,$4,$5)',
      [provider, kind, reference, JSON.stringify(details), now],
    );
  },
};

export const paymentStats = {
  /** Paid money per merchant and method since a moment, by when Hutong recorded the success (rollout funnels, GMV shares). */
  async paidByMerchant(
    q: Queryable,
    merchantIds: string[],
    since: Date,
  ): Promise<Array<{ merchant_id: string; method: ProviderName; amount: number; first_paid_at: Date }>> {
    return (
      await q.query<{ merchant_id: string; method: ProviderName; amount: number; first_paid_at: Date }>(
        `SELECT ao.merchant_id, a.method, sum(ao.amount)::bigint AS amount, min(a.succeeded_at) AS first_paid_at
       FROM attempt_orders ao JOIN attempts a ON a.id = ao.attempt_id
       WHERE a.status = 'succeeded' AND ao.merchant_id = ANY($1::text[]) AND a.succeeded_at >= $2
       GROUP BY ao.merchant_id, a.method`,
        [merchantIds, since],
      )
    ).rows;
  },
};

/** What reconciliation reads about provider orders, refunds, releases and sub-merchants (the ledger never reads these tables). */
export const reconciliationReads = {
  /** Paid provider orders, by our out_trade_no or by the provider's transaction id. */
  async paidSubOrders(q: Queryable, provider: ProviderName, by: { outTradeNos: string[]; transactionIds: string[] }) {
    return (
      await q.query<{
        out_trade_no: string;
        sub_merchant_id: string;
        transaction_id: string;
        order_id: string;
        merchant_id: string;
        amount: number;
        paid_at: Date;
      }>(
        `SELECT ao.out_trade_no, ao.sub_merchant_id, ao.transaction_id, ao.order_id, ao.merchant_id, ao.amount, ao.paid_at
       FROM attempt_orders ao JOIN attempts a ON a.id = ao.attempt_id
       WHERE ao.paid AND a.method = $1 AND (ao.out_trade_no = ANY($2::text[]) OR ao.transaction_id = ANY($3::text[]))`,
        [provider, by.outTradeNos, by.transactionIds],
      )
    ).rows;
  },
  /** Refunds by id (= out_refund_no / out_request_no), with when they last changed state. */
  async refunds(q: Queryable, ids: string[]) {
    return (
      await q.query<{
        id: string;
        status: RefundStatus;
        amount: number;
        out_trade_no: string;
        sub_merchant_id: string;
        order_id: string;
        updated_at: Date;
      }>(
        'SELECT id, status, amount, out_trade_no, sub_merchant_id, order_id, updated_at FROM refunds WHERE id = ANY($1::text[])',
        [ids],
      )
    ).rows;
  },
  /** Escrow releases by order, or by the share's out_order_no. */
  async releases(q: Queryable, by: { orderIds: string[]; outOrderNos: string[] }) {
    return (
      await q.query<{ order_id: string; out_order_no: string; out_trade_no: string; sub_merchant_id: string }>(
        `SELECT order_id, out_order_no, out_trade_no, sub_merchant_id FROM escrow_releases
       WHERE order_id = ANY($1::text[]) OR out_order_no = ANY($2::text[])`,
        [by.orderIds, by.outOrderNos],
      )
    ).rows;
  },
  /**
   * Paid provider orders of attempts that did not win their payment (another attempt won, or the payment closed
   * without a winner, or the attempt closed) whose refunds — succeeded or on their way — do not cover what was paid.
   * A live attempt of an open payment is still in the running and is not listed.
   */
  async keptFromLosingAttempts(q: Queryable, limit: number) {
    return (
      await q.query<{
        payment_id: string;
        attempt_id: string;
        method: ProviderName;
        out_trade_no: string;
        sub_merchant_id: string;
        transaction_id: string;
        amount: number;
        refunded: number;
        paid_at: Date;
      }>(
        `SELECT a.payment_id, a.id AS attempt_id, a.method, ao.out_trade_no, ao.sub_merchant_id, ao.transaction_id, ao.amount, ao.paid_at,
              COALESCE((SELECT sum(r.amount) FROM refunds r WHERE r.out_trade_no = ao.out_trade_no
                        AND r.status IN ('pending', 'processing', 'blocked_insufficient_funds', 'succeeded')), 0)::bigint AS refunded
       FROM attempt_orders ao JOIN attempts a ON a.id = ao.attempt_id JOIN payments p ON p.id = a.payment_id
       WHERE ao.paid AND a.status <> 'succeeded'
         AND (a.status NOT IN ('created', 'pending') OR p.status NOT IN ('requires_method', 'pending'))
         AND ao.amount > COALESCE((SELECT sum(r.amount) FROM refunds r WHERE r.out_trade_no = ao.out_trade_no
                        AND r.status IN ('pending', 'processing', 'blocked_insufficient_funds', 'succeeded')), 0)
       ORDER BY a.payment_id, ao.out_trade_no LIMIT $1`,
        [limit],
      )
    ).rows;
  },
  /** Every merchant's sub-merchant account at a provider. */
  async subMerchants(q: Queryable, provider: ProviderName) {
    return (
      await q.query<{ merchant_id: string; sub_merchant_id: string }>(
        'SELECT merchant_id, sub_merchant_id FROM provider_accounts WHERE provider = $1 AND sub_merchant_id IS NOT NULL ORDER BY merchant_id',
        [provider],
      )
    ).rows;
  },
};
