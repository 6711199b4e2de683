// Race: 64 partial refunds of one order, together worth more than it. Exactly as many win as fit in the order's
// amount; the provider refunds exactly that, never more.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHutong, type TestHutong } from '../helpers/hutong';
import { enableWechatpay, payableMerchant, type TestMerchant } from '../helpers/market';
import { RACERS, expectInvariantsHold, race, tally, winners } from './kit';
import { outTradeNoOf, paidCheckout, sandboxTrade } from './market';

let h: TestHutong;
let m: TestMerchant;
beforeAll(async () => {
  h = await startHutong();
  await enableWechatpay(h);
  m = await payableMerchant(h, 'Refunds', { wechatpay: true });
});
afterAll(async () => {
  await h?.close();
});

const PRICE = 10_000;
const EACH = 300; // 33 refunds fit (9,900); the 34th would pass the amount

describe.each(['alipay', 'wechatpay'] as const)('%s', (method) => {
  test('64 refunds of 300 on a 10,000 order: exactly 33 succeed, 9,900 reaches the provider', async () => {
    const paid = await paidCheckout(h, method, [{ merchant: m, price: PRICE }]);
    const orderId = paid.orders[0]!.id;
    const fit = Math.floor(PRICE / EACH);

    const outcomes = await race(RACERS, (i) =>
      h.call('POST', `/v1/orders/${orderId}/refunds`, { key: m.key, body: { amount: EACH, reason: `racer ${i}` } }),
    );

    const won = winners(outcomes).map((w) => w.body as { id: string; status: string });
    const refunds = (await h.call('GET', `/v1/orders/${orderId}/refunds`, { key: m.key })).body.data as Array<{
      id: string;
      amount: number;
      status: string;
    }>;
    expect({
      outcomes: tally(outcomes),
      refunds: refunds.length,
      refunded_by_hutong: refunds.reduce((sum, r) => sum + r.amount, 0),
      order_refunded: (await h.call('GET', `/v1/orders/${orderId}`, { key: m.key })).body.refunded_amount,
      provider_refunded: (await sandboxTrade(h, method, m.id, await outTradeNoOf(h, orderId)))?.refunded,
    }).toEqual({
      outcomes: { 201: fit, '409 refund_exceeds_remaining': RACERS - fit },
      refunds: fit,
      refunded_by_hutong: fit * EACH,
      order_refunded: fit * EACH,
      provider_refunded: fit * EACH,
    });
    expect(new Set(won.map((w) => w.id)).size).toBe(fit);
    await expectInvariantsHold(h);
  });
});
