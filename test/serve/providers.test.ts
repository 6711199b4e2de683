// `hutong serve` on real gateways — the two sandboxes run as their own processes, as the providers' gateways are other
// machines — never answers a /sandbox/* route, prints no secret, and leaves a provider without a gateway off
// (method_disabled) instead of putting it on a sandbox.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import Fastify from 'fastify';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GATEWAY_VARIABLES } from '../../src/config';
import { mountSandboxes } from '../../src/sandbox/mount';
import { startSandboxServers, type SandboxServers } from '../../bench/sandboxes';
import { createTestDatabase } from '../helpers/hutong';
import { dataKey, ensureBuilt, freePort, spawnServe, type ServeProcess } from '../helpers/serve';

let sandboxes: SandboxServers;
let logDir: string;
const started: ServeProcess[] = [];

beforeAll(async () => {
  logDir = mkdtempSync(join(tmpdir(), 'hutong-serve-providers-'));
  await ensureBuilt();
  sandboxes = await startSandboxServers(logDir, {
    applymentDelayMs: 300,
    settleDelayMs: 200,
    notifyTimeScale: 0.001,
    feeRateBp: { alipay: 60, wechatpay: 60 },
  });
}, 300_000);

afterAll(async () => {
  await Promise.all(started.map((s) => s.stop()));
  await sandboxes?.close();
  rmSync(logDir, { recursive: true, force: true });
});

interface Server {
  url: string;
  process: ServeProcess;
  secrets: string[];
}

async function startServe(gatewayEnv: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const databaseUrl = await createTestDatabase();
  const env = {
    ...gatewayEnv,
    DATABASE_URL: databaseUrl,
    HUTONG_DATA_KEY: dataKey(),
    HUTONG_PUBLIC_URL: url,
    PORT: String(port),
    HUTONG_OPS_API_KEY: `ops-${randomBytes(16).toString('hex')}`,
    HUTONG_BUYER_SIGNUPS_PER_MINUTE: '1000',
  };
  const serve = spawnServe(['--role', 'all', '--local'], env);
  started.push(serve);
  await serve.waitFor(/role all started/);
  const keyFiles = Object.entries(gatewayEnv)
    .filter(([name]) => name.endsWith('_FILE'))
    .map(([, path]) => readFileSync(path, 'utf8').trim());
  // The test database's password ("hutong") is no secret worth the name; the keys are.
  return {
    url,
    process: serve,
    secrets: [
      env.HUTONG_DATA_KEY,
      env.HUTONG_OPS_API_KEY,
      ...keyFiles.flatMap((k) => k.split('\n').filter((l) => l.length > 20)),
    ],
  };
}

/** Every route both sandboxes define, as they mount them in the demo. */
async function sandboxRoutes(): Promise<Array<{ method: string; url: string }>> {
  const app = Fastify();
  const routes: Array<{ method: string; url: string }> = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) if (method !== 'HEAD') routes.push({ method, url: r.url });
  });
  const mounted = await mountSandboxes(app, {
    dataDir: undefined,
    config: { applymentDelayMs: 1000, settleDelayMs: 1000, notifyTimeScale: 1 },
    log: app.log,
  });
  await app.ready();
  await mounted.close();
  await app.close();
  return routes.map((r) => ({ method: r.method, url: r.url.replace(/:[A-Za-z_]+/g, 'x').replace(/\*/g, 'x') }));
}

async function call(base: string, method: string, path: string, opts: { key?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = {};
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (method === 'POST') headers['idempotency-key'] = randomBytes(8).toString('hex');
  const res = await fetch(base + path, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text };
}

function only(provider: keyof typeof GATEWAY_VARIABLES, env: Record<string, string>): Record<string, string> {
  const names: readonly string[] = [...GATEWAY_VARIABLES[provider].required, ...GATEWAY_VARIABLES[provider].optional];
  return Object.fromEntries(Object.entries(env).filter(([name]) => names.includes(name)));
}

describe('with both providers on their gateways', () => {
  let server: Server;
  beforeAll(async () => {
    server = await startServe(sandboxes.env);
  }, 240_000);

  test('no /sandbox/* route answers on Hutong’s port', async () => {
    const routes = await sandboxRoutes();
    expect(routes.length).toBeGreaterThan(20);
    for (const route of routes) {
      const res = await call(
        server.url,
        route.method,
        route.url,
        route.method === 'GET' || route.method === 'DELETE' ? {} : { body: {} },
      );
      expect({ ...route, status: res.status }).toEqual({ ...route, status: 404 });
    }
  }, 240_000);

  test('the pages know there is no sandbox wallet', async () => {
    expect((await call(server.url, 'GET', '/web/env.json')).body.sandboxes).toEqual({
      alipay: false,
      wechatpay: false,
    });
    expect((await call(server.url, 'GET', '/shop')).status).toBe(200);
  });

  test('start-up says where each provider runs, that --local accepted plain http, and prints no secret', () => {
    const out = server.process.output();
    expect(out).toMatch(/--local: accepting HUTONG_PUBLIC_URL http:\/\/127\.0\.0\.1:\d+ .*tests on one machine/);
    expect(out).toMatch(/alipay: on \(127\.0\.0\.1:\d+, a sandbox\); wechatpay: on \(127\.0\.0\.1:\d+, a sandbox\)/);
    for (const secret of server.secrets) expect(out).not.toContain(secret);
  });
});

describe('with only WeChat Pay configured', () => {
  let server: Server;
  let opsKey: string;
  beforeAll(async () => {
    server = await startServe(only('wechatpay', sandboxes.env));
    opsKey = server.secrets[1]!;
  }, 240_000);

  test('Alipay is off: method_disabled at the cashier, not run on a sandbox', async () => {
    expect(server.process.output()).toMatch(/alipay: off \(.*method_disabled\); wechatpay: on/);
    expect(
      (await call(server.url, 'PATCH', '/v1/payment-methods/wechatpay', { key: opsKey, body: { enabled: true } }))
        .status,
    ).toBe(200);
    const merchant = await call(server.url, 'POST', '/v1/merchants', { key: opsKey, body: { name: 'Shop' } });
    expect(merchant.status).toBe(201);
    const key = await call(server.url, 'POST', `/v1/merchants/${merchant.body.id}/api-keys`, { key: opsKey });
    expect(key.status).toBe(201);
    const product = await call(server.url, 'POST', '/v1/products', {
      key: key.body.key,
      body: { name: 'Thing', price: 1000, stock: 5 },
    });
    expect(product.status).toBe(201);
    const buyer = await call(server.url, 'POST', '/v1/buyers', { key: opsKey, body: { name: 'Buyer' } });
    expect(buyer.status).toBe(201);
    const checkout = await call(server.url, 'POST', '/v1/orders', {
      key: buyer.body.key,
      body: { items: [{ product_id: product.body.id, quantity: 1 }] },
    });
    expect(checkout.status).toBe(201);
    const methods = Object.fromEntries(
      checkout.body.payment.methods.map((m: { method: string; reason?: string }) => [m.method, m.reason]),
    );
    expect(methods).toEqual({ alipay: 'method_disabled', wechatpay: 'merchant_not_enabled' });
    expect((await call(server.url, 'POST', '/sandbox/alipay/wallet/pay', { body: {} })).status).toBe(404);
  });
});
