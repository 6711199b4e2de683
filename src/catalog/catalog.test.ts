// api.md "Setting up a marketplace", and tenancy: every merchant sees and changes only its own data.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHutong, type TestHutong } from '../../test/helpers/hutong';
import { buyer, merchant, product } from '../../test/helpers/market';

let h: TestHutong;
beforeAll(async () => {
  h = await startHutong({ sandboxes: false });
});
afterAll(async () => {
  await h?.close();
});

describe('merchants, products and live rooms', () => {
  test('ops creates a merchant with category and tier; defaults apply when omitted', async () => {
    const res = await h.call('POST', '/v1/merchants', {
      key: h.opsKey,
      body: { name: 'Tea House', category: 'food', tier: 'gold' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'Tea House', category: 'food', tier: 'gold' });
    expect(res.body.id).toMatch(/^mch_/);
    const plain = await h.call('POST', '/v1/merchants', { key: h.opsKey, body: { name: 'Plain' } });
    expect(plain.body).toMatchObject({ category: 'general', tier: 'standard' });
  });

  test('a merchant creates products; buyers read them; lists page with a cursor', async () => {
    const m = await merchant(h, 'Pager');
    for (let i = 0; i < 3; i++) await product(h, m, { name: `P${i}`, price: 100 + i, stock: 5 });
    const b = await buyer(h);
    const page1 = await h.call('GET', `/v1/products?merchant_id=${m.id}&limit=2`, { key: b.key });
    expect(page1.body.data).toHaveLength(2);
    expect(page1.body.next_cursor).toBeTruthy();
    const page2 = await h.call('GET', `/v1/products?merchant_id=${m.id}&limit=2&cursor=${page1.body.next_cursor}`, {
      key: b.key,
    });
    expect(page2.body.data.map((p: { name: string }) => p.name)).toEqual(['P2']);
    expect(page2.body.next_cursor).toBeNull();
  });

  test('a live room has sessions with host, time window and featured products', async () => {
    const m = await merchant(h, 'Live');
    const p = await product(h, m);
    const room = await h.call('POST', '/v1/live-rooms', { key: m.key, body: { title: 'Evening show' } });
    expect(room.status).toBe(201);
    const session = await h.call('POST', `/v1/live-rooms/${room.body.id}/sessions`, {
      key: m.key,
      body: {
        host: 'Lin',
        starts_at: '2026-11-11T12:00:00Z',
        ends_at: '2026-11-11T14:00:00Z',
        featured_product_ids: [p.id],
      },
    });
    expect(session.status).toBe(201);
    const b = await buyer(h);
    const view = await h.call('GET', `/v1/live-rooms/${room.body.id}`, { key: b.key });
    expect(view.body.sessions[0]).toMatchObject({ host: 'Lin', featured_product_ids: [p.id] });
    expect(view.body.featured_products[0].id).toBe(p.id);
    const backwards = await h.call('POST', `/v1/live-rooms/${room.body.id}/sessions`, {
      key: m.key,
      body: {
        host: 'Lin',
        starts_at: '2026-11-11T14:00:00Z',
        ends_at: '2026-11-11T12:00:00Z',
        featured_product_ids: [],
      },
    });
    expect(backwards.body.error.code).toBe('validation_failed');
  });
});

describe('tenancy', () => {
  test("merchant B can neither read nor change merchant A's data", async () => {
    const a = await merchant(h, 'A');
    const b = await merchant(h, 'B');
    const pa = await product(h, a);
    const room = await h.call('POST', '/v1/live-rooms', { key: a.key, body: { title: 'A room' } });
    const attempts = [
      await h.call('GET', `/v1/merchants/${a.id}`, { key: b.key }),
      await h.call('PATCH', `/v1/products/${pa.id}`, { key: b.key, body: { price: 1 } }),
      await h.call('POST', `/v1/live-rooms/${room.body.id}/sessions`, {
        key: b.key,
        body: {
          host: 'x',
          starts_at: '2026-01-01T00:00:00Z',
          ends_at: '2026-01-02T00:00:00Z',
          featured_product_ids: [],
        },
      }),
      await h.call('GET', `/v1/merchants/${a.id}/provider-accounts`, { key: b.key }),
    ];
    for (const res of attempts) expect([res.status, res.body.error.code]).toEqual([403, 'forbidden_resource']);
    const list = await h.call('GET', '/v1/merchants', { key: b.key });
    expect(list.body.data.map((m: { id: string }) => m.id)).toEqual([b.id]);
    expect((await h.call('GET', `/v1/products/${pa.id}`, { key: a.key })).body.price).toBe(pa.price);
  });

  test('a buyer sees shops by their public fields only', async () => {
    const m = await merchant(h, 'Public shop', { contact_name: 'Private Person' });
    const b = await buyer(h);
    const one = await h.call('GET', `/v1/merchants/${m.id}`, { key: b.key });
    expect(one.body).toEqual({ id: m.id, name: 'Public shop', category: 'general' });
    const list = await h.call('GET', '/v1/merchants?limit=500', { key: b.key });
    expect(JSON.stringify(list.body)).not.toContain('Private Person');
  });

  test('only ops creates merchants and keys; a merchant cannot create products for another merchant', async () => {
    const a = await merchant(h, 'A2');
    const b = await merchant(h, 'B2');
    expect((await h.call('POST', `/v1/merchants/${b.id}/api-keys`, { key: a.key })).body.error.code).toBe(
      'forbidden_role',
    );
    const res = await h.call('POST', '/v1/products', {
      key: a.key,
      body: { name: 'x', price: 1, stock: 1, merchant_id: b.id },
    });
    expect([res.status, res.body.error.code]).toEqual([403, 'forbidden_resource']);
  });
});
