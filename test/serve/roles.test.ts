// The roles together: one `hutong serve --role api` and one `--role worker` on one PostgreSQL, the sandboxes as their
// own processes. A merchant onboarded by the worker, a checkout paid through the sandbox wallet: the API process
// records the provider's notification, the worker process posts the payment to the ledger.
import { afterAll, beforeAll, expect, test } from 'vitest';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandboxServers, type SandboxServers } from '../../bench/sandboxes';
import { createTestDatabase } from '../helpers/hutong';
import { dataKey, ensureBuilt, freePort, spawnServe, type ServeProcess } from '../helpers/serve';

const POLLS_MAX = 600;
const POLL_MS = 200;
const DESKTOP_UA = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120 Safari/537.36';

let sandboxes: SandboxServers;
let logDir: string;
const started: ServeProcess[] = [];

beforeAll(async () => {
  logDir = mkdtempSync(join(tmpdir(), 'hutong-serve-roles-'));
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

async function until(what: string, condition: () => Promise<boolean>): Promise<void> {
  for (let poll = 0; poll < POLLS_MAX; poll++) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  throw new Error(`${what} did not happen within ${POLLS_MAX} polls`);
}

test('api and worker in separate processes take a checkout from order to ledger', async () => {
  const databaseUrl = await createTestDatabase();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const opsKey = `ops-${randomBytes(16).toString('hex')}`;
  const env = {
    ...sandboxes.env,
    DATABASE_URL: databaseUrl,
    HUTONG_DATA_KEY: dataKey(),
    HUTONG_PUBLIC_URL: url,
    HUTONG_OPS_API_KEY: opsKey,
    HUTONG_WORKER_INTERVAL_MS: '100',
  };
  const api = spawnServe(['--role', 'api', '--local'], { ...env, PORT: String(port) });
  const worker = spawnServe(['--role', 'worker', '--local'], env);
  started.push(api, worker);
  await Promise.all([api.waitFor(/role api started/), worker.waitFor(/role worker started, no HTTP listener/)]);

  const call = async (
    method: string,
    path: string,
    opts: { key?: string; body?: unknown; base?: string; headers?: Record<string, string> } = {},
  ) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.key) headers.authorization = `Bearer ${opts.key}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    if (method === 'POST') headers['idempotency-key'] = randomBytes(8).toString('hex');
    const res = await fetch((opts.base ?? url) + path, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  const merchant = await call('POST', '/v1/merchants', { key: opsKey, body: { name: 'Roles Shop' } });
  expect(merchant.status).toBe(201);
  // The worker follows the Alipay application the merchant's creation started.
  await until('alipay onboarding by the worker process', async () =>
    (await call('GET', `/v1/merchants/${merchant.body.id}/provider-accounts`, { key: opsKey })).body.data.some(
      (a: { provider: string; status: string }) => a.provider === 'alipay' && a.status === 'active',
    ),
  );
  const key = await call('POST', `/v1/merchants/${merchant.body.id}/api-keys`, { key: opsKey });
  const product = await call('POST', '/v1/products', {
    key: key.body.key,
    body: { name: 'Thing', price: 1234, stock: 5 },
  });
  expect(product.status).toBe(201);
  const buyer = await call('POST', '/v1/buyers', { key: opsKey, body: { name: 'Buyer' } });
  const checkout = await call('POST', '/v1/orders', {
    key: buyer.body.key,
    body: { items: [{ product_id: product.body.id, quantity: 1 }] },
  });
  expect(checkout.status).toBe(201);
  const attempt = await call('POST', `/v1/payments/${checkout.body.payment.id}/attempts`, {
    key: buyer.body.key,
    body: { method: 'alipay', scene: 'qr' },
    headers: { 'user-agent': DESKTOP_UA },
  });
  expect(attempt.status).toBe(201);
  const paid = await call('POST', '/sandbox/alipay/wallet/pay', {
    base: sandboxes.origin.alipay,
    body: { code_url: attempt.body.action.code_url },
  });
  expect(paid.status).toBe(200);

  await until(
    'the API process records the notification',
    async () =>
      (await call('GET', `/v1/payments/${checkout.body.payment.id}`, { key: buyer.body.key })).body.status ===
      'succeeded',
  );
  const client = new pg.Client(databaseUrl);
  await client.connect();
  try {
    await until(
      'the worker process posts the payment to the ledger',
      async () =>
        (
          await client.query(`SELECT 1 FROM ledger_entries WHERE cause = 'payment.sub_order_paid' AND order_id = $1`, [
            checkout.body.orders[0].id,
          ])
        ).rows.length === 1,
    );
  } finally {
    await client.end();
  }
  expect((await Promise.all([api.stop(), worker.stop()])).map((s) => s.code)).toEqual([0, 0]);
}, 600_000);
