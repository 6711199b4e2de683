// Assembles Hutong: database, modules (plain constructor arguments), HTTP routes and the worker. The mode is explicit:
// production connects the configured gateways only and never mounts a sandbox; the demo (and tests) mounts both
// sandboxes in-process and runs both providers on them.
import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import rateLimit from '@fastify/rate-limit';
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import { join } from 'node:path';
import { ConfigError, type Config } from './config';
import { openPglite, openPostgres, type Db } from './shared/db';
import { migrate } from './shared/migrate';
import { SystemClock, WallClock } from './shared/clock';
import type { ModuleContext } from './shared/context';
import { ApiKeys } from './auth/keys';
import { installAuth } from './http/auth-hook';
import { installRouteTable, type RouteEntry } from './http/route-table';
import { frameworkErrors, installErrorHandling } from './http/error-handler';
import { installInputGuard } from './http/input-guard';
import { installIdempotency } from './http/idempotency';
import { Door } from './shared/door';
import { loggerOptions } from './http/logger';
import { CatalogService } from './catalog/service';
import { catalogRoutes } from './catalog/routes';
import { keyRoutes } from './auth/routes';
import { OrdersService } from './orders/service';
import { orderRoutes } from './orders/routes';
import { RefundRequests } from './orders/refund-requests';
import { PaymentsService } from './payments/service';
import { RefundsService } from './payments/refunds';
import { NotificationHandler } from './payments/notifications';
import { ProviderAccounts } from './payments/provider-accounts';
import { paymentRoutes } from './payments/routes';
import { ProviderRegistry } from './providers/registry';
import { connectConfiguredProviders, connectSandboxProviders, sandboxCredentials } from './providers/connect';
import type { MountedSandboxes, mountSandboxes } from './sandbox/mount';
import { Worker } from './worker';
import { opsRoutes } from './ops/routes';
import { RolloutService } from './rollout/service';
import { rolloutRoutes } from './rollout/routes';
import { Sealer, dataKeyFromFile } from './shared/seal';
import { LedgerService } from './ledger/service';
import { LedgerConsumer } from './ledger/consumer';
import { OutboxDispatcher } from './outbox/dispatcher';
import { ledgerRoutes } from './ledger/routes';
import { ReconciliationService } from './ledger/reconciliation';
import { reconciliationRoutes } from './ledger/reconciliation-routes';
import { EscrowReleases } from './payments/escrow';
import { PaymentReactions } from './payments/reactions';
import { registerWeb } from './web/server';
import { randomBytes } from 'node:crypto';
import { AuditService } from './audit/service';
import { auditRoutes } from './audit/routes';
import { MerchantProfiles } from './onboarding/profiles';
import { OnboardingService } from './onboarding/service';
import { onboardingRoutes } from './onboarding/routes';

/**
 * production: the configured gateways only (a provider without one is off), no sandbox, HUTONG_DATA_KEY required.
 * demo: both sandboxes mounted in-process (the mounter is passed in, so production code never loads them) and both
 * providers on them; gateway variables are refused.
 */
export type HutongMode = { name: 'production' } | { name: 'demo'; mountSandboxes: typeof mountSandboxes };

export interface HutongOptions {
  mode: HutongMode;
  config: Config;
  /** An open database (tests); otherwise DATABASE_URL or PGlite in the data directory. */
  db?: Db;
  /** Keep everything in memory (tests): sandboxes' books and credentials are not written to disk. */
  ephemeral?: boolean;
  /** Start the background loop on listen (default true). Tests drive it with worker.runOnce(). */
  startWorker?: boolean;
  /** Built pages to serve (production: dist/web); by default they are built from web/ into the build cache. */
  pagesDir?: string;
  /** Serve the pages at all (default true); a worker-only process has none. */
  pages?: boolean;
  logLevel?: string;
  /** Where logs go (default stdout); tests capture them to prove no secret is logged. */
  logStream?: NodeJS.WritableStream;
}

