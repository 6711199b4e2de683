// A two-merchant checkout paid through Alipay's merged payment and WeChat Pay at nearly the same time, the sub-trade
// notifications interleaved: one Alipay sub-trade recorded while its attempt is still live, then WeChat Pay wins,
// then the other Alipay sub-trade. Everything the losing attempt took goes back, and the invariant
// losing_attempts_refunded (hutong check, reconciliation) would have caught it otherwise.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHutong, type TestHutong } from '../../test/helpers/hutong';
import {
  buyer,
  checkout,
  enableWechatpay,
  payableMerchant,
  product,
  until,
  walletPay,
  type TestMerchant,
} from '../../test/helpers/market';
import { losingAttemptsRefunded } from '../ledger/invariants';
import type { PaidSubTrade } from '../providers/types';
import { fen } from '../shared/money';

let h: TestHutong;
let shops: TestMerchant[];

beforeAll(async () => {
  h = await startHutong();
  await enableWechatpay(h);
  shops = [
    await payableMerchant(h, 'Tea shop', { wechatpay: true }),
    await payableMerchant(h, 'Cup shop', { wechatpay: true }),
  ];
});
afterAll(async () => {
  await h?.close();
});

async function faults(provider: 'alipay' | 'wechatpay', knobs: Record<string, unknown>): Promise<void> {
  expect((await h.call('PUT', `/sandbox/${provider}/faults`, { body: knobs })).status).toBe(200);
}

/** What the provider says was paid on each sub-trade of an attempt (the janitor's view). */
async function paidSubTrades(attemptId: string): Promise<PaidSubTrade[]> {
  const attempt = (
    await h.payments.attemptsOfPayment(
      (
        await h.db.query<{ payment_id: string }>('SELECT payment_id FROM attempts WHERE id = $1', [attemptId])
      ).rows[0]!.payment_id,
    )
  ).find((a) => a.id === attemptId)!;
  const statuses = await h.providers.get(attempt.method).queryTrade(await h.payments.tradeRef(attempt));
  return statuses.map((s) => {
    expect(s.state).toBe('succeeded');
    return {
      outTradeNo: s.outTradeNo,
      subMerchantId: s.subMerchantId,
      transactionId: s.transactionId!,
      amountFen: fen(s.amountFen!),
      paidAt: s.paidAt ?? new Date(),
    };
  });
}

async function twoMerchantCheckout() {
  const buy = await buyer(h);
  const items = [];
  for (const [i, shop] of shops.entries())
    items.push({ product_id: (await product(h, shop, { price: 1_234 + i * 1_111 })).id, quantity: 1 });
  return { buy, co: await checkout(h, buy.key, items) };
}

async function attempt(buyerKey: string, paymentId: string, method: 'alipay' | 'wechatpay') {
  const res = await h.call('POST', `/v1/payments/${paymentId}/attempts`, {
    key: buyerKey,
    body: { method, scene: 'qr' },
  });
  expect(res.status).toBe(201);
  return res.body as { id: string; action: { type: string; code_url?: string } };
}

