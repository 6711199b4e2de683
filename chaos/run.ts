// `npm run chaos`: Hutong's processes SIGKILLed at random under a checkout workload while the sandboxes drop,
// duplicate, reorder and delay notifications and fail calls; then every end check, printed with its result.
// Exit 0 only when every check holds. See README "Chaos and races".
//
//   npm run chaos                          full: 2,000 checkouts, ≥ 10 kills, PostgreSQL (2 processes) then PGlite
//   npm run chaos -- --short               the short run `npm test` runs (~80 checkouts, a few kills)
//   npm run chaos -- --engine postgres --checkouts 500 --kills 6
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { createHutong, type Hutong } from '../src/app';
import { loadConfig } from '../src/config';
import { openPostgres } from '../src/shared/db';
import { mountSandboxes } from '../src/sandbox/mount';
import { freePort, startPostgres, type BenchPostgres } from '../bench/postgres';
import { killSandboxServersNow, startSandboxServers, type SandboxServers } from '../bench/sandboxes';
import { call, sleep } from './http';
import { HutongProcess, Killer } from './processes';
import { Workload, METHODS, type Endpoints, type Market, type Method } from './workload';
import { endChecks, invariantsCheck, reconciliationCheck, settled, type CheckResult, type World } from './checks';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const t0 = Date.now();
const log = (m: string) => process.stderr.write(`[chaos ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${m}\n`);

interface Options {
  engine: 'postgres' | 'pglite' | 'both';
  launcher: 'serve' | 'direct';
  checkouts: number;
  pgliteCheckouts: number;
  clients: number;
  kills: number;
  merchants: number;
  workloadCapS: number;
  settleCapS: number;
  keep: boolean;
}

const FULL: Options = {
  engine: 'both',
  launcher: 'serve',
  checkouts: 2000,
  pgliteCheckouts: 400,
  clients: 8,
  kills: 12,
  merchants: 6,
  workloadCapS: 2400,
  settleCapS: 600,
  keep: false,
};
const SHORT: Options = {
  engine: 'both',
  launcher: 'serve',
  checkouts: 80,
  pgliteCheckouts: 30,
  clients: 8,
  kills: 3,
  merchants: 3,
  workloadCapS: 240,
  settleCapS: 240,
  keep: false,
};

const KNOBS = {
  applymentDelayMs: 300,
  settleDelayMs: 200,
  notifyTimeScale: 0.01,
  feeRateBp: { alipay: 60, wechatpay: 60 },
};
/** The issue's fault mix: 20 % duplicated, 10 % dropped, 10 % reordered notifications, 5 % failed calls. */
const RATES = { notifyDuplicate: 0.2, notifyDrop: 0.1, notifyReorder: 0.1, callError5xx: 0.05 };
const NOTIFY_DELAY_MS = 1_500;
/** Alipay's knobs are counters ("the next N"): sized from the expected number of notifications and calls. */
const NOTIFICATIONS_PER_CHECKOUT = 1.6;
const CALLS_PER_CHECKOUT = 4;

const BUILD_TIMEOUT_MS = 600_000;
const adminToken = randomBytes(24).toString('hex');
const adminHeaders = { authorization: `Bearer ${adminToken}` };

function alipayCounters(checkouts: number) {
  return {
    notifyDuplicate: Math.round(RATES.notifyDuplicate * checkouts * NOTIFICATIONS_PER_CHECKOUT),
    notifyDrop: Math.round(RATES.notifyDrop * checkouts * NOTIFICATIONS_PER_CHECKOUT),
    notifyReorder: Math.round(RATES.notifyReorder * checkouts * NOTIFICATIONS_PER_CHECKOUT),
    callError5xx: Math.round(RATES.callError5xx * checkouts * CALLS_PER_CHECKOUT),
    notifyDelayMs: NOTIFY_DELAY_MS,
  };
}

interface FaultLedger {
  alipaySet: Record<string, number>;
  alipayLeft: Record<string, number>;
  wechatpay: Record<string, number>;
}

