// A real Hutong for the benchmark: its own database on the bench's PostgreSQL, the sandboxes (their own server
// processes, or mounted in Hutong's process), the worker running, and a small market (payable merchants, products,
// buyers) made through the public API.
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadConfig } from '../src/config';
import { createHutong, type Hutong } from '../src/app';
import { openPostgres } from '../src/shared/db';
import { mountSandboxes } from '../src/sandbox/mount';
import type { ProviderName } from '../src/providers/types';
import { freePort } from './postgres';
import { startSandboxServers, type SandboxKnobs, type SandboxServers } from './sandboxes';
import { HttpClient, progress, waitUntil, BenchError } from './util';

export type SandboxMode = 'process' | 'in-process';

export interface BenchHutong {
  h: Hutong;
  url: string;
  opsKey: string;
  http: HttpClient;
  sandboxes: SandboxMode;
  /** Where the bench reaches each sandbox (wallet, clock, faults): its own server, or Hutong's process. */
  sandboxHttp: Record<ProviderName, HttpClient>;
  close(): Promise<void>;
}

export interface Market {
  merchants: Array<{ id: string; key: string }>;
  products: Array<{ id: string; merchantId: string; price: number }>;
  buyers: Array<{ id: string; key: string }>;
}

export const DESKTOP_UA = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120 Safari/537.36';

const KNOBS: SandboxKnobs = {
  applymentDelayMs: 300,
  settleDelayMs: 200,
  // Retries are rare here; a scaled schedule keeps a retried notification from stalling a measurement.
  notifyTimeScale: 0.01,
  feeRateBp: { alipay: 60, wechatpay: 60 },
};

interface StartOptions {
  sandboxes: SandboxMode;
  connections: number;
  logFile: string;
  logLevel: string;
  workerIntervalMs: number;
  poolSize: number;
}

export async function startBenchHutong(databaseUrl: string, opts: StartOptions): Promise<BenchHutong> {
  const servers = opts.sandboxes === 'process' ? await startSandboxServers(dirname(opts.logFile), KNOBS) : undefined;
  try {
    return await startWith(databaseUrl, opts, servers);
  } catch (err) {
    await servers?.close();
    throw err;
  }
}

async function startWith(
  databaseUrl: string,
  opts: StartOptions,
  servers: SandboxServers | undefined,
): Promise<BenchHutong> {
  const opsKey = `bench-ops-${randomBytes(12).toString('hex')}`;
  // Hutong's own address, chosen up front so that its public URL (the sandboxes' notify_url) can name it.
  const port = servers ? await freePort() : 0;
  const config = loadConfig({
    HUTONG_OPS_API_KEY: opsKey,
    HUTONG_SANDBOX_APPLYMENT_DELAY_MS: String(KNOBS.applymentDelayMs),
    HUTONG_SANDBOX_SETTLE_DELAY_MS: String(KNOBS.settleDelayMs),
    HUTONG_SANDBOX_NOTIFY_TIME_SCALE: String(KNOBS.notifyTimeScale),
    HUTONG_ALIPAY_FEE_RATE_BP: String(KNOBS.feeRateBp.alipay),
    HUTONG_WECHATPAY_FEE_RATE_BP: String(KNOBS.feeRateBp.wechatpay),
    HUTONG_BUYER_SIGNUPS_PER_MINUTE: '100000',
    HUTONG_BUYER_UNPAID_ORDERS_MAX: '100000',
    HUTONG_BUYER_HELD_UNITS_MAX: '100000000',
    HUTONG_PAYMENT_ATTEMPTS_PER_MINUTE: '100000',
    HUTONG_WORKER_INTERVAL_MS: String(opts.workerIntervalMs),
    PORT: String(port),
    ...(servers ? { HUTONG_PUBLIC_URL: `http://127.0.0.1:${port}`, ...servers.env } : {}),
  });
  mkdirSync(dirname(opts.logFile), { recursive: true });
  const logStream = createWriteStream(opts.logFile); // one run's log
  // Sandboxes as their own processes: production mode on their gateways; in-process: the demo mode that mounts them.
  const mode = servers ? { name: 'production' as const } : { name: 'demo' as const, mountSandboxes };
  const h = await createHutong({
    mode,
    config,
    db: openPostgres(databaseUrl, opts.poolSize),
    ephemeral: true,
    startWorker: true,
    logLevel: opts.logLevel,
    logStream,
  });
  let url: string;
  try {
    if (servers && h.sandboxes)
      throw new BenchError('Hutong mounted its own sandboxes although both gateways are configured');
    url = await h.listen();
    if (h.config.publicUrl !== url)
      throw new BenchError(`Hutong's public URL ${h.config.publicUrl} is not its address ${url}`);
  } catch (err) {
    await h.close();
    throw err;
  }
  const http = new HttpClient(url, opts.connections);
  const sandboxHttp = servers
    ? {
        alipay: new HttpClient(servers.origin.alipay, opts.connections),
        wechatpay: new HttpClient(servers.origin.wechatpay, opts.connections),
      }
    : { alipay: http, wechatpay: http };
  return {
    h,
    url,
    opsKey,
    http,
    sandboxes: opts.sandboxes,
    sandboxHttp,
    async close() {
      await Promise.all([...new Set([http, sandboxHttp.alipay, sandboxHttp.wechatpay])].map((c) => c.close()));
      try {
        await h.close();
      } finally {
        await servers?.close();
        await new Promise<void>((resolve) => logStream.end(resolve));
      }
    },
  };
}

