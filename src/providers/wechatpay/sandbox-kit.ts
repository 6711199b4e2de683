// Integration-test world: the WeChat Pay sandbox on a real Fastify server (127.0.0.1, port 0), a registered
// platform with sub-merchants, the adapter configured from what registration handed out, and a separate local
// server receiving notifications on /notify/wechatpay, parsing and acknowledging them as Hutong's route will.
import Fastify, { type FastifyInstance } from 'fastify';
import { createWechatpaySandbox } from '../../sandbox/wechatpay/index';
import { NotificationRejected, type ProviderEvent } from '../types';
import { createWechatpayAdapter, type WechatpayAdapter } from './adapter';
import type { WechatpayConfig, WechatpayMerchantType } from './config';
import { rejectionReply } from './notify';

export interface Registration {
  mchid: string;
  serial_no: string;
  apiv3_key: string;
  merchant_private_key: string;
  appid: string;
  wechatpay_public_key_id: string;
  wechatpay_public_key: string;
  sub_mchids: string[];
}

export interface Received {
  event?: ProviderEvent;
  rejection?: string;
  status: number;
}

export interface SandboxWorld {
  base: string;
  registration: Registration;
  config: WechatpayConfig;
  adapter: WechatpayAdapter;
  notifyUrl: string;
  received: Received[];
  tool<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: object): Promise<T>;
  walletPay(target: {
    code_url?: string;
    prepay_id?: string;
    url?: string;
    jsapi_params?: Record<string, string>;
  }): Promise<unknown>;
  advanceClock(ms: number): Promise<void>;
  /** The sandbox's clock (it can be ahead of ours), for bill dates. */
  sandboxNow(): Promise<Date>;
  /** Waits (bounded) until a notification event satisfies `match`. */
  waitForEvent(match: (e: ProviderEvent) => boolean): Promise<ProviderEvent>;
  close(): Promise<void>;
}

const WAIT_ROUNDS_MAX = 400;
const WAIT_ROUND_MS = 25;

export async function startSandboxWorld(
  opts: { type?: WechatpayMerchantType; subMerchants?: number; settleDelayMs?: number; applymentDelayMs?: number } = {},
): Promise<SandboxWorld> {
  // Without dataDir the sandbox keeps its books in an in-memory PGlite: nothing to clean up.
  const sandbox = await createWechatpaySandbox({
    settleDelayMs: opts.settleDelayMs ?? 0,
    applymentDelayMs: opts.applymentDelayMs ?? 0,
    notifyTimeScale: 0.001,
  });
  const gateway = Fastify();
  await gateway.register(sandbox.plugin, { prefix: '/sandbox/wechatpay' });
  await gateway.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(gateway.server.address() as { port: number }).port}`;

  const tool = async <T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: object): Promise<T> => {
    const res = await fetch(`${base}/sandbox/wechatpay${path}`, {
      method,
      // The admin token opens the test-only controls (clock, faults, books); other endpoints ignore it.
      headers: {
        authorization: `Bearer ${sandbox.adminToken}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`sandbox ${method} ${path} answered ${res.status}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };

  const type = opts.type ?? 'ecommerce_platform';
  const registration = await tool<Registration>('POST', '/merchants', { type, sub_merchants: opts.subMerchants ?? 2 });
  const config: WechatpayConfig = {
    merchantType: type,
    spMchid: registration.mchid,
    spAppid: registration.appid,
    merchantSerialNo: registration.serial_no,
    merchantPrivateKeyPem: registration.merchant_private_key,
    apiv3Key: registration.apiv3_key,
    wechatpayPublicKeyId: registration.wechatpay_public_key_id,
    wechatpayPublicKeyPem: registration.wechatpay_public_key,
    baseUrl: `${base}/sandbox/wechatpay`,
  };
  const adapter = createWechatpayAdapter(config);

  const received: Received[] = [];
  const receiver = notificationReceiver(adapter, received);
  await receiver.listen({ host: '127.0.0.1', port: 0 });
  const notifyUrl = `http://127.0.0.1:${(receiver.server.address() as { port: number }).port}/notify/wechatpay`;

  return {
    base,
    registration,
    config,
    adapter,
    notifyUrl,
    received,
    tool,
    walletPay: (target) => tool('POST', '/wallet/pay', target),
    advanceClock: async (ms) => {
      await tool('POST', '/clock', { advance_ms: ms });
    },
    sandboxNow: async () => new Date((await tool<{ now_ms: number }>('GET', '/clock')).now_ms),
    waitForEvent: async (match) => {
      for (let round = 0; round < WAIT_ROUNDS_MAX; round++) {
        const found = received.find((r) => r.event && match(r.event));
        if (found?.event) return found.event;
        await new Promise((resolve) => setTimeout(resolve, WAIT_ROUND_MS));
      }
      throw new Error(`no matching notification among ${received.length} received`);
    },
    close: async () => {
      await receiver.close();
      await gateway.close();
      await sandbox.close();
    },
  };
}

/** Hutong's notification route in miniature: raw body in, the adapter's verdict and reply out. */
function notificationReceiver(adapter: WechatpayAdapter, received: Received[]): FastifyInstance {
  const app = Fastify();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.post('/notify/wechatpay', async (req, reply) => {
    const request = { headers: req.headers, rawBody: typeof req.body === 'string' ? req.body : '' };
    let answer;
    try {
      const event = await adapter.parseNotification(request);
      answer = adapter.acknowledge({ ok: true });
      received.push({ event, status: answer.statusCode });
    } catch (e) {
      if (!(e instanceof NotificationRejected)) throw e;
      answer = rejectionReply(e);
      received.push({ rejection: e.reason, status: answer.statusCode });
    }
    if (answer.contentType) reply.header('content-type', answer.contentType);
    return reply.code(answer.statusCode).send(answer.body);
  });
  return app;
}
