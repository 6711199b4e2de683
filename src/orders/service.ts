// Orders: checkout (one order per merchant, one payment for all, stock reserved atomically), the order state
// machine, escrow timers (unpaid close, auto-confirm) and refund requests.
import type { ModuleContext } from '../shared/context';
import { writeOnce } from '../shared/door';
import { newId } from '../shared/ids';
import { checkoutTotal, ensureBuyerWithinLimits } from './limits';
import { HutongError } from '../shared/errors';
import { ensureOwner, listScope, type Actor } from '../auth/actor';
import { pageFrom } from '../shared/pagination';
import { addFen, fen, type Fen } from '../shared/money';
import type { Queryable } from '../shared/db';
import { catalogStore } from '../catalog/store';
import { paymentStore, type PaymentRow } from '../payments/payment-store';
import { appendEvent } from '../outbox/store';
import { ordersStore as store, type OrderItemRow, type OrderRow } from './store';
import type { OrderStatus } from './states';
import { SweepClaims } from '../ops/claims';

const DAY_MS = 86_400_000;
/** Taobao lets a buyer extend receipt once; we add this many days, still inside the providers' escrow windows. */
export const CONFIRM_EXTENSION_DAYS = 3;
const SWEEP_SIZE_MAX = 200;

export interface CheckoutItem {
  productId: string;
  quantity: number;
}

export interface Checkout {
  orders: OrderRow[];
  items: OrderItemRow[];
  payment: PaymentRow;
}

export class OrdersService {
  private readonly claims: SweepClaims;

  constructor(private readonly ctx: ModuleContext) {
    this.claims = new SweepClaims(ctx);
  }

  async createCheckout(actor: Actor, items: CheckoutItem[], attribution?: Record<string, unknown>): Promise<Checkout> {
    if (actor.role !== 'buyer') throw new HutongError('forbidden_role', 'Only a buyer key can check out.');
    const ids = items.map((i) => i.productId);
    if (new Set(ids).size !== ids.length) throw new HutongError('duplicate_item');
    const products = await catalogStore.productsByIds(this.ctx.db, ids);
    const byId = new Map(products.map((p) => [p.id, p]));
    const missing = ids.filter((id) => !byId.has(id));
    if (missing.length) throw new HutongError('unknown_product', undefined, { product_ids: missing });
    checkoutTotal(
      items.map((i) => ({ unitPrice: byId.get(i.productId)!.price, quantity: i.quantity })),
      this.ctx.config.limits.orderAmountMaxFen,
    );

    const now = this.ctx.clock.now();
    const payDeadline = new Date(now.getTime() + this.ctx.config.unpaidTimeoutMs);
    const paymentId = newId('pay');
    const byMerchant = new Map<string, CheckoutItem[]>();
    for (const item of items) {
      const merchantId = byId.get(item.productId)!.merchant_id;
      byMerchant.set(merchantId, [...(byMerchant.get(merchantId) ?? []), item]);
    }
    const orders: OrderRow[] = [];
    const orderItems: OrderItemRow[] = [];
    for (const [merchantId, group] of [...byMerchant].sort(([a], [b]) => a.localeCompare(b))) {
      const id = newId('ord');
      const lines = group.map((i) => {
        const p = byId.get(i.productId)!;
        return { order_id: id, product_id: p.id, name: p.name, unit_price: p.price, quantity: i.quantity };
      });
      const amount = addFen(...lines.map((l) => fen(l.unit_price * l.quantity)));
      // The slowest fulfilment in the order decides its auto-confirm period.
      const fulfilment = group
        .map((i) => byId.get(i.productId)!.fulfilment_type)
        .sort((a, b) => this.ctx.config.autoConfirmDays[b] - this.ctx.config.autoConfirmDays[a])[0]!;
      orders.push(
        emptyOrder({
          id,
          payment_id: paymentId,
          merchant_id: merchantId,
          buyer_id: actor.buyerId,
          amount,
          fulfilment_type: fulfilment,
          pay_deadline: payDeadline,
          attribution: attribution ?? null,
          created_at: now,
        }),
      );
      orderItems.push(...lines);
    }
    const payment: PaymentRow = {
      id: paymentId,
      buyer_id: actor.buyerId,
      amount: addFen(...orders.map((o) => fen(o.amount))),
      status: 'requires_method',
      expires_at: payDeadline,
      succeeded_at: null,
      created_at: now,
    };
    return writeOnce(this.ctx.db, async (q) => {
      await ensureBuyerWithinLimits(
        q,
        actor.buyerId,
        { orders: orders.length, units: items.reduce((n, i) => n + i.quantity, 0) },
        this.ctx.config.limits,
      );
      await paymentStore.insert(q, payment);
      for (const o of orders) await store.insertOrder(q, o);
      await store.insertItems(q, orderItems);
      // Reserve last, so a hot product's row stays locked only for the end of the transaction; in product-id order,
      // so two checkouts never wait on each other in a cycle. A refusal rolls everything back.
      for (const item of [...items].sort((a, b) => a.productId.localeCompare(b.productId))) {
        if (!(await catalogStore.reserveStock(q, item.productId, item.quantity))) {
          throw new HutongError('insufficient_stock', undefined, { product_id: item.productId });
        }
      }
      return { orders, items: orderItems, payment };
    });
  }