async function setFaults(
  origin: (m: Method) => string,
  faults: { alipay: Record<string, number>; wechatpay: Record<string, number> },
): Promise<void> {
  for (const method of METHODS) {
    const res = await call(origin(method), 'PUT', `/sandbox/${method}/faults`, {
      body: faults[method],
      headers: adminHeaders,
    });
    if (res.status !== 200)
      throw new Error(`setting ${method} faults: HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
  }
}

async function faultsLeft(origin: (m: Method) => string): Promise<Record<string, number>> {
  const res = await call(origin('alipay'), 'GET', '/sandbox/alipay/faults', { headers: adminHeaders });
  return res.status === 200 ? res.body : {};
}

const NO_FAULTS = {
  alipay: { notifyDuplicate: 0, notifyDrop: 0, notifyReorder: 0, callError5xx: 0, notifyDelayMs: 0 },
  wechatpay: { notifyDuplicate: 0, notifyDrop: 0, notifyReorder: 0, callError5xx: 0, notifyDelayMs: 0 },
};

/** The market, made through the public API of a Hutong in the run's own process (then closed). */
async function buildMarket(h: Hutong, url: string, opsKey: string, merchants: number): Promise<Market> {
  const ok = async (p: Promise<{ status: number; body: any }>, status: number, what: string) => {
    const a = await p;
    if (a.status !== status) throw new Error(`${what}: HTTP ${a.status} ${JSON.stringify(a.body).slice(0, 200)}`);
    return a.body;
  };
  await ok(
    call(url, 'PATCH', '/v1/payment-methods/wechatpay', { key: opsKey, body: { enabled: true } }),
    200,
    'enable wechatpay',
  );
  const storefront = await ok(
    call(url, 'POST', '/v1/publishable-keys', { key: opsKey, body: { name: 'chaos storefront' } }),
    201,
    'publishable key',
  );
  const market: Market = { opsKey, publishableKey: storefront.key, merchants: [], products: [] };
  for (let i = 0; i < merchants; i++) {
    const m = await ok(
      call(url, 'POST', '/v1/merchants', { key: opsKey, body: { name: `Chaos shop ${i + 1}` } }),
      201,
      'merchant',
    );
    const key = await ok(call(url, 'POST', `/v1/merchants/${m.id}/api-keys`, { key: opsKey }), 201, 'merchant key');
    market.merchants.push({ id: m.id, key: key.key });
    await h.accounts.apply(m.id, 'wechatpay');
    for (const price of [1 + Math.floor(Math.random() * 500), 500 + Math.floor(Math.random() * 30_000)]) {
      const p = await ok(
        call(url, 'POST', '/v1/products', {
          key: key.key,
          body: { name: `Thing ${price}`, price, stock: 1_000_000, fulfilment_type: 'express' },
        }),
        201,
        'product',
      );
      market.products.push({ id: p.id, merchantId: m.id, price });
    }
  }
  const deadline = Date.now() + 120_000;
  for (;;) {
    await h.worker.runOnce();
    let active = 0;
    for (const m of market.merchants) {
      const accounts = await ok(
        call(url, 'GET', `/v1/merchants/${m.id}/provider-accounts`, { key: opsKey }),
        200,
        'accounts',
      );
      active += accounts.data.filter((a: { status: string }) => a.status === 'active').length;
    }
    if (active === market.merchants.length * 2) break;
    if (Date.now() > deadline)
      throw new Error(`onboarding: ${active} of ${market.merchants.length * 2} accounts active after 120 s`);
    await sleep(300);
  }
  log(
    `market ready: ${market.merchants.length} merchants live on alipay and wechatpay, ${market.products.length} products`,
  );
  return market;
}

/** `hutong serve` runs compiled JavaScript only: build it when dist/ is older than the sources (bounded). */
async function currentBuild(): Promise<boolean> {
  const { compiledIsCurrent } = (await import(join(ROOT, 'bin', 'build-state.mjs'))) as {
    compiledIsCurrent(): boolean;
  };
  if (compiledIsCurrent()) return true;
  log('building for hutong serve (npm run build)…');
  const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8', timeout: BUILD_TIMEOUT_MS });
  if (r.status === 0 && compiledIsCurrent()) return true;
  log(
    `the build failed (exit ${r.status}); starting Hutong through createHutong instead: ${(r.stderr || r.stdout).slice(-400)}`,
  );
  return false;
}

function shanghaiDate(ms: number): string {
  return new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10);
}

function hutongCheck(env: Record<string, string>): CheckResult {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'hutong.mjs'), 'check'], {
    cwd: ROOT,
    env: { ...process.env, ...env, NODE_OPTIONS: '' },
    encoding: 'utf8',
    timeout: 300_000,
  });
  const failures =
    r.status === 0
      ? []
      : [
          `exit ${r.status}: ${
            (r.stdout + r.stderr)
              .split('\n')
              .filter((l) => /violation|error|fail/i.test(l))
              .slice(0, 20)
              .join(' | ') || (r.stdout + r.stderr).slice(-800)
          }`,
        ];
  return { name: 'hutong_check', description: '`hutong check` passes (exit 0)', failures };
}

interface EngineReport {
  engine: string;
  processes: number;
  launcher: string;
  workload: Workload['stats'];
  retried: number;
  longest: { ms: number; what: string };
  kills: Array<{ process: string; pid: number; atMs: number; downMs: number }>;
  faults: FaultLedger;
  settled: boolean;
  checks: CheckResult[];
  seconds: number;
}

async function runEngine(
  engine: 'postgres' | 'pglite',
  opts: Options,
  checkouts: number,
  workDir: string,
): Promise<EngineReport> {
  const started = Date.now();
  const opsKey = `chaos-ops-${randomBytes(12).toString('hex')}`;
  const common: Record<string, string> = {
    HUTONG_OPS_API_KEY: opsKey,
    HUTONG_SANDBOX_ADMIN_TOKEN: adminToken,
    HUTONG_SANDBOX_APPLYMENT_DELAY_MS: String(KNOBS.applymentDelayMs),
    HUTONG_SANDBOX_SETTLE_DELAY_MS: String(KNOBS.settleDelayMs),
    HUTONG_SANDBOX_NOTIFY_TIME_SCALE: String(KNOBS.notifyTimeScale),
    HUTONG_BUYER_SIGNUPS_PER_MINUTE: '1000000',
    // The abuse limits are not what this run is about (several devices paying one payment is).
    HUTONG_PAYMENT_ATTEMPTS_PER_MINUTE: '100000',
    HUTONG_WORKER_INTERVAL_MS: '250',
    LOG_LEVEL: 'warn',
  };
  let pg: BenchPostgres | undefined;
  let servers: SandboxServers | undefined;
  const processes: HutongProcess[] = [];
  const logDir = join(workDir, engine);
  mkdirSync(logDir, { recursive: true });
  try {
    let env: Record<string, string>;
    let launcherUsed = 'createHutong through tsx (chaos/hutong-process.ts), the demo mode on PGlite';
    let setup: Hutong;
    let setupUrl: string;
    if (engine === 'postgres') {
      pg = await startPostgres();
      const databaseUrl = await pg.createDatabase(`chaos_${randomBytes(4).toString('hex')}`);
      process.env.HUTONG_SANDBOX_ADMIN_TOKEN = adminToken; // the sandbox servers inherit it
      servers = await startSandboxServers(logDir, KNOBS);
      const ports = [await freePort(), await freePort()];
      // The gateways are Hutong's own sandboxes (test identities allowed in onboarding), said explicitly.
      env = {
        ...common,
        ...servers.env,
        HUTONG_ALIPAY_GATEWAY_IS_SANDBOX: '1',
        HUTONG_WECHATPAY_GATEWAY_IS_SANDBOX: '1',
        DATABASE_URL: databaseUrl,
        HUTONG_DATA_KEY: randomBytes(32).toString('base64'),
        HUTONG_PUBLIC_URL: `http://127.0.0.1:${ports[0]}`,
      };
      setup = await createHutong({
        mode: { name: 'production' },
        config: loadConfig({ ...env, PORT: '0' }),
        db: openPostgres(databaseUrl, 4),
        ephemeral: true,
        startWorker: false,
        logLevel: 'warn',
      });
      setupUrl = await setup.listen();
      const launcher = opts.launcher === 'serve' && (await currentBuild()) ? 'serve' : 'direct';
      launcherUsed =
        launcher === 'serve' ? 'hutong serve --role all --local' : 'createHutong through tsx (chaos/hutong-process.ts)';
      for (const [n, port] of ports.entries())
        processes.push(
          new HutongProcess(
            `hutong-${n + 1}`,
            port,
            { ...env, HUTONG_DATA_DIR: join(workDir, engine, `data-${n + 1}`) },
            logDir,
            'all',
            launcher,
          ),
        );
    } else {
      const port = await freePort();
      env = {
        ...common,
        HUTONG_DATA_DIR: join(workDir, engine, 'data'),
        PORT: String(port),
        HUTONG_PUBLIC_URL: `http://127.0.0.1:${port}`,
      };
      setup = await createHutong({ mode: { name: 'demo', mountSandboxes }, config: loadConfig(env), logLevel: 'warn' });
      setupUrl = await setup.listen();
      processes.push(new HutongProcess('hutong', port, env, logDir));
    }
    const market = await buildMarket(setup, setupUrl, opsKey, opts.merchants);
    await setup.close();
    log(`${engine}: starting ${processes.length} Hutong process(es) (api + worker each)`);
    for (const p of processes) await p.start();

    const sandboxOrigin = (m: Method) => (servers ? servers.origin[m] : processes[0]!.url);
    const endpoints: Endpoints = {
      api: () => processes.map((p) => p.url),
      sandbox: sandboxOrigin,
      sandboxAdminHeaders: adminHeaders,
    };
    const alipaySet = alipayCounters(checkouts);
    const wechatpay = { ...RATES, notifyDelayMs: NOTIFY_DELAY_MS };
    const faults: FaultLedger = { alipaySet: { ...alipaySet }, alipayLeft: {}, wechatpay };
    await setFaults(sandboxOrigin, { alipay: alipaySet, wechatpay });
    let alipayFired: Record<string, number> = {};
    const addFired = (left: Record<string, number>, set: Record<string, number>) => {
      for (const k of Object.keys(set))
        if (k !== 'notifyDelayMs') alipayFired[k] = (alipayFired[k] ?? 0) + Math.max(0, set[k]! - (left[k] ?? 0));
    };
    // In-process sandboxes lose their knobs with the process: count what fired, set the rest again after a restart.
    let beforeKill: Record<string, number> = alipaySet;
    const killer = new Killer(processes, {
      minimum: engine === 'postgres' ? opts.kills : Math.max(2, Math.ceil(opts.kills / 2)),
      killsMax: opts.kills * 4,
      everyMs: [2_000, 8_000],
      downMs: [200, 2_000],
      t0,
      log,
      afterStart: servers
        ? undefined
        : async () => {
            const remaining = Object.fromEntries(
              Object.entries(beforeKill).map(([k, v]) => [k, Math.max(0, v - (alipayFired[k] ?? 0))]),
            );
            await setFaults(sandboxOrigin, { alipay: remaining, wechatpay });
          },
    });
    const workload = new Workload(market, endpoints, randomBytes(4).toString('hex'));
    const days = new Set([shanghaiDate(Date.now())]);
    log(`${engine}: ${checkouts} checkouts from ${opts.clients} clients; SIGKILLs every 2–8 s`);
    killer.start();
    const progress = setInterval(() => {
      log(
        `${engine}: ${workload.stats.checkouts} checkouts, ${workload.stats.paid} paid, ${killer.kills.length} kills, ${workload.retries.retried} retries`,
      );
      // A process that died by itself is a finding (reported at the end); it is started again so the run goes on.
      for (const p of processes)
        if (!p.up && p.crashes.length > 0 && !killer.restarting)
          void p.start().catch((err) => log(`restarting ${p.name}: ${String(err)}`));
    }, 10_000);
    await workload.run(checkouts, opts.clients, Date.now() + opts.workloadCapS * 1000);
    clearInterval(progress);
    await killer.stop();
    for (const p of processes) if (!p.up) await p.start();
    if (servers) {
      const left = await faultsLeft(sandboxOrigin);
      faults.alipayLeft = left;
      alipayFired = {};
      addFired(left, alipaySet);
    }
    await setFaults(sandboxOrigin, NO_FAULTS); // the end: let everything in flight land
    log(
      `${engine}: workload done (${workload.stats.checkouts} checkouts, ${killer.kills.length} kills); waiting for the system to settle`,
    );

    const world: World = { api: processes[0]!.url, market, endpoints, records: workload.records };
    const calm = await settled(world, Date.now() + opts.settleCapS * 1000, log);
    days.add(shanghaiDate(Date.now()));
    const checks: CheckResult[] = [];
    if (!calm)
      checks.push({
        name: 'settled',
        description: `everything in flight landed within ${opts.settleCapS} s`,
        failures: ['see the checks below'],
      });
    if (workload.stats.failures.length > 0 || workload.retries.gaveUp > 0) {
      checks.push({
        name: 'clients_completed',
        description: 'every client request got an answer (retrying with its key)',
        failures: [
          ...workload.stats.failures,
          ...(workload.retries.gaveUp ? [`${workload.retries.gaveUp} request(s) given up after the retry limit`] : []),
        ],
      });
    }
    const problems = workload.records.flatMap((r) =>
      r.problems.filter((p) => p.startsWith('refund replay')).map((p) => `${r.paymentId}: ${p}`),
    );
    checks.push({
      name: 'idempotent_replays',
      description: 'a refund sent again with its key answers the same refund',
      failures: problems,
    });
    checks.push(...(await endChecks(world)));
    checks.push(await reconciliationCheck(world, [...days]));
    checks.push(await invariantsCheck(world));
    checks.push(hutongCheck(engine === 'postgres' ? env : { ...env, HUTONG_PUBLIC_URL: processes[0]!.url }));
    if (engine === 'pglite') {
      checks.push({
        name: 'restarts_kept_data',
        description: 'after every SIGKILL the embedded database and sandboxes came back with their data',
        failures: killer.kills.length === 0 ? ['no kill happened'] : [],
      });
    }
    const crashes = processes.flatMap((p) => p.crashes);
    checks.push({ name: 'no_crash', description: 'no Hutong process exited unless killed', failures: crashes });
    if (killer.kills.length < (engine === 'postgres' ? opts.kills : 2))
      checks.push({
        name: 'kills',
        description: 'enough SIGKILLs happened',
        failures: [`only ${killer.kills.length}`],
      });
    return {
      engine,
      processes: processes.length,
      launcher: launcherUsed,
      workload: workload.stats,
      retried: workload.retries.retried,
      longest: workload.retries.longest,
      kills: killer.kills,
      faults: { ...faults, alipayLeft: alipayFired },
      settled: calm,
      checks,
      seconds: Math.round((Date.now() - started) / 1000),
    };
  } finally {
    for (const p of processes) await p.stop().catch(() => undefined);
    await servers?.close().catch(() => undefined);
    await pg?.stop().catch(() => undefined);
  }
}

