// API keys with a lifecycle: listed without secrets, revoked (everywhere within the cache's few seconds), expiring,
// rotated with an overlap; publishable keys read the public catalogue only. No key is stored in clear.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHutong, type TestHutong } from '../../test/helpers/hutong';
import { buyer, merchant } from '../../test/helpers/market';

let h: TestHutong;
const issued: string[] = [];
beforeAll(async () => {
  h = await startHutong({ sandboxes: false });
});
afterAll(async () => {
  await h?.close();
});

async function newKey(merchantId: string, body?: Record<string, unknown>) {
  const res = await h.call('POST', `/v1/merchants/${merchantId}/api-keys`, { key: h.opsKey, body });
  expect(res.status).toBe(201);
  issued.push(res.body.key);
  return res.body as { id: string; key: string; prefix: string; status: string; expires_at: string | null };
}

describe('merchant keys', () => {
  test('a key is listed by its prefix with created, last used and expiry — never its secret', async () => {
    const m = await merchant(h, 'Keyed');
    issued.push(m.key);
    const k = await newKey(m.id, { label: 'till 1' });
    expect(k.key.startsWith(k.prefix)).toBe(true);
    expect(k.prefix).toMatch(/^hk_merchant_[0-9A-Za-z]{6}$/);
    expect((await h.call('GET', `/v1/merchants/${m.id}`, { key: k.key })).status).toBe(200);
    const list = await h.call('GET', `/v1/merchants/${m.id}/api-keys`, { key: m.key });
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).not.toContain(k.key);
    const row = list.body.data.find((r: { id: string }) => r.id === k.id);
    expect(row).toMatchObject({
      prefix: k.prefix,
      label: 'till 1',
      status: 'active',
      expires_at: null,
      revoked_at: null,
    });
    expect(row.created_at).toBeTruthy();
    expect(row.last_used_at).toBeTruthy();
    expect(list.body.data.every((r: Record<string, unknown>) => !('key' in r))).toBe(true);
  });

  test('a merchant revokes its own key: it stops at once; another merchant can neither list nor revoke it', async () => {
    const m = await merchant(h, 'Revoker');
    const other = await merchant(h, 'Other');
    const k = await newKey(m.id);
    expect((await h.call('GET', `/v1/merchants/${other.id}/api-keys`, { key: m.key })).status).toBe(403);
    const foreign = await h.call('DELETE', `/v1/api-keys/${k.id}`, { key: other.key });
    expect([foreign.status, foreign.body.error.code]).toEqual([403, 'forbidden_resource']);
    expect((await h.call('GET', '/v1/orders', { key: k.key })).status).toBe(200);
    const revoked = await h.call('DELETE', `/v1/api-keys/${k.id}`, { key: m.key });
    expect([revoked.status, revoked.body.status]).toEqual([200, 'revoked']);
    const after = await h.call('GET', '/v1/orders', { key: k.key });
    expect([after.status, after.body.error.code]).toEqual([401, 'unauthenticated']);
    expect((await h.call('GET', '/v1/orders', { key: m.key })).status).toBe(200);
  });

  test('a key revoked by another process stops here within the cache time', async () => {
    if (!h.databaseUrl) throw new Error('this test needs the shared PostgreSQL');
    const other = await startHutong({
      sandboxes: false,
      databaseUrl: h.databaseUrl,
      env: { HUTONG_OPS_API_KEY: h.opsKey, HUTONG_KEY_CACHE_TTL_MS: '300' },
    });
    try {
      const m = await merchant(h, 'Two processes');
      const k = await newKey(m.id);
      expect((await other.call('GET', '/v1/orders', { key: k.key })).status).toBe(200); // now cached by the other process
      expect((await h.call('DELETE', `/v1/api-keys/${k.id}`, { key: h.opsKey })).status).toBe(200);
      const POLLS_MAX = 100;
      let status = 200;
      for (let i = 0; i < POLLS_MAX && status === 200; i++) {
        status = (await other.call('GET', '/v1/orders', { key: k.key })).status;
        if (status === 200) await new Promise((r) => setTimeout(r, 50));
      }
      expect(status).toBe(401);
    } finally {
      await other.close();
    }
  });

  test('a key with an expiry stops when it passes', async () => {
    const m = await merchant(h, 'Expiring');
    const k = await newKey(m.id, { expires_at: new Date(h.clock.now().getTime() + 3600_000).toISOString() });
    expect((await h.call('GET', '/v1/orders', { key: k.key })).status).toBe(200);
    h.clock.advance(2 * 3600_000);
    expect((await h.call('GET', '/v1/orders', { key: k.key })).status).toBe(401);
    const list = await h.call('GET', `/v1/merchants/${m.id}/api-keys`, { key: h.opsKey });
    expect(list.body.data.find((r: { id: string }) => r.id === k.id).status).toBe('expired');
    const past = await h.call('POST', `/v1/merchants/${m.id}/api-keys`, {
      key: h.opsKey,
      body: { expires_at: '2000-01-01T00:00:00Z' },
    });
    expect([past.status, past.body.error.code]).toEqual([422, 'validation_failed']);
  });

  test('rotation: both keys work during the overlap, then only the new one', async () => {
    const m = await merchant(h, 'Rotating');
    const old = await newKey(m.id);
    const rotated = await h.call('POST', `/v1/api-keys/${old.id}/rotate`, {
      key: m.key,
      body: { overlap_seconds: 600 },
    });
    expect(rotated.status).toBe(201);
    issued.push(rotated.body.key);
    expect(rotated.body.previous).toMatchObject({ id: old.id, replaced_by: rotated.body.id, status: 'active' });
    expect((await h.call('GET', '/v1/orders', { key: old.key })).status).toBe(200);
    expect((await h.call('GET', '/v1/orders', { key: rotated.body.key })).status).toBe(200);
    const again = await h.call('POST', `/v1/api-keys/${old.id}/rotate`, { key: m.key });
    expect([again.status, again.body.error.code]).toEqual([409, 'key_not_active']);
    h.clock.advance(601_000);
    expect((await h.call('GET', '/v1/orders', { key: old.key })).status).toBe(401);
    expect((await h.call('GET', '/v1/orders', { key: rotated.body.key })).status).toBe(200);
  });
});

