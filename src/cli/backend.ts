// Where the CLI's commands run. With DATABASE_URL, directly against PostgreSQL and the providers (the real gateways,
// or the sandboxes inside the running server, reached over HTTP with the credentials it saved). On the embedded
// default the running server owns the PGlite directory (one process at a time), so the CLI asks that server
// instead, with the ops key; only when no server answers does it open the PGlite directory itself.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { request } from 'undici';
import type { Config } from '../config';
import { openPglite, openPostgres, type Db } from '../shared/db';
import { migrate } from '../shared/migrate';
import { SystemClock } from '../shared/clock';
import { ProviderRegistry } from '../providers/registry';
import { connectConfiguredProviders, connectSandboxProviders, type SandboxCredentials } from '../providers/connect';
import type { ProviderName } from '../providers/types';
import { ReconciliationService, type ReconciliationProgress } from '../ledger/reconciliation';
import { AuditService } from '../audit/service';
import { reconciliationJson } from '../ledger/reconciliation-routes';
import { checkInvariants, type InvariantResult } from '../ledger/invariants';
import { providerBooks } from '../ledger/provider-books';
import { savedAdminToken } from '../sandbox/admin-token';

export type RunJson = ReturnType<typeof reconciliationJson>;

export interface Backend {
  /** Where it runs, for the user: "PostgreSQL", "the server at …". */
  readonly description: string;
  reconcile(provider: ProviderName, date: string, onProgress: (p: ReconciliationProgress) => void): Promise<RunJson>;
  checkInvariants(onChecked: (r: InvariantResult) => void): Promise<InvariantResult[]>;
  close(): Promise<void>;
}

/** A failure the user can act on: printed as one line, exit code 2. */
export class CliError extends Error {}

const SERVER_TIMEOUT_MS = 10 * 60_000;
const HEALTH_TIMEOUT_MS = 2_000;

export async function openBackend(config: Config): Promise<Backend> {
  if (config.databaseUrl)
    return directBackend(config, openPostgres(config.databaseUrl, 4), 'PostgreSQL (DATABASE_URL)');
  if (await serverAnswers(config.publicUrl)) {
    if (!config.opsApiKey)
      throw new CliError(
        `Hutong is running at ${config.publicUrl} and owns its embedded database: set HUTONG_OPS_API_KEY so the CLI can ask it.`,
      );
    return serverBackend(config.publicUrl, config.opsApiKey);
  }
  return directBackend(config, await openPglite(join(config.dataDir, 'db')), `PGlite in ${config.dataDir}`);
}

async function serverAnswers(url: string): Promise<boolean> {
  try {
    const res = await request(`${url}/healthz`, { headersTimeout: HEALTH_TIMEOUT_MS, bodyTimeout: HEALTH_TIMEOUT_MS });
    await res.body.dump();
    return res.statusCode === 200;
  } catch {
    return false;
  }
}

/** The sandbox credentials the demo saved when it registered with its sandboxes; never registers anew. */
function savedSandboxCredentials(config: Config): SandboxCredentials | undefined {
  const file = join(config.dataDir, 'sandbox', 'credentials.json');
  if (!existsSync(file)) return undefined;
  const saved = JSON.parse(readFileSync(file, 'utf8')) as SandboxCredentials;
  return { ...saved, baseUrl: config.publicUrl };
}

async function directBackend(config: Config, db: Db, description: string): Promise<Backend> {
  await migrate(db);
  const clock = new SystemClock();
  const providers = new ProviderRegistry();
  // A configured gateway means production: only the configured providers. Otherwise the demo's saved sandboxes.
  const sandbox = config.alipay || config.wechatpay ? undefined : savedSandboxCredentials(config);
  if (sandbox) connectSandboxProviders(providers, config, sandbox, clock);
  else connectConfiguredProviders(providers, config, clock);
  const reconciliations = new ReconciliationService(
    { db, clock, config, log: pino({ level: 'silent' }), audit: new AuditService(db, clock) },
    providers,
  );
  const sandboxToken = config.sandbox.adminToken ?? savedAdminToken(join(config.dataDir, 'sandbox'));
  const books = providerBooks({ alipay: !!sandbox, wechatpay: !!sandbox }, config.publicUrl, providers, sandboxToken);
  return {
    description,
    async reconcile(provider, date, onProgress) {
      if (!providers.has(provider)) {
        throw new CliError(
          `${provider} is not configured: configure its gateway, or start Hutong once (npm start) so it registers with its sandboxes in ${config.dataDir}.`,
        );
      }
      return reconciliationJson(await reconciliations.run(provider, date, onProgress));
    },
    checkInvariants: (onChecked) => checkInvariants({ db, providers, books }, onChecked),
    close: () => db.close(),
  };
}

function serverBackend(url: string, opsKey: string): Backend {
  const call = async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
    const res = await request(`${url}${path}`, {
      method,
      headersTimeout: SERVER_TIMEOUT_MS,
      bodyTimeout: SERVER_TIMEOUT_MS,
      headers: { authorization: `Bearer ${opsKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const answer = (await res.body.json()) as T & { error?: { code: string; message: string } };
    if (res.statusCode >= 300)
      throw new CliError(`${answer.error?.code ?? res.statusCode}: ${answer.error?.message ?? 'the server refused'}`);
    return answer;
  };
  return {
    description: `the server at ${url}`,
    async reconcile(provider, date, onProgress) {
      onProgress({ phase: 'fetching', done: 0, total: 1 }); // the server does the work; no finer progress to show
      const run = await call<RunJson>('POST', '/v1/reconciliations', { provider, date });
      onProgress({ phase: 'checking', done: 1, total: 1 });
      return run;
    },
    async checkInvariants(onChecked) {
      const { invariants } = await call<{ invariants: InvariantResult[] }>('GET', '/v1/ledger/invariants');
      invariants.forEach(onChecked);
      return invariants;
    },
    close: async () => {},
  };
}
