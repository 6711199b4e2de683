// Goal: every signature, verification and cipher we wrote ourselves agrees with wechatpay-axios-plugin's own
// helpers, which real merchants use against the real gateway. Method: produce with one side, check with the other.
import { createPrivateKey, createPublicKey } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { Aes, Formatter, Rsa } from 'wechatpay-axios-plugin';
import {
  KeyConfigError,
  decryptResource,
  encryptSensitive,
  jsapiPayParams,
  lines,
  parseKeys,
  signSha256Rsa,
  verifySha256Rsa,
  wechatpayMessage,
} from './sign';
import { APIV3_KEY, PUBLIC_KEY_ID, platformCertificate, rsaKeyPair, type PemKeyPair } from './test-kit';

let pair: PemKeyPair;
beforeAll(() => {
  pair = rsaKeyPair();
});

describe('signatures agree with the client library', () => {
  it('a signature we make verifies with the library', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1, maxLength: 40 }), (body, nonce) => {
        const message = wechatpayMessage('1717214400', nonce, body);
        expect(message).toBe(Formatter.response('1717214400', nonce, body));
        return Rsa.verify(
          message,
          signSha256Rsa(message, createPrivateKey(pair.privateKeyPem)),
          Rsa.from(pair.publicKeyPem, 'public'),
        );
      }),
      { numRuns: 40 },
    );
  });

  it('a signature the library makes verifies with ours, and a changed byte does not', () => {
    const message = Formatter.response('1717214400', 'NONCE', '{"amount":1}');
    const signature = Rsa.sign(message, Rsa.from(pair.privateKeyPem, 'private'));
    const key = createPublicKey(pair.publicKeyPem);
    expect(verifySha256Rsa(message, signature, key)).toBe(true);
    expect(verifySha256Rsa(message.replace('1', '2'), signature, key)).toBe(false);
    expect(verifySha256Rsa(message, 'not base64 at all', key)).toBe(false);
  });

  it('joins message pieces as the library does, each followed by a line feed', () => {
    expect(lines('a', 'b', '')).toBe(Formatter.joinedByLineFeed('a', 'b', ''));
    expect(wechatpayMessage('1', 'n', '')).toBe('1\nn\n\n');
  });
});

describe('JSAPI pay parameters', () => {
  it('paySign verifies with the library over appId, timeStamp, nonceStr and package', () => {
    const params = jsapiPayParams(
      'wx8888888888888888',
      'wx201410272009395522657a690389285100',
      createPrivateKey(pair.privateKeyPem),
      new Date(1717214400_000),
    );
    expect(params).toMatchObject({
      appId: 'wx8888888888888888',
      timeStamp: '1717214400',
      package: 'prepay_id=wx201410272009395522657a690389285100',
      signType: 'RSA',
    });
    expect(params.nonceStr).toMatch(/^[0-9A-Za-z]{32}$/);
    const message = Formatter.joinedByLineFeed(params.appId, params.timeStamp, params.nonceStr, params.package);
    expect(Rsa.verify(message, params.paySign, Rsa.from(pair.publicKeyPem, 'public'))).toBe(true);
  });
});

