// The sandbox's own WeChat Pay cryptography on node:crypto (it shares nothing with Hutong's adapter, so that
// neither can hide the other's mistake; the official client library judges both).
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createPublicKey,
  createSign,
  createVerify,
  privateDecrypt,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { alnum } from './ids';

/** SHA256withRSA, base64: the only signature scheme of API v3 (WECHATPAY2-SHA256-RSA2048). */
export function rsaSign(message: string, key: KeyObject): string {
  return createSign('RSA-SHA256').update(message).sign(key, 'base64');
}

export function rsaVerify(message: string, signatureBase64: string, key: KeyObject): boolean {
  try {
    return createVerify('RSA-SHA256').update(message).verify(key, signatureBase64, 'base64');
  } catch {
    return false;
  }
}

/** Decrypts a sensitive field (RSA-OAEP with SHA-1, as WeChat Pay's docs and clients use). */
export function oaepDecrypt(ciphertextBase64: string, key: KeyObject): string {
  return privateDecrypt(
    { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
    Buffer.from(ciphertextBase64, 'base64'),
  ).toString('utf8');
}

export interface AeadResource {
  algorithm: 'AEAD_AES_256_GCM';
  ciphertext: string;
  associated_data: string;
  nonce: string;
}

/** AEAD_AES_256_GCM with the 32-byte APIv3 key; the 16-byte tag is appended to the ciphertext. */
export function aeadEncrypt(plaintext: string, apiv3Key: string, associatedData: string): AeadResource {
  const nonce = alnum(12);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(apiv3Key, 'utf8'), Buffer.from(nonce, 'utf8'));
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return { algorithm: 'AEAD_AES_256_GCM', ciphertext: body.toString('base64'), associated_data: associatedData, nonce };
}

export function aeadDecrypt(resource: AeadResource, apiv3Key: string): string {
  const raw = Buffer.from(resource.ciphertext, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', Buffer.from(apiv3Key, 'utf8'), Buffer.from(resource.nonce, 'utf8'));
  decipher.setAAD(Buffer.from(resource.associated_data, 'utf8'));
  decipher.setAuthTag(raw.subarray(raw.length - 16));
  return Buffer.concat([decipher.update(raw.subarray(0, raw.length - 16)), decipher.final()]).toString('utf8');
}

/** Nonces like WeChat Pay's: 32 upper-case alphanumerics. */
export function nonceStr(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}

/**
 * Reads a merchant's public key as clients hand it out: SPKI or PKCS#1 PEM, an X.509 certificate PEM, or bare
 * base64 of an SPKI DER. Throws on anything else.
 */
export function parsePublicKey(text: string): KeyObject {
  const trimmed = text.trim();
  if (trimmed.startsWith('-----BEGIN')) return createPublicKey(trimmed);
  return createPublicKey({ key: Buffer.from(trimmed, 'base64'), format: 'der', type: 'spki' });
}
