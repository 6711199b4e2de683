// Test helpers: the sandbox on a real loopback server, clients on the official alipay-sdk, and a merchant
// notify endpoint that records what it receives.
import Fastify, { type FastifyInstance } from 'fastify';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AlipaySdk } from 'alipay-sdk';
import { createAlipaySandbox, type AlipaySandbox, type AlipaySandboxOptions } from './index';

export interface Harness {
  base: string;
  gateway: string;
  sandbox: AlipaySandbox;
  server: FastifyInstance;
  /** GET on a test-only view (books, clock, notifications) with the admin token. */
  adminGet(path: string): Promise<any>;
  /** A JSON call to a test-only control (clock, faults) with the admin token. */
  adminJson(path: string, body: unknown, method?: string): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

export async function startSandbox(opts: AlipaySandboxOptions = {}): Promise<Harness> {
  const sandbox = await createAlipaySandbox({
    applymentDelayMs: 50,
    settleDelayMs: 0,
    notifyTimeScale: 0.0001,
    ...opts,
  });
  const server = Fastify();
  await server.register(sandbox.plugin, { prefix: '/sandbox/alipay' });
  await server.listen({ host: '127.0.0.1', port: 0 });
  const { port } = server.server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}/sandbox/alipay`;
  const auth = { authorization: `Bearer ${sandbox.adminToken}` };
  return {
    base,
    gateway: `${base}/gateway.do`,
    sandbox,
    server,
    adminGet: (path) => getJson(`${base}${path}`, auth),
    adminJson: (path, body, method) => postJson(`${base}${path}`, body, method, auth),
    async close() {
      await server.close();
      await sandbox.close();
    },
  };
}

export interface RegisteredClient {
  appId: string;
  sellerId: string;
  smids: string[];
  alipayPublicKey: string;
  privateKey: string;
  sdk: AlipaySdk;
}

export async function postJson(
  url: string,
  body: unknown,
  method = 'POST',
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

export async function getJson(url: string, headers: Record<string, string> = {}): Promise<any> {
  const res = await fetch(url, { headers });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

export async function registerClient(
  h: Harness,
  body: Record<string, unknown> = { sub_merchants: 2 },
): Promise<RegisteredClient> {
  const { status, body: reg } = await postJson(`${h.base}/apps`, body);
  if (status !== 200) throw new Error(`register failed: ${JSON.stringify(reg)}`);
  const sdk = new AlipaySdk({
    appId: reg.app_id,
    privateKey: reg.app_private_key,
    alipayPublicKey: reg.alipay_public_key,
    gateway: h.gateway,
  });
  return {
    appId: reg.app_id,
    sellerId: reg.seller_id,
    smids: reg.smids,
    alipayPublicKey: reg.alipay_public_key,
    privateKey: reg.app_private_key,
    sdk,
  };
}

/** A 直付通 trade's biz_content: names the sub-merchant and asks for settlement later. */
export function tradeBiz(smid: string, outTradeNo: string, amount: string, extra: Record<string, unknown> = {}) {
  return {
    out_trade_no: outTradeNo,
    total_amount: amount,
    subject: `Order ${outTradeNo}`,
    sub_merchant: { merchant_id: smid },
    settle_info: { settle_detail_infos: [{ trans_in_type: 'defaultSettle', amount }], settle_period_time: '30d' },
    ...extra,
  };
}

export type NotifyParams = Record<string, string>;

/** The merchant's notify_url: records every POST and answers `success` unless told otherwise. */
export class NotifySink {
  readonly received: NotifyParams[] = [];
  answer: (params: NotifyParams) => string = () => 'success';
  private server!: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        const params = Object.fromEntries(new URLSearchParams(body));
        this.received.push(params);
        res.end(this.answer(params));
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/notify`;
    return this;
  }

  of(outTradeNo: string): NotifyParams[] {
    return this.received.filter((p) => p.out_trade_no === outTradeNo);
  }

  /** Waits until the predicate holds (the test fails on its own timeout otherwise). */
  async waitFor(predicate: () => boolean): Promise<void> {
    while (!predicate()) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
