// Test helpers: key pairs, a platform certificate, and notifications built the way WeChat Pay builds them, with
// wechatpay-axios-plugin's own primitives (so our verifier is checked against an independent implementation).
import { generateKeyPairSync, webcrypto } from 'node:crypto';
import { Aes, Formatter, Rsa } from 'wechatpay-axios-plugin';
import type { WechatpayConfig } from './config';

export interface PemKeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
}

export function rsaKeyPair(): PemKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** A self-signed RSA certificate, as a WeChat Pay platform certificate is used in certificate mode. */
export async function platformCertificate(
  serialHex: string,
): Promise<{ certificatePem: string; privateKeyPem: string }> {
  const x509 = await loadX509();
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const algorithm = {
    name: 'RSASSA-PKCS1-v1_5',
    hash: 'SHA-256',
    publicExponent: new Uint8Array([1, 0, 1]),
    modulusLength: 2048,
  };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialHex,
    name: 'CN=Tenpay.com Root CA, O=Tenpay.com',
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 365 * 86_400_000),
    signingAlgorithm: algorithm,
    keys,
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const privateKeyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trim()}\n-----END PRIVATE KEY-----\n`;
  return { certificatePem: cert.toString('pem'), privateKeyPem };
}

/**
 * @peculiar/x509 pulls in tsyringe, which refuses to load without the Reflect metadata API (the reflect-metadata
 * package, not installed). Test certificates only need the three functions it calls at load time.
 */
async function loadX509(): Promise<typeof import('@peculiar/x509')> {
  const reflect = Reflect as unknown as Record<string, unknown>;
  if (typeof reflect.getMetadata !== 'function') {
    const store = new WeakMap<object, Map<unknown, unknown>>();
    reflect.defineMetadata = (key: unknown, value: unknown, target: object) => {
      const map = store.get(target) ?? new Map<unknown, unknown>();
      store.set(target, map.set(key, value));
    };
    reflect.getOwnMetadata = (key: unknown, target: object) => store.get(target)?.get(key);
    reflect.getMetadata = (key: unknown, target: object): unknown => {
      for (let t: object | null = target; t; t = Object.getPrototypeOf(t) as object | null) {
        const found = store.get(t)?.get(key);
        if (found !== undefined) return found;
      }
      return undefined;
    };
  }
  return import('@peculiar/x509');
}

export const APIV3_KEY = 'a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6';
export const PUBLIC_KEY_ID = 'PUB_KEY_ID_0114232134912410000000000000';

export interface OfflineWorld {
  merchant: PemKeyPair;
  wechatpay: PemKeyPair;
  config: WechatpayConfig;
}

export function offlineWorld(overrides: Partial<WechatpayConfig> = {}): OfflineWorld {
  const merchant = rsaKeyPair();
  const wechatpay = rsaKeyPair();
  const config: WechatpayConfig = {
    merchantType: 'ecommerce_platform',
    spMchid: '1900000100',
    spAppid: 'wx8888888888888888',
    merchantSerialNo: '3775B6A45ACD588826D15E583A95F5DD0000000A',
    merchantPrivateKeyPem: merchant.privateKeyPem,
    apiv3Key: APIV3_KEY,
    wechatpayPublicKeyId: PUBLIC_KEY_ID,
    wechatpayPublicKeyPem: wechatpay.publicKeyPem,
    baseUrl: 'http://127.0.0.1:9/unused',
    ...overrides,
  };
  return { merchant, wechatpay, config };
}

export interface BuiltNotification {
  headers: Record<string, string>;
  rawBody: string;
}

/** Encrypts `resource` with the APIv3 key and signs the body, exactly as the gateway does. */
export function buildNotification(opts: {
  id?: string;
  eventType: string;
  resource: object;
  signingKeyPem: string;
  serial: string;
  apiv3Key?: string;
  timestamp?: number;
}): BuiltNotification {
  const nonce = Formatter.nonce(12);
  const associatedData = opts.eventType.startsWith('REFUND') ? 'refund' : 'transaction';
  const ciphertext = Aes.AesGcm.encrypt(
    JSON.stringify(opts.resource),
    opts.apiv3Key ?? APIV3_KEY,
    nonce,
    associatedData,
  );
  const rawBody = JSON.stringify({
    id: opts.id ?? `EV-${Formatter.nonce(16)}`,
    create_time: '2024-06-01T12:00:00+08:00',
    resource_type: 'encrypt-resource',
    event_type: opts.eventType,
    summary: '支付成功',
    resource: {
      original_type: associatedData,
      algorithm: 'AEAD_AES_256_GCM',
      ciphertext,
      associated_data: associatedData,
      nonce,
    },
  });
  return signed(rawBody, opts.signingKeyPem, opts.serial, opts.timestamp);
}

/** Signs an arbitrary body with Wechatpay-* headers (for bodies the gateway would never send, e.g. tampered ones). */
export function signed(
  rawBody: string,
  signingKeyPem: string,
  serial: string,
  timestamp = Formatter.timestamp(),
): BuiltNotification {
  const nonce = Formatter.nonce();
  const signature = Rsa.sign(
    Formatter.response(String(timestamp), nonce, rawBody),
    Rsa.from(signingKeyPem, Rsa.KEY_TYPE_PRIVATE),
  );
  return {
    rawBody,
    headers: {
      'wechatpay-timestamp': String(timestamp),
      'wechatpay-nonce': nonce,
      'wechatpay-signature': signature,
      'wechatpay-serial': serial,
    },
  };
}
