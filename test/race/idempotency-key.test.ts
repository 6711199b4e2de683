// Race: one Idempotency-Key sent by 64 clients at once. The work happens once: every answer is the one stored
// response (201, same id) or 409 "in use" while the first is still running — never a second checkout or refund.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHutong, type TestHutong } from '../helpers/hutong';
import { buyer, payableMerchant, product, type TestMerchant } from '../helpers/market';
import { RACERS, expectInvariantsHold, race, tally, winners, type Outcome } from './kit';
import type { CallResult } from '../helpers/hutong';
import { outTradeNoOf, paidCheckout, sandboxTrade } from './market';

let h: TestHutong;
let m: TestMerchant;
beforeAll(async () => {
  h = await startHutong();
  m = await payableMerchant(h, 'Keys');
});
afterAll(async () => {
  await h?.close();
});

/** A concurrent duplicate may wait for the first and replay it, or be told the key is in use. */
const IN_USE = ['409 idempotency_key_in_use', '409 idempotency_request_in_progress'];

function expectOneAnswer(outcomes: Outcome<CallResult>[]): string {
  const counts = tally(outcomes);
  const other = Object.keys(counts).filter((label) => label !== '201' && !IN_USE.includes(label));
  expect({ unexpected: other.map((label) => `${label} ×${counts[label]}`), created: (counts['201'] ?? 0) > 0 }).toEqual(
    { unexpected: [], created: true },
  );
  const ids = new Set(winners(outcomes).map((w) => JSON.stringify(w.body?.payment?.id ?? w.body?.id)));
  expect([...ids]).toHaveLength(1);
  return JSON.parse([...ids][0]!) as string;
}

describe('the same Idempotency-Key from 64 clients', () => {
  test('a checkout is created once and its stock reserved once', async () => {
    const p = await product(h, m, { price: 2_500, stock: 100 });
    const buy = await buyer(h);
    const body = { items: [{ product_id: p.id, quantity: 3 }] };

    const outcomes = await race(RACERS, () =>
      h.call('POST', '/v1/orders', { key: buy.key, body, headers: { 'idempotency-key': 'checkout-once' } }),
    );

    const paymentId = expectOneAnswer(outcomes);
    const orders = await h.call('GET', '/v1/orders', { key: buy.key });
    expect({
      orders: orders.body.data.map((o: { payment_id: string }) => o.payment_id),
      stock: (await h.call('GET', `/v1/products/${p.id}`, { key: m.key })).body.stock,
    }).toEqual({ orders: [paymentId], stock: 97 });
  });

  test('a refund is made once and reaches the provider once', async () => {
    const paid = await paidCheckout(h, 'alipay', [{ merchant: m, price: 8_000 }]);
    const orderId = paid.orders[0]!.id;

    const outcomes = await race(RACERS, () =>
      h.call('POST', `/v1/orders/${orderId}/refunds`, {
        key: m.key,
        body: { amount: 1_000 },
        headers: { 'idempotency-key': 'refund-once' },
      }),
    );

    const refundId = expectOneAnswer(outcomes);
    const refunds = await h.call('GET', `/v1/orders/${orderId}/refunds`, { key: m.key });
    expect({
      refunds: refunds.body.data.map((r: { id: string; amount: number }) => ({ id: r.id, amount: r.amount })),
      provider_refunded: (await sandboxTrade(h, 'alipay', m.id, await outTradeNoOf(h, orderId)))?.refunded,
    }).toEqual({ refunds: [{ id: refundId, amount: 1_000 }], provider_refunded: 1_000 });
    await expectInvariantsHold(h);
  });
});
