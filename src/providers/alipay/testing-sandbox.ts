// Integration testbed: the Alipay sandbox mounted on a real loopback Fastify server, an app registered with it,
// an adapter configured against its gateway, and a notify route that feeds every notification through the adapter
// and answers Alipay with the adapter's acknowledgement. Records what it parsed and what it rejected.
import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { vi } from 'vitest';
import {
  createAlipaySandbox,
  type AlipayFaults,
  type AlipaySandbox,
  type AlipaySandboxOptions,
} from '../../sandbox/alipay';
import { NotificationRejected, ProviderError, type ProviderEvent } from '../types';
import { createAlipayAdapter, type AlipayAdapter, type AlipayConfig } from './index';

export interface RegisteredApp {
  app_id: string;
  seller_id: string;
  alipay_public_key: string;
  app_private_key: string;
  smids: string[];
}

export interface Testbed {
  base: string;
  app: RegisteredApp;
  config: AlipayConfig;
  adapter: AlipayAdapter;
  notifyUrl: string;
  events: ProviderEvent[];
  /** NotificationRejected reasons, or ProviderError codes, of notifications the adapter refused. */
  refusals: string[];
  sandbox: AlipaySandbox;
  adapterWith(overrides: Partial<AlipayConfig>): AlipayAdapter;
  admin<T = any>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }>;
  pay(target: { code_url: string } | { url: string }): Promise<any>;
  setFaults(faults: Partial<AlipayFaults>): void;
  /** Waits (bounded by the test timeout) for a parsed event matching the predicate. */
  waitForEvent<K extends ProviderEvent['kind']>(
    kind: K,
    match: (e: Extract<ProviderEvent, { kind: K }>) => boolean,
  ): Promise<Extract<ProviderEvent, { kind: K }>>;
  close(): Promise<void>;
}

export async function startTestbed(options: AlipaySandboxOptions = {}, subMerchants = 2): Promise<Testbed> {
  const sandbox = await createAlipaySandbox({
    applymentDelayMs: 0,
    settleDelayMs: 0,
    notifyTimeScale: 0.0001,
    ...options,
  });
  const server: FastifyInstance = Fastify();
  await server.register(sandbox.plugin, { prefix: '/sandbox/alipay' });
  const events: ProviderEvent[] = [];
  const refusals: string[] = [];
  let adapter: AlipayAdapter | undefined;
  await server.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
      done(null, body),
    );
    scope.post('/notify/alipay', async (req, reply) => {
      const outcome = await notificationOutcome(adapter, req.headers, String(req.body ?? ''), events, refusals);
      const ack = adapter!.acknowledge(outcome);
      return reply
        .code(ack.statusCode)
        .type(ack.contentType ?? 'text/plain')
        .send(ack.body);
    });
  });
  await server.listen({ host: '127.0.0.1', port: 0 });
  const origin = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  const base = `${origin}/sandbox/alipay`;
  const admin = async <T = any>(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> => {
    // The admin token opens the test-only controls (clock, faults, books); other endpoints ignore it.
    const headers: Record<string, string> = { authorization: `Bearer ${sandbox.adminToken}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${base}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as T };
  };
  const app = (await admin<RegisteredApp>('POST', '/apps', { sub_merchants: subMerchants })).body;
  const config: AlipayConfig = {
    appId: app.app_id,
    sellerId: app.seller_id,
    appPrivateKeyPem: app.app_private_key,
    alipayPublicKeyPem: app.alipay_public_key,
    gatewayUrl: `${base}/gateway.do`,
    settlePeriod: '365d',
    timeoutMs: 5_000,
  };
  adapter = createAlipayAdapter(config);
  const testbed: Testbed = {
    base,
    app,
    config,
    adapter,
    notifyUrl: `${origin}/notify/alipay`,
    events,
    refusals,
    sandbox,
    adapterWith: (overrides) => createAlipayAdapter({ ...config, ...overrides }),
    admin,
    async pay(target) {
      const res = await admin('POST', '/wallet/pay', target);
      if (res.status !== 200) throw new Error(`wallet/pay answered ${res.status}: ${JSON.stringify(res.body)}`);
      return res.body;
    },
    setFaults: (faults) => sandbox.setFaults(faults),
    async waitForEvent(kind, match) {
      return vi.waitFor(
        () => {
          const found = events.find((e) => e.kind === kind && match(e as never));
          if (!found) throw new Error(`no ${kind} event yet`);
          return found as never;
        },
        { timeout: 20_000, interval: 20 },
      );
    },
    async close() {
      await server.close();
      await sandbox.close();
    },
  };
  return testbed;
}

async function notificationOutcome(
  adapter: AlipayAdapter | undefined,
  headers: Record<string, string | string[] | undefined>,
  rawBody: string,
  events: ProviderEvent[],
  refusals: string[],
): Promise<{ ok: true } | { ok: false; message: string }> {
  if (!adapter) return { ok: false, message: 'not ready' };
  try {
    events.push(await adapter.parseNotification({ headers, rawBody }));
    return { ok: true };
  } catch (error) {
    if (error instanceof NotificationRejected) refusals.push(error.reason);
    else if (error instanceof ProviderError) refusals.push(error.code);
    else throw error;
    return { ok: false, message: (error as Error).message };
  }
}
