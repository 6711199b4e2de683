// The embedded default: the same migrations and a smoke subset of the API on PGlite.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startHutong, type TestHutong } from './helpers/hutong';
import { buyer, merchant, product } from './helpers/market';

let h: TestHutong;
beforeAll(async () => {
  h = await startHutong({ engine: 'pglite', sandboxes: false });
});
afterAll(async () => {
  await h?.close();
});

test('on PGlite: set up a marketplace, check out, and close an unpaid checkout on time', async () => {
  expect(h.db.kind).toBe('pglite');
  const m = await merchant(h, 'Embedded');
  const p = await product(h, m, { price: 990, stock: 3 });
  const b = await buyer(h);
  const co = await h.call('POST', '/v1/orders', {
    key: b.key,
    body: { items: [{ product_id: p.id, quantity: 3 }] },
    headers: { 'idempotency-key': 'k1' },
  });
  expect(co.status).toBe(201);
  const replay = await h.call('POST', '/v1/orders', {
    key: b.key,
    body: { items: [{ product_id: p.id, quantity: 3 }] },
    headers: { 'idempotency-key': 'k1' },
  });
  expect(replay.body.payment.id).toBe(co.body.payment.id);
  expect(
    (await h.call('POST', '/v1/orders', { key: b.key, body: { items: [{ product_id: p.id, quantity: 1 }] } })).body
      .error.code,
  ).toBe('insufficient_stock');
  h.clock.advance(16 * 60_000);
  await h.worker.runOnce();
  expect((await h.call('GET', `/v1/orders/${co.body.orders[0].id}`, { key: b.key })).body.status).toBe('closed');
  expect((await h.call('GET', `/v1/products/${p.id}`, { key: b.key })).body.stock).toBe(3);
});
