// Race: 64 approvals of one refund request. Exactly one approves it and exactly one refund of the asked amount reaches
// the provider; the others are told the request was already decided.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startHutong, type TestHutong } from '../helpers/hutong';
import { payableMerchant, type TestMerchant } from '../helpers/market';
import { RACERS, expectInvariantsHold, race, tally, winners } from './kit';
import { outTradeNoOf, paidCheckout, sandboxTrade } from './market';

let h: TestHutong;
let m: TestMerchant;
beforeAll(async () => {
  h = await startHutong();
  m = await payableMerchant(h, 'Approvals');
});
afterAll(async () => {
  await h?.close();
});

test('64 merchants approving one refund request: one approval, one refund at the provider', async () => {
  const paid = await paidCheckout(h, 'alipay', [{ merchant: m, price: 10_000 }]);
  const orderId = paid.orders[0]!.id;
  // 3,000 of 10,000: an over-refund check alone would still let three approvals through.
  const asked = await h.call('POST', `/v1/orders/${orderId}/refund-requests`, {
    key: paid.buyer.key,
    body: { amount: 3_000, reason: 'damaged' },
  });
  expect(asked.status).toBe(201);

  const outcomes = await race(RACERS, () =>
    h.call('POST', `/v1/refund-requests/${asked.body.id}/approve`, { key: m.key }),
  );

  const approved = winners(outcomes).map((w) => w.body as { status: string; refund_id: string });
  const refunds = await h.call('GET', `/v1/orders/${orderId}/refunds`, { key: m.key });
  // One picture of everything the race left behind, so a failure shows the whole damage at once.
  expect({
    outcomes: tally(outcomes),
    approved: approved.map((a) => a.status),
    refunds: refunds.body.data.map((r: { id: string; amount: number }) => ({ id: r.id, amount: r.amount })),
    order_refunded: (await h.call('GET', `/v1/orders/${orderId}`, { key: m.key })).body.refunded_amount,
    provider_refunded: (await sandboxTrade(h, 'alipay', m.id, await outTradeNoOf(h, orderId)))?.refunded,
  }).toEqual({
    outcomes: { 200: 1, '409 refund_request_state_conflict': RACERS - 1 },
    approved: ['approved'],
    refunds: [{ id: approved[0]?.refund_id, amount: 3_000 }],
    order_refunded: 3_000,
    provider_refunded: 3_000,
  });
  await expectInvariantsHold(h);
});