describe('a losing attempt gives back everything it took', () => {
  test('Alipay merged payment and WeChat Pay both paid, notifications interleaved: both Alipay sub-orders are refunded', async () => {
    // Notifications are held back, so the test delivers the sub-trades itself, in the order of the race.
    await faults('alipay', { notifyDrop: 1_000 });
    await faults('wechatpay', { notifyDrop: true });
    const { buy, co } = await twoMerchantCheckout();
    const wechat = await attempt(buy.key, co.payment.id, 'wechatpay');
    // Closing the WeChat Pay attempt (when the buyer switches to Alipay) does not get through: both stay payable.
    await faults('wechatpay', { callError5xx: true });
    const alipay = await attempt(buy.key, co.payment.id, 'alipay');
    await h.payments.closeOtherAttempts(co.payment.id, alipay.id);
    expect((await walletPay(h, 'wechatpay', wechat.action)).status).toBe(200);
    expect((await walletPay(h, 'alipay', alipay.action)).status).toBe(200);
    await faults('wechatpay', { callError5xx: false });

    const [first, second] = await paidSubTrades(alipay.id);
    expect(await h.payments.recordSubTradePaid('alipay', first!)).toBe('applied'); // its attempt still live
    const wechatTrades = await paidSubTrades(wechat.id);
    expect(await h.payments.recordNotifiedPayment('wechatpay', `race-${wechat.id}`, {}, wechatTrades)).toEqual([
      'applied',
      'applied',
    ]);
    expect(await h.payments.recordSubTradePaid('alipay', second!)).toBe('late_refunded');

    const payment = await h.call('GET', `/v1/payments/${co.payment.id}`, { key: buy.key });
    expect(payment.body.status).toBe('succeeded');
    await until(
      h,
      async () => {
        const { rows } = await h.db.query<{ status: string }>(`SELECT status FROM refunds WHERE attempt_id = $1`, [
          alipay.id,
        ]);
        return rows.length === 2 && rows.every((r) => r.status === 'succeeded');
      },
      'both Alipay sub-orders refunded',
    );
    const refunded = await h.db.query<{ out_trade_no: string; amount: number }>(
      `SELECT out_trade_no, amount FROM refunds WHERE attempt_id = $1 ORDER BY out_trade_no`,
      [alipay.id],
    );
    expect(refunded.rows).toEqual([
      { out_trade_no: first!.outTradeNo, amount: first!.amountFen },
      { out_trade_no: second!.outTradeNo, amount: second!.amountFen },
    ]);
    expect((await h.db.query(`SELECT 1 FROM refunds WHERE attempt_id = $1`, [wechat.id])).rows).toHaveLength(0);

    expect((await losingAttemptsRefunded(h.db)).violations).toEqual([]);
    await h.outbox.run();
    const invariants = await h.call('GET', '/v1/ledger/invariants', { key: h.opsKey });
    expect(invariants.body.invariants.filter((i: { violations: unknown[] }) => i.violations.length > 0)).toEqual([]);
    expect(invariants.body.invariants.map((i: { name: string }) => i.name)).toContain('losing_attempts_refunded');
    await faults('alipay', { notifyDrop: 0 });
    await faults('wechatpay', { notifyDrop: false });
  });

  test('the invariant reports a losing attempt whose refunds the provider closed: the money was kept', async () => {
    await faults('wechatpay', { refundResult: 'CLOSED', notifyDrop: true });
    await faults('alipay', { notifyDrop: 1_000 });
    const again = await twoMerchantCheckout();
    const wechat = await attempt(again.buy.key, again.co.payment.id, 'wechatpay');
    await faults('wechatpay', { callError5xx: true });
    const ali = await attempt(again.buy.key, again.co.payment.id, 'alipay');
    await h.payments.closeOtherAttempts(again.co.payment.id, ali.id);
    expect((await walletPay(h, 'wechatpay', wechat.action)).status).toBe(200);
    expect((await walletPay(h, 'alipay', ali.action)).status).toBe(200);
    await faults('wechatpay', { callError5xx: false });
    for (const t of await paidSubTrades(ali.id)) await h.payments.recordSubTradePaid('alipay', t);
    for (const t of await paidSubTrades(wechat.id)) await h.payments.recordSubTradePaid('wechatpay', t);
    await until(
      h,
      async () => {
        const r = await h.db.query<{ status: string }>(`SELECT status FROM refunds WHERE attempt_id = $1`, [wechat.id]);
        return r.rows.length === 2 && r.rows.every((x) => x.status === 'closed');
      },
      'WeChat Pay refunds closed by the provider',
    );
    const kept = (await losingAttemptsRefunded(h.db)).violations;
    expect(kept.map((v) => v.ref).sort()).toEqual((await paidSubTrades(wechat.id)).map((t) => t.outTradeNo).sort());
    await faults('wechatpay', { refundResult: 'SUCCESS', notifyDrop: false });
    await faults('alipay', { notifyDrop: 0 });
  });
});
