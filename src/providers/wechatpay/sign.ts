// WeChat Pay API v3 cryptography the adapter does itself: verifying notifications (the client library only verifies
// API responses), decrypting their AEAD_AES_256_GCM resources, the JSAPI `paySign`, and RSA-OAEP for sensitive
// fields. Every function here is proven against wechatpay-axios-plugin's own helpers in sign.test.ts.
// Keys are parsed once into KeyObjects (parsing a PEM per call costs far more than the signature).
import {
  X509Certificate,
  constants,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  createSign,
  createVerify,
  publicEncrypt,
  randomBytes,
  type KeyObject,
} from 'node:crypto';

const GCM_TAG_BYTES = 16;
const NONCE_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Everything secret or key-shaped the adapter needs, parsed once. Never logged: no field prints key material. */
export interface WechatpayKeys {
  merchantPrivateKey: KeyObject;
  apiv3Key: KeyObject;
  /** Response/notification verifiers by `Wechatpay-Serial`: the PUB_KEY_ID_… key and any platform certificates. */
  verifiers: ReadonlyMap<string, KeyObject>;
  /** Which key encrypts sensitive request fields, and the serial we announce in the `Wechatpay-Serial` header. */
  encryption: { serial: string; key: KeyObject };
}

export interface KeyMaterial {
  merchantPrivateKeyPem: string;
  apiv3Key: string;
  wechatpayPublicKeyId: string;
  wechatpayPublicKeyPem: string;
  platformCertificates?: Record<string, string>;
}

export class KeyConfigError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'KeyConfigError';
  }
}

export function parseKeys(material: KeyMaterial): WechatpayKeys {
  const apiv3 = Buffer.from(material.apiv3Key, 'utf8');
  // The APIv3 key is 32 ASCII characters; a wrong length usually means whitespace was pasted with it.
  if (apiv3.length !== 32)
    throw new KeyConfigError(
      'apiv3_key_invalid',
      'the APIv3 key must be exactly 32 bytes (whitespace pasted with it?)',
    );
  if (!material.wechatpayPublicKeyId.startsWith('PUB_KEY_ID_')) {
    throw new KeyConfigError(
      'wechatpay_public_key_id_invalid',
      'the WeChat Pay public key id must start with PUB_KEY_ID_',
    );
  }
  const publicKey = parsePublicKeyOrCertificate(material.wechatpayPublicKeyPem, 'wechatpay_public_key_invalid');
  const verifiers = new Map<string, KeyObject>([[material.wechatpayPublicKeyId, publicKey]]);
  for (const [serial, pem] of Object.entries(material.platformCertificates ?? {})) {
    verifiers.set(serial, parsePublicKeyOrCertificate(pem, 'platform_certificate_invalid'));
  }
  let merchantPrivateKey: KeyObject;
  try {
    merchantPrivateKey = createPrivateKey(material.merchantPrivateKeyPem);
  } catch {
    throw new KeyConfigError('merchant_private_key_invalid', 'the merchant private key is not a PEM private key');
  }
  return {
    merchantPrivateKey,
    apiv3Key: createSecretKey(apiv3),
    verifiers,
    encryption: { serial: material.wechatpayPublicKeyId, key: publicKey },
  };
}

/** Accepts an SPKI/PKCS#1 public key PEM or an X.509 certificate PEM (certificate mode). */
export function parsePublicKeyOrCertificate(pem: string, errorCode: string): KeyObject {
  try {
    return pem.includes('BEGIN CERTIFICATE') ? new X509Certificate(pem).publicKey : createPublicKey(pem);
  } catch {
    throw new KeyConfigError(errorCode, 'not a PEM public key or certificate');
  }
}

/** The message every v3 signature covers: each piece followed by a line feed. */
export function lines(...pieces: string[]): string {
  return pieces.map((p) => `${p}\n`).join('');
}

export function signSha256Rsa(message: string, privateKey: KeyObject): string {
  return createSign('RSA-SHA256').update(message, 'utf8').sign(privateKey, 'base64');
}

export function verifySha256Rsa(message: string, signatureBase64: string, publicKey: KeyObject): boolean {
  try {
    return createVerify('RSA-SHA256').update(message, 'utf8').verify(publicKey, signatureBase64, 'base64');
  } catch {
    return false;
  }
}

/** `Wechatpay-*` headers cover `timestamp\nnonce\nbody\n` (a 204 is signed over an empty body). */
export function wechatpayMessage(timestamp: string, nonce: string, body: string): string {
  return lines(timestamp, nonce, body);
}

/** AEAD_AES_256_GCM: the last 16 bytes of the base64 ciphertext are the tag. Throws on any authentication failure. */
export function decryptResource(
  resource: { ciphertext: string; nonce: string; associated_data?: string },
  apiv3Key: KeyObject,
): string {
  const sealed = Buffer.from(resource.ciphertext, 'base64');
  if (sealed.length < GCM_TAG_BYTES) throw new Error('ciphertext shorter than its tag');
  const decipher = createDecipheriv('aes-256-gcm', apiv3Key, Buffer.from(resource.nonce, 'utf8'));
  decipher.setAuthTag(sealed.subarray(sealed.length - GCM_TAG_BYTES));
  decipher.setAAD(Buffer.from(resource.associated_data ?? '', 'utf8'));
  return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - GCM_TAG_BYTES)), decipher.final()]).toString(
    'utf8',
  );
}

/** Sensitive request fields (names, id numbers, bank accounts): RSA-OAEP with SHA-1, base64, as WeChat Pay requires. */
export function encryptSensitive(plaintext: string, publicKey: KeyObject): string {
  return publicEncrypt(
    { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
    Buffer.from(plaintext, 'utf8'),
  ).toString('base64');
}

export function nonceString(length = 32): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += NONCE_ALPHABET[b % NONCE_ALPHABET.length];
  return out;
}

export interface JsapiPayParams {
  appId: string;
  timeStamp: string;
  nonceStr: string;
  package: string;
  signType: 'RSA';
  paySign: string;
}

/** The front-end bridge parameters: `paySign` = SHA256withRSA over `appId\ntimeStamp\nnonceStr\npackage\n`. */
export function jsapiPayParams(appId: string, prepayId: string, privateKey: KeyObject, now: Date): JsapiPayParams {
  const timeStamp = String(Math.floor(now.getTime() / 1000));
  const nonceStr = nonceString();
  const pkg = `prepay_id=${prepayId}`;
  return {
    appId,
    timeStamp,
    nonceStr,
    package: pkg,
    signType: 'RSA',
    paySign: signSha256Rsa(lines(appId, timeStamp, nonceStr, pkg), privateKey),
  };
}
