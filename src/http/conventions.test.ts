// api.md "Conventions": authentication first, one error shape for every failure, idempotency on every POST.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHutong, type TestHutong } from '../../test/helpers/hutong';
import { buyer, merchant, publishableKey } from '../../test/helpers/market';

let h: TestHutong;
beforeAll(async () => {
  h = await startHutong({ sandboxes: false });
});
afterAll(async () => {
  await h?.close();
});

describe('authentication and roles', () => {
  test('a request without a key gets 401 even when its body is malformed', async () => {
    const res = await h.call('POST', '/v1/merchants', {
      rawBody: '{not json',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthenticated');
  });

  test('an unknown key gets 401, a wrong role 403', async () => {
    expect((await h.call('GET', '/v1/merchants', { key: 'hk_ops_nope_nope_nope' })).body.error.code).toBe(
      'unauthenticated',
    );
    const b = await buyer(h);
    const res = await h.call('POST', '/v1/merchants', { key: b.key, body: { name: 'x' } });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden_role');
  });
});

describe('access on the matched route', () => {
  test('a path spelt with percent-encoded letters reaches the same route and needs the same key', async () => {
    const m = await merchant(h);
    const before = await h.db.query<{ n: number }>('SELECT count(*)::int AS n FROM api_keys');
    for (const path of [
      `/v%31/merchants/${m.id}/api-keys`,
      `/%761/merchants/${m.id}/api-keys`,
      `/v1/merch%61nts/${m.id}/api-keys`,
    ]) {
      const res = await h.call('POST', path);
      expect([path, res.status, res.body.error.code]).toEqual([path, 401, 'unauthenticated']);
      const asMerchant = await h.call('POST', path, { key: m.key });
      expect([path, asMerchant.status, asMerchant.body.error.code]).toEqual([path, 403, 'forbidden_role']);
    }
    const after = await h.db.query<{ n: number }>('SELECT count(*)::int AS n FROM api_keys');
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
    // The same spelling with the right key works: it is the route, not the text, that decides.
    expect((await h.call('POST', `/v%31/merchants/${m.id}/api-keys`, { key: h.opsKey })).status).toBe(201);
  });

  test('every route declares its access; one without fails at start-up', async () => {
    expect(h.routes.length).toBeGreaterThan(50);
    for (const r of h.routes) expect(r.access.length, `${r.method} ${r.url}`).toBeGreaterThan(0);
    const { default: Fastify } = await import('fastify');
    const { installRouteTable } = await import('./route-table');
    const bare = Fastify();
    installRouteTable(bare);
    expect(() => bare.get('/v1/undeclared', async () => 'x')).toThrow(/declares no access/);
    expect(() => bare.get('/v1/mixed', { config: { access: ['public', 'ops'] } }, async () => 'x')).toThrow(/mixes/);
    await bare.close();
  });
});

describe('errors', () => {
  test('malformed JSON is 400 malformed_json with a request id', async () => {
    const res = await h.call('POST', '/v1/merchants', {
      key: h.opsKey,
      rawBody: '{"name":',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('malformed_json');
    expect(res.body.error.request_id).toBeTruthy();
  });

  test('unknown fields, wrong types and non-integer amounts are 422 validation_failed', async () => {
    for (const body of [{ name: 'a', colour: 'red' }, { name: 42 }, {}]) {
      const res = await h.call('POST', '/v1/merchants', { key: h.opsKey, body });
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('validation_failed');
    }
    const m = await merchant(h);
    for (const price of [-1, 0, 12.5, '1999']) {
      const res = await h.call('POST', '/v1/products', { key: m.key, body: { name: 'p', price, stock: 1 } });
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('validation_failed');
    }
  });

  test('wrong content type is 415, too large a body 413, an unknown route 404 — all in the same shape', async () => {
    const wrongType = await h.call('POST', '/v1/merchants', {
      key: h.opsKey,
      rawBody: 'name=x',
      headers: { 'content-type': 'text/plain' },
    });
    expect([wrongType.status, wrongType.body.error.code]).toEqual([415, 'unsupported_media_type']);
    const big = await h.call('POST', '/v1/merchants', { key: h.opsKey, body: { name: 'x'.repeat(2 * 1024 * 1024) } });
    expect([big.status, big.body.error.code]).toEqual([413, 'body_too_large']);
    const missing = await h.call('GET', '/v1/nothing-here', { key: h.opsKey });
    expect([missing.status, missing.body.error.code]).toEqual([404, 'route_not_found']);
  });

  test('a NUL anywhere — path parameter, query, JSON string or key — is 400 invalid_request and stores nothing', async () => {
    const m = await merchant(h);
    const cases: Array<[string, string, unknown?]> = [
      ['GET', '/v1/orders/ord_a%00b'],
      ['GET', '/v1/products?merchant_id=a%00b'],
      ['POST', '/v1/merchants', { name: 'Nul\u0000Shop' }],
      ['PATCH', '/v1/products/prd_x', { name: 'ok', ['k\u0000']: 1 }],
    ];
    const before = await h.db.query<{ n: number }>('SELECT count(*)::int AS n FROM merchants');
    for (const [method, path, body] of cases) {
      const res = await h.call(method, path, { key: method === 'PATCH' ? m.key : h.opsKey, body });
      expect([path, res.status, res.body.error.code]).toEqual([path, 400, 'invalid_request']);
    }
    const after = await h.db.query<{ n: number }>('SELECT count(*)::int AS n FROM merchants');
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
  });

  test('router errors leave in the same body: a bad percent-escape 400, a 5,000-character id 414, an empty id 404', async () => {
    const bad = await h.call('GET', '/v1/orders/%zz', { key: h.opsKey });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'invalid_url']);
    expect(bad.body.error.request_id).toBeTruthy();
    const long = await h.call('GET', `/v1/orders/${'a'.repeat(5000)}`, { key: h.opsKey });
    expect([long.status, long.body.error.code]).toEqual([414, 'parameter_too_long']);
    const empty = await h.call('GET', '/v1/orders/', { key: h.opsKey });
    expect([empty.status, empty.body.error.code]).toEqual([404, 'route_not_found']);
  });

  test('an unknown id is 404 not_found', async () => {
    const res = await h.call('GET', '/v1/merchants/mch_doesnotexist', { key: h.opsKey });
    expect([res.status, res.body.error.code]).toEqual([404, 'not_found']);
  });
});

describe('idempotency', () => {
  test('the same key and body returns the stored response without a second effect', async () => {
    const headers = { 'idempotency-key': 'create-merchant-1' };
    const first = await h.call('POST', '/v1/merchants', { key: h.opsKey, body: { name: 'Once' }, headers });
    const second = await h.call('POST', '/v1/merchants', { key: h.opsKey, body: { name: 'Once' }, headers });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.id).toBe(first.body.id);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const { rows } = await h.db.query<{ n: number }>('SELECT count(*)::bigint AS n FROM merchants WHERE name = $1', [
      'Once',
    ]);
    expect(rows[0]!.n).toBe(1);
  });

  test('the same key with another body is 409 idempotency_key_reused', async () => {
    const headers = { 'idempotency-key': 'create-merchant-2' };
    await h.call('POST', '/v1/merchants', { key: h.opsKey, body: { name: 'A' }, headers });
    const res = await h.call('POST', '/v1/merchants', { key: h.opsKey, body: { name: 'B' }, headers });
    expect([res.status, res.body.error.code]).toEqual([409, 'idempotency_key_reused']);
  });

  test('concurrent requests with one key execute once', async () => {
    const headers = { 'idempotency-key': 'concurrent-1' };
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        h.call('POST', '/v1/merchants', { key: h.opsKey, body: { name: 'Racer' }, headers }),
      ),
    );
    const ids = new Set(results.filter((r) => r.status === 201).map((r) => r.body.id));
    expect(ids.size).toBe(1);
    for (const r of results) expect(r.status === 201 || r.body.error.code === 'idempotency_key_in_use').toBe(true);
    const { rows } = await h.db.query<{ n: number }>('SELECT count(*)::bigint AS n FROM merchants WHERE name = $1', [
      'Racer',
    ]);
    expect(rows[0]!.n).toBe(1);
  });

  test('an invalid key is 422 invalid_idempotency_key', async () => {
    const res = await h.call('POST', '/v1/merchants', {
      key: h.opsKey,
      body: { name: 'x' },
      headers: { 'idempotency-key': 'has space' },
    });
    expect([res.status, res.body.error.code]).toEqual([422, 'invalid_idempotency_key']);
  });
});

