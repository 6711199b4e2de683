import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { actorOf } from '../http/auth-hook';
import { Body, FenAmount, IdParams } from '../shared/schemas';
import { HutongError } from '../shared/errors';
import { ListQuery, toPage } from '../shared/pagination';
import { fen } from '../shared/money';
import type { OrdersService } from './service';
import type { RefundRequests } from './refund-requests';
import type { OrderItemRow, OrderRow, RefundRequestRow } from './store';
import { ORDER_STATUSES } from './states';
import type { PaymentView } from '../payments/views';
import type { Actor } from '../auth/actor';

/** attribution is copied into every order of a checkout: a fixed shape of short strings, bounded in size. */
const ATTRIBUTION_FIELDS_MAX = 16;
const ATTRIBUTION_VALUE_MAX = 200;
const ATTRIBUTION_BYTES_MAX = 2048;

export function orderJson(o: OrderRow, items: OrderItemRow[]) {
  return {
    id: o.id,
    payment_id: o.payment_id,
    merchant_id: o.merchant_id,
    buyer_id: o.buyer_id,
    status: o.status,
    amount: o.amount,
    refunded_amount: o.refunded_amount,
    currency: 'CNY',
    fulfilment_type: o.fulfilment_type,
    items: items
      .filter((i) => i.order_id === o.id)
      .map((i) => ({ product_id: i.product_id, name: i.name, unit_price: i.unit_price, quantity: i.quantity })),
    pay_deadline: o.pay_deadline.toISOString(),
    paid_at: o.paid_at?.toISOString() ?? null,
    shipped_at: o.shipped_at?.toISOString() ?? null,
    auto_confirm_at: o.auto_confirm_at?.toISOString() ?? null,
    auto_confirm_paused: o.refund_paused_at !== null,
    confirm_extended: o.confirm_extended,
    completed_at: o.completed_at?.toISOString() ?? null,
    closed_at: o.closed_at?.toISOString() ?? null,
    close_reason: o.close_reason,
    attribution: o.attribution,
    created_at: o.created_at.toISOString(),
  };
}

export function refundRequestJson(r: RefundRequestRow) {
  return {
    id: r.id,
    order_id: r.order_id,
    amount: r.amount,
    reason: r.reason,
    status: r.status,
    decline_reason: r.decline_reason,
    refund_id: r.refund_id,
    created_at: r.created_at.toISOString(),
    decided_at: r.decided_at?.toISOString() ?? null,
  };
}

