// Starts a real Hutong for a test file: its own database on the run's PostgreSQL (or an in-memory PGlite),
// in-process sandboxes on real HTTP at 127.0.0.1, and a worker the test drives with runOnce().
import { inject } from 'vitest';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../../src/config';
import { createHutong, type Hutong } from '../../src/app';
import { openPglite, openPostgres, type Db } from '../../src/shared/db';
import { mountSandboxes } from '../../src/sandbox/mount';

export interface TestHutong extends Hutong {
  url: string;
  opsKey: string;
  databaseUrl: string | undefined;
  /** Moves Hutong's clock and both sandboxes' clocks together, as time passes for everyone. */
  advance(ms: number): Promise<void>;
  /** Real HTTP to the server. Returns status, parsed JSON (or text) and headers. */
  call(method: string, path: string, opts?: CallOptions): Promise<CallResult>;
}

export interface CallOptions {
  key?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface CallResult {
  status: number;
  body: any;
  headers: Headers;
}

export async function createTestDatabase(): Promise<string> {
  const adminUrl = inject('databaseUrl');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client(adminUrl);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export interface StartOptions {
  engine?: 'postgres' | 'pglite';
  /** true (default): the demo mode, both providers on in-process sandboxes; false: production mode, no provider configured. */
  sandboxes?: boolean;
  config?: Partial<Config>;
  env?: Record<string, string>;
  /** Reuse a database (a restart); otherwise a fresh one. */
  databaseUrl?: string;
  logLevel?: string;
  logStream?: NodeJS.WritableStream;
}

export async function startHutong(opts: StartOptions = {}): Promise<TestHutong> {
  const opsKey = opts.env?.HUTONG_OPS_API_KEY ?? `test-ops-${randomBytes(12).toString('hex')}`;
  const config = loadConfig(
    {
      HUTONG_OPS_API_KEY: opsKey,
      HUTONG_SANDBOX_APPLYMENT_DELAY_MS: '300',
      HUTONG_SANDBOX_SETTLE_DELAY_MS: '200',
      HUTONG_SANDBOX_NOTIFY_TIME_SCALE: '0.0001',
      HUTONG_BUYER_SIGNUPS_PER_MINUTE: '100000',
      HUTONG_BUYER_UNPAID_ORDERS_MAX: '100000',
      HUTONG_BUYER_HELD_UNITS_MAX: '100000000',
      HUTONG_PAYMENT_ATTEMPTS_PER_MINUTE: '100000',
      ...opts.env,
    },
    { port: 0, ...opts.config },
  );
  const databaseUrl = opts.databaseUrl ?? (opts.engine === 'pglite' ? undefined : await createTestDatabase());
  const db: Db = databaseUrl ? openPostgres(databaseUrl, 20) : await openPglite(undefined);
  const hutong = await createHutong({
    mode: opts.sandboxes === false ? { name: 'production' } : { name: 'demo', mountSandboxes },
    config,
    db,
    ephemeral: true,
    startWorker: false,
    logLevel: opts.logLevel ?? process.env.HUTONG_TEST_LOG ?? 'silent',
    logStream: opts.logStream,
  });
  const url = await hutong.listen();
  const call = async (method: string, path: string, o: CallOptions = {}): Promise<CallResult> => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.key) headers.authorization = `Bearer ${o.key}`;
    // The sandboxes' test-only controls (clock, faults, books) take their admin token; their other routes ignore it.
    else if (path.startsWith('/sandbox/') && hutong.sandboxes)
      headers.authorization ??= `Bearer ${hutong.sandboxes.adminToken}`;
    let body: string | undefined = o.rawBody;
    if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(url + path, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
  const advance = async (ms: number) => {
    hutong.clock.advance(ms);
    if (hutong.sandboxes) {
      for (const p of ['alipay', 'wechatpay']) {
        const res = await call('POST', `/sandbox/${p}/clock`, { body: { advance_ms: ms } });
        if (res.status !== 200) throw new Error(`moving the ${p} sandbox clock failed: ${res.status}`);
      }
    }
  };
  return Object.assign(hutong, { url, opsKey, call, advance, databaseUrl });
}
