// SQL for orders, their items and refund requests.
import type { Queryable } from '../shared/db';
import { unclaimed } from '../ops/claims';
import { afterClause, afterParams, type Page } from '../shared/pagination';
import type { FulfilmentType } from '../config';
import { transition, transitionWhere, withoutStatus } from '../shared/machine';
import { ORDER_MACHINE, REFUND_REQUEST_MACHINE, type OrderStatus, type RefundRequestStatus } from './states';

export interface OrderRow {
  id: string;
  payment_id: string;
  merchant_id: string;
  buyer_id: string;
  status: OrderStatus;
  amount: number;
  refunded_amount: number;
  fulfilment_type: FulfilmentType;
  pay_deadline: Date;
  paid_at: Date | null;
  shipped_at: Date | null;
  auto_confirm_at: Date | null;
  confirm_extended: boolean;
  refund_paused_at: Date | null;
  completed_at: Date | null;
  closed_at: Date | null;
  close_reason: string | null;
  attribution: Record<string, unknown> | null;
  created_at: Date;
}

export interface OrderItemRow {
  order_id: string;
  product_id: string;
  name: string;
  unit_price: number;
  quantity: number;
}

export interface RefundRequestRow {
  id: string;
  order_id: string;
  buyer_id: string;
  merchant_id: string;
  amount: number;
  reason: string;
  status: RefundRequestStatus;
  decline_reason: string | null;
  refund_id: string | null;
  created_at: Date;
  decided_at: Date | null;
}

