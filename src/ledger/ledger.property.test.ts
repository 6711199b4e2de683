// Property: whatever sequence of checkouts, payments (either provider), partial and full refunds before and after
// release, confirmations, auto-confirms and double payments happens, after every step each trade's escrow in the
// ledger equals the sandbox's unsplit (WeChat Pay) or unsettled (Alipay) amount for it, and each merchant's frozen and
// available money equal what the sandbox holds for that sub-merchant — to the fen.
// Method: fast-check draws a short action list; each action runs through the public API against real PostgreSQL and
// both sandboxes; after it, the worker and the ledger consumer run until quiet, and the books are compared.
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
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
import { holdingAccount } from './accounts';
import { ledgerStore } from './store';

const DAY = 86_400_000;
type Method = 'alipay' | 'wechatpay';

let h: TestHutong;
let merchants: TestMerchant[];
const products = new Map<string, string>();
const subMerchant = new Map<string, string>();

beforeAll(async () => {
  h = await startHutong();
  await enableWechatpay(h);
  merchants = await Promise.all([
    payableMerchant(h, 'P1', { wechatpay: true }),
    payableMerchant(h, 'P2', { wechatpay: true }),
  ]);
  for (const m of merchants) {
    products.set(m.id, (await product(h, m, { price: 1, stock: 1_000_000 })).id);
    for (const a of (await h.call('GET', `/v1/merchants/${m.id}/provider-accounts`, { key: h.opsKey })).body.data)
      subMerchant.set(`${m.id}:${a.provider}`, a.sub_merchant_id);
  }
}, 120_000);
afterAll(async () => {
  await h?.close();
});

interface PaidOrder {
  id: string;
  merchantId: string;
  buyerKey: string;
  method: Method;
  amount: number;
  refunded: number;
  status: string;
}
const orders: PaidOrder[] = [];

async function setPrice(merchantId: string, price: number) {
  const m = merchants.find((x) => x.id === merchantId)!;
  await h.call('PATCH', `/v1/products/${products.get(merchantId)}`, { key: m.key, body: { price } });
}

/** Runs background work until nothing is left in flight (bounded). */
async function quiesce() {
  for (let i = 0; i < 60; i++) {
    await h.worker.runOnce();
    const busy = await h.db.query(
      `SELECT 1 FROM refunds WHERE status IN ('pending', 'processing') UNION ALL SELECT 1 FROM escrow_releases WHERE status IN ('pending', 'processing')
       UNION ALL SELECT 1 FROM outbox WHERE consumed_at IS NULL LIMIT 1`,
    );
    if (busy.rows.length === 0) return;
    await h.advance(2_000);
    await new Promise((r) => setTimeout(r, 30));
  }
  throw new Error('background work did not settle');
}

async function pay(amounts: number[], method: Method, twice: boolean) {
  const b = await buyer(h);
  const chosen = merchants.slice(0, amounts.length);
  for (const [i, m] of chosen.entries()) await setPrice(m.id, amounts[i]!);
  const co = await checkout(
    h,
    b.key,
    chosen.map((m) => ({ product_id: products.get(m.id)!, quantity: 1 })),
  );
  // A double payment: an unscanned Alipay QR stays payable after the buyer switches (as at the real gateway).
  const first = twice
    ? await h.call('POST', `/v1/payments/${co.payment.id}/attempts`, {
        key: b.key,
        body: { method: 'alipay', scene: 'qr' },
      })
    : null;
  const att = await h.call('POST', `/v1/payments/${co.payment.id}/attempts`, {
    key: b.key,
    body: { method: twice ? 'wechatpay' : method, scene: 'qr' },
  });
  expect(att.status).toBe(201);
  await walletPay(h, twice ? 'wechatpay' : method, att.body.action);
  await untilPaymentStatus(h, b.key, co.payment.id, 'succeeded');
  if (first) {
    await walletPay(h, 'alipay', first.body.action);
    // Wait for the late payment's notifications, one per sub-trade of a merged payment: every paid sub-trade is
    // refunded automatically, and the books are compared only once Hutong has heard of all of them.
    await until(
      h,
      async () =>
        (
          await h.db.query(
            `SELECT 1 FROM attempts a WHERE a.id = $1 AND a.late_paid
               AND NOT EXISTS (SELECT 1 FROM attempt_orders ao WHERE ao.attempt_id = a.id AND NOT ao.paid)`,
            [first.body.id],
          )
        ).rows.length === 1,
      'late payment recorded',
    );
  }
  for (const o of co.orders)
    orders.push({
      id: o.id,
      merchantId: o.merchant_id,
      buyerKey: b.key,
      method: twice ? 'wechatpay' : method,
      amount: o.amount,
      refunded: 0,
      status: 'paid',
    });
}

