// Mounts both provider sandboxes in-process (the demo and tests), each with its own PGlite books.
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { join } from 'node:path';
import type { Config } from '../config';
import type { AlipaySandbox } from './alipay';
import type { WechatpaySandbox } from './wechatpay';

export interface MountedSandboxes {
  alipay: AlipaySandbox;
  wechatpay: WechatpaySandbox;
  close(): Promise<void>;
}

export async function mountSandboxes(app: FastifyInstance, opts: { dataDir: string | undefined; config: Config['sandbox']; log: FastifyBaseLogger }): Promise<MountedSandboxes> {
  const common = {
    applymentDelayMs: opts.config.applymentDelayMs,
    settleDelayMs: opts.config.settleDelayMs,
    notifyTimeScale: opts.config.notifyTimeScale,
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
    async close() {
      await Promise.all([alipay.close(), wechatpay.close()]);
    },
  };
}