export function orderRoutes(
  app: FastifyInstance,
  orders: OrdersService,
  refundRequests: RefundRequests,
  payments: PaymentView,
): void {
  app.post(
    '/v1/orders',
    {
      config: { access: ['buyer'] },
      schema: {
        tags: ['orders'],
        summary: 'Check out: one order per merchant, one payment covering them; stock is reserved here.',
        body: Body({
          items: Type.Array(
            Body({
              product_id: Type.String({ minLength: 1, maxLength: 64 }),
              quantity: Type.Integer({ minimum: 1, maximum: 10_000, description: 'At least 1.' }),
            }),
            { minItems: 1, maxItems: 100 },
          ),
          attribution: Type.Optional(
            Type.Object(
              {},
              {
                additionalProperties: Type.String({ maxLength: ATTRIBUTION_VALUE_MAX }),
                propertyNames: { pattern: '^[a-z][a-z0-9_]{0,39}$' },
                maxProperties: ATTRIBUTION_FIELDS_MAX,
                description: `Where the buyer came from (utm_source, link, ad click): up to ${ATTRIBUTION_FIELDS_MAX} snake_case fields of short strings, ${ATTRIBUTION_BYTES_MAX} bytes in all. Copied into every order of the checkout.`,
              },
            ),
          ),
        }),
      },
    },
    async (req, reply) => {
      const b = req.body as {
        items: Array<{ product_id: string; quantity: number }>;
        attribution?: Record<string, string>;
      };
      if (b.attribution && Buffer.byteLength(JSON.stringify(b.attribution)) > ATTRIBUTION_BYTES_MAX) {
        throw new HutongError('validation_failed', `attribution is larger than ${ATTRIBUTION_BYTES_MAX} bytes.`);
      }
      const actor = actorOf(req);
      const checkout = await orders.createCheckout(
        actor,
        b.items.map((i) => ({ productId: i.product_id, quantity: i.quantity })),
        b.attribution,
      );
      return reply.status(201).send({
        orders: checkout.orders.map((o) => orderJson(o, checkout.items)),
        payment: await payments.paymentJson(actor, checkout.payment.id, req.headers),
      });
    },
  );

  app.get(
    '/v1/orders',
    {
      config: { access: ['buyer', 'merchant', 'ops'] },
      schema: {
        tags: ['orders'],
        querystring: Type.Intersect([
          ListQuery,
          Type.Object({ status: Type.Optional(Type.Union(ORDER_STATUSES.map((s) => Type.Literal(s)))) }),
        ]),
      },
    },
    async (req) => {
      const q = req.query as { limit?: number; cursor?: string; status?: string };
      const { rows, items } = await orders.listOrders(actorOf(req), q);
      return toPage(rows, q.limit ?? 50, (o) => orderJson(o, items));
    },
  );

  app.get(
    '/v1/orders/:id',
    { config: { access: ['buyer', 'merchant', 'ops'] }, schema: { tags: ['orders'], params: IdParams } },
    async (req) => {
      const { order, items } = await orders.order(actorOf(req), (req.params as { id: string }).id);
      return orderJson(order, items);
    },
  );

  const action = (
    path: string,
    summary: string,
    roles: Array<'buyer' | 'merchant' | 'ops'>,
    run: (id: string, req: { actor?: Actor }) => Promise<OrderRow>,
  ) =>
    app.post(
      `/v1/orders/:id/${path}`,
      { config: { access: roles }, schema: { tags: ['orders'], summary, params: IdParams } },
      async (req) => {
        const order = await run((req.params as { id: string }).id, req);
        return orderJson(order, (await orders.order(actorOf(req), order.id)).items);
      },
    );
  action('ship', 'Mark a paid order shipped; starts the auto-confirm timer.', ['merchant', 'ops'], (id, req) =>
    orders.ship(actorOf(req), id),
  );
  action(
    'confirm-receipt',
    'The buyer confirms receipt: the order completes and its escrow is released.',
    ['buyer'],
    (id, req) => orders.confirmReceipt(actorOf(req), id),
  );
  action('cancel', 'Cancel an unpaid checkout (all its orders), releasing stock.', ['buyer'], (id, req) =>
    orders.cancel(actorOf(req), id),
  );
  action('extend-confirm', 'Extend the auto-confirm deadline once by 3 days.', ['buyer'], (id, req) =>
    orders.extendConfirm(actorOf(req), id),
  );

  app.post(
    '/v1/orders/:id/refund-requests',
    {
      config: { access: ['buyer'] },
      schema: {
        tags: ['refunds'],
        summary: 'Ask the merchant for a refund; pauses the auto-confirm timer while open.',
        params: IdParams,
        body: Body({ amount: FenAmount('Amount asked back.'), reason: Type.String({ minLength: 1, maxLength: 200 }) }),
      },
    },
    async (req, reply) => {
      const b = req.body as { amount: number; reason: string };
      return reply
        .status(201)
        .send(
          refundRequestJson(
            await refundRequests.requestRefund(
              actorOf(req),
              (req.params as { id: string }).id,
              fen(b.amount),
              b.reason,
            ),
          ),
        );
    },
  );

  app.get(
    '/v1/orders/:id/refund-requests',
    { config: { access: ['buyer', 'merchant', 'ops'] }, schema: { tags: ['refunds'], params: IdParams } },
    async (req) => ({
      data: (await refundRequests.refundRequestsOfOrder(actorOf(req), (req.params as { id: string }).id)).map(
        refundRequestJson,
      ),
      next_cursor: null,
    }),
  );

  // POST /v1/refund-requests/:id/approve is payments' route: approving makes a refund (payments/routes.ts).

  app.post(
    '/v1/refund-requests/:id/decline',
    {
      config: { access: ['merchant', 'ops'] },
      schema: {
        tags: ['refunds'],
        params: IdParams,
        body: Body({ reason: Type.String({ minLength: 1, maxLength: 200 }) }),
      },
    },
    async (req) =>
      refundRequestJson(
        await refundRequests.declineRefundRequest(
          actorOf(req),
          (req.params as { id: string }).id,
          (req.body as { reason: string }).reason,
        ),
      ),
  );
}
