// Race: one two-merchant checkout paid at once through both providers — 64 buyers' devices each open an attempt
// (Alipay's merged payment or WeChat Pay's combined order, alternately) and pay it in the sandbox wallet. Exactly one
// attempt succeeds; every sub-trade any other attempt was paid for is refunded in full, so the buyer is charged the
// payment's amount exactly once.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startHutong, type TestHutong, type CallResult } from '../helpers/hutong';
import {
  buyer,
  checkout,
  enableWechatpay,
  payableMerchant,
  product,
  walletPay,
  type TestMerchant,
} from '../helpers/market';
import { RACERS, expectInvariantsHold, race, settle } from './kit';
import { subMerchantId, type Method } from './market';

let h: TestHutong;
let a: TestMerchant;
let b: TestMerchant;
beforeAll(async () => {
  h = await startHutong();
  await enableWechatpay(h);
  [a, b] = await Promise.all([
    payableMerchant(h, 'Both A', { wechatpay: true }),
    payableMerchant(h, 'Both B', { wechatpay: true }),
  ]);
});
afterAll(async () => {
  await h?.close();
});

/** The janitor's first look at an attempt: each settling round moves Hutong's clock this far. */
const JANITOR_STEP_MS = 31_000;

interface BookTrade {
  out_trade_no: string;
  refunded: number;
  total_amount?: number;
  paid_at?: number | null;
  paid?: number;
}

/** What each provider took from the buyer and gave back, per out_trade_no (from the sandboxes' own books). */
async function providerMoney(
  outTradeNos: Set<string>,
): Promise<Map<string, { method: Method; paid: number; refunded: number }>> {
  const money = new Map<string, { method: Method; paid: number; refunded: number }>();
  for (const method of ['alipay', 'wechatpay'] as const) {
    for (const m of [a, b]) {
      const books = await h.call(
        'GET',
        `/sandbox/${method}/books/sub-merchants/${await subMerchantId(h, m.id, method)}`,
      );
      for (const t of books.body.trades as BookTrade[]) {
        if (!outTradeNos.has(t.out_trade_no)) continue;
        const paid = method === 'alipay' ? (t.paid_at ? t.total_amount! : 0) : t.paid!;
        money.set(t.out_trade_no, { method, paid, refunded: t.refunded });
      }
    }
  }
  return money;
}

test('64 attempts over both providers, each paid at once: one wins, every other paid sub-trade is refunded in full', async () => {
  const [pa, pb] = [await product(h, a, { price: 2_040 }), await product(h, b, { price: 8_321 })];
  const buy = await buyer(h);
  const co = await checkout(h, buy.key, [
    { product_id: pa.id, quantity: 1 },
    { product_id: pb.id, quantity: 1 },
  ]);

  const outcomes = await race(RACERS, async (i): Promise<{ attempt: CallResult; pay?: CallResult }> => {
    const method: Method = i % 2 === 0 ? 'alipay' : 'wechatpay';
    const attempt = await h.call('POST', `/v1/payments/${co.payment.id}/attempts`, {
      key: buy.key,
      body: { method, scene: 'qr' },
    });
    if (attempt.status !== 201) return { attempt };
    return { attempt, pay: await walletPay(h, method, attempt.body.action) };
  });
  const paidAttempts = outcomes.filter((o) => o.value?.pay?.status === 200).length;

  // Every attempt reaches an end (succeeded or closed) and every automatic refund succeeds.
  const settled = async () => {
    const view = (await h.call('GET', `/v1/payments/${co.payment.id}`, { key: buy.key })).body;
    const open = view.attempts.filter(
      (x: { status: string }) => x.status === 'created' || x.status === 'pending',
    ).length;
    const refunds = await h.db.query(
      `SELECT 1 FROM refunds r JOIN attempts t ON t.id = r.attempt_id WHERE t.payment_id = $1 AND r.status <> 'succeeded'`,
      [co.payment.id],
    );
    return view.status === 'succeeded' && open === 0 && refunds.rows.length === 0;
  };
  await settle(
    h,
    async () => {
      if (await settled()) return true;
      h.clock.advance(JANITOR_STEP_MS); // let the janitor ask the providers about every attempt
      return false;
    },
    'every attempt closed and every refund sent',
  );

  const view = (await h.call('GET', `/v1/payments/${co.payment.id}`, { key: buy.key })).body;
  const winners = view.attempts.filter((x: { status: string }) => x.status === 'succeeded') as Array<{ id: string }>;
  const subTrades = await h.db.query<{ attempt_id: string; out_trade_no: string; amount: number }>(
    `SELECT ao.attempt_id, ao.out_trade_no, ao.amount FROM attempt_orders ao JOIN attempts t ON t.id = ao.attempt_id WHERE t.payment_id = $1`,
    [co.payment.id],
  );
  const money = await providerMoney(new Set(subTrades.rows.map((r) => r.out_trade_no)));
  const kept: string[] = []; // a losing attempt's sub-trade whose money was not all given back: "out_trade_no paid/refunded"
  let charged = 0;
  for (const r of subTrades.rows) {
    const m = money.get(r.out_trade_no);
    if (!m || m.paid === 0) continue;
    charged += m.paid - m.refunded;
    const winning = winners.some((w) => w.id === r.attempt_id);
    if (!winning && m.refunded !== m.paid)
      kept.push(`${r.out_trade_no} ${m.method} paid ${m.paid} refunded ${m.refunded}`);
    if (winning && m.refunded !== 0)
      kept.push(`${r.out_trade_no} (winner) ${m.method} paid ${m.paid} refunded ${m.refunded}`);
  }
  const orders = await Promise.all(
    co.orders.map(async (o) => (await h.call('GET', `/v1/orders/${o.id}`, { key: buy.key })).body.status),
  );
  expect(paidAttempts).toBeGreaterThan(0);
  expect({
    payment: view.status,
    winners: winners.length,
    orders,
    losing_money_kept: kept,
    buyer_net_charge: charged,
  }).toEqual({
    payment: 'succeeded',
    winners: 1,
    orders: ['paid', 'paid'],
    losing_money_kept: [],
    buyer_net_charge: 2_040 + 8_321,
  });
  await expectInvariantsHold(h);
});
