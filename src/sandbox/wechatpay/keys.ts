// The sandbox's own WeChat Pay key material, generated at first start and persisted in its database:
// - the WeChat Pay public key (id PUB_KEY_ID_…) that signs responses and notifications by default;
// - a platform certificate (its own key pair, X.509 via @peculiar/x509) for clients in certificate mode.
import { createPrivateKey, createPublicKey, webcrypto, type KeyObject } from 'node:crypto';
import type { Db } from './db';
import { ids } from './ids';
import { loadX509, type X509Module } from './x509';

export interface SigningKey {
  /** What goes in `Wechatpay-Serial`: the public key id or the certificate serial. */
  serial: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export interface PlatformCertificate extends SigningKey {
  certificatePem: string;
  effectiveMs: number;
  expireMs: number;
}

export interface SandboxKeys {
  wechatpayPublicKey: SigningKey & { publicKeyPem: string };
  platformCert: PlatformCertificate;
  /** Finds the key a client named in a request's `Wechatpay-Serial` header. */
  bySerial(serial: string | undefined): SigningKey | undefined;
}

interface StoredKeys {
  publicKeyId: string;
  publicKeyPrivatePem: string;
  certSerial: string;
  certPem: string;
  certPrivatePem: string;
}

const RSA_PARAMS = {
  name: 'RSASSA-PKCS1-v1_5',
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: 'SHA-256',
} as const;

async function exportPkcs8Pem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  const body =
    der
      .toString('base64')
      .match(/.{1,64}/g)
      ?.join('\n') ?? '';
  return `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`;
}

type SelfSignedParams = Parameters<X509Module['X509CertificateGenerator']['createSelfSigned']>[0];
type SelfSignedCrypto = Parameters<X509Module['X509CertificateGenerator']['createSelfSigned']>[1];

async function generate(nowMs: number): Promise<StoredKeys> {
  const subtle = webcrypto.subtle;
  const pubPair = (await subtle.generateKey(RSA_PARAMS, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const certPair = (await subtle.generateKey(RSA_PARAMS, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const x509 = await loadX509();
  // The first hex digit below 8 keeps the DER integer positive, so the serial reads back unchanged.
  const certSerial = `4${ids.serialNo().slice(1)}`;
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: certSerial,
      name: 'CN=Tenpay.com Root CA Sandbox, O=Hutong WeChat Pay sandbox, C=CN',
      notBefore: new Date(nowMs - 86_400_000),
      notAfter: new Date(nowMs + 5 * 365 * 86_400_000),
      keys: certPair as unknown as SelfSignedParams['keys'],
    },
    webcrypto as unknown as SelfSignedCrypto,
  );
  return {
    publicKeyId: ids.publicKeyId(),
    publicKeyPrivatePem: await exportPkcs8Pem(pubPair.privateKey),
    certSerial: cert.serialNumber.toUpperCase(),
    certPem: cert.toString('pem'),
    certPrivatePem: await exportPkcs8Pem(certPair.privateKey),
  };
}

export async function loadOrCreateKeys(db: Db): Promise<SandboxKeys> {
  const { rows } = await db.query<{ value: string }>(`select value from wx_settings where key = 'keys'`);
  let stored: StoredKeys;
  if (rows[0]) {
    stored = JSON.parse(rows[0].value) as StoredKeys;
  } else {
    stored = await generate(Date.now());
    await db.query(`insert into wx_settings (key, value) values ('keys', $1) on conflict (key) do nothing`, [
      JSON.stringify(stored),
    ]);
  }
  return fromStored(stored, await loadX509());
}

function fromStored(stored: StoredKeys, x509: X509Module): SandboxKeys {
  const pubPrivate = createPrivateKey(stored.publicKeyPrivatePem);
  const pubPublic = createPublicKey(pubPrivate);
  const cert = new x509.X509Certificate(stored.certPem);
  const certPrivate = createPrivateKey(stored.certPrivatePem);
  const wechatpayPublicKey = {
    serial: stored.publicKeyId,
    privateKey: pubPrivate,
    publicKey: pubPublic,
    publicKeyPem: pubPublic.export({ type: 'spki', format: 'pem' }).toString(),
  };
  const platformCert: PlatformCertificate = {
    serial: stored.certSerial,
    privateKey: certPrivate,
    publicKey: createPublicKey(stored.certPem),
    certificatePem: stored.certPem,
    effectiveMs: cert.notBefore.getTime(),
    expireMs: cert.notAfter.getTime(),
  };
  return {
    wechatpayPublicKey,
    platformCert,
    bySerial(serial) {
      if (serial === wechatpayPublicKey.serial) return wechatpayPublicKey;
      if (serial && serial.toUpperCase() === platformCert.serial) return platformCert;
      return undefined;
    },
  };
}