  async order(actor: Actor, id: string): Promise<{ order: OrderRow; items: OrderItemRow[] }> {
    const order = await store.order(this.ctx.db, id);
    if (!order) throw new HutongError('not_found', `No order ${id}.`);
    ensureOwner(actor, { merchantId: order.merchant_id, buyerId: order.buyer_id });
    return { order, items: await store.items(this.ctx.db, [id]) };
  }

  async ordersOfPayment(paymentId: string, q: Queryable = this.ctx.db): Promise<OrderRow[]> {
    return store.ordersOfPayment(q, paymentId);
  }

  async listOrders(actor: Actor, query: { limit?: number; cursor?: string; status?: string }) {
    const rows = await store.orders(this.ctx.db, listScope(actor), { status: query.status }, pageFrom(query));
    const items = rows.length
      ? await store.items(
          this.ctx.db,
          rows.map((r) => r.id),
        )
      : [];
    return { rows, items };
  }

  async ship(actor: Actor, id: string): Promise<OrderRow> {
    const { order } = await this.order(actor, id);
    if (actor.role === 'buyer') throw new HutongError('forbidden_role');
    const now = this.ctx.clock.now();
    const autoConfirmAt = new Date(now.getTime() + this.ctx.config.autoConfirmDays[order.fulfilment_type] * DAY_MS);
    return writeOnce(this.ctx.db, async (q) => {
      const row = await store.transition(q, id, ['paid'], 'shipped', {
        shipped_at: now,
        auto_confirm_at: autoConfirmAt,
      });
      if (!row) throw conflict((await store.order(q, id))!, 'ship');
      return row;
    });
  }

  async confirmReceipt(actor: Actor, id: string): Promise<OrderRow> {
    const { order } = await this.order(actor, id);
    if (actor.role !== 'buyer') throw new HutongError('forbidden_role', 'Only the buyer confirms receipt.');
    return this.complete(order.id, 'buyer');
  }

  private async complete(id: string, by: 'buyer' | 'timer'): Promise<OrderRow> {
    return writeOnce(this.ctx.db, async (q) => {
      const now = this.ctx.clock.now();
      const done = await store.transition(q, id, ['shipped'], 'completed', { completed_at: now });
      if (!done) throw conflict((await store.order(q, id))!, by === 'buyer' ? 'confirm receipt' : 'auto-confirm');
      // Payments schedules the escrow release from this event.
      await appendEvent(
        q,
        {
          topic: 'order.completed',
          payload: { payment_id: done.payment_id, order_id: id, merchant_id: done.merchant_id },
        },
        id,
        now,
      );
      return done;
    });
  }

  /** Extends the auto-confirm deadline once (延长收货). */
  async extendConfirm(actor: Actor, id: string): Promise<OrderRow> {
    const { order } = await this.order(actor, id);
    if (actor.role !== 'buyer') throw new HutongError('forbidden_role');
    if (order.status !== 'shipped') throw conflict(order, 'extend');
    if (order.confirm_extended) throw new HutongError('auto_confirm_extension_used');
    return writeOnce(this.ctx.db, async (q) => {
      const { rows } = await q.query<OrderRow>(
        `UPDATE orders SET auto_confirm_at = auto_confirm_at + make_interval(days => $2), confirm_extended = true
         WHERE id = $1 AND status = 'shipped' AND NOT confirm_extended RETURNING *`,
        [id, CONFIRM_EXTENSION_DAYS],
      );
      if (!rows[0]) throw new HutongError('auto_confirm_extension_used');
      return rows[0];
    });
  }

  /** Cancelling any order of an unpaid checkout closes the whole checkout (api.md). */
  async cancel(actor: Actor, id: string): Promise<OrderRow> {
    const { order } = await this.order(actor, id);
    if (actor.role !== 'buyer') throw new HutongError('forbidden_role', 'Only the buyer cancels an unpaid order.');
    const closed = await this.closeUnpaidCheckout(order.payment_id, 'cancelled');
    if (!closed) throw conflict((await store.order(this.ctx.db, id))!, 'cancel');
    return (await store.order(this.ctx.db, id))!;
  }