describe('AEAD_AES_256_GCM resources', () => {
  it('decrypts what the library encrypts, for any plaintext and associated data', () => {
    const key = parseKeys({
      merchantPrivateKeyPem: pair.privateKeyPem,
      apiv3Key: APIV3_KEY,
      wechatpayPublicKeyId: PUBLIC_KEY_ID,
      wechatpayPublicKeyPem: pair.publicKeyPem,
    }).apiv3Key;
    fc.assert(
      fc.property(fc.string(), fc.string({ maxLength: 20 }), (plaintext, aad) => {
        const nonce = Formatter.nonce(12);
        const ciphertext = Aes.AesGcm.encrypt(plaintext, APIV3_KEY, nonce, aad);
        return decryptResource({ ciphertext, nonce, associated_data: aad }, key) === plaintext;
      }),
      { numRuns: 100 },
    );
  });

  it('refuses a flipped ciphertext byte, other associated data, or another key', () => {
    const keys = parseKeys({
      merchantPrivateKeyPem: pair.privateKeyPem,
      apiv3Key: APIV3_KEY,
      wechatpayPublicKeyId: PUBLIC_KEY_ID,
      wechatpayPublicKeyPem: pair.publicKeyPem,
    });
    const nonce = Formatter.nonce(12);
    const ciphertext = Aes.AesGcm.encrypt('{"trade_state":"SUCCESS"}', APIV3_KEY, nonce, 'transaction');
    const sealed = Buffer.from(ciphertext, 'base64');
    sealed[0] = sealed[0]! ^ 1;
    expect(() =>
      decryptResource({ ciphertext: sealed.toString('base64'), nonce, associated_data: 'transaction' }, keys.apiv3Key),
    ).toThrow();
    expect(() => decryptResource({ ciphertext, nonce, associated_data: 'refund' }, keys.apiv3Key)).toThrow();
    const otherKey = parseKeys({
      merchantPrivateKeyPem: pair.privateKeyPem,
      apiv3Key: 'ZZb2c3d4e5f6g7h8i9j0k1l2m3n4o5p6',
      wechatpayPublicKeyId: PUBLIC_KEY_ID,
      wechatpayPublicKeyPem: pair.publicKeyPem,
    }).apiv3Key;
    expect(() => decryptResource({ ciphertext, nonce, associated_data: 'transaction' }, otherKey)).toThrow();
  });
});

describe('sensitive field encryption', () => {
  it('the library decrypts what we encrypt with RSA-OAEP', () => {
    const sealed = encryptSensitive('110101199003070000', createPublicKey(pair.publicKeyPem));
    expect(Rsa.decrypt(sealed, Rsa.from(pair.privateKeyPem, 'private'))).toBe('110101199003070000');
  });
});

describe('key configuration', () => {
  const base = () => ({
    merchantPrivateKeyPem: pair.privateKeyPem,
    apiv3Key: APIV3_KEY,
    wechatpayPublicKeyId: PUBLIC_KEY_ID,
    wechatpayPublicKeyPem: pair.publicKeyPem,
  });

  it('refuses an APIv3 key that is not 32 bytes', () => {
    expect(() => parseKeys({ ...base(), apiv3Key: `${APIV3_KEY}\n` })).toThrow(KeyConfigError);
  });

  it('refuses a public key id without the PUB_KEY_ID_ prefix and a broken PEM', () => {
    expect(() => parseKeys({ ...base(), wechatpayPublicKeyId: '5157F09E' })).toThrow(KeyConfigError);
    expect(() => parseKeys({ ...base(), merchantPrivateKeyPem: 'nope' })).toThrow(KeyConfigError);
  });

  it('verifies with a platform certificate by its serial next to the public key id', async () => {
    const cert = await platformCertificate('5157F09EFDC096DE15EBE81A47057A7232F1B8E1');
    const keys = parseKeys({
      ...base(),
      platformCertificates: { '5157F09EFDC096DE15EBE81A47057A7232F1B8E1': cert.certificatePem },
    });
    expect([...keys.verifiers.keys()]).toEqual([PUBLIC_KEY_ID, '5157F09EFDC096DE15EBE81A47057A7232F1B8E1']);
    const message = Formatter.response('1717214400', 'N', '{}');
    const signature = Rsa.sign(message, Rsa.from(cert.privateKeyPem, 'private'));
    expect(verifySha256Rsa(message, signature, keys.verifiers.get('5157F09EFDC096DE15EBE81A47057A7232F1B8E1')!)).toBe(
      true,
    );
    expect(verifySha256Rsa(message, signature, keys.verifiers.get(PUBLIC_KEY_ID)!)).toBe(false);
  });
});
