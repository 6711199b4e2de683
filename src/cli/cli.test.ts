// The `hutong` command line as a user runs it: `node bin/hutong.mjs …` in its own process, against a Hutong server
// that keeps its sandbox credentials in its data directory (as `npm start` does) and its data in PostgreSQL.
// With DATABASE_URL the CLI reads the database itself and reaches the sandboxes over HTTP; without it, it asks
// the running server with the ops key (the embedded default, where the server owns the database).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../config';
import { createHutong } from '../app';
import { openPostgres } from '../shared/db';
import { mountSandboxes } from '../sandbox/mount';
import { createTestDatabase, type CallOptions, type TestHutong } from '../../test/helpers/hutong';
import { enableWechatpay, payableMerchant, type TestMerchant } from '../../test/helpers/market';
import { shanghaiDate } from '../ledger/bill-day';
import { paidOrder, refunded, setSandboxFaults, type PaidOrder } from '../ledger/test-kit';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A server like `npm start`'s: not ephemeral, so its sandboxes' credentials are saved under the data directory. */
async function startSavingHutong(dataDir: string, databaseUrl: string, opsKey: string): Promise<TestHutong> {
  const config = loadConfig(
    {
      HUTONG_OPS_API_KEY: opsKey,
      HUTONG_DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      HUTONG_SANDBOX_APPLYMENT_DELAY_MS: '300',
      HUTONG_SANDBOX_SETTLE_DELAY_MS: '200',
      HUTONG_SANDBOX_NOTIFY_TIME_SCALE: '0.0001',
      HUTONG_BUYER_SIGNUPS_PER_MINUTE: '100000',
    },
    { port: 0 },
  );
  const hutong = await createHutong({
    mode: { name: 'demo', mountSandboxes },
    config,
    db: openPostgres(databaseUrl, 10),
    startWorker: false,
    logLevel: 'silent',
  });
  const url = await hutong.listen();
  const call = async (method: string, path: string, o: CallOptions = {}) => {
    const headers: Record<string, string> = { ...o.headers, ...(o.key ? { authorization: `Bearer ${o.key}` } : {}) };
    if (!o.key && path.startsWith('/sandbox/') && hutong.sandboxes)
      headers.authorization = `Bearer ${hutong.sandboxes.adminToken}`;
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(url + path, {
      method,
      headers,
      body: o.body !== undefined ? JSON.stringify(o.body) : o.rawBody,
    });
    const text = await res.text();
    return {
      status: res.status,
      body: text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text,
      headers: res.headers,
    };
  };
  const advance = async () => {
    throw new Error('this test keeps real time: the CLI runs on it');
  };
  return Object.assign(hutong, { url, opsKey, call, advance, databaseUrl });
}

function hutongCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/hutong.mjs'), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString('utf8');
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

let h: TestHutong;
let m: TestMerchant;
let order: PaidOrder;
let dataDir: string;
let direct: Record<string, string>;
let viaServer: Record<string, string>;
let today: string;
beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'hutong-cli-'));
  const databaseUrl = await createTestDatabase();
  h = await startSavingHutong(dataDir, databaseUrl, `test-ops-${randomBytes(12).toString('hex')}`);
  direct = { DATABASE_URL: databaseUrl, HUTONG_DATA_DIR: dataDir, HUTONG_PUBLIC_URL: h.url };
  viaServer = { HUTONG_DATA_DIR: dataDir, HUTONG_PUBLIC_URL: h.url, HUTONG_OPS_API_KEY: h.opsKey };
  await enableWechatpay(h);
  m = await payableMerchant(h, 'CLI shop', { wechatpay: true });
  order = await paidOrder(h, m, 'wechatpay', 10_000);
  await refunded(h, m, order.orderId, 2_500);
  today = shanghaiDate(h.clock.now());
});
afterAll(async () => {
  await h?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('hutong reconcile', () => {
  test('a clean day: the summary table, exit code 0', async () => {
    const run = await hutongCli(['reconcile', '--provider', 'wechatpay', '--date', today], direct);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`wechatpay ${today} — completed`);
    expect(run.stdout).toContain('matched: 2, mismatches: 0');
    expect(run.stdout).toMatch(/trade\s+2\s+2/);
  });

  test('a wrong fee in the bill: listed with both fees, exit code 1', async () => {
    await setSandboxFaults(h, 'wechatpay', {
      billTamper: [{ bill_date: today, change: 'wrong_fee', out_trade_no: order.outTradeNo }],
    });
    const run = await hutongCli(['reconcile', '--provider', 'wechatpay', '--date', today], direct);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('matched: 1, mismatches: 1');
    expect(run.stdout).toMatch(/fee_differs\s+1/);
    expect(run.stdout).toMatch(new RegExp(`fee_differs\\s+payment\\s+${order.outTradeNo}.*fee 0\\.61 vs 0\\.60`));
  });

  test('without DATABASE_URL it asks the running server (the embedded default) and can print JSON', async () => {
    const run = await hutongCli(['reconcile', '--provider', 'alipay', '--date', today, '--json'], viaServer);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      provider: 'alipay',
      date: today,
      status: 'completed',
      matched: 0,
      mismatches: [],
    });
    expect((await h.call('GET', '/v1/reconciliations?provider=alipay', { key: h.opsKey })).body.data).toHaveLength(1);
  });

  test('an error — a day that has not begun — exits 2 with its code', async () => {
    const run = await hutongCli(['reconcile', '--provider', 'wechatpay', '--date', '2999-01-01'], direct);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('bill_date_in_future');
  });
});

describe('hutong check', () => {
  test('a consistent ledger: every invariant ok, exit code 0 (directly and through the server)', async () => {
    for (const env of [direct, viaServer]) {
      const run = await hutongCli(['check'], env);
      expect(run.code).toBe(0);
      for (const name of [
        'entries_balance',
        'balances_equal_postings',
        'refunded_within_paid',
        'losing_attempts_refunded',
        'escrow_equals_provider_unsplit',
        'balances_equal_provider',
      ]) {
        expect(run.stdout).toMatch(new RegExp(`${name}\\s+ok`));
      }
      expect(run.stdout).toContain('all invariants hold');
    }
  });

  test('a posting inserted by hand (to an account with no running balance) breaks its entry and its account: exit code 1', async () => {
    const { rows } = await h.db.query<{ id: string }>(`SELECT id FROM ledger_entries WHERE idempotency_key = $1`, [
      `paid:${order.outTradeNo}`,
    ]);
    const entryId = rows[0]!.id;
    await h.db.query(
      `INSERT INTO ledger_postings (entry_id, account, amount, trade_ref) VALUES ($1, 'manual:adjustment', 1, $2)`,
      [entryId, order.outTradeNo],
    );
    const run = await hutongCli(['check'], direct);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/entries_balance\s+1 violation/);
    expect(run.stdout).toContain(`${entryId}: postings do not sum to zero`);
    expect(run.stdout).toMatch(/balances_equal_postings\s+1 violation/);
    expect(run.stdout).toContain('manual:adjustment: balance differs');
    expect(run.stdout).toMatch(/escrow_equals_provider_unsplit\s+ok/);
  });
});
