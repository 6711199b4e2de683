// Race: the buyer confirming receipt (32 clients) while the merchant refunds part of the order (32 clients of 500 on a
// 10,000 order — together more than it). One confirmation wins, every refund reaches the provider once,
// and the escrow released afterwards shares the commission on what is left, matching the provider to the fen.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHutong, type TestHutong } from '../helpers/hutong';
import { enableWechatpay, payableMerchant, type TestMerchant } from '../helpers/market';
import { RACERS, expectInvariantsHold, race, settle, tally } from './kit';
import { outTradeNoOf, paidCheckout, sandboxTrade } from './market';

let h: TestHutong;
let m: TestMerchant;
beforeAll(async () => {
  h = await startHutong();
  await enableWechatpay(h);
  m = await payableMerchant(h, 'Receipts', { wechatpay: true });
});
afterAll(async () => {
  await h?.close();
});

const PRICE = 10_000;
const EACH = 200; // 32 × 200 = 6,400: every refund fits, before or after the release
const RATE_BP = 500; // the default commission rate

describe.each(['alipay', 'wechatpay'] as const)('%s', (method) => {
  test('confirm-receipt ×32 against refunds ×32: one confirmation, every refund once, the commission on the rest', async () => {
    const paid = await paidCheckout(h, method, [{ merchant: m, price: PRICE }]);
    const orderId = paid.orders[0]!.id;
    expect((await h.call('POST', `/v1/orders/${orderId}/ship`, { key: m.key })).status).toBe(200);
    await h.advance(2_000);

    const outcomes = await race(RACERS, (i) =>
      i % 2 === 0
        ? h.call('POST', `/v1/orders/${orderId}/confirm-receipt`, { key: paid.buyer.key })
        : h.call('POST', `/v1/orders/${orderId}/refunds`, { key: m.key, body: { amount: EACH } }),
    );
    const confirms = tally(outcomes.filter((o) => o.index % 2 === 0));
    const refundsTally = tally(outcomes.filter((o) => o.index % 2 === 1));

    await settle(h, async () => (await h.escrow.ofOrder(orderId))?.status === 'released', 'the release');
    await settle(
      h,
      async () =>
        (await h.call('GET', `/v1/orders/${orderId}/refunds`, { key: m.key })).body.data.every(
          (r: { status: string }) => r.status === 'succeeded',
        ),
      'every refund',
    );
    const refunds = (await h.call('GET', `/v1/orders/${orderId}/refunds`, { key: m.key })).body.data as Array<{
      amount: number;
    }>;
    const refunded = refunds.reduce((sum, r) => sum + r.amount, 0);
    const release = (await h.escrow.ofOrder(orderId))!;
    const trade = await sandboxTrade(h, method, m.id, await outTradeNoOf(h, orderId));
    expect({
      confirms,
      refunds: refundsTally,
      order: (await h.call('GET', `/v1/orders/${orderId}`, { key: m.key })).body.status,
      order_refunded: (await h.call('GET', `/v1/orders/${orderId}`, { key: m.key })).body.refunded_amount,
      provider_refunded: trade?.refunded,
      commission: release.commission,
      provider_shared: (trade as { shared?: number } | undefined)?.shared,
    }).toEqual({
      confirms: { 200: 1, '409 order_state_conflict': RACERS / 2 - 1 },
      refunds: { 201: RACERS / 2 },
      order: 'completed',
      order_refunded: refunded,
      provider_refunded: refunded,
      commission: Math.floor(((release.commission_base ?? -1) * RATE_BP) / 10_000),
      provider_shared: release.commission,
    });
    expect(refunded).toBe((RACERS / 2) * EACH);
    await expectInvariantsHold(h);
  });
});