function printReport(r: EngineReport): boolean {
  const out = (s: string) => process.stdout.write(`${s}\n`);
  const w = r.workload;
  out(
    `\n== ${r.engine} (${r.processes} Hutong process${r.processes > 1 ? 'es' : ''}, sandboxes ${r.engine === 'postgres' ? 'as their own processes' : 'in-process, persisted'}) — ${r.seconds} s`,
  );
  out(`processes started with: ${r.launcher}`);
  out(
    `checkouts ${w.checkouts} (multi-merchant ${w.multiMerchant}), wallet-paid ${w.paid}, double payments ${w.doublePayments}, partial refunds ${w.refunds} (replayed ${w.replayChecks}), refund requests approved ${w.refundRequests}, orders confirmed ${w.confirmed}, client retries ${r.retried}`,
  );
  out(`longest wait for one answer (retries included): ${(r.longest.ms / 1000).toFixed(1)} s (${r.longest.what})`);
  out(`SIGKILLs ${r.kills.length}: ${r.kills.map((k) => `${k.process}@${(k.atMs / 1000).toFixed(0)}s`).join(', ')}`);
  out(
    `faults: alipay fired ${JSON.stringify(r.faults.alipayLeft)} (set ${JSON.stringify(r.faults.alipaySet)}); wechatpay rates ${JSON.stringify(r.faults.wechatpay)}`,
  );
  let allOk = true;
  for (const c of r.checks) {
    const ok = c.failures.length === 0;
    allOk &&= ok;
    out(`  ${ok ? 'PASS' : 'FAIL'}  ${c.name.padEnd(34)} ${c.description}`);
    for (const f of c.failures.slice(0, 15)) out(`        ${f}`);
    if (c.failures.length > 15) out(`        … and ${c.failures.length - 15} more`);
  }
  return allOk;
}

