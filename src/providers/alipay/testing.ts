// Test helpers for this folder only: fresh RSA key pairs, and Alipay's own signing rule written out independently
// of the adapter (sort, join as k=v with &, RSA2), so tests check the adapter against the protocol, not itself.
import { createSign, createVerify, generateKeyPairSync, type KeyObject } from 'node:crypto';

export interface TestKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** PKCS#1 PEM, the SDK's default form. */
  privatePkcs1Pem: string;
  privatePkcs8Pem: string;
  publicSpkiPem: string;
}

export function generateTestKeyPair(): TestKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKey,
    publicKey,
    privatePkcs1Pem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    privatePkcs8Pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicSpkiPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** "-----BEGIN …-----\nMIIB…\n-----END …-----" → "MIIB…" (Alipay's key tool prints keys this way). */
export function bareBase64(pem: string): string {
  return pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
}

function signingString(params: Record<string, string>, exclude: readonly string[]): string {
  return Object.keys(params)
    .filter((key) => !exclude.includes(key) && params[key] !== '')
    .sort()
    .map((key) => `${key}=${params[key]}`)
    .join('&');
}

/** An async notification signed as Alipay signs one: over every field but sign and sign_type. */
export function signNotification(fields: Record<string, string>, alipayPrivateKey: KeyObject): Record<string, string> {
  const withType = { ...fields, sign_type: fields.sign_type ?? 'RSA2' };
  const sign = createSign('RSA-SHA256')
    .update(signingString(withType, ['sign', 'sign_type']), 'utf8')
    .sign(alipayPrivateKey, 'base64');
  return { ...withType, sign };
}

export function formEncode(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

/** Verifies a request (URL query + form) as the gateway does: every parameter but sign, sign_type included. */
export function verifyRequestSignature(params: Record<string, string>, appPublicKey: KeyObject): boolean {
  const sign = params.sign;
  if (!sign) return false;
  return createVerify('RSA-SHA256')
    .update(signingString(params, ['sign']), 'utf8')
    .verify(appPublicKey, sign, 'base64');
}
