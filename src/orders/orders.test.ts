// api.md "Buying" (orders part): checkout, stock under concurrency, the order state machine and its timers.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHutong, type TestHutong } from '../../test/helpers/hutong';
import { buyer, merchant, product, type TestMerchant } from '../../test/helpers/market';

const DAY = 86_400_000;
let h: TestHutong;
beforeAll(async () => {
  h = await startHutong({ sandboxes: false });
});
afterAll(async () => {
  await h?.close();
});

async function stockOf(id: string): Promise<number> {
  return (await h.call('GET', `/v1/products/${id}`, { key: h.opsKey })).body.stock;
}

/** Marks a checkout paid the way the payments module does, for tests of what happens after payment. */
async function markPaid(paymentId: string): Promise<void> {
  await h.db.tx(async (q) => {
    await q.query(`UPDATE payments SET status = 'succeeded' WHERE id = $1`, [paymentId]);
    await h.orders.markCheckoutPaid(q, paymentId);
  });
}

describe('checkout', () => {
  test('a two-merchant cart makes one order per merchant and one payment covering both', async () => {
    const a = await merchant(h, 'A');
    const b = await merchant(h, 'B');
    const pa = await product(h, a, { price: 1230, stock: 10 });
    const pb = await product(h, b, { price: 500, stock: 10 });
    const buy = await buyer(h);
    const res = await h.call('POST', '/v1/orders', {
      key: buy.key,
      body: {
        items: [
          { product_id: pa.id, quantity: 2 },
          { product_id: pb.id, quantity: 1 },
        ],
      },
    });
    expect(res.status).toBe(201);
    expect(res.body.orders).toHaveLength(2);
    const byMerchant = Object.fromEntries(
      res.body.orders.map((o: { merchant_id: string; amount: number }) => [o.merchant_id, o.amount]),
    );
    expect(byMerchant).toEqual({ [a.id]: 2460, [b.id]: 500 });
    expect(res.body.payment).toMatchObject({ amount: 2960, status: 'requires_method' });
    expect(res.body.payment.id).toMatch(/^pay_/);
    expect(res.body.orders.every((o: { status: string }) => o.status === 'pending_payment')).toBe(true);
    expect(await stockOf(pa.id)).toBe(8);
    const payment = await h.call('GET', `/v1/payments/${res.body.payment.id}`, { key: buy.key });
    expect(payment.body.order_ids.sort()).toEqual(res.body.orders.map((o: { id: string }) => o.id).sort());
  });

  test('bad carts are refused with a stable code and change nothing', async () => {
    const m = await merchant(h);
    const p = await product(h, m, { stock: 3 });
    const buy = await buyer(h);
    const cases: Array<[unknown, number, string]> = [
      [{ items: [{ product_id: p.id, quantity: 0 }] }, 422, 'validation_failed'],
      [{ items: [{ product_id: p.id, quantity: 1.5 }] }, 422, 'validation_failed'],
      [{ items: [] }, 422, 'validation_failed'],
      [{ items: [{ product_id: 'prd_missing', quantity: 1 }] }, 422, 'unknown_product'],
      [
        {
          items: [
            { product_id: p.id, quantity: 1 },
            { product_id: p.id, quantity: 1 },
          ],
        },
        422,
        'duplicate_item',
      ],
      [{ items: [{ product_id: p.id, quantity: 4 }] }, 409, 'insufficient_stock'],
    ];
    for (const [body, status, code] of cases) {
      const res = await h.call('POST', '/v1/orders', { key: buy.key, body });
      expect([res.status, res.body.error.code]).toEqual([status, code]);
    }
    expect(await stockOf(p.id)).toBe(3);
    expect((await h.call('GET', '/v1/orders', { key: buy.key })).body.data).toHaveLength(0);
  });

  test('a failure mid-checkout leaves no half order and no leaked stock', async () => {
    const m = await merchant(h);
    const plenty = await product(h, m, { stock: 5 });
    const scarce = await product(h, m, { stock: 1 });
    const buy = await buyer(h);
    const res = await h.call('POST', '/v1/orders', {
      key: buy.key,
      body: {
        items: [
          { product_id: plenty.id, quantity: 2 },
          { product_id: scarce.id, quantity: 2 },
        ],
      },
    });
    expect(res.body.error.code).toBe('insufficient_stock');
    expect(await stockOf(plenty.id)).toBe(5);
    expect(await stockOf(scarce.id)).toBe(1);
  });

  test('50 concurrent buyers on a product with stock 10 give exactly 10 orders and stock 0', async () => {
    const m = await merchant(h, 'Hot');
    const hot = await product(h, m, { stock: 10 });
    const buyers = await Promise.all(Array.from({ length: 50 }, (_, i) => buyer(h, `B${i}`)));
    const results = await Promise.all(
      buyers.map((b) =>
        h.call('POST', '/v1/orders', { key: b.key, body: { items: [{ product_id: hot.id, quantity: 1 }] } }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(10);
    expect(results.filter((r) => r.status === 409).every((r) => r.body.error.code === 'insufficient_stock')).toBe(true);
    expect(results.filter((r) => r.status === 409)).toHaveLength(40);
    expect(await stockOf(hot.id)).toBe(0);
    const { rows } = await h.db.query<{ n: number }>(
      `SELECT count(*)::bigint AS n FROM order_items WHERE product_id = $1`,
      [hot.id],
    );
    expect(rows[0]!.n).toBe(10);
  });

  test('a buyer sees only its own orders; a merchant only its own', async () => {
    const m1 = await merchant(h);
    const m2 = await merchant(h);
    const p1 = await product(h, m1);
    const b1 = await buyer(h);
    const b2 = await buyer(h);
    const co = await h.call('POST', '/v1/orders', {
      key: b1.key,
      body: { items: [{ product_id: p1.id, quantity: 1 }] },
    });
    const orderId = co.body.orders[0].id;
    expect((await h.call('GET', `/v1/orders/${orderId}`, { key: b2.key })).body.error.code).toBe('forbidden_resource');
    expect((await h.call('GET', `/v1/orders/${orderId}`, { key: m2.key })).body.error.code).toBe('forbidden_resource');
    expect((await h.call('GET', `/v1/payments/${co.body.payment.id}`, { key: b2.key })).body.error.code).toBe(
      'forbidden_resource',
    );
    expect((await h.call('GET', `/v1/orders/${orderId}`, { key: m1.key })).status).toBe(200);
    expect((await h.call('GET', '/v1/orders', { key: m2.key })).body.data).toHaveLength(0);
  });
});

describe('order lifecycle and timers', () => {
  let m: TestMerchant;
  beforeAll(async () => {
    m = await merchant(h, 'Timers');
  });

  async function checkout(productOpts: Record<string, unknown> = {}) {
    const p = await product(h, m, { stock: 10, ...productOpts });
    const b = await buyer(h);
    const res = await h.call('POST', '/v1/orders', {
      key: b.key,
      body: { items: [{ product_id: p.id, quantity: 2 }] },
    });
    expect(res.status).toBe(201);
    return { p, b, order: res.body.orders[0], payment: res.body.payment };
  }

  test('an unpaid checkout closes after its timeout and releases its stock', async () => {
    const { p, b, order } = await checkout();
    expect(await stockOf(p.id)).toBe(8);
    h.clock.advance(15 * 60_000 + 1000);
    await h.worker.runOnce();
    const after = await h.call('GET', `/v1/orders/${order.id}`, { key: b.key });
    expect(after.body).toMatchObject({ status: 'closed', close_reason: 'unpaid_timeout' });
    expect(await stockOf(p.id)).toBe(10);
  });

  test('cancelling one order of an unpaid checkout closes the whole checkout', async () => {
    const m2 = await merchant(h, 'Other');
    const p1 = await product(h, m, { stock: 5 });
    const p2 = await product(h, m2, { stock: 5 });
    const b = await buyer(h);
    const co = await h.call('POST', '/v1/orders', {
      key: b.key,
      body: {
        items: [
          { product_id: p1.id, quantity: 1 },
          { product_id: p2.id, quantity: 1 },
        ],
      },
    });
    const res = await h.call('POST', `/v1/orders/${co.body.orders[0].id}/cancel`, { key: b.key });
    expect(res.body).toMatchObject({ status: 'closed', close_reason: 'cancelled' });
    const other = await h.call('GET', `/v1/orders/${co.body.orders[1].id}`, { key: b.key });
    expect(other.body.status).toBe('closed');
    expect((await h.call('GET', `/v1/payments/${co.body.payment.id}`, { key: b.key })).body.status).toBe('expired');
    expect([await stockOf(p1.id), await stockOf(p2.id)]).toEqual([5, 5]);
    const again = await h.call('POST', `/v1/orders/${co.body.orders[0].id}/cancel`, { key: b.key });
    expect(again.body.error.code).toBe('order_state_conflict');
  });

  test('ship → confirm receipt completes the order; shipping twice is a conflict', async () => {
    const { b, order, payment } = await checkout();
    expect((await h.call('POST', `/v1/orders/${order.id}/ship`, { key: m.key })).body.error.code).toBe(
      'order_state_conflict',
    );
    await markPaid(payment.id);
    const shipped = await h.call('POST', `/v1/orders/${order.id}/ship`, { key: m.key });
    expect(shipped.body.status).toBe('shipped');
    expect((await h.call('POST', `/v1/orders/${order.id}/ship`, { key: m.key })).body.error.code).toBe(
      'order_state_conflict',
    );
    expect((await h.call('POST', `/v1/orders/${order.id}/confirm-receipt`, { key: m.key })).body.error.code).toBe(
      'forbidden_role',
    );
    const done = await h.call('POST', `/v1/orders/${order.id}/confirm-receipt`, { key: b.key });
    expect(done.body.status).toBe('completed');
  });

  test('auto-confirm follows the fulfilment type: virtual after 3 days, express after 10', async () => {
    const virtual = await checkout({ fulfilment_type: 'virtual' });
    const express = await checkout({ fulfilment_type: 'express' });
    for (const c of [virtual, express]) {
      await markPaid(c.payment.id);
      await h.call('POST', `/v1/orders/${c.order.id}/ship`, { key: m.key });
    }
    h.clock.advance(3 * DAY + 1000);
    await h.worker.runOnce();
    expect((await h.call('GET', `/v1/orders/${virtual.order.id}`, { key: m.key })).body.status).toBe('completed');
    expect((await h.call('GET', `/v1/orders/${express.order.id}`, { key: m.key })).body.status).toBe('shipped');
    h.clock.advance(7 * DAY);
    await h.worker.runOnce();
    expect((await h.call('GET', `/v1/orders/${express.order.id}`, { key: m.key })).body.status).toBe('completed');
  });

  test('the buyer may extend once; an open refund request pauses the timer', async () => {
    const c = await checkout({ fulfilment_type: 'same_city' });
    await markPaid(c.payment.id);
    await h.call('POST', `/v1/orders/${c.order.id}/ship`, { key: m.key });
    const extended = await h.call('POST', `/v1/orders/${c.order.id}/extend-confirm`, { key: c.b.key });
    expect(extended.body.confirm_extended).toBe(true);
    expect((await h.call('POST', `/v1/orders/${c.order.id}/extend-confirm`, { key: c.b.key })).body.error.code).toBe(
      'auto_confirm_extension_used',
    );
    const rr = await h.call('POST', `/v1/orders/${c.order.id}/refund-requests`, {
      key: c.b.key,
      body: { amount: 100, reason: 'scratched' },
    });
    expect(rr.status).toBe(201);
    expect(
      (
        await h.call('POST', `/v1/orders/${c.order.id}/refund-requests`, {
          key: c.b.key,
          body: { amount: 100, reason: 'again' },
        })
      ).body.error.code,
    ).toBe('refund_request_open');
    h.clock.advance(6 * DAY); // past 2 + 3 days: paused, so still shipped
    await h.worker.runOnce();
    expect((await h.call('GET', `/v1/orders/${c.order.id}`, { key: m.key })).body).toMatchObject({
      status: 'shipped',
      auto_confirm_paused: true,
    });
    const declined = await h.call('POST', `/v1/refund-requests/${rr.body.id}/decline`, {
      key: m.key,
      body: { reason: 'no damage in photos' },
    });
    expect(declined.body.status).toBe('declined');
    await h.worker.runOnce();
    expect((await h.call('GET', `/v1/orders/${c.order.id}`, { key: m.key })).body.status).toBe('shipped'); // the paused days were given back
    h.clock.advance(5 * DAY + 1000);
    await h.worker.runOnce();
    expect((await h.call('GET', `/v1/orders/${c.order.id}`, { key: m.key })).body.status).toBe('completed');
  });
});
