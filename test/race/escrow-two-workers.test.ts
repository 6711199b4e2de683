// Race: 64 workers sweeping one escrow release at once (several worker processes on one PostgreSQL). The commission
// is shared at the provider once, booked once, and at the rate — never 0 because another worker got there first.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHutong, type TestHutong } from '../helpers/hutong';
import { enableWechatpay, payableMerchant, type TestMerchant } from '../helpers/market';
import { RACERS, expectInvariantsHold, race, settle } from './kit';
import { outTradeNoOf, paidCheckout, sandboxTrade } from './market';

let h: TestHutong;
let m: TestMerchant;
beforeAll(async () => {
  h = await startHutong();
  await enableWechatpay(h);
  m = await payableMerchant(h, 'Escrow', { wechatpay: true });
});
afterAll(async () => {
  await h?.close();
});

const PRICE = 10_000;
const COMMISSION = 500; // the default 5% of 10,000
const SCHEDULE_ROUNDS_MAX = 50;

describe.each(['alipay', 'wechatpay'] as const)('%s', (method) => {
  test('64 concurrent sweeps release one escrow with the full commission, shared once', async () => {
    const paid = await paidCheckout(h, method, [{ merchant: m, price: PRICE }]);
    const orderId = paid.orders[0]!.id;
    expect((await h.call('POST', `/v1/orders/${orderId}/ship`, { key: m.key })).status).toBe(200);
    await h.advance(2_000); // past the sandboxes' settlement delay
    expect((await h.call('POST', `/v1/orders/${orderId}/confirm-receipt`, { key: paid.buyer.key })).status).toBe(200);
    // The completed order schedules its release through the outbox: the row exists before the workers race for it.
    for (let round = 0; round < SCHEDULE_ROUNDS_MAX && (await h.escrow.ofOrder(orderId)) === undefined; round++)
      await h.outbox.run();
    expect((await h.escrow.ofOrder(orderId))?.status).toBe('pending');

    const outcomes = await race(RACERS, () => h.escrow.sweep());
    await settle(h, async () => (await h.escrow.ofOrder(orderId))?.status === 'released', 'the release');

    const release = await h.escrow.ofOrder(orderId);
    const events = await h.db.query(
      `SELECT 1 FROM outbox WHERE topic = 'escrow.released' AND payload->>'order_id' = $1`,
      [orderId],
    );
    const trade = await sandboxTrade(h, method, m.id, await outTradeNoOf(h, orderId));
    expect({
      sweep_errors: outcomes.filter((o) => o.error !== undefined).map((o) => String(o.error)),
      status: release?.status,
      commission: release?.commission,
      released_events: events.rows.length,
      provider_shared: (trade as { shared?: number } | undefined)?.shared,
    }).toEqual({
      sweep_errors: [],
      status: 'released',
      commission: COMMISSION,
      released_events: 1,
      provider_shared: COMMISSION,
    });
    await expectInvariantsHold(h);
  });
});