async function main(): Promise<void> {
  const program = new Command('chaos')
    .option('--short', 'the short run npm test runs')
    .option('--engine <engine>', 'postgres, pglite or both')
    .option('--launcher <launcher>', 'serve (hutong serve, built first if stale) or direct (createHutong through tsx)')
    .option('--checkouts <n>', 'checkouts on PostgreSQL', (v) => Number.parseInt(v, 10))
    .option('--pglite-checkouts <n>', 'checkouts on PGlite', (v) => Number.parseInt(v, 10))
    .option('--clients <n>', 'concurrent clients', (v) => Number.parseInt(v, 10))
    .option('--kills <n>', 'minimum SIGKILLs (PostgreSQL; PGlite half)', (v) => Number.parseInt(v, 10))
    .option('--keep', 'keep the logs folder')
    .parse();
  const flags = program.opts();
  const opts: Options = { ...(flags.short ? SHORT : FULL) };
  if (flags.engine) opts.engine = flags.engine;
  if (flags.launcher) opts.launcher = flags.launcher;
  if (flags.checkouts) opts.checkouts = flags.checkouts;
  if (flags.pgliteCheckouts) opts.pgliteCheckouts = flags.pgliteCheckouts;
  if (flags.clients) opts.clients = flags.clients;
  if (flags.kills) opts.kills = flags.kills;
  opts.keep = Boolean(flags.keep);
  const workDir = mkdtempSync(join(tmpdir(), 'hutong-chaos-'));
  log(`logs in ${workDir}`);
  let allOk = true;
  try {
    for (const engine of opts.engine === 'both' ? (['postgres', 'pglite'] as const) : [opts.engine]) {
      const report = await runEngine(
        engine,
        opts,
        engine === 'postgres' ? opts.checkouts : opts.pgliteCheckouts,
        workDir,
      );
      allOk = printReport(report) && allOk;
    }
  } finally {
    if (!opts.keep && allOk) rmSync(workDir, { recursive: true, force: true });
  }
  process.stdout.write(allOk ? '\nchaos: every check passed\n' : `\nchaos: FAILED (logs kept in ${workDir})\n`);
  process.exit(allOk ? 0 : 1);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    killSandboxServersNow();
    process.exit(130);
  });
main().catch((err) => {
  process.stderr.write(`chaos run failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(2);
});