describe('rate limits', () => {
  test('guest sign-ups past the limit get 429 rate_limited', async () => {
    const limited = await startHutong({ sandboxes: false, env: { HUTONG_BUYER_SIGNUPS_PER_MINUTE: '2' } });
    try {
      const pk = await publishableKey(limited);
      const codes = [];
      for (let i = 0; i < 3; i++)
        codes.push((await limited.call('POST', '/v1/buyers', { key: pk, body: { name: 'g' } })).status);
      expect(codes).toEqual([201, 201, 429]);
      // The limit is the route's, whatever the spelling of its path.
      expect((await limited.call('POST', '/v%31/buyers', { key: pk, body: { name: 'g' } })).body.error.code).toBe(
        'rate_limited',
      );
      // Without a key there is no sign-up at all; ops is not limited.
      expect((await limited.call('POST', '/v1/buyers', { body: { name: 'g' } })).status).toBe(401);
      expect((await limited.call('POST', '/v1/buyers', { key: limited.opsKey, body: { name: 'g' } })).status).toBe(201);
    } finally {
      await limited.close();
    }
  });
});

describe('service endpoints', () => {
  test('healthz and the OpenAPI document', async () => {
    expect((await h.call('GET', '/healthz')).body).toEqual({ status: 'ok' });
    const doc = await h.call('GET', '/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.body.paths)).toContain('/v1/orders');
  });
});
