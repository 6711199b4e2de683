// Abuse limits a storefront needs: one buyer cannot hold unpaid orders or stock without end, no checkout total passes
// the configured maximum (and totals past 2^53 are refused, never a 500), attribution is a small fixed shape, and one
// payment takes a bounded number of attempts a minute.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHutong, type TestHutong } from '../../test/helpers/hutong';
import {
  buyer,
  checkout,
  enableWechatpay,
  merchant,
  payableMerchant,
  product,
  type TestMerchant,
} from '../../test/helpers/market';

let h: TestHutong;
let m: TestMerchant;
beforeAll(async () => {
  h = await startHutong({
    sandboxes: false,
    env: { HUTONG_BUYER_UNPAID_ORDERS_MAX: '3', HUTONG_BUYER_HELD_UNITS_MAX: '50' },
  });
  m = await merchant(h, 'Limited shop');
});
afterAll(async () => {
  await h?.close();
});

const stockOf = async (id: string) =>
  (await h.call('GET', `/v1/products/${id}`, { key: h.opsKey })).body.stock as number;

describe('per buyer', () => {
  test('unpaid orders are capped; cancelling one frees a place', async () => {
    const b = await buyer(h);
    const p = await product(h, m);
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await checkout(h, b.key, [{ product_id: p.id, quantity: 1 }]));
    const fourth = await h.call('POST', '/v1/orders', {
      key: b.key,
      body: { items: [{ product_id: p.id, quantity: 1 }] },
    });
    expect([fourth.status, fourth.body.error.code, fourth.body.error.details.maximum]).toEqual([
      409,
      'unpaid_orders_limit',
      3,
    ]);
    expect(await stockOf(p.id)).toBe(97);
    expect((await h.call('POST', `/v1/orders/${made[0]!.orders[0]!.id}/cancel`, { key: b.key })).status).toBe(200);
    expect(
      (await h.call('POST', '/v1/orders', { key: b.key, body: { items: [{ product_id: p.id, quantity: 1 }] } })).status,
    ).toBe(201);
  });

  test('held stock is capped: one buyer cannot reserve a product away', async () => {
    const b = await buyer(h);
    const p = await product(h, m, { stock: 1000 });
    const greedy = await h.call('POST', '/v1/orders', {
      key: b.key,
      body: { items: [{ product_id: p.id, quantity: 51 }] },
    });
    expect([greedy.status, greedy.body.error.code]).toEqual([409, 'held_stock_limit']);
    await checkout(h, b.key, [{ product_id: p.id, quantity: 30 }]);
    const more = await h.call('POST', '/v1/orders', {
      key: b.key,
      body: { items: [{ product_id: p.id, quantity: 21 }] },
    });
    expect([more.status, more.body.error.code]).toEqual([409, 'held_stock_limit']);
    expect(await stockOf(p.id)).toBe(970);
  });

  test('concurrent checkouts of one buyer are counted one at a time', async () => {
    const b = await buyer(h);
    const p = await product(h, m);
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        h.call('POST', '/v1/orders', { key: b.key, body: { items: [{ product_id: p.id, quantity: 1 }] } }),
      ),
    );
    expect(results.filter((r) => r.status === 201).length).toBe(3);
    expect(results.filter((r) => r.status === 409).every((r) => r.body.error.code === 'unpaid_orders_limit')).toBe(
      true,
    );
    expect(await stockOf(p.id)).toBe(97);
  });
});

describe('amounts', () => {
  test('a total past the configured maximum is 422 amount_too_large; nothing is reserved', async () => {
    const b = await buyer(h);
    const p = await product(h, m, { price: 10_000_000_000, stock: 10 }); // ¥100,000,000 a unit
    const res = await h.call('POST', '/v1/orders', {
      key: b.key,
      body: { items: [{ product_id: p.id, quantity: 1 }] },
    });
    expect([res.status, res.body.error.code, res.body.error.details.maximum]).toEqual([
      422,
      'amount_too_large',
      100_000_000,
    ]);
    expect(await stockOf(p.id)).toBe(10);
  });

  test('totals past 2^53 fen are refused, never a 500, even with the maximum at 2^53 − 1', async () => {
    const big = await startHutong({
      sandboxes: false,
      env: { HUTONG_ORDER_AMOUNT_MAX_FEN: String(Number.MAX_SAFE_INTEGER) },
    });
    try {
      const shop = await merchant(big, 'Dear shop');
      const items = [];
      for (let i = 0; i < 100; i++)
        items.push({
          product_id: (await product(big, shop, { price: 10_000_000_000, stock: 10_000_000 })).id,
          quantity: 10_000,
        });
      const b = await buyer(big);
      const res = await big.call('POST', '/v1/orders', { key: b.key, body: { items } });
      expect([res.status, res.body.error.code]).toEqual([422, 'amount_too_large']);
    } finally {
      await big.close();
    }
  });
});

describe('attribution', () => {
  test('a few short strings are kept on every order; anything larger or shaped otherwise is 422', async () => {
    const b = await buyer(h);
    const p = await product(h, m);
    const ok = await h.call('POST', '/v1/orders', {
      key: b.key,
      body: { items: [{ product_id: p.id, quantity: 1 }], attribution: { utm_source: 'live', link: 'lnk_1' } },
    });
    expect(ok.status).toBe(201);
    expect(ok.body.orders[0].attribution).toEqual({ utm_source: 'live', link: 'lnk_1' });
    const bad: Array<[string, unknown]> = [
      ['a megabyte', { blob: 'x'.repeat(1_000_000) }],
      ['a nested object', { campaign: { id: 1 } }],
      ['a number', { clicks: 3 }],
      ['17 fields', Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`f${i}`, 'x']))],
      ['2.5 KB in all', Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`f${i}`, 'x'.repeat(160)]))],
      ['an odd key', { 'Bad Key': 'x' }],
    ];
    for (const [what, attribution] of bad) {
      const res = await h.call('POST', '/v1/orders', {
        key: b.key,
        body: { items: [{ product_id: p.id, quantity: 1 }], attribution },
      });
      expect([what, res.status, res.body.error.code]).toEqual([what, 422, 'validation_failed']);
    }
  });
});

describe('per payment', () => {
  test('attempts on one payment are capped per minute (429 too_many_attempts), and the next minute allows more', async () => {
    const s = await startHutong({ env: { HUTONG_PAYMENT_ATTEMPTS_PER_MINUTE: '2' } });
    try {
      await enableWechatpay(s);
      const shop = await payableMerchant(s, 'Attempted shop');
      const p = await product(s, shop);
      const b = await buyer(s);
      const made = await checkout(s, b.key, [{ product_id: p.id, quantity: 1 }]);
      const attempt = () =>
        s.call('POST', `/v1/payments/${made.payment.id}/attempts`, { key: b.key, body: { method: 'alipay' } });
      expect((await attempt()).status).toBe(201);
      expect((await attempt()).status).toBe(201);
      const third = await attempt();
      expect([third.status, third.body.error.code]).toEqual([429, 'too_many_attempts']);
      s.clock.advance(61_000);
      expect((await attempt()).status).toBe(201);
    } finally {
      await s.close();
    }
  }, 240_000); // onboarding at the sandbox takes a while on a busy machine
});
