// Keys and the official SDK. Keys are parsed once into KeyObjects; the SDK is handed those objects, so it neither
// re-parses a PEM string on every sign/verify nor keeps the key text around. Nothing here logs a key or a signature.
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { AlipaySdk } from 'alipay-sdk';

export class AlipayConfigError extends Error {
  constructor(
    readonly code: 'invalid_app_private_key' | 'invalid_alipay_public_key',
    message: string,
  ) {
    super(message);
    this.name = 'AlipayConfigError';
  }
}

const PEM_HEADER = /-----BEGIN [A-Z ]+-----/;

function bareBase64ToDer(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'base64');
}

/** PKCS#1 or PKCS#8, as PEM or bare base64 (the forms Alipay's key tool writes). */
export function parseAppPrivateKey(text: string): KeyObject {
  const trimmed = text.trim();
  const attempts: Array<() => KeyObject> = PEM_HEADER.test(trimmed)
    ? [() => createPrivateKey(trimmed)]
    : [
        () => createPrivateKey({ key: bareBase64ToDer(trimmed), format: 'der', type: 'pkcs8' }),
        () => createPrivateKey({ key: bareBase64ToDer(trimmed), format: 'der', type: 'pkcs1' }),
      ];
  for (const attempt of attempts) {
    try {
      return requireRsa(attempt(), 'invalid_app_private_key');
    } catch (e) {
      if (e instanceof AlipayConfigError) throw e;
    }
  }
  // Never echo the key: the likely causes are enough to fix it.
  throw new AlipayConfigError(
    'invalid_app_private_key',
    'app private key is not an RSA PKCS#1/PKCS#8 key (PEM or bare base64; truncated or wrapped text?)',
  );
}

/** SPKI, as PEM or bare base64. */
export function parseAlipayPublicKey(text: string): KeyObject {
  const trimmed = text.trim();
  try {
    const key = PEM_HEADER.test(trimmed)
      ? createPublicKey(trimmed)
      : createPublicKey({ key: bareBase64ToDer(trimmed), format: 'der', type: 'spki' });
    return requireRsa(key, 'invalid_alipay_public_key');
  } catch (e) {
    if (e instanceof AlipayConfigError) throw e;
    throw new AlipayConfigError(
      'invalid_alipay_public_key',
      'Alipay public key is not an RSA SPKI key (PEM or bare base64; the app public key pasted by mistake?)',
    );
  }
}

function requireRsa(key: KeyObject, code: AlipayConfigError['code']): KeyObject {
  if (key.asymmetricKeyType !== 'rsa')
    throw new AlipayConfigError(code, `expected an RSA key, got ${key.asymmetricKeyType ?? 'unknown'}`);
  return key;
}

export interface SdkOptions {
  appId: string;
  gatewayUrl: string;
  timeoutMs: number;
  appPrivateKey: KeyObject;
  alipayPublicKey: KeyObject;
}

export function createSdk(options: SdkOptions): AlipaySdk {
  const sdk = new AlipaySdk({
    appId: options.appId,
    // The constructor insists on key text; it gets PEM exported from the parsed keys, then the KeyObjects below.
    privateKey: options.appPrivateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    keyType: 'PKCS8',
    alipayPublicKey: options.alipayPublicKey.export({ type: 'spki', format: 'pem' }).toString(),
    gateway: options.gatewayUrl,
    signType: 'RSA2',
    charset: 'utf-8',
    // Explicit rather than the SDK's defaults: a bounded wait, and Alipay's snake_case names kept verbatim.
    timeout: options.timeoutMs,
    camelcase: false,
  });
  // alipay-sdk 4.14 hands config.privateKey / config.alipayPublicKey straight to node:crypto's sign/verify, which
  // take a KeyObject as well as PEM text; with KeyObjects the key is parsed once instead of on every call.
  const config = sdk.config as unknown as { privateKey: unknown; alipayPublicKey: unknown };
  config.privateKey = options.appPrivateKey;
  config.alipayPublicKey = options.alipayPublicKey;
  return sdk;
}
