// Race: the provider's notification of a two-merchant payment delivered 32 times while 32 janitor sweeps query the
// same attempt. Each sub-trade is recorded once, the payment succeeds once, nothing is refunded.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHutong, type TestHutong } from '../helpers/hutong';
import {
  buyer,
  checkout,
  enableWechatpay,
  payableMerchant,
  product,
  walletPay,
  type TestMerchant,
} from '../helpers/market';
import { RACERS, expectInvariantsHold, holdNotifications, race, settle, tally, type Outcome } from './kit';
import type { CallResult } from '../helpers/hutong';

let h: TestHutong;
let a: TestMerchant;
let b: TestMerchant;
beforeAll(async () => {
  h = await startHutong();
  await enableWechatpay(h);
  [a, b] = await Promise.all([
    payableMerchant(h, 'Notified A', { wechatpay: true }),
    payableMerchant(h, 'Notified B', { wechatpay: true }),
  ]);
});
afterAll(async () => {
  await h?.close();
});

const JANITOR_FIRST_LOOK_MS = 31_000;

describe.each(['alipay', 'wechatpay'] as const)('%s', (method) => {
  test('32 deliveries of one notification against 32 janitor queries: one success, each sub-trade once', async () => {
    const [pa, pb] = [await product(h, a, { price: 1_230 }), await product(h, b, { price: 4_560 })];
    const buy = await buyer(h);
    const co = await checkout(h, buy.key, [
      { product_id: pa.id, quantity: 1 },
      { product_id: pb.id, quantity: 1 },
    ]);
    const hold = await holdNotifications();
    const publicUrl = h.config.publicUrl;
    h.config.publicUrl = hold.base; // this attempt's notify_url: the holding endpoint
    let att: CallResult;
    try {
      att = await h.call('POST', `/v1/payments/${co.payment.id}/attempts`, {
        key: buy.key,
        body: { method, scene: 'qr' },
      });
    } finally {
      h.config.publicUrl = publicUrl;
    }
    expect(att.status).toBe(201);
    expect((await walletPay(h, method, att.body.action)).status).toBe(200);
    await settle(h, async () => hold.held.length > 0, 'the held notification');
    await hold.close();
    const notice = hold.held[0]!;
    h.clock.advance(JANITOR_FIRST_LOOK_MS); // the attempt is due for the janitor's query

    const outcomes = await race(RACERS, (i) =>
      i % 2 === 0
        ? h.call('POST', `/notify/${method}`, { rawBody: notice.body, headers: notice.headers })
        : h.payments
            .sweepAttempts()
            .then((n): CallResult => ({ status: 0, body: `swept ${n}`, headers: new Headers() })),
    );
    const deliveries = tally(outcomes.filter((o) => o.index % 2 === 0) as Outcome<CallResult>[]);
    const sweepErrors = outcomes.filter((o) => o.index % 2 === 1 && o.error !== undefined).map((o) => String(o.error));
    await settle(
      h,
      async () => (await h.call('GET', `/v1/payments/${co.payment.id}`, { key: buy.key })).body.status === 'succeeded',
      'the payment',
    );

    const view = (await h.call('GET', `/v1/payments/${co.payment.id}`, { key: buy.key })).body;
    const paidEvents = await h.db.query<{ out_trade_no: string }>(
      `SELECT payload->>'out_trade_no' AS out_trade_no FROM outbox WHERE topic = 'payment.sub_order_paid' AND payload->>'payment_id' = $1 ORDER BY 1`,
      [co.payment.id],
    );
    const succeededEvents = await h.db.query(
      `SELECT 1 FROM outbox WHERE topic = 'payment.succeeded' AND payload->>'payment_id' = $1`,
      [co.payment.id],
    );
    const refunds = await h.db.query(`SELECT 1 FROM refunds WHERE attempt_id = $1`, [att.body.id]);
    const orders = await Promise.all(
      co.orders.map(async (o) => (await h.call('GET', `/v1/orders/${o.id}`, { key: buy.key })).body.status),
    );
    expect({
      deliveries_refused: Object.entries(deliveries).filter(([label]) => label !== '200' && label !== '204'),
      sweep_errors: sweepErrors,
      attempts: view.attempts.map((x: { id: string; status: string }) => [x.id, x.status]),
      sub_trades_recorded: paidEvents.rows.map((r) => r.out_trade_no),
      payment_succeeded_events: succeededEvents.rows.length,
      refunds: refunds.rows.length,
      orders,
    }).toEqual({
      deliveries_refused: [],
      sweep_errors: [],
      attempts: [[att.body.id, 'succeeded']],
      sub_trades_recorded: [1, 2].map((n) => `${att.body.id.replace('att_', 'T')}_${n}`),
      payment_succeeded_events: 1,
      refunds: 0,
      orders: ['paid', 'paid'],
    });
    await expectInvariantsHold(h);
  });
});
