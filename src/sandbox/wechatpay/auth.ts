// Request verification (WECHATPAY2-SHA256-RSA2048) and response signing (Wechatpay-* headers).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Ctx, Merchant } from './context';
import { nonceStr, rsaSign, rsaVerify } from './crypto';
import { wx } from './errors';
import type { SigningKey } from './keys';
import { findMerchant } from './merchants';

const SCHEME = 'WECHATPAY2-SHA256-RSA2048';
/** Requests whose timestamp is further than this from the real clock are refused, as the gateway does. */
export const CLOCK_SKEW_MAX_S = 300;

export interface Authorization {
  mchid: string;
  serial_no: string;
  timestamp: string;
  nonce_str: string;
  signature: string;
}

export function parseAuthorization(header: string | undefined): Authorization | undefined {
  if (!header || !header.startsWith(`${SCHEME} `)) return undefined;
  const fields: Record<string, string> = {};
  for (const match of header.slice(SCHEME.length + 1).matchAll(/(\w+)="([^"]*)"/g)) {
    fields[match[1] as string] = match[2] as string;
  }
  const { mchid, serial_no, timestamp, nonce_str, signature } = fields;
  if (!mchid || !serial_no || !timestamp || !nonce_str || !signature) return undefined;
  return { mchid, serial_no, timestamp, nonce_str, signature };
}

// The raw body as received: the signature covers these exact bytes, never a re-serialisation.
const rawBodies = new WeakMap<object, string>();

export function keepRawBody(req: FastifyRequest, body: string): void {
  rawBodies.set(req.raw, body);
}

export function rawBodyOf(req: FastifyRequest): string {
  return rawBodies.get(req.raw) ?? '';
}

/** Verifies a signed request; the signed path is the request line as received (mount prefix included). */
export async function verifyRequest(ctx: Ctx, req: FastifyRequest): Promise<Merchant> {
  const auth = parseAuthorization(req.headers.authorization);
  if (!auth) throw wx.sign('Authorization 头缺失或格式错误 (expected WECHATPAY2-SHA256-RSA2048 mchid=…,serial_no=…)');
  const merchant = await findMerchant(ctx, auth.mchid);
  if (!merchant) throw wx.sign('商户号不存在 (mchid unknown to this sandbox)');
  if (auth.serial_no !== merchant.serialNo)
    throw wx.sign('商户证书序列号有误 (serial_no does not match the registered key)');
  const skew = Math.abs(Math.floor(Date.now() / 1000) - Number(auth.timestamp));
  if (!Number.isFinite(skew) || skew > CLOCK_SKEW_MAX_S) throw wx.sign('时间戳与当前时间相差超过5分钟');
  const message = `${req.method}\n${req.raw.url ?? req.url}\n${auth.timestamp}\n${auth.nonce_str}\n${rawBodyOf(req)}\n`;
  if (!rsaVerify(message, auth.signature, merchant.publicKey)) {
    throw wx.sign('签名错误 (check the signed path includes the mount prefix and the body is sent as signed)');
  }
  return merchant;
}

const merchantsByRequest = new WeakMap<object, Merchant>();

export function rememberMerchant(req: FastifyRequest, merchant: Merchant): void {
  merchantsByRequest.set(req.raw, merchant);
}

/** The verified caller of a request, if its signature was checked. */
export function callerOf(req: FastifyRequest): Merchant | undefined {
  return merchantsByRequest.get(req.raw);
}

/** The key a merchant's responses and notifications are signed with when nothing else is named. */
export function merchantKey(ctx: Ctx, merchant: Merchant | undefined): SigningKey {
  return merchant?.signing === 'platform_certificate' ? ctx.keys.platformCert : ctx.keys.wechatpayPublicKey;
}

/** The key a response is signed with: the one the request's Wechatpay-Serial names, else the merchant's mode. */
export function responseKey(ctx: Ctx, req: FastifyRequest): SigningKey {
  const named = req.headers['wechatpay-serial'];
  return ctx.keys.bySerial(typeof named === 'string' ? named : undefined) ?? merchantKey(ctx, callerOf(req));
}

export interface SignedHeaders {
  'Wechatpay-Timestamp': string;
  'Wechatpay-Nonce': string;
  'Wechatpay-Signature': string;
  'Wechatpay-Serial': string;
}

export function signBody(body: string, key: SigningKey): SignedHeaders {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = nonceStr();
  return {
    'Wechatpay-Timestamp': timestamp,
    'Wechatpay-Nonce': nonce,
    'Wechatpay-Signature': rsaSign(`${timestamp}\n${nonce}\n${body}\n`, key.privateKey),
    'Wechatpay-Serial': key.serial,
  };
}

export function payloadText(payload: unknown): string {
  if (payload === undefined || payload === null) return '';
  if (typeof payload === 'string') return payload;
  if (Buffer.isBuffer(payload)) return payload.toString('utf8');
  throw new Error('streamed /v3 responses cannot be signed');
}

export function signReply(ctx: Ctx, req: FastifyRequest, reply: FastifyReply, payload: unknown): void {
  // A 204 carries no body and is signed over the empty string (`ts\nnonce\n\n`).
  const body = reply.statusCode === 204 ? '' : payloadText(payload);
  const headers = signBody(body, responseKey(ctx, req));
  for (const [name, value] of Object.entries(headers)) reply.header(name, value);
  reply.header('Request-ID', `08${nonceStr()}`);
}
