// The tenancy suite, generated from the route table: every /v1 route the server registered is called with no key,
// an invalid key, a revoked key, a wrong role, another merchant's and another buyer's key on someone else's ids —
// each again with the path spelt with percent-encoded letters, doubled slashes and a trailing slash. Only 401, 403
// and 404 may come back, and nothing in the database changes. Then every path parameter of every route takes a
// NUL byte, an invalid percent-escape and a 5,000-character value: 4xx with a code, never 5xx.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHutong, type TestHutong } from '../helpers/hutong';
import { buyer, checkout, merchant, product, publishableKey, type TestMerchant } from '../helpers/market';
import type { RouteEntry } from '../../src/http/route-table';

let h: TestHutong;
let victim: {
  merchant: TestMerchant;
  buyer: { id: string; key: string };
  productId: string;
  orderId: string;
  paymentId: string;
  keyId: string;
  liveRoomId: string;
};
let attackers: {
  otherMerchant: TestMerchant;
  otherBuyer: { id: string; key: string };
  publishable: string;
  revoked: string;
  invalid: string;
};

beforeAll(async () => {
  h = await startHutong({ sandboxes: false });
  const m = await merchant(h, 'Victim shop');
  const b = await buyer(h, 'Victim buyer');
  const p = await product(h, m);
  const made = await checkout(h, b.key, [{ product_id: p.id, quantity: 1 }]);
  const key = await h.call('POST', `/v1/merchants/${m.id}/api-keys`, { key: h.opsKey, body: { label: 'victim till' } });
  const room = await h.call('POST', '/v1/live-rooms', { key: m.key, body: { title: 'Victim room' } });
  victim = {
    merchant: m,
    buyer: b,
    productId: p.id,
    orderId: made.orders[0]!.id,
    paymentId: made.payment.id,
    keyId: key.body.id,
    liveRoomId: room.body.id,
  };
  const other = await merchant(h, 'Other shop');
  const revoked = await h.call('POST', `/v1/merchants/${other.id}/api-keys`, { key: h.opsKey });
  expect((await h.call('DELETE', `/v1/api-keys/${revoked.body.id}`, { key: h.opsKey })).status).toBe(200);
  attackers = {
    otherMerchant: other,
    otherBuyer: await buyer(h, 'Other buyer'),
    publishable: await publishableKey(h),
    revoked: revoked.body.key,
    invalid: `hk_merchant_${'x'.repeat(32)}`,
  };
});
afterAll(async () => {
  await h?.close();
});

/** The victim's id for each path parameter, by the collection it follows (unknown collections get an unknown id). */
function idFor(url: string, param: string): string {
  if (param === 'provider') return 'alipay';
  if (param === 'method') return 'wechatpay';
  if (param === 'kind') return 'licence';
  if (param === '*') return 'x';
  const collection = url.split(`/:${param}`)[0]!.split('/').pop();
  const ids: Record<string, string> = {
    merchants: victim.merchant.id,
    orders: victim.orderId,
    payments: victim.paymentId,
    products: victim.productId,
    'api-keys': victim.keyId,
    'live-rooms': victim.liveRoomId,
  };
  return ids[collection ?? ''] ?? `${(collection ?? 'x').slice(0, 3)}_UnknownToEveryone00000`;
}

function pathOf(route: RouteEntry, value?: (param: string) => string): string {
  return route.url.replace(/:([A-Za-z_]+)|\*/g, (whole, name: string | undefined) => {
    const param = name ?? '*';
    return value ? value(param) : idFor(route.url, param);
  });
}

/** Bodies that pass validation, so an ownership check (which runs after it) is what answers. */
const BODIES: Record<string, unknown> = {
  'PATCH /v1/products/:id': { name: 'taken over' },
  'POST /v1/live-rooms/:id/sessions': {
    host: 'x',
    starts_at: '2030-01-01T00:00:00Z',
    ends_at: '2030-01-02T00:00:00Z',
    featured_product_ids: [],
  },
  'POST /v1/orders/:id/refund-requests': { amount: 1, reason: 'x' },
  'POST /v1/refund-requests/:id/decline': { reason: 'x' },
  'POST /v1/payments/:id/attempts': { method: 'alipay' },
  'POST /v1/orders/:id/refunds': { amount: 1 },
  'POST /v1/merchants/:id/payment-methods/:method/accept': { agreement_version: 'v1' },
  'PUT /v1/merchants/:id/provider-accounts/:provider': { smid: 'stolen01' },
  'PUT /v1/merchants/:id/profile': { subject_type: 'micro' },
  'PUT /v1/merchants/:id/profile/images/:kind': { filename: 'licence.png', content_base64: 'iVBORw0KGgo=' },
};