export interface Hutong {
  app: FastifyInstance;
  config: Config;
  db: Db;
  clock: SystemClock;
  /** Wall-clock time for signature freshness; tests skew it. */
  wallClock: WallClock;
  keys: ApiKeys;
  /** Every route with the principals it admits (the tenancy tests walk it). */
  routes: readonly RouteEntry[];
  catalog: CatalogService;
  orders: OrdersService;
  payments: PaymentsService;
  refunds: RefundsService;
  accounts: ProviderAccounts;
  onboarding: OnboardingService;
  audit: AuditService;
  rollout: RolloutService;
  ledger: LedgerService;
  /** Delivers outbox events to their consumers (the ledger, payments' reactions); tests call `outbox.run()`. */
  outbox: OutboxDispatcher;
  escrow: EscrowReleases;
  providers: ProviderRegistry;
  sandboxes: MountedSandboxes | undefined;
  worker: Worker;
  /** The idempotent door (Idempotency-Key records); tests reach its crash points. */
  door: Door;
  /** Listens, then connects the providers (registering with the in-process sandboxes if used). Returns the base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

export async function createHutong(options: HutongOptions): Promise<Hutong> {
  const config = options.config;
  const demo = options.mode.name === 'demo' ? options.mode : undefined;
  if (demo && (config.alipay || config.wechatpay)) {
    throw new ConfigError(
      'the demo runs both providers on its sandboxes: unset the HUTONG_ALIPAY_* / HUTONG_WECHATPAY_* gateway variables, or run `hutong serve`',
    );
  }
  if (!demo && !config.dataKey && !options.ephemeral)
    throw new ConfigError('HUTONG_DATA_KEY is required outside the demo (32 bytes, base64)');
  const db =
    options.db ??
    (config.databaseUrl ? openPostgres(config.databaseUrl) : await openPglite(join(config.dataDir, 'db')));
  await migrate(db);
  const clock = new SystemClock();
  const wallClock = new WallClock();
  const app = Fastify({
    logger: {
      ...loggerOptions(options.logLevel ?? config.logLevel),
      ...(options.logStream ? { stream: options.logStream } : {}),
    },
    bodyLimit: 1024 * 1024,
    // A hop count becomes the function Fastify's types accept: believe the nearest `hops` proxies.
    trustProxy:
      typeof config.trustProxy === 'number'
        ? (
            (hops) => (_address: string, hop: number) =>
              hop < hops
          )(config.trustProxy)
        : config.trustProxy,
    frameworkErrors,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
  });
  app.setValidatorCompiler(TypeBoxValidatorCompiler);
  const audit = new AuditService(db, clock);
  const ctx: ModuleContext = { db, clock, config, log: app.log, audit };

  const keys = new ApiKeys(db, clock, config.opsApiKey, config.keyCacheTtlMs, audit);
  const providers = new ProviderRegistry();
  const catalog = new CatalogService(ctx, keys);
  const orders = new OrdersService(ctx);
  const refundRequests = new RefundRequests(ctx, orders);
  const refunds = new RefundsService(ctx, providers, orders, refundRequests);
  const payments = new PaymentsService(ctx, providers, orders, refunds);
  const accounts = new ProviderAccounts(ctx, providers, catalog, audit);
  const notifications = new NotificationHandler(ctx, providers, payments, refunds);
  // Outside production and without HUTONG_DATA_KEY, the demo keeps its key in its data directory (tests: in memory).
  const sealer = new Sealer(
    config.dataKey ?? (options.ephemeral ? randomBytes(32) : dataKeyFromFile(join(config.dataDir, 'data.key'))),
  );
  const onboarding = new OnboardingService(ctx, catalog, new MerchantProfiles(ctx, sealer, audit, providers), accounts);
  const rollout = new RolloutService(ctx, catalog, accounts, providers, onboarding);
  const door = new Door(db, clock, sealer, config.idempotencyTtlHours * 3_600_000);
  const ledger = new LedgerService(ctx, providers);
  const escrow = new EscrowReleases(ctx, providers, (category, at) => ledger.commissionRate(category, at));
  // Cross-module reactions are outbox consumers: committed with the change that causes them, never lost in a crash.
  const outbox = new OutboxDispatcher(ctx);
  outbox.subscribe(new LedgerConsumer(ledger));
  outbox.subscribe(new PaymentReactions(escrow, () => clock.now()));
  payments.eligibility = rollout.eligibility;

  const worker = new Worker(app.log, config.workerIntervalMs);
  worker.add({ name: 'order-timers', run: () => orders.runTimers() });
  worker.add({ name: 'onboarding', run: () => accounts.runDue() });
  worker.add({ name: 'attempt-janitor', run: () => payments.sweepAttempts() });
  worker.add({ name: 'refunds', run: () => refunds.sweep() });
  worker.add({ name: 'rollout', run: () => rollout.advance() });
  worker.add({ name: 'escrow-release', run: () => escrow.sweep() });
  worker.add({ name: 'outbox', run: () => outbox.drain() });
  worker.add({ name: 'idempotency-expiry', run: () => door.sweepExpired() });

  // Before any route: every route, plugins' included, must say who may call it.
  const routes = installRouteTable(app);
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Hutong API',
        version: '0.1.0',
        description: 'Marketplace checkout over Alipay 直付通 and WeChat Pay 平台收付通. Amounts are integer fen.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  // Limits are counted per matched route (each route its own store) and per caller: its key, else its address
  // (behind a proxy, the client's address when HUTONG_TRUST_PROXY says which proxies to believe).
  await app.register(rateLimit, {
    global: false,
    keyGenerator: (req) => `${req.routeOptions.url}|${req.actor?.keyId ?? '-'}|${req.ip}`,
  });
  installErrorHandling(app);
  installInputGuard(app);
  installAuth(app, keys);
  installIdempotency(app, door);

  // The API speaks JSON only: text/plain would reach the validators as a string.
  app.removeContentTypeParser('text/plain');
  app.get('/healthz', { config: { access: ['public'] }, schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/openapi.json', { config: { access: ['public'] }, schema: { hide: true } }, async () => app.swagger());
  catalogRoutes(app, catalog, config);
  keyRoutes(app, { keys, catalog, clock });
  onboardingRoutes(app, onboarding);
  auditRoutes(app, audit);
  orderRoutes(app, orders, refundRequests, payments);
  paymentRoutes(app, { payments, refunds, notifications, accounts });
  rolloutRoutes(app, rollout, payments);
  ledgerRoutes(app, ledger);
  reconciliationRoutes(app, new ReconciliationService(ctx, providers), {
    db,
    providers,
    config,
    sandboxes: demo !== undefined,
  });
  opsRoutes(app, ctx, outbox);
  if (config.testClock) {
    app.post(
      '/v1/test/clock',
      { config: { access: ['ops'], idempotent: false }, schema: { hide: true } },
      async (req) => {
        const advance = Number((req.body as { advance_ms?: unknown } | undefined)?.advance_ms ?? 0);
        return { now: clock.advance(advance).toISOString() };
      },
    );
  }

  const sandboxes = demo
    ? await demo.mountSandboxes(app, {
        dataDir: options.ephemeral ? undefined : join(config.dataDir, 'sandbox'),
        config: config.sandbox,
        log: app.log,
        publicUrl: config.publicUrl,
      })
    : undefined;
  // Production knows its gateways now; the demo only once it listens (its sandboxes are at its own address).
  if (!demo) connectConfiguredProviders(providers, config, wallClock);
  // The storefront browses with a publishable key the page gets from the server: HUTONG_STOREFRONT_KEY, or one this
  // process makes on first need and keeps in memory only.
  let storefrontKey: Promise<string> | undefined = config.storefrontKey
    ? Promise.resolve(config.storefrontKey)
    : undefined;
  const storefrontPublishableKey = (): Promise<string> => {
    storefrontKey ??= keys
      .issue({ role: 'publishable' }, { label: 'storefront (made at start)' })
      .then((k) => k.key)
      .catch((err: unknown) => {
        storefrontKey = undefined;
        throw err;
      });
    return storefrontKey;
  };
  if (options.pages !== false)
    await registerWeb(app, { storefrontKey: storefrontPublishableKey, pagesDir: options.pagesDir });

  const hutong: Hutong = {
    app,
    config,
    db,
    clock,
    wallClock,
    keys,
    routes,
    catalog,
    orders,
    payments,
    refunds,
    accounts,
    onboarding,
    audit,
    rollout,
    ledger,
    outbox,
    escrow,
    providers,
    sandboxes,
    worker,
    door,
    async listen() {
      await app.listen({ port: config.port, host: config.host });
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      const base = `http://127.0.0.1:${port}`;
      // A test server learns its own address only now (a production public URL is https and stays as configured).
      if (config.port === 0 && !config.publicUrl.startsWith('https:')) config.publicUrl = base;
      if (demo) {
        const credentials = await sandboxCredentials(
          base,
          config,
          options.ephemeral ? undefined : join(config.dataDir, 'sandbox', 'credentials.json'),
        );
        connectSandboxProviders(providers, config, credentials, wallClock);
      }
      if (options.startWorker !== false) worker.start();
      return base;
    },
    async close() {
      await worker.stop();
      await app.close();
      await sandboxes?.close();
      await db.close();
    },
  };
  return hutong;
}
