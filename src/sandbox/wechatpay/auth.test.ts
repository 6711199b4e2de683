// Signatures both ways: the sandbox refuses requests the gateway would refuse (401 SIGN_ERROR) and signs every
// answer so that the official client accepts it — with the WeChat Pay public key or, in certificate mode, with
// the platform certificate from /v3/certificates.
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Aes, Formatter, Rsa } from 'wechatpay-axios-plugin';
import { clientFor, outNo, PREFIX, refusal, startHarness, type Harness, type Registered } from './testkit';

let h: Harness;
let m: Registered;

beforeAll(async () => {
  h = await startHarness();
  m = await h.register({ sub_merchants: 1 });
});

afterAll(async () => {
  await h.close();
});

const queryPath = (sub: string) =>
  `/v3/pay/partner/transactions/out-trade-no/NOSUCH123?sp_mchid=${m.mchid}&sub_mchid=${sub}`;

/** A hand-made signed GET, to vary one part of the signature at a time. */
async function signedGet(path: string, opts: { signedPath?: string; timestamp?: number; serial?: string } = {}) {
  const ts = opts.timestamp ?? Formatter.timestamp();
  const nonce = Formatter.nonce();
  const key = Rsa.from(m.merchant_private_key, Rsa.KEY_TYPE_PRIVATE);
  const signature = Rsa.sign(Formatter.request('GET', opts.signedPath ?? `${PREFIX}${path}`, ts, nonce), key);
  const res = await fetch(`${h.base}${path}`, {
    headers: {
      Authorization: Formatter.authorization(m.mchid, nonce, signature, ts, opts.serial ?? m.serial_no),
      Accept: 'application/json',
    },
  });
  return { status: res.status, body: (await res.json()) as { code: string }, headers: res.headers };
}

describe('request signatures', () => {
  test('a request signed over the path as sent (mount prefix included) is accepted', async () => {
    const res = await signedGet(queryPath(m.sub_mchids[0] as string));
    expect(res).toMatchObject({ status: 404, body: { code: 'ORDER_NOT_EXIST' } });
  });

  test('a signature over the path without the mount prefix is 401 SIGN_ERROR', async () => {
    const path = queryPath(m.sub_mchids[0] as string);
    expect((await signedGet(path, { signedPath: path })).body.code).toBe('SIGN_ERROR');
  });

  test('a wrong serial_no, a stale timestamp or no Authorization at all is 401 SIGN_ERROR', async () => {
    const path = queryPath(m.sub_mchids[0] as string);
    expect(await signedGet(path, { serial: 'ABCDEF0123' })).toMatchObject({
      status: 401,
      body: { code: 'SIGN_ERROR' },
    });
    expect(await signedGet(path, { timestamp: Formatter.timestamp() - 400 })).toMatchObject({
      status: 401,
      body: { code: 'SIGN_ERROR' },
    });
    const bare = await fetch(`${h.base}${path}`);
    expect(bare.status).toBe(401);
    expect(((await bare.json()) as { code: string }).code).toBe('SIGN_ERROR');
  });

  test('the official client with another private key is refused with 401 SIGN_ERROR', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const forger = clientFor(h, { ...m, merchant_private_key: other });
    const res = await refusal(
      forger.v3.pay.partner.transactions['out-trade-no']['{out_trade_no}'].get({
        out_trade_no: 'NOSUCH123',
        params: { sp_mchid: m.mchid, sub_mchid: m.sub_mchids[0] },
      }),
    );
    expect(res).toEqual({ status: 401, code: 'SIGN_ERROR' });
  });
});

describe('response signatures', () => {
  test('the client rejects an answer when its configured WeChat Pay public key is not the sandbox one', async () => {
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString();
    const wx = clientFor(h, m, { [m.wechatpay_public_key_id]: stranger });
    const err = await wx.v3.certificates.get().catch((e: any) => e);
    expect(err.code).toBe('EV3_RES_HEADER_SIGNATURE_DIGEST');
  });

  test('certificate mode: /v3/certificates hands out the platform certificate, which then verifies answers', async () => {
    const wx = clientFor(h, m);
    const { data } = await wx.v3.certificates.get();
    const [entry] = data.data;
    expect(entry.serial_no).toBe(m.platform_certificate_serial_no);
    const { ciphertext, nonce, associated_data } = entry.encrypt_certificate;
    const pem = Aes.AesGcm.decrypt(ciphertext, m.apiv3_key, nonce, associated_data);
    expect(pem).toMatch(/^-----BEGIN CERTIFICATE-----/);

    const certClient = clientFor(h, m, { [entry.serial_no]: pem });
    const order = {
      sp_appid: m.appid,
      sp_mchid: m.mchid,
      sub_mchid: m.sub_mchids[0],
      description: 'cert mode',
      out_trade_no: outNo('K'),
      notify_url: 'http://127.0.0.1:9/notify',
      amount: { total: 1 },
    };
    const res = await certClient.v3.pay.partner.transactions.native.post(order, {
      headers: { 'Wechatpay-Serial': entry.serial_no },
    });
    expect(res.headers['wechatpay-serial']).toBe(entry.serial_no);
  });

  test('a merchant registered for certificate signing gets certificate-signed answers without naming a serial', async () => {
    const certMerchant = await h.register({ sub_merchants: 1, signing: 'platform_certificate' });
    const { data } = await clientFor(h, certMerchant).v3.certificates.get({
      headers: { 'Wechatpay-Serial': certMerchant.wechatpay_public_key_id },
    });
    const enc = data.data[0].encrypt_certificate;
    const pem = Aes.AesGcm.decrypt(enc.ciphertext, certMerchant.apiv3_key, enc.nonce, enc.associated_data);
    const certOnly = clientFor(h, certMerchant, { [certMerchant.platform_certificate_serial_no]: pem });
    const res = await certOnly.v3.pay.partner.transactions.native.post({
      sp_appid: certMerchant.appid,
      sp_mchid: certMerchant.mchid,
      sub_mchid: certMerchant.sub_mchids[0],
      description: 'cert mode',
      out_trade_no: outNo('K'),
      notify_url: 'http://127.0.0.1:9/notify',
      amount: { total: 1 },
    });
    expect(res.status).toBe(200); // verified by the client with the certificate alone
    expect(res.headers['wechatpay-serial']).toBe(certMerchant.platform_certificate_serial_no);
  });
});
