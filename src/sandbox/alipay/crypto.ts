// RSA2 (SHA256withRSA) signing and verification on node:crypto, the sandbox's own (it shares nothing with the
// provider adapter, so neither can hide the other's mistake). Keys are parsed once into KeyObjects.
import {
  createPrivateKey,
  createPublicKey,
  createSign,
  createVerify,
  generateKeyPair,
  type KeyObject,
} from 'node:crypto';
import { promisify } from 'node:util';

const generateKeyPairAsync = promisify(generateKeyPair);

export interface RsaKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export async function generateRsaKeyPair(): Promise<RsaKeyPair> {
  return generateKeyPairAsync('rsa', { modulusLength: 2048 });
}

/** PKCS#1 PEM ("BEGIN RSA PRIVATE KEY"): what alipay-sdk expects by default. */
export function privateKeyToPkcs1Pem(key: KeyObject): string {
  return key.export({ type: 'pkcs1', format: 'pem' }).toString();
}

export function privateKeyToPkcs8Pem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** SPKI PEM ("BEGIN PUBLIC KEY"): what alipay-sdk's alipayPublicKey must be. */
export function publicKeyToSpkiPem(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'pem' }).toString();
}

function derFromText(text: string): Buffer | null {
  const body = text.replace(/-----(BEGIN|END) [A-Z ]+-----/g, '').replace(/\s+/g, '');
  if (body.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(body)) return null;
  return Buffer.from(body, 'base64');
}

/**
 * Reads an RSA public key given as PEM (SPKI or PKCS#1, line breaks optional) or bare base64 DER.
 * Returns null for anything else, including non-RSA keys.
 */
export function parsePublicKey(text: string): KeyObject | null {
  const der = derFromText(text);
  if (!der) return null;
  for (const type of ['spki', 'pkcs1'] as const) {
    try {
      const key = createPublicKey({ key: der, format: 'der', type });
      if (key.asymmetricKeyType === 'rsa') return key;
    } catch {
      // try the next encoding
    }
  }
  return null;
}

export function parsePrivateKeyPem(pem: string): KeyObject {
  return createPrivateKey(pem);
}

/**
 * Alipay's string to sign: every parameter but the excluded ones, empty values dropped, keys sorted
 * (ASCII), joined as k=v with &, values unencoded.
 */
export function signContent(params: Record<string, string | undefined>, exclude: ReadonlySet<string>): string {
  return Object.keys(params)
    .filter((k) => !exclude.has(k) && params[k] !== undefined && params[k] !== '')
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
}

export function signRsa2(content: string, key: KeyObject): string {
  return createSign('RSA-SHA256').update(content, 'utf8').sign(key, 'base64');
}

export function verifyRsa2(content: string, signature: string, key: KeyObject): boolean {
  try {
    return createVerify('RSA-SHA256').update(content, 'utf8').verify(key, signature, 'base64');
  } catch {
    return false;
  }
}

/** Request signatures cover every parameter but `sign` (sign_type included). */
export const REQUEST_SIGN_EXCLUDED: ReadonlySet<string> = new Set(['sign']);
/** Notification and return-URL signatures exclude both `sign` and `sign_type`. */
export const NOTIFY_SIGN_EXCLUDED: ReadonlySet<string> = new Set(['sign', 'sign_type']);
