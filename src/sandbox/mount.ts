// Mounts both provider sandboxes in-process (the demo and tests), each with its own PGlite books.
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { join } from 'node:path';
import type { Config } from '../config';
import type { AlipaySandbox } from './alipay';
import type { WechatpaySandbox } from './wechatpay';
import { loadOrMakeAdminToken } from './admin-token';

export interface MountedSandboxes {
  alipay: AlipaySandbox;
  wechatpay: WechatpaySandbox;
  /** Bearer token of both sandboxes' test-only controls (clock, faults, books). */
  adminToken: string;
  /** True when no HUTONG_SANDBOX_ADMIN_TOKEN was configured and the token is the demo's own (it prints it). */
  adminTokenMade: boolean;
  close(): Promise<void>;
}

export interface MountOptions {
  dataDir: string | undefined;
  /** The sandbox settings; the safety ones default (token made, loopback only, 30 registrations a minute). */
  config: Pick<Config['sandbox'], 'applymentDelayMs' | 'settleDelayMs' | 'notifyTimeScale'> &
    Partial<Config['sandbox']>;
  log: FastifyBaseLogger;
  /** Hutong's own public URL: its host may always be notified and returned to. */
  publicUrl?: string;
}

function hostOf(url: string | undefined): string[] {
  if (!url) return [];
  try {
    return [new URL(url).hostname.toLowerCase()];
  } catch {
    return [];
  }
}

export async function mountSandboxes(app: FastifyInstance, opts: MountOptions): Promise<MountedSandboxes> {
  const adminTokenMade = opts.config.adminToken === undefined;
  const adminToken = opts.config.adminToken ?? loadOrMakeAdminToken(opts.dataDir);
  // Hutong's own readers of the sandboxes' books (the invariants check) find the token in use here.
  opts.config.adminToken = adminToken;
  const notifyHosts = [...(opts.config.notifyHosts ?? []), ...hostOf(opts.publicUrl)];
  const common = {
    applymentDelayMs: opts.config.applymentDelayMs,
    settleDelayMs: opts.config.settleDelayMs,
    notifyTimeScale: opts.config.notifyTimeScale,
    adminToken,
    notifyHosts,
    returnHosts: opts.config.returnHosts ?? [],
    registrationsPerMinute: opts.config.registrationsPerMinute,
    logger: opts.log,
  };
  // Loaded only when mounted: a deployment on real gateways never loads the sandboxes.
  const { createAlipaySandbox } = await import('./alipay');
  const { createWechatpaySandbox } = await import('./wechatpay');
  const [alipay, wechatpay] = await Promise.all([
    createAlipaySandbox({ ...common, dataDir: opts.dataDir && join(opts.dataDir, 'alipay') }),
    createWechatpaySandbox({ ...common, dataDir: opts.dataDir && join(opts.dataDir, 'wechatpay') }),
  ]);
  await app.register(alipay.plugin, { prefix: '/sandbox/alipay' });
  await app.register(wechatpay.plugin, { prefix: '/sandbox/wechatpay' });
  return {
    alipay,
    wechatpay,
    adminToken,
    adminTokenMade,
    async close() {
      await Promise.all([alipay.close(), wechatpay.close()]);
    },
  };
}