const SPELLINGS: Record<string, (path: string) => string> = {
  plain: (p) => p,
  'v%31': (p) => p.replace('/v1/', '/v%31/'),
  '%761': (p) => p.replace('/v1/', '/%761/'),
  'encoded letter': (p) => p.replace(/^\/v1\/([a-z])/, (_m, c: string) => `/v1/%${c.charCodeAt(0).toString(16)}`),
  'doubled slash': (p) => p.replace('/v1/', '/v1//'),
  'trailing slash': (p) => `${p}/`,
};

async function snapshot(): Promise<Record<string, string>> {
  const { rows: tables } = await h.db.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name",
  );
  const out: Record<string, string> = {};
  for (const { table_name: t } of tables) {
    // A key's last use is bookkeeping, not a change an attacker made.
    const select =
      t === 'api_keys'
        ? 'SELECT id, role, merchant_id, buyer_id, label, expires_at, revoked_at, replaced_by FROM api_keys'
        : `SELECT * FROM "${t}"`;
    const { rows } = await h.db.query<{ n: string; digest: string | null }>(
      `SELECT count(*)::text AS n, md5(string_agg(row_to_json(x)::text, ',' ORDER BY row_to_json(x)::text)) AS digest FROM (${select}) x`,
    );
    out[t] = `${rows[0]!.n}:${rows[0]!.digest ?? ''}`;
  }
  return out;
}

const apiRoutes = () => h.routes.filter((r) => r.url.startsWith('/v1/') && r.method !== 'HEAD');

interface Attack {
  who: string;
  key?: string;
  /** Statuses this attacker may see on this route (beyond 404 for a path no route matches). */
  allowed: number[];
}

function attacksOn(route: RouteEntry): Attack[] {
  const list: Attack[] = [
    { who: 'no key', allowed: [401] },
    { who: 'invalid key', key: attackers.invalid, allowed: [401] },
    { who: 'revoked key', key: attackers.revoked, allowed: [401] },
  ];
  const roles: Array<[string, string]> = [
    ['publishable', attackers.publishable],
    ['buyer', attackers.otherBuyer.key],
    ['merchant', attackers.otherMerchant.key],
  ];
  for (const [role, key] of roles) {
    if (!route.access.includes(role as never)) list.push({ who: `wrong role (${role})`, key, allowed: [403] });
  }
  const hasParams = /:[A-Za-z_]+/.test(route.url);
  // Someone else's ids: only where the route takes ids and admits the attacker's role; the public catalogue is
  // everybody's to read.
  const publicRead = route.method === 'GET' && route.access.includes('publishable');
  if (hasParams && !publicRead) {
    if (route.access.includes('merchant'))
      list.push({ who: 'another merchant', key: attackers.otherMerchant.key, allowed: [403, 404] });
    if (route.access.includes('buyer'))
      list.push({ who: 'another buyer', key: attackers.otherBuyer.key, allowed: [403, 404] });
  }
  return list;
}