  /** Closes every order of an unpaid checkout and releases its stock, once. */
  async closeUnpaidCheckout(paymentId: string, reason: 'cancelled' | 'unpaid_timeout'): Promise<boolean> {
    const closed = await writeOnce(this.ctx.db, async (q) => {
      const payment = await paymentStore.transition(q, paymentId, ['requires_method', 'pending'], 'expired');
      if (!payment) return false;
      const now = this.ctx.clock.now();
      const orders = await store.ordersOfPayment(q, paymentId);
      for (const o of orders) {
        if (!(await store.transition(q, o.id, ['pending_payment'], 'closed', { closed_at: now, close_reason: reason })))
          continue;
        for (const item of await store.items(q, [o.id]))
          await catalogStore.releaseStock(q, item.product_id, item.quantity);
      }
      // Payments closes the checkout's open attempts at the providers from this event.
      await appendEvent(q, { topic: 'checkout.closed', payload: { payment_id: paymentId, reason } }, paymentId, now);
      return true;
    });
    return closed;
  }

  /** Called by payments in its transaction when the checkout's payment succeeded. */
  async markCheckoutPaid(q: Queryable, paymentId: string): Promise<OrderRow[]> {
    // One conditional UPDATE for every order of the checkout: pending_payment → paid.
    return store.transitionOfPayment(q, paymentId, ['pending_payment'], 'paid', { paid_at: this.ctx.clock.now() });
  }

  /** Called by payments in its transaction when a refund of this order succeeded. */
  async recordRefunded(q: Queryable, orderId: string, amountFen: Fen): Promise<OrderRow> {
    const { rows } = await q.query<OrderRow>(
      `UPDATE orders SET refunded_amount = refunded_amount + $2 WHERE id = $1 AND refunded_amount + $2 <= amount RETURNING *`,
      [orderId, amountFen],
    );
    const row = rows[0];
    if (!row) throw new HutongError('refund_exceeds_remaining');
    if (row.refunded_amount === row.amount && (row.status === 'paid' || row.status === 'shipped')) {
      // A full refund before completion closes the order; a completed one stays completed.
      return (
        (await store.transition(q, orderId, ['paid', 'shipped'], 'closed', {
          closed_at: this.ctx.clock.now(),
          close_reason: 'refunded',
        })) ?? row
      );
    }
    return row;
  }

  /** While a refund is open the auto-confirm clock stands still. */
  async pauseAutoConfirm(q: Queryable, orderId: string): Promise<void> {
    await q.query('UPDATE orders SET refund_paused_at = $2 WHERE id = $1 AND refund_paused_at IS NULL', [
      orderId,
      this.ctx.clock.now(),
    ]);
  }

  async resumeAutoConfirm(q: Queryable, orderId: string): Promise<void> {
    await q.query(
      `UPDATE orders SET auto_confirm_at = auto_confirm_at + ($2::timestamptz - refund_paused_at), refund_paused_at = NULL
       WHERE id = $1 AND refund_paused_at IS NOT NULL`,
      [orderId, this.ctx.clock.now()],
    );
  }

  /**
   * One timer sweep: close unpaid checkouts past their deadline, auto-confirm shipped orders past theirs. Each
   * checkout or order is claimed first; a failing one backs off and never holds up the rest.
   */
  async runTimers(): Promise<{ closed: number; autoConfirmed: number }> {
    const now = this.ctx.clock.now();
    let closed = 0;
    let autoConfirmed = 0;
    await this.claims.driveEach(
      'order_timeout',
      await store.dueUnpaidPayments(this.ctx.db, now, SWEEP_SIZE_MAX),
      (id) => id,
      async (paymentId) => {
        if (await this.closeUnpaidCheckout(paymentId, 'unpaid_timeout')) closed++;
      },
    );
    await this.claims.driveEach(
      'auto_confirm',
      await store.dueAutoConfirm(this.ctx.db, now, SWEEP_SIZE_MAX),
      (id) => id,
      async (id) => {
        try {
          await this.complete(id, 'timer');
          autoConfirmed++;
        } catch (err) {
          if (!(err instanceof HutongError)) throw err; // someone else completed or closed it first
        }
      },
    );
    return { closed, autoConfirmed };
  }
}

function emptyOrder(
  o: Pick<
    OrderRow,
    | 'id'
    | 'payment_id'
    | 'merchant_id'
    | 'buyer_id'
    | 'amount'
    | 'fulfilment_type'
    | 'pay_deadline'
    | 'attribution'
    | 'created_at'
  >,
): OrderRow {
  return {
    ...o,
    status: 'pending_payment' as OrderStatus,
    refunded_amount: 0,
    paid_at: null,
    shipped_at: null,
    auto_confirm_at: null,
    confirm_extended: false,
    refund_paused_at: null,
    completed_at: null,
    closed_at: null,
    close_reason: null,
  };
}

export function conflict(order: OrderRow, action: string): HutongError {
  return new HutongError('order_state_conflict', `Cannot ${action} an order that is ${order.status}.`, {
    status: order.status,
  });
}