describe('publishable keys', () => {
  test('ops makes one; it reads the public catalogue and nothing that belongs to anyone', async () => {
    const m = await merchant(h, 'Public shop');
    const made = await h.call('POST', '/v1/publishable-keys', { key: h.opsKey, body: { name: 'storefront' } });
    expect(made.status).toBe(201);
    expect(made.body.key).toMatch(/^pk_/);
    issued.push(made.body.key);
    const pk = made.body.key as string;
    expect((await h.call('POST', '/v1/publishable-keys', { key: m.key, body: { name: 'x' } })).status).toBe(403);
    expect((await h.call('GET', '/v1/products', { key: pk })).status).toBe(200);
    const shop = await h.call('GET', `/v1/merchants/${m.id}`, { key: pk });
    expect(shop.body).toEqual({ id: m.id, name: 'Public shop', category: 'general' });
    const shops = await h.call('GET', '/v1/merchants', { key: pk });
    expect(shops.body.data.every((s: Record<string, unknown>) => !('contact_name' in s))).toBe(true);
    for (const [method, path] of [
      ['GET', '/v1/orders'],
      ['POST', '/v1/orders'],
      ['GET', `/v1/merchants/${m.id}/balance`],
      ['GET', '/v1/api-keys'],
    ]) {
      const res = await h.call(method as string, path as string, {
        key: pk,
        body: method === 'POST' ? { items: [] } : undefined,
      });
      expect([path, res.status, res.body.error.code]).toEqual([path, 403, 'forbidden_role']);
    }
    const listed = await h.call('GET', '/v1/publishable-keys', { key: h.opsKey });
    expect(
      listed.body.data.some((k: { id: string; name: string }) => k.id === made.body.id && k.name === 'storefront'),
    ).toBe(true);
    expect(JSON.stringify(listed.body)).not.toContain(pk);
  });
});

test('no issued key is stored in clear in any table', async () => {
  const b = await buyer(h);
  issued.push(b.key, h.opsKey);
  const { rows: tables } = await h.db.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
  );
  expect(tables.length).toBeGreaterThan(10);
  for (const { table_name } of tables) {
    const { rows } = await h.db.query<{ t: string }>(`SELECT row_to_json(x)::text AS t FROM "${table_name}" x`);
    for (const { t } of rows)
      for (const key of issued) expect(t.includes(key), `${table_name} holds a key`).toBe(false);
  }
});
