// `hutong serve`: the production server, run from the compiled JavaScript in dist/. It never mounts a sandbox, never
// seeds and prints no secret. Roles: `api` serves HTTP without the background worker, `worker` runs only the worker
// loop (with a health listener if HUTONG_HEALTH_PORT is set), `all` both. Any number of each may share one
// PostgreSQL; migrations run once under an advisory lock however many start together.
import { createServer, type Server } from 'node:http';
import { ConfigError } from '../config';
import { installProcessSafetyNet } from '../shared/process';
import { databaseLabel, productionConfig, providerLines } from './checks';
import { stopGracefully } from './shutdown';

export const ROLES = ['api', 'worker', 'all'] as const;
export type Role = (typeof ROLES)[number];

export interface ServeOptions {
  role: Role;
  local: boolean;
}

export interface ServeIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

/** Connections to PostgreSQL per process: the API's requests and the worker's sweeps. */
const POOL_SIZE = { api: 10, worker: 4, all: 12 } as const;

/** Starts the role and resolves with the exit code once a signal has stopped it (2: refused to start). */
export async function serve(opts: ServeOptions, env: NodeJS.ProcessEnv, io: ServeIo): Promise<number> {
  // Whatever this process writes (logs redirected to files, temporary files) is readable by its user only.
  process.umask(0o077);
  let checked;
  try {
    checked = productionConfig(env, opts);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err.write(`hutong serve: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const { config, notes } = checked;
  for (const note of notes) io.out.write(`hutong serve: ${note}\n`);

  // Loaded only once the configuration passed: a refusal is immediate and loads nothing else.
  const [{ createHutong }, { openPostgres }, { DIST_WEB }] = await Promise.all([
    import('../app'),
    import('../shared/db'),
    import('../web/build'),
  ]);
  const serveApi = opts.role !== 'worker';
  const runWorker = opts.role !== 'api';
  const hutong = await createHutong({
    mode: { name: 'production' },
    config,
    db: openPostgres(config.databaseUrl!, POOL_SIZE[opts.role]),
    startWorker: runWorker,
    pages: serveApi,
    pagesDir: DIST_WEB,
  });
  installProcessSafetyNet(hutong.app.log);
  let health: Server | undefined;
  let where: string;
  if (serveApi) {
    where = `${await hutong.listen()} (public ${config.publicUrl})`;
  } else {
    hutong.worker.start();
    health = await healthListener(env.HUTONG_HEALTH_PORT, config.host);
    where = health
      ? `health at http://${config.host}:${(health.address() as { port: number }).port}/healthz`
      : 'no HTTP listener';
  }
  io.out.write(
    `hutong serve: ${providerLines(config).join('; ')}\n` +
      `hutong serve: role ${opts.role} started, ${where}; database ${databaseLabel(config.databaseUrl!)}\n`,
  );

  const signal = await nextSignal();
  io.out.write(
    `hutong serve: ${signal}: stopping (in-flight requests get up to ${config.shutdownTimeoutMs} ms; the worker finishes its current pass)\n`,
  );
  // A second signal while draining stops at once.
  const again = () => {
    io.err.write('hutong serve: second signal: exiting now\n');
    process.exit(1);
  };
  process.once('SIGINT', again);
  process.once('SIGTERM', again);
  const outcome = await stopGracefully(hutong, config.shutdownTimeoutMs, health);
  io.out.write(
    `hutong serve: stopped${outcome.abandoned ? ` (deadline passed: ${outcome.abandoned} connection(s) closed with requests in flight)` : ''}\n`,
  );
  return 0;
}

function nextSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/** A worker has no API; orchestrators may still want to know it is alive. */
async function healthListener(portText: string | undefined, host: string): Promise<Server | undefined> {
  if (!portText) return undefined;
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigError(`HUTONG_HEALTH_PORT must be a port number, got "${portText}"`);
  const server = createServer((req, res) => {
    const ok = req.url === '/healthz';
    res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify(
        ok ? { status: 'ok', role: 'worker' } : { error: { code: 'not_found', message: 'Only /healthz here.' } },
      ),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