export const ordersStore = {
  async insertOrder(q: Queryable, o: OrderRow): Promise<void> {
    await q.query(
      `INSERT INTO orders (id, payment_id, merchant_id, buyer_id, status, amount, fulfilment_type, pay_deadline, attribution, created_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
      [
        o.id,
        o.payment_id,
        o.merchant_id,
        o.buyer_id,
        o.status,
        o.amount,
        o.fulfilment_type,
        o.pay_deadline,
        o.attribution ? JSON.stringify(o.attribution) : null,
        o.created_at,
      ],
    );
  },
  async insertItems(q: Queryable, items: OrderItemRow[]): Promise<void> {
    if (!items.length) return;
    await q.query(
      `INSERT INTO order_items (order_id, product_id, name, unit_price, quantity)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::int[])`,
      [
        items.map((i) => i.order_id),
        items.map((i) => i.product_id),
        items.map((i) => i.name),
        items.map((i) => i.unit_price),
        items.map((i) => i.quantity),
      ],
    );
  },
  async order(q: Queryable, id: string, forUpdate = false): Promise<OrderRow | undefined> {
    return (await q.query<OrderRow>(`SELECT * FROM orders WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]))
      .rows[0];
  },
  async ordersOfPayment(q: Queryable, paymentId: string, forUpdate = false): Promise<OrderRow[]> {
    return (
      await q.query<OrderRow>(
        `SELECT * FROM orders WHERE payment_id = $1 ORDER BY merchant_id, id${forUpdate ? ' FOR UPDATE' : ''}`,
        [paymentId],
      )
    ).rows;
  },
  async items(q: Queryable, orderIds: string[]): Promise<OrderItemRow[]> {
    return (
      await q.query<OrderItemRow>(
        'SELECT * FROM order_items WHERE order_id = ANY($1::text[]) ORDER BY order_id, product_id',
        [orderIds],
      )
    ).rows;
  },
  async orders(
    q: Queryable,
    scope: { merchantId: string | null; buyerId: string | null },
    filter: { status?: string },
    page: Page,
  ): Promise<OrderRow[]> {
    const { rows } = await q.query<OrderRow>(
      `SELECT * FROM orders WHERE ($1::text IS NULL OR merchant_id = $1) AND ($2::text IS NULL OR buyer_id = $2)
       AND ($3::text IS NULL OR status = $3) AND ${afterClause(4)} ORDER BY created_at, id LIMIT $6`,
      [scope.merchantId, scope.buyerId, filter.status ?? null, ...afterParams(page), page.limit + 1],
    );
    return rows;
  },
  /** The transition: zero rows means someone else moved the order first. */
  async transition(
    q: Queryable,
    id: string,
    from: OrderStatus[],
    to: OrderStatus,
    set: Record<string, unknown> = {},
  ): Promise<OrderRow | undefined> {
    return transition<OrderStatus, OrderRow>(q, ORDER_MACHINE, id, from, to, set);
  },
  /** Every order of a checkout that is still in `from` (one statement for a multi-merchant checkout). */
  async transitionOfPayment(
    q: Queryable,
    paymentId: string,
    from: OrderStatus[],
    to: OrderStatus,
    set: Record<string, unknown> = {},
  ): Promise<OrderRow[]> {
    return transitionWhere<OrderStatus, OrderRow>(q, ORDER_MACHINE, { payment_id: paymentId }, from, to, set);
  },
  async update(q: Queryable, id: string, set: Record<string, unknown>): Promise<OrderRow | undefined> {
    const cols = Object.keys(withoutStatus(set));
    const { rows } = await q.query<OrderRow>(
      `UPDATE orders SET ${cols.map((c, i) => `${c} = $${i + 2}`).join(', ')} WHERE id = $1 RETURNING *`,
      [id, ...cols.map((c) => set[c])],
    );
    return rows[0];
  },
  async dueUnpaidPayments(q: Queryable, now: Date, limit: number): Promise<string[]> {
    const { rows } = await q.query<{ payment_id: string }>(
      `SELECT DISTINCT payment_id FROM (SELECT payment_id FROM orders o WHERE status = 'pending_payment' AND pay_deadline <= $1
         AND ${unclaimed('order_timeout', 'o.payment_id', '$1')} ORDER BY pay_deadline LIMIT $2) due`,
      [now, limit],
    );
    return rows.map((r) => r.payment_id);
  },
  async dueAutoConfirm(q: Queryable, now: Date, limit: number): Promise<string[]> {
    const { rows } = await q.query<{ id: string }>(
      `SELECT id FROM orders o WHERE status = 'shipped' AND auto_confirm_at <= $1 AND refund_paused_at IS NULL
         AND ${unclaimed('auto_confirm', 'o.id', '$1')} ORDER BY auto_confirm_at LIMIT $2`,
      [now, limit],
    );
    return rows.map((r) => r.id);
  },
  async insertRefundRequest(q: Queryable, r: RefundRequestRow): Promise<void> {
    await q.query(
      `INSERT INTO refund_requests (id, order_id, buyer_id, merchant_id, amount, reason, status, created_at)
       VALUES ($1,$2,$3,$4,$5,$6,'open',$7)`,
      [r.id, r.order_id, r.buyer_id, r.merchant_id, r.amount, r.reason, r.created_at],
    );
  },
  async refundRequest(q: Queryable, id: string): Promise<RefundRequestRow | undefined> {
    return (await q.query<RefundRequestRow>('SELECT * FROM refund_requests WHERE id = $1', [id])).rows[0];
  },
  async refundRequestsOfOrder(q: Queryable, orderId: string): Promise<RefundRequestRow[]> {
    return (
      await q.query<RefundRequestRow>('SELECT * FROM refund_requests WHERE order_id = $1 ORDER BY created_at, id', [
        orderId,
      ])
    ).rows;
  },
  async decideRefundRequest(
    q: Queryable,
    id: string,
    to: 'approved' | 'declined',
    set: { decline_reason?: string; refund_id?: string; decided_at: Date },
  ): Promise<RefundRequestRow | undefined> {
    return transition<RefundRequestStatus, RefundRequestRow>(q, REFUND_REQUEST_MACHINE, id, ['open'], to, {
      decline_reason: set.decline_reason ?? null,
      refund_id: set.refund_id ?? null,
      decided_at: set.decided_at,
    });
  },
};