async function refund(index: number, part: number) {
  const o = orders[index % orders.length];
  if (!o || o.refunded >= o.amount) return;
  const m = merchants.find((x) => x.id === o.merchantId)!;
  const amount = Math.max(1, Math.floor(((o.amount - o.refunded) * part) / 4));
  const res = await h.call('POST', `/v1/orders/${o.id}/refunds`, { key: m.key, body: { amount } });
  expect(res.status).toBe(201);
  o.refunded += amount;
}

async function complete(index: number, auto: boolean) {
  const o = orders[index % orders.length];
  if (!o) return;
  const m = merchants.find((x) => x.id === o.merchantId)!;
  const current = (await h.call('GET', `/v1/orders/${o.id}`, { key: m.key })).body;
  if (current.status !== 'paid') return;
  await h.call('POST', `/v1/orders/${o.id}/ship`, { key: m.key });
  await h.advance(2_000); // past the providers' settlement delay
  if (auto) {
    await h.advance(10 * DAY + 1_000);
  } else {
    expect((await h.call('POST', `/v1/orders/${o.id}/confirm-receipt`, { key: o.buyerKey })).status).toBe(200);
  }
}

async function expectLedgerMirrorsProviders() {
  await quiesce();
  for (const m of merchants) {
    const ours = (await h.call('GET', `/v1/merchants/${m.id}/balance`, { key: m.key })).body.balances as Array<{
      provider: Method;
      frozen: number;
      available: number;
    }>;
    for (const provider of ['alipay', 'wechatpay'] as const) {
      const books = (
        await h.call('GET', `/sandbox/${provider}/books/sub-merchants/${subMerchant.get(`${m.id}:${provider}`)}`)
      ).body;
      const mine = ours.find((b) => b.provider === provider)!;
      expect({ merchant: m.id, provider, frozen: mine.frozen, available: mine.available }).toEqual({
        merchant: m.id,
        provider,
        frozen: books.frozen,
        available: books.available,
      });
      for (const t of books.trades as Array<{ out_trade_no: string; unsplit?: number; frozen?: number }>) {
        const held = await ledgerStore.tradeBalance(h.db, t.out_trade_no, holdingAccount(provider, m.id));
        expect({ trade: t.out_trade_no, held }).toEqual({
          trade: t.out_trade_no,
          held: provider === 'wechatpay' ? t.unsplit : t.frozen,
        });
      }
    }
  }
  expect((await h.call('GET', '/v1/ledger/trial-balance', { key: h.opsKey })).body.balanced).toBe(true);
}

const action = fc.oneof(
  fc.record({
    kind: fc.constant('pay' as const),
    method: fc.constantFrom<Method>('alipay', 'wechatpay'),
    amounts: fc.array(fc.integer({ min: 1, max: 50_000 }), { minLength: 1, maxLength: 2 }),
    twice: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('refund' as const), index: fc.nat(20), part: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('complete' as const), index: fc.nat(20), auto: fc.boolean() }),
);

const firstPay = fc.record({
  kind: fc.constant('pay' as const),
  method: fc.constantFrom<Method>('alipay', 'wechatpay'),
  amounts: fc.array(fc.integer({ min: 1, max: 50_000 }), { minLength: 1, maxLength: 2 }),
  twice: fc.boolean(),
});

test('the ledger mirrors both providers to the fen after every step', async () => {
  const ran = { pay: 0, refund: 0, complete: 0 };
  await fc.assert(
    fc.asyncProperty(firstPay, fc.array(action, { minLength: 4, maxLength: 10 }), async (start, rest) => {
      for (const a of [start, ...rest]) {
        if (a.kind === 'pay') await pay(a.amounts, a.method, a.twice);
        else if (a.kind === 'refund') await refund(a.index, a.part);
        else await complete(a.index, a.auto);
        ran[a.kind]++;
        if (process.env.PROPERTY_DEBUG) console.log('STEP', JSON.stringify(a));
        await expectLedgerMirrorsProviders();
      }
    }),
    { numRuns: 4, endOnFailure: true },
  );
  // The runs exercised every kind of step (not a vacuous pass).
  expect(ran.pay).toBeGreaterThanOrEqual(4);
  expect(ran.refund + ran.complete).toBeGreaterThan(0);
  const released = await h.db.query(`SELECT 1 FROM escrow_releases WHERE status = 'released'`);
  const refunded = await h.db.query(`SELECT 1 FROM refunds WHERE status = 'succeeded'`);
  expect(released.rows.length + refunded.rows.length).toBeGreaterThan(0);
}, 600_000);
