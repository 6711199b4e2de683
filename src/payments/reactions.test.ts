// Payments reacts to orders through the outbox, not through in-memory listeners: the reaction is an event committed
// with the order's change, so it is there for whichever worker drains next, even after a crash.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHutong, type TestHutong } from '../../test/helpers/hutong';
import {
  buyer,
  checkout,
  enableWechatpay,
  payableMerchant,
  product,
  until,
  untilPaymentStatus,
  walletPay,
  type TestMerchant,
} from '../../test/helpers/market';

let h: TestHutong;
let m: TestMerchant;
beforeAll(async () => {
  h = await startHutong();
  await enableWechatpay(h);
  m = await payableMerchant(h, 'Reactions shop', { wechatpay: true });
});
afterAll(async () => {
  await h?.close();
});

async function pendingEvents(topic: string, paymentId: string): Promise<number> {
  const { rows } = await h.db.query<{ n: number }>(
    `SELECT count(*)::bigint AS n FROM outbox WHERE topic = $1 AND ordering_key = $2 AND state = 'pending'`,
    [topic, paymentId],
  );
  return rows[0]!.n;
}

describe('orders → payments through events', () => {
  test('a cancelled checkout: its open attempt is closed at the provider from the checkout.closed event, and cannot be paid', async () => {
    const p = await product(h, m, { price: 1_230 });
    const buy = await buyer(h);
    const co = await checkout(h, buy.key, [{ product_id: p.id, quantity: 1 }]);
    const att = await h.call('POST', `/v1/payments/${co.payment.id}/attempts`, {
      key: buy.key,
      body: { method: 'wechatpay', scene: 'qr' },
    });
    expect(att.status).toBe(201);
    expect((await h.call('POST', `/v1/orders/${co.orders[0]!.id}/cancel`, { key: buy.key })).body.status).toBe(
      'closed',
    );

    // Nothing happened in memory: the reaction waits in the outbox, committed with the close.
    expect(await pendingEvents('checkout.closed', co.payment.id)).toBe(1);
    const attemptStatus = async () =>
      (await h.call('GET', `/v1/payments/${co.payment.id}`, { key: buy.key })).body.attempts[0].status as string;
    expect(await attemptStatus()).toBe('pending');

    await until(h, async () => (await attemptStatus()) === 'closed', 'attempt closed after the checkout closed');
    expect(await pendingEvents('checkout.closed', co.payment.id)).toBe(0);
    expect((await walletPay(h, 'wechatpay', att.body.action)).status).toBeGreaterThanOrEqual(400);
  });

  test('receipt confirmed: the escrow release is scheduled from the order.completed event', async () => {
    const p = await product(h, m, { price: 2_000, fulfilment_type: 'express' });
    const buy = await buyer(h);
    const co = await checkout(h, buy.key, [{ product_id: p.id, quantity: 1 }]);
    const att = await h.call('POST', `/v1/payments/${co.payment.id}/attempts`, {
      key: buy.key,
      body: { method: 'alipay', scene: 'qr' },
    });
    expect((await walletPay(h, 'alipay', att.body.action)).status).toBe(200);
    await untilPaymentStatus(h, buy.key, co.payment.id, 'succeeded');
    const orderId = co.orders[0]!.id;
    expect((await h.call('POST', `/v1/orders/${orderId}/ship`, { key: m.key })).status).toBe(200);
    expect((await h.call('POST', `/v1/orders/${orderId}/confirm-receipt`, { key: buy.key })).body.status).toBe(
      'completed',
    );

    expect(await pendingEvents('order.completed', co.payment.id)).toBe(1);
    expect(await h.escrow.ofOrder(orderId)).toBeUndefined();
    await h.outbox.run();
    expect(await pendingEvents('order.completed', co.payment.id)).toBe(0);
    expect((await h.escrow.ofOrder(orderId))?.status).toBe('pending');
    await h.outbox.run(); // consumed once: running again schedules nothing twice
    await h.advance(2_000); // past the sandbox's settlement delay
    await until(h, async () => (await h.escrow.ofOrder(orderId))?.status === 'released', 'escrow released');
  });
});
