// Test support for the sandbox's own tests: a real server on 127.0.0.1:0 with the plugin at /sandbox/wechatpay,
// merchants registered over HTTP, the official client library (unmodified) pointed at it, and a notification
// receiver that records what arrives. Nothing of the sandbox is mocked.
import Fastify, { type FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import { Aes, Formatter, Rsa, Wechatpay } from 'wechatpay-axios-plugin';
import { createWechatpaySandbox, type WechatpaySandbox, type WechatpaySandboxOptions } from './index';

export const PREFIX = '/sandbox/wechatpay';

export interface Registered {
  mchid: string;
  type: string;
  serial_no: string;
  apiv3_key: string;
  merchant_private_key: string;
  appid: string;
  fee_rate_bp: number;
  signing: string;
  wechatpay_public_key_id: string;
  wechatpay_public_key: string;
  platform_certificate_serial_no: string;
  sub_mchids: string[];
}

export interface Harness {
  sandbox: WechatpaySandbox;
  app: FastifyInstance;
  /** http://127.0.0.1:port */
  origin: string;
  /** origin + mount prefix: the API base clients use. */
  base: string;
  /** Calls one of the sandbox's own endpoints (registration, wallet, and the admin-token controls: it sends the token). */
  tool(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  register(input?: Record<string, unknown>): Promise<Registered>;
  close(): Promise<void>;
}

export async function startHarness(opts: WechatpaySandboxOptions = {}): Promise<Harness> {
  const sandbox = await createWechatpaySandbox({
    notifyTimeScale: 0.0001,
    settleDelayMs: 1000,
    applymentDelayMs: 2000,
    ...opts,
  });
  const app = Fastify({ logger: false });
  await app.register(sandbox.plugin, { prefix: PREFIX });
  const origin = await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `${origin}${PREFIX}`;
  const tool: Harness['tool'] = async (method, path, body) => {
    const headers: Record<string, string> = { authorization: `Bearer ${sandbox.adminToken}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${base}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text };
  };
  return {
    sandbox,
    app,
    origin,
    base,
    tool,
    async register(input = {}) {
      const res = await tool('POST', '/merchants', input);
      if (res.status !== 201) throw new Error(`registration failed: ${JSON.stringify(res.body)}`);
      return res.body as Registered;
    },
    async close() {
      await app.close();
      await sandbox.close();
    },
  };
}

/** The official client, configured exactly as a user would against the real gateway, but with our baseURL. */
export function clientFor(h: Harness, m: Registered, certs?: Record<string, string>): any {
  return new Wechatpay({
    mchid: m.mchid,
    serial: m.serial_no,
    privateKey: m.merchant_private_key,
    certs: certs ?? { [m.wechatpay_public_key_id]: m.wechatpay_public_key },
    baseURL: `${h.base}/`,
  });
}

export interface ReceivedNotification {
  headers: Record<string, string>;
  body: string;
  json: any;
}

export interface Receiver {
  url: string;
  received: ReceivedNotification[];
  /** The HTTP status notifications are answered with (204 by default)... */
  answer: number;
  /** ...unless this list has entries: each delivery takes (and answers with) the next one first. */
  script: number[];
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedNotification[]>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const app = Fastify({ logger: false });
  const state: Receiver = {
    url: '',
    received: [],
    answer: 204,
    script: [],
    async waitFor(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (state.received.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} notifications, got ${state.received.length}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return state.received;
    },
    close: () => app.close(),
  };
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.post('/notify/:name', async (req, reply) => {
    const body = String(req.body);
    state.received.push({ headers: req.headers as Record<string, string>, body, json: JSON.parse(body) });
    const status = state.script.shift() ?? state.answer;
    return reply.code(status).send(status >= 300 ? { code: 'FAIL', message: 'not now' } : undefined);
  });
  const origin = await app.listen({ host: '127.0.0.1', port: 0 });
  state.url = `${origin}/notify/wechatpay`;
  return state;
}

/** Verifies a notification's signature with the plugin's helpers and decrypts its resource. */
export function openNotification(n: ReceivedNotification, m: Registered): { verified: boolean; resource: any } {
  const h = n.headers;
  const verified =
    h['wechatpay-serial'] === m.wechatpay_public_key_id &&
    Rsa.verify(
      Formatter.response(h['wechatpay-timestamp'] as string, h['wechatpay-nonce'] as string, n.body),
      h['wechatpay-signature'] as string,
      Rsa.from(m.wechatpay_public_key, Rsa.KEY_TYPE_PUBLIC),
    );
  const r = n.json.resource;
  const resource = JSON.parse(Aes.AesGcm.decrypt(r.ciphertext, m.apiv3_key, r.nonce, r.associated_data));
  return { verified, resource };
}

export interface OpenedNotification extends ReceivedNotification {
  verified: boolean;
  resource: any;
}

/** The notifications received so far that decrypt (with m's key) to a resource matching `match`. */
export function notesMatching(
  r: Receiver,
  m: Registered,
  match: (resource: any, n: ReceivedNotification) => boolean,
): OpenedNotification[] {
  return r.received
    .filter((n) => n.json?.resource?.ciphertext)
    .flatMap((n) => {
      try {
        return [{ ...n, ...openNotification(n, m) }];
      } catch {
        return []; // another merchant's notification: it does not decrypt with this APIv3 key
      }
    })
    .filter((n) => match(n.resource, n));
}

/** Waits until `count` notifications decrypting (with m's key) to a resource matching `match` have arrived. */
export async function waitForNotes(
  r: Receiver,
  m: Registered,
  match: (resource: any, n: ReceivedNotification) => boolean,
  count = 1,
  timeoutMs = 10_000,
): Promise<OpenedNotification[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = notesMatching(r, m, match);
    if (found.length >= count) return found;
    if (Date.now() > deadline) throw new Error(`expected ${count} matching notifications, got ${found.length}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function outNo(prefix: string): string {
  return `${prefix}${randomBytes(8).toString('hex')}`.slice(0, 32);
}

/** Calls the client and returns the WeChat Pay error (status + body) it rejected with, or fails. */
export async function refusal(call: Promise<unknown>): Promise<{ status: number; code: string }> {
  try {
    await call;
  } catch (err: any) {
    if (err?.response) return { status: err.response.status, code: err.response.data?.code };
    throw err;
  }
  throw new Error('expected the call to be refused');
}
