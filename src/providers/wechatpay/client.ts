// The one door to the WeChat Pay gateway: wechatpay-axios-plugin signs every request (WECHATPAY2-SHA256-RSA2048 over
// the path exactly as sent, base-URL prefix included) and verifies every 2xx answer's Wechatpay-* headers against
// our public keys/certificates, refusing a timestamp more than 300 s off. This file only turns its outcomes into
// Hutong's error kinds, split by what the caller should do next.
import { createHash } from 'node:crypto';
import { Wechatpay } from 'wechatpay-axios-plugin';
import { ProviderError } from '../types';
import type { WechatpayKeys } from './sign';
import type { WireError } from './wire';

/** read: safe to retry, 5xx → unavailable. money: moved or may have moved money, 5xx/timeout → outcome_unknown. */
export type CallEffect = 'read' | 'money';

export interface CallSpec {
  method: 'GET' | 'POST';
  /** Gateway path starting with /v3/…, already URL-encoded. */
  path: string;
  query?: Record<string, string | undefined>;
  body?: object;
  effect: CallEffect;
  /** Announce the key sensitive fields were encrypted with (`Wechatpay-Serial`). */
  withSerialHeader?: boolean;
  /** Extra headers (a multipart body's content type). */
  headers?: Record<string, string>;
}

export interface CallAnswer<T> {
  status: number;
  data: T;
}

/** A 4xx business answer `{ code, message }`: each verb decides what it means, then falls back to `rejectionToError`. */
export class WechatpayRejection extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'WechatpayRejection';
  }
}

export interface WechatpayHttp {
  call<T>(spec: CallSpec): Promise<CallAnswer<T>>;
  /** Downloads a bill file from a `download_url` and checks its SHA1 `hash_value`. */
  downloadBill(downloadUrl: string, sha1Hex: string): Promise<Buffer>;
}

interface AxiosLikeError {
  isAxiosError?: boolean;
  code?: string;
  response?: { status: number; data?: unknown };
}

export function createWechatpayHttp(
  settings: { spMchid: string; merchantSerialNo: string; baseUrl: string; timeoutMs: number },
  keys: WechatpayKeys,
): WechatpayHttp {
  const baseURL = `${settings.baseUrl.replace(/\/+$/, '')}/`;
  const wxpay = new Wechatpay({
    mchid: settings.spMchid,
    serial: settings.merchantSerialNo,
    // The typings say string | Buffer, but the library takes a KeyObject as is (Rsa.isKeyObject), so the PEM is
    // parsed once by us rather than handed around as text.
    privateKey: keys.merchantPrivateKey as unknown as Buffer,
    certs: Object.fromEntries(keys.verifiers),
    baseURL,
    timeout: settings.timeoutMs,
  });
  const client = wxpay.client;

  async function call<T>(spec: CallSpec): Promise<CallAnswer<T>> {
    const headers: Record<string, string> = {
      ...spec.headers,
      ...(spec.withSerialHeader ? { 'Wechatpay-Serial': keys.encryption.serial } : {}),
    };
    const params = spec.query ? dropUndefined(spec.query) : undefined;
    try {
      const res = await client.request(spec.path.replace(/^\/+/, ''), spec.method.toLowerCase(), spec.body, {
        params,
        headers,
      });
      return { status: res.status, data: res.data as T };
    } catch (e) {
      throw classifyFailure(e, spec.effect);
    }
  }

  async function downloadBill(downloadUrl: string, sha1Hex: string): Promise<Buffer> {
    const target = new URL(downloadUrl);
    const base = new URL(baseURL);
    // Only ever send a signed request to the gateway we were configured with.
    if (target.origin !== base.origin || !target.pathname.startsWith(base.pathname)) {
      throw new ProviderError(
        'unavailable',
        'bill_download_url_unexpected',
        'bill download_url is not on the configured gateway',
      );
    }
    let file: Buffer;
    try {
      const res = await client.request(target.pathname.slice(base.pathname.length), 'get', undefined, {
        params: Object.fromEntries(target.searchParams),
        responseType: 'arraybuffer',
      });
      file = Buffer.from(res.data as ArrayBuffer);
    } catch (e) {
      throw classifyFailure(e, 'read');
    }
    if (createHash('sha1').update(file).digest('hex') !== sha1Hex.toLowerCase()) {
      throw new ProviderError(
        'unavailable',
        'bill_hash_mismatch',
        'downloaded bill does not match its SHA1 hash_value',
      );
    }
    return file;
  }

  return { call, downloadBill };
}

