// Hutong's WeChat Pay sandbox: a local emulator of WeChat Pay API v3 for the e-commerce platform type
// (平台收付通, the default) and the ordinary service-provider type (普通服务商), with its own books in its own
// PGlite. The host mounts `plugin` with { prefix: '/sandbox/wechatpay' }; clients use that as their baseURL.
import type { FastifyBaseLogger, FastifyInstance, FastifyPluginAsync } from 'fastify';
import pino from 'pino';
import type { Ctx } from './context';
import { openDb } from './db';
import { Faults, type WechatpayFaults } from './faults';
import { loadOrCreateKeys } from './keys';
import { Notifier } from './notify';
import { registerApplymentRoutes } from './routes-applyments';
import { registerMediaRoutes } from './routes-media';
import { registerBillRoutes } from './routes-bills';
import { registerCombineRoutes } from './routes-combine';
import { registerFundRoutes } from './routes-fund';
import { registerPartnerPayRoutes } from './routes-pay';
import { registerRefundRoutes } from './routes-refunds';
import { registerEcommerceSharingRoutes } from './routes-sharing-ecommerce';
import { registerServiceProviderSharingRoutes } from './routes-sharing-sp';
import { setupToolScope } from './routes-tools';
import { Sweeper } from './sweeper';
import { SandboxClock } from './time';
import { setupV3Scope, type V3Env } from './v3';
import { responseKey, signBody } from './auth';
import {
  adminGuard,
  checkedAdminToken,
  HostPolicy,
  RegistrationBudget,
  strictPageHeaders,
  type SandboxSafetyOptions,
} from '../guard';

export type { WechatpayFaults } from './faults';

export interface WechatpaySandboxOptions extends SandboxSafetyOptions {
  /** PGlite directory for its own books; omitted = in-memory PGlite. */
  dataDir?: string;
  /** Applications move CHECKING → AUDITING → NEED_SIGN → FINISH within this total (default 2000). */
  applymentDelayMs?: number;
  /** A share earlier than payment + this is refused 400 INVALID_REQUEST (default 1000). */
  settleDelayMs?: number;
  /** Multiplies WeChat Pay's notification retry schedule (default 1; tests ~0.0001). */
  notifyTimeScale?: number;
  faults?: Partial<WechatpayFaults>;
  logger?: FastifyBaseLogger;
}

export interface WechatpaySandbox {
  /** The host registers it with { prefix: '/sandbox/wechatpay' }. */
  plugin: FastifyPluginAsync;
  setFaults(f: Partial<WechatpayFaults>): void;
  /** The bearer token of the test-only controls: the one given, or one made at start. */
  adminToken: string;
  close(): Promise<void>;
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a non-negative number`);
  return v;
}

export async function createWechatpaySandbox(opts: WechatpaySandboxOptions = {}): Promise<WechatpaySandbox> {
  const settings = {
    applymentDelayMs: nonNegative('applymentDelayMs', opts.applymentDelayMs, 2000),
    settleDelayMs: nonNegative('settleDelayMs', opts.settleDelayMs, 1000),
    notifyTimeScale: nonNegative('notifyTimeScale', opts.notifyTimeScale, 1),
  };
  const adminToken = checkedAdminToken(opts.adminToken, 'wechatpay sandbox');
  const registrations = new RegistrationBudget(opts.registrationsPerMinute);
  const db = await openDb(opts.dataDir);
  const clock = new SandboxClock(db);
  await clock.load();
  let notifier: Notifier | undefined;
  const ctx: Ctx = {
    db,
    keys: await loadOrCreateKeys(db),
    clock,
    faults: new Faults(opts.faults ?? {}),
    settings,
    log: opts.logger ?? pino({ level: 'silent' }),
    merchants: new Map(),
    mayHoldNotifications: true,
    wakeNotifier: () => notifier?.wake(),
    hosts: new HostPolicy(opts),
    registrations,
  };
  notifier = new Notifier(ctx);
  const sweeper = new Sweeper(ctx);
  notifier.start();
  sweeper.start();

  const plugin: FastifyPluginAsync = async (app: FastifyInstance) => {
    const prefix = app.prefix;
    const env: V3Env = { ctx, prefix };
    app.addHook('onRequest', adminGuard(adminToken));
    app.addHook('onSend', strictPageHeaders);
    await app.register(async (v3) => {
      setupV3Scope(v3, env);
      registerPartnerPayRoutes(v3, env);
      registerCombineRoutes(v3, env);
      registerRefundRoutes(v3, env);
      registerEcommerceSharingRoutes(v3, env);
      registerServiceProviderSharingRoutes(v3, env);
      registerFundRoutes(v3, env);
      registerApplymentRoutes(v3, env);
      registerMediaRoutes(v3, env);
      registerBillRoutes(v3, env);
    });
    await app.register(async (tools) => setupToolScope(tools, ctx, prefix));
    app.setNotFoundHandler((req, reply) => {
      if (!req.url.startsWith(`${prefix}/v3/`)) {
        return reply.code(404).send({ error: { code: 'not_found', message: `no route ${req.method} ${req.url}` } });
      }
      // Unknown API paths answer like the gateway: a signed WeChat Pay error.
      const body = JSON.stringify({
        code: 'NOT_FOUND',
        message: `${req.method} ${req.url.slice(prefix.length)} 接口不存在`,
      });
      reply.code(404).type('application/json; charset=utf-8');
      for (const [name, value] of Object.entries(signBody(body, responseKey(ctx, req)))) reply.header(name, value);
      return reply.send(body);
    });
  };

  let closed = false;
  return {
    plugin,
    setFaults: (f) => ctx.faults.set(f),
    adminToken,
    async close() {
      if (closed) return;
      closed = true;
      await notifier?.stop();
      await sweeper.stop();
      await db.close();
    },
  };
}
