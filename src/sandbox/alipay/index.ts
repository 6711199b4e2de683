// Hutong's Alipay sandbox: a local emulator of the classic OpenAPI gateway (gateway.do, RSA2) with 直付通
// sub-merchants, merged payment, refunds, settlement and bills, keeping its own books in its own PGlite.
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { FastifyBaseLogger, FastifyError, FastifyPluginAsync } from 'fastify';
import { SandboxClock } from './clock';
import { getMeta, openDb, setMeta, type Db } from './db';
import { generateRsaKeyPair, parsePrivateKeyPem, privateKeyToPkcs8Pem, publicKeyToSpkiPem } from './crypto';
import { FaultState } from './faults';
import { Notifier } from './notifier';
import { AppKeyCache, type Ctx } from './context';
import { SandboxError } from './errors';
import { registerGateway } from './gateway';
import { registerWallet } from './wallet';
import { registerAdmin } from './admin';
import { registerBillRoutes } from './methods-bill';
import { Sweeper } from './sweeper';
import type { AlipayFaults } from './types';
import {
  adminGuard,
  checkedAdminToken,
  HostPolicy,
  RegistrationBudget,
  strictPageHeaders,
  type SandboxSafetyOptions,
} from '../guard';

export type { AlipayFaults } from './types';

export interface AlipaySandboxOptions extends SandboxSafetyOptions {
  /** PGlite directory for the sandbox's own books; omitted = in-memory PGlite. */
  dataDir?: string;
  /** 直付通 sub-merchant approval delay, default 2000. */
  applymentDelayMs?: number;
  /** Money settles (becomes settleable and shareable) this long after payment, default 1000. */
  settleDelayMs?: number;
  /** Multiplies Alipay's retry schedule (4m, 10m, 10m, 1h, 2h, 6h, 15h); default 1, tests use ~0.0001. */
  notifyTimeScale?: number;
  faults?: Partial<AlipayFaults>;
  logger?: FastifyBaseLogger;
}

export interface AlipaySandbox {
  /** Register with `{ prefix: '/sandbox/alipay' }` (any prefix works: URLs are built from each request). */
  plugin: FastifyPluginAsync;
  setFaults(f: Partial<AlipayFaults>): void;
  /** The bearer token of the test-only controls: the one given, or one made at start. */
  adminToken: string;
  /** Stops the workers and closes the sandbox's PGlite. */
  close(): Promise<void>;
}

const BODY_LIMIT_BYTES = 1024 * 1024;
/** Alipay takes images up to 10 MB. */
const IMAGE_UPLOAD_LIMIT_BYTES = 11 * 1024 * 1024;
const STATUS_CODES: Record<number, string> = {
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'body_too_large',
  415: 'unsupported_media_type',
};

/** The sandbox's "Alipay" key pair: made at first start and kept in its database. */
async function loadAlipayKey(db: Db): Promise<{ privateKey: KeyObject; publicKeyPem: string }> {
  let pem = await getMeta(db, 'alipay_private_key_pkcs8');
  if (!pem) {
    pem = privateKeyToPkcs8Pem((await generateRsaKeyPair()).privateKey);
    await setMeta(db, 'alipay_private_key_pkcs8', pem);
  }
  const privateKey = parsePrivateKeyPem(pem);
  return { privateKey, publicKeyPem: publicKeyToSpkiPem(createPublicKey(privateKey)) };
}

function checkedNumber(value: number | undefined, fallback: number, name: string): number {
  const n = value ?? fallback;
  if (!Number.isFinite(n) || n < 0) throw new Error(`alipay sandbox: ${name} must be a non-negative number`);
  return n;
}

export async function createAlipaySandbox(opts: AlipaySandboxOptions = {}): Promise<AlipaySandbox> {
  const settings = {
    applymentDelayMs: checkedNumber(opts.applymentDelayMs, 2000, 'applymentDelayMs'),
    settleDelayMs: checkedNumber(opts.settleDelayMs, 1000, 'settleDelayMs'),
    notifyTimeScale: checkedNumber(opts.notifyTimeScale, 1, 'notifyTimeScale'),
  };
  const faults = new FaultState(opts.faults);
  const adminToken = checkedAdminToken(opts.adminToken, 'alipay sandbox');
  const hosts = new HostPolicy(opts);
  const registrations = new RegistrationBudget(opts.registrationsPerMinute);
  const db = await openDb(opts.dataDir);
  const key = await loadAlipayKey(db);
  const clock = new SandboxClock(Number((await getMeta(db, 'clock_offset_ms')) ?? 0));
  const notifier = new Notifier({
    db,
    clock,
    faults,
    hosts,
    signingKey: key.privateKey,
    timeScale: settings.notifyTimeScale,
    logger: opts.logger,
  });
  const ctx: Ctx = {
    db,
    clock,
    alipayPrivateKey: key.privateKey,
    alipayPublicKeyPem: key.publicKeyPem,
    settings,
    faults,
    notifier,
    logger: opts.logger,
    apps: new AppKeyCache(),
    approvedSmids: new Map(),
    hosts,
    registrations,
  };
  const sweeper = new Sweeper(ctx);
  notifier.start();
  sweeper.start();

  const plugin: FastifyPluginAsync = async (app) => {
    // Every body arrives as a string; routes parse it, so malformed input is answered, never thrown.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES }, (_req, body, done) =>
      done(null, body),
    );
    // Image uploads (ant.merchant.expand.indirect.image.upload) are binary multipart: kept as bytes.
    app.addContentTypeParser(
      'multipart/form-data',
      { parseAs: 'buffer', bodyLimit: IMAGE_UPLOAD_LIMIT_BYTES },
      (_req, body, done) => done(null, body),
    );
    app.setErrorHandler((err: FastifyError | SandboxError, _req, reply) => {
      if (err instanceof SandboxError) return reply.code(err.statusCode).send(err.body());
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
      if (status === 500) ctx.logger?.error({ err }, 'alipay sandbox: request failed');
      return reply.code(status).send({
        error: {
          code: status === 500 ? 'internal_error' : (STATUS_CODES[status] ?? 'bad_request'),
          message: status === 500 ? 'internal error' : err.message,
        },
      });
    });
    app.addHook('onRequest', adminGuard(adminToken));
    app.addHook('onSend', strictPageHeaders);
    app.setNotFoundHandler((req, reply) =>
      reply.code(404).send({ error: { code: 'not_found', message: `no route ${req.method} ${req.url}` } }),
    );
    registerGateway(app, ctx);
    registerWallet(app, ctx);
    registerAdmin(app, ctx, sweeper);
    registerBillRoutes(app, ctx);
  };

  return {
    plugin,
    setFaults: (f) => void faults.set(f),
    adminToken,
    close: async () => {
      await sweeper.stop();
      await notifier.stop();
      await db.close();
    },
  };
}