describe('tenancy, generated from the route table', () => {
  test('every /v1 route, every attacker, every spelling: 401/403/404 only, and nothing changes', async () => {
    const routes = apiRoutes();
    expect(routes.length).toBeGreaterThan(50);
    const before = await snapshot();
    const failures: string[] = [];
    let calls = 0;
    for (const route of routes) {
      const path = pathOf(route);
      const body =
        BODIES[`${route.method} ${route.url}`] ?? (['POST', 'PUT', 'PATCH'].includes(route.method) ? {} : undefined);
      for (const attack of attacksOn(route)) {
        for (const [spelling, spell] of Object.entries(SPELLINGS)) {
          const res = await h.call(route.method, spell(path), { key: attack.key, body });
          calls++;
          const notARoute = spelling === 'doubled slash' || spelling === 'trailing slash';
          const allowed = notARoute ? [404, ...attack.allowed] : attack.allowed;
          if (!allowed.includes(res.status) || typeof res.body?.error?.code !== 'string') {
            failures.push(
              `${route.method} ${route.url} [${attack.who}, ${spelling}] → ${res.status} ${JSON.stringify(res.body).slice(0, 160)}`,
            );
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(calls).toBeGreaterThan(1000);
    expect(await snapshot()).toEqual(before);
  }, 600_000); // ~2,000 requests: half a minute alone, several on a busy machine

  test('every path parameter: a NUL byte, an invalid percent-escape, a 5,000-character value → 4xx with a code', async () => {
    const before = await snapshot();
    const withParams = h.routes.filter((r) => r.method !== 'HEAD' && /:[A-Za-z_]+|\*/.test(r.url));
    expect(withParams.length).toBeGreaterThan(20);
    const failures: string[] = [];
    for (const route of withParams) {
      // A key the route admits, so the request gets past authentication to the parameter.
      const key = route.access.includes('ops')
        ? h.opsKey
        : route.access.includes('merchant')
          ? victim.merchant.key
          : route.access.includes('buyer')
            ? victim.buyer.key
            : route.access.includes('publishable')
              ? attackers.publishable
              : undefined;
      const params = [...route.url.matchAll(/:([A-Za-z_]+)|\*/g)].map((m) => m[1] ?? '*');
      for (const param of params) {
        const bad: Array<[string, string, string[]]> = [
          [
            'NUL',
            `${idFor(route.url, param)}%00x`,
            ['invalid_request', 'validation_failed', 'not_found', 'route_not_found'],
          ],
          ['invalid escape', 'ab%zzcd', ['invalid_url']],
          [
            '5,000 characters',
            'a'.repeat(5000),
            ['parameter_too_long', 'validation_failed', 'not_found', 'route_not_found'],
          ],
        ];
        // A wildcard is a page's or asset's path, not an id: any length is a path (the single-page apps answer it).
        if (param === '*') bad.pop();
        for (const [what, value, codes] of bad) {
          const path = pathOf(route, (p) => (p === param ? value : idFor(route.url, p)));
          const body =
            BODIES[`${route.method} ${route.url}`] ??
            (['POST', 'PUT', 'PATCH'].includes(route.method) ? {} : undefined);
          const res = await h.call(route.method, path, { key, body });
          if (res.status < 400 || res.status >= 500 || !codes.includes(res.body?.error?.code)) {
            failures.push(
              `${route.method} ${route.url} :${param} ${what} → ${res.status} ${JSON.stringify(res.body).slice(0, 160)}`,
            );
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(await snapshot()).toEqual(before);
  });
});

describe('a shared payment', () => {
  test('a merchant sees only its own orders and their total; the buyer sees the whole payment', async () => {
    const other = attackers.otherMerchant;
    const p1 = await product(h, victim.merchant, { price: 1000 });
    const p2 = await product(h, other, { price: 2500 });
    const b = await buyer(h, 'Two-shop buyer');
    const made = await checkout(h, b.key, [
      { product_id: p1.id, quantity: 1 },
      { product_id: p2.id, quantity: 2 },
    ]);
    const mine = made.orders.find((o) => o.merchant_id === victim.merchant.id)!;
    const theirs = made.orders.find((o) => o.merchant_id === other.id)!;
    const asBuyer = await h.call('GET', `/v1/payments/${made.payment.id}`, { key: b.key });
    expect([asBuyer.body.amount, asBuyer.body.order_ids.length]).toEqual([6000, 2]);
    const asMerchant = await h.call('GET', `/v1/payments/${made.payment.id}`, { key: victim.merchant.key });
    expect(asMerchant.status).toBe(200);
    expect(asMerchant.body.order_ids).toEqual([mine.id]);
    expect(asMerchant.body.amount).toBe(1000);
    expect(JSON.stringify(asMerchant.body)).not.toContain(theirs.id);
    const asOther = await h.call('GET', `/v1/payments/${made.payment.id}`, { key: other.key });
    expect([asOther.body.order_ids, asOther.body.amount]).toEqual([[theirs.id], 5000]);
  });
});