function dropUndefined(query: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(query)) if (v !== undefined) out[k] = v;
  return out;
}

/** Never carries the library error along: its config holds the Authorization header (a signature). */
function classifyFailure(e: unknown, effect: CallEffect): Error {
  const err = e as AxiosLikeError;
  if (!err || typeof err !== 'object' || !err.isAxiosError) return e instanceof Error ? e : new Error(String(e));
  const unknownOrUnavailable = (code: string, message: string, providerCode?: string) =>
    effect === 'money'
      ? new ProviderError('outcome_unknown', code, message, providerCode)
      : new ProviderError('unavailable', code, message, providerCode);
  // The plugin's verifier codes: EV3_RES_HEADERS_INCOMPLATE, …_TIMESTAMP_OFFSET, …_PLATFORM_SERIAL, …_SIGNATURE_DIGEST.
  if (err.code?.startsWith('EV3_RES_')) {
    return unknownOrUnavailable(
      'response_signature_invalid',
      `gateway answer failed verification (${err.code}); key rotated or clock skew?`,
    );
  }
  if (err.response) {
    const { status } = err.response;
    const body = asWireError(err.response.data);
    if (status >= 500) return unknownOrUnavailable('provider_unavailable', `gateway answered ${status}`, body?.code);
    if (status === 429) return new ProviderError('unavailable', 'rate_limited', 'gateway rate limit', body?.code);
    return new WechatpayRejection(status, body?.code ?? `HTTP_${status}`, body?.message ?? '');
  }
  // Refused before anything was sent: nothing can have happened at the gateway.
  if (err.code === 'ECONNREFUSED')
    return new ProviderError('unavailable', 'provider_unreachable', 'gateway refused the connection');
  return unknownOrUnavailable('provider_timeout', `no answer from the gateway (${err.code ?? 'network error'})`);
}

function asWireError(data: unknown): WireError | undefined {
  if (data && typeof data === 'object' && typeof (data as WireError).code === 'string') return data as WireError;
  if (typeof data === 'string') {
    try {
      return asWireError(JSON.parse(data));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Default meaning of a 4xx nobody special-cased: 403 is a business refusal, the rest are our mistakes. */
export function rejectionToError(r: WechatpayRejection): ProviderError {
  switch (r.code) {
    case 'SIGN_ERROR':
      return new ProviderError(
        'invalid_request',
        'request_signature_rejected',
        'gateway rejected our signature (wrong key or serial?)',
        r.code,
      );
    case 'NO_AUTH':
      return new ProviderError('invalid_request', 'not_authorized', r.message, r.code);
    case 'NOT_ENOUGH':
      return new ProviderError('declined', 'insufficient_funds', r.message, r.code);
    case 'FREQUENCY_LIMITED':
      return new ProviderError('unavailable', 'rate_limited', r.message, r.code);
    default:
      if (r.status === 404) return new ProviderError('invalid_request', 'not_found', r.message, r.code);
      if (r.status === 403) return new ProviderError('declined', 'provider_declined', r.message, r.code);
      return new ProviderError('invalid_request', 'invalid_parameters', r.message, r.code);
  }
}

/** In a verb's catch block, after its own special cases: the default meaning of whatever was thrown. */
export function asProviderError(e: unknown): Error {
  return e instanceof WechatpayRejection ? rejectionToError(e) : e instanceof Error ? e : new Error(String(e));
}

/** A 4xx whose code (or status) is one of `codes`. */
export function isRejection(e: unknown, ...codes: Array<string | number>): e is WechatpayRejection {
  return e instanceof WechatpayRejection && (codes.includes(e.code) || codes.includes(e.status));
}

/** Every call that is not special-cased: a rejection becomes its default ProviderError. */
export async function callStrict<T>(http: WechatpayHttp, spec: CallSpec): Promise<T> {
  try {
    return (await http.call<T>(spec)).data;
  } catch (e) {
    throw asProviderError(e);
  }
}