async function accountActive(b: BenchHutong, merchantId: string, provider: string): Promise<boolean> {
  const res = await b.http.expect(200, 'GET', `/v1/merchants/${merchantId}/provider-accounts`, { key: b.opsKey });
  return res.data.some((a: { provider: string; status: string }) => a.provider === provider && a.status === 'active');
}

/** Merchants live on both providers (Alipay onboards on creation; WeChat Pay applied for), a product each, buyers. */
export async function setupMarket(
  b: BenchHutong,
  sizes: { merchants: number; buyers: number; stock: number },
): Promise<Market> {
  await b.http.expect(200, 'PATCH', '/v1/payment-methods/wechatpay', { key: b.opsKey, body: { enabled: true } });
  const merchants: Market['merchants'] = [];
  for (let i = 0; i < sizes.merchants; i++) {
    const m = await b.http.expect(201, 'POST', '/v1/merchants', {
      key: b.opsKey,
      body: { name: `Bench shop ${i + 1}` },
    });
    const key = await b.http.expect(201, 'POST', `/v1/merchants/${m.id}/api-keys`, { key: b.opsKey });
    await b.h.accounts.apply(m.id, 'wechatpay');
    merchants.push({ id: m.id, key: key.key });
  }
  progress(`market: ${merchants.length} merchants created; waiting for both sandboxes to approve their sub-merchants…`);
  for (const m of merchants) {
    for (const provider of ['alipay', 'wechatpay']) {
      if (!(await waitUntil(() => accountActive(b, m.id, provider), 60_000, 100)))
        throw new BenchError(`${provider} onboarding of ${m.id} did not finish in 60 s`);
    }
  }
  const products: Market['products'] = [];
  for (const [i, m] of merchants.entries()) {
    const p = await b.http.expect(201, 'POST', '/v1/products', {
      key: m.key,
      body: { name: `Bench item ${i + 1}`, price: 1000 + i * 7, stock: sizes.stock },
    });
    products.push({ id: p.id, merchantId: m.id, price: p.price });
  }
  const buyers: Market['buyers'] = [];
  for (let i = 0; i < sizes.buyers; i++) {
    const buyer = await b.http.expect(201, 'POST', '/v1/buyers', {
      key: b.opsKey,
      body: { name: `Bench buyer ${i + 1}` },
    });
    buyers.push({ id: buyer.id, key: buyer.key });
  }
  progress(
    `market ready: ${merchants.length} merchants live on alipay and wechatpay, ${products.length} products, ${buyers.length} buyers`,
  );
  return { merchants, products, buyers };
}
