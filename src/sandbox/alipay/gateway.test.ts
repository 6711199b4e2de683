// The gateway as the official alipay-sdk sees it: registration, 直付通 onboarding, the lazy precreate → scan →
// pay → notify → query path, page/wap URLs, closes, signatures and malformed input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSign, generateKeyPairSync } from 'node:crypto';
import { AlipayFormData, AlipaySdk } from 'alipay-sdk';
import { SANDBOX_TEST_IMAGE } from '../test-identities';
import {
  getJson,
  NotifySink,
  postJson,
  registerClient,
  startSandbox,
  tradeBiz,
  type Harness,
  type RegisteredClient,
} from './testkit';

let h: Harness;
let sink: NotifySink;
let client: RegisteredClient;
const opts = { validateSign: true };
const APPLYMENT_DELAY_MS = 60_000;

beforeAll(async () => {
  h = await startSandbox({ applymentDelayMs: APPLYMENT_DELAY_MS });
  sink = await new NotifySink().start();
  client = await registerClient(h, { sub_merchants: 2 });
});
afterAll(async () => {
  await sink.close();
  await h.close();
});

/** Signs a hand-made request the way the gateway verifies it, for input the SDK would never send. */
function signedForm(privateKey: string, params: Record<string, string>): string {
  const all: Record<string, string> = {
    app_id: client.appId,
    charset: 'utf-8',
    sign_type: 'RSA2',
    timestamp: '2026-01-01 00:00:00',
    version: '1.0',
    ...params,
  };
  const content = Object.keys(all)
    .sort()
    .map((k) => `${k}=${all[k]}`)
    .join('&');
  return new URLSearchParams({
    ...all,
    sign: createSign('RSA-SHA256').update(content).sign(privateKey, 'base64'),
  }).toString();
}

async function rawGateway(body: string, query = ''): Promise<{ status: number; text: string }> {
  const res = await fetch(`${h.gateway}${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  return { status: res.status, text: await res.text() };
}

describe('app registration', () => {
  it('makes a PKCS#1 key pair, an SPKI Alipay public key and approved sub-merchants', async () => {
    expect(client.privateKey).toContain('BEGIN RSA PRIVATE KEY');
    expect(client.alipayPublicKey).toContain('BEGIN PUBLIC KEY');
    expect(client.smids).toHaveLength(2);
    expect(client.appId).toMatch(/^\d{16}$/);
    const described = await getJson(`${h.base}/apps/${client.appId}`);
    expect(described).toMatchObject({
      app_id: client.appId,
      seller_id: client.sellerId,
      smids: client.smids,
      fee_rate_bp: 60,
    });
    expect(described.app_private_key).toBeUndefined();
  });

  it('accepts the app public key as PEM or bare base64 and verifies requests signed with its private key', async () => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const spkiDer = pair.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    for (const appPublicKey of [pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(), spkiDer]) {
      const { status, body } = await postJson(`${h.base}/apps`, { app_public_key: appPublicKey, sub_merchants: 1 });
      expect(status).toBe(200);
      expect(body.app_private_key).toBeUndefined();
      const sdk = new AlipaySdk({
        appId: body.app_id,
        keyType: 'PKCS8',
        privateKey: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        alipayPublicKey: body.alipay_public_key,
        gateway: h.gateway,
      });
      const answer = await sdk.exec('alipay.trade.query', { bizContent: { out_trade_no: 'nothing' } }, opts);
      expect(answer.subCode).toBe('ACQ.TRADE_NOT_EXIST');
    }
  });

  it('refuses malformed registrations with stable codes', async () => {
    expect((await postJson(`${h.base}/apps`, { sub_merchants: 21 })).body.error.code).toBe('invalid_sub_merchants');
    expect((await postJson(`${h.base}/apps`, { app_public_key: 'not a key' })).body.error.code).toBe(
      'invalid_app_public_key',
    );
    expect((await postJson(`${h.base}/apps`, { fee_rate_bp: -1 })).body.error.code).toBe('invalid_fee_rate_bp');
    const broken = await fetch(`${h.base}/apps`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"sub_',
    });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as any).error.code).toBe('invalid_json');
  });
});

describe('直付通 onboarding', () => {
  it('approves an application after the delay and gives its smid, which trades may then name', async () => {
    const created = await client.sdk.exec(
      'ant.merchant.expand.indirect.zft.create',
      {
        bizContent: {
          external_id: 'shop_9',
          name: '测试商户',
          alias_name: 'Test shop',
          merchant_type: '01',
          mcc: '5411',
          service: ['wap支付', '当面付'],
        },
      },
      opts,
    );
    expect(created.code).toBe('10000');
    const first = await client.sdk.exec(
      'ant.merchant.expand.order.query',
      { bizContent: { order_id: created.orderId } },
      opts,
    );
    expect(first.status).toBe('031');
    expect(first.ipRoleId).toBeUndefined();
    const precreateWith = (smid: string) =>
      client.sdk.exec('alipay.trade.precreate', { bizContent: tradeBiz(smid, `ONB_${smid.slice(-4)}`, '1.00') }, opts);
    const pendingSmid = (await h.adminGet(`/books/apps/${client.appId}`)).sub_merchants.find(
      (s: any) => s.status === 'auditing',
    ).smid;
    expect((await precreateWith(pendingSmid)).subCode).toBe('ACQ.SECONDARY_MERCHANT_STATUS_ERROR');
    await h.adminJson(`/clock`, { advance_ms: APPLYMENT_DELAY_MS });
    const approved = await client.sdk.exec(
      'ant.merchant.expand.order.query',
      { bizContent: { order_id: created.orderId } },
      opts,
    );
    expect(approved.status).toBe('99');
    expect(approved.ipRoleId).toEqual([pendingSmid]);
    expect(JSON.parse(approved.extInfo).smid).toBe(pendingSmid);
    expect((await precreateWith(pendingSmid)).code).toBe('10000');
  });

  it('takes images through image.upload (multipart, the file unsigned) and refuses applications naming unknown ones', async () => {
    const upload = (imageType: string, content: Buffer) => {
      const form = new AlipayFormData();
      form.addField('image_type', imageType);
      form.addFile('image_content', `id.${imageType}`, content);
      return client.sdk.exec('ant.merchant.expand.indirect.image.upload', {}, { formData: form, validateSign: true });
    };
    const uploaded = await upload('png', SANDBOX_TEST_IMAGE.content);
    expect(uploaded.code).toBe('10000');
    expect(uploaded.imageId).toMatch(/^[0-9a-f-]{36}\.png$/);
    expect((await upload('jpg', SANDBOX_TEST_IMAGE.content)).subCode).toBe('INVALID_PARAMETER');
    const biz = { external_id: 'shop_img', name: '图片商户', merchant_type: '06', mcc: '5411', service: ['wap支付'] };
    const known = await client.sdk.exec(
      'ant.merchant.expand.indirect.zft.create',
      { bizContent: { ...biz, legal_cert_front_image: uploaded.imageId } },
      opts,
    );
    expect(known.code).toBe('10000');
    const unknown = await client.sdk.exec(
      'ant.merchant.expand.indirect.zft.create',
      { bizContent: { ...biz, external_id: 'shop_img2', cert_image: 'not-uploaded.png' } },
      opts,
    );
    expect(unknown.subCode).toBe('INVALID_PARAMETER');
  });

  it('refuses an application without its required fields', async () => {
    const answer = await client.sdk.exec(
      'ant.merchant.expand.indirect.zft.create',
      { bizContent: { external_id: 'shop_x', name: 'x' } },
      opts,
    );
    expect(answer.code).toBe('40004');
    expect(answer.subCode).toBe('INVALID_PARAMETER');
  });
});

describe('QR payment (precreate)', () => {
  it('does not exist until scanned, is paid from the wallet, notifies with a valid signature and queries TRADE_SUCCESS', async () => {
    const pre = await client.sdk.exec(
      'alipay.trade.precreate',
      { notifyUrl: sink.url, bizContent: tradeBiz(client.smids[0]!, 'QR_1', '88.88') },
      opts,
    );
    expect(pre.code).toBe('10000');
    expect(pre.qrCode).toMatch(/\/sandbox\/alipay\/qr\/[a-z0-9]+$/);
    expect((await client.sdk.exec('alipay.trade.query', { bizContent: { out_trade_no: 'QR_1' } }, opts)).subCode).toBe(
      'ACQ.TRADE_NOT_EXIST',
    );
    expect((await client.sdk.exec('alipay.trade.close', { bizContent: { out_trade_no: 'QR_1' } }, opts)).subCode).toBe(
      'ACQ.TRADE_NOT_EXIST',
    );

    const paid = await postJson(`${h.base}/wallet/pay`, { code_url: pre.qrCode });
    expect(paid.status).toBe(200);
    expect(paid.body.trades).toEqual([
      expect.objectContaining({
        out_trade_no: 'QR_1',
        amount: 8888,
        smid: client.smids[0],
        trade_status: 'TRADE_SUCCESS',
      }),
    ]);

    await sink.waitFor(() => sink.of('QR_1').length > 0);
    const note = sink.of('QR_1')[0]!;
    expect(client.sdk.checkNotifySignV2(note)).toBe(true);
    expect(note).toMatchObject({
      notify_type: 'trade_status_sync',
      app_id: client.appId,
      seller_id: client.sellerId,
      trade_status: 'TRADE_SUCCESS',
      total_amount: '88.88',
      receipt_amount: '88.88',
      trade_no: paid.body.trades[0].trade_no,
      sign_type: 'RSA2',
    });
    expect(client.sdk.checkNotifySignV2({ ...note, total_amount: '0.01' })).toBe(false);

    const q = await client.sdk.exec('alipay.trade.query', { bizContent: { out_trade_no: 'QR_1' } }, opts);
    expect(q).toMatchObject({
      code: '10000',
      tradeStatus: 'TRADE_SUCCESS',
      totalAmount: '88.88',
      tradeNo: note.trade_no,
      chargeAmount: '0.53',
    });
    expect((await postJson(`${h.base}/wallet/pay`, { code_url: pre.qrCode })).body.error.code).toBe(
      'trade_already_paid',
    );
  });

  it('returns the same QR for the same out_trade_no and refuses reuse with another amount', async () => {
    const biz = tradeBiz(client.smids[1]!, 'QR_2', '10.00');
    const a = await client.sdk.exec('alipay.trade.precreate', { bizContent: biz }, opts);
    const b = await client.sdk.exec('alipay.trade.precreate', { bizContent: biz }, opts);
    expect(b.qrCode).toBe(a.qrCode);
    const c = await client.sdk.exec(
      'alipay.trade.precreate',
      { bizContent: tradeBiz(client.smids[1]!, 'QR_2', '10.01') },
      opts,
    );
    expect(c.subCode).toBe('ACQ.CONTEXT_INCONSISTENT');
  });

  it("refuses a trade that names no sub-merchant, another app's smid, or no settle_info", async () => {
    const other = await registerClient(h, { sub_merchants: 1 });
    const { sub_merchant: _s, ...noSub } = tradeBiz(client.smids[0]!, 'QR_3', '1.00');
    const { settle_info: _i, ...noSettle } = tradeBiz(client.smids[0]!, 'QR_3', '1.00');
    expect((await client.sdk.exec('alipay.trade.precreate', { bizContent: noSub }, opts)).subCode).toBe(
      'ACQ.INVALID_PARAMETER',
    );
    expect((await client.sdk.exec('alipay.trade.precreate', { bizContent: noSettle }, opts)).subCode).toBe(
      'ACQ.INVALID_PARAMETER',
    );
    const foreign = await client.sdk.exec(
      'alipay.trade.precreate',
      { bizContent: tradeBiz(other.smids[0]!, 'QR_3', '1.00') },
      opts,
    );
    expect(foreign.subCode).toBe('ACQ.SECONDARY_MERCHANT_STATUS_ERROR');
    const badAmount = await client.sdk.exec(
      'alipay.trade.precreate',
      { bizContent: { ...tradeBiz(client.smids[0]!, 'QR_3', '1.00'), total_amount: '1.001' } },
      opts,
    );
    expect(badAmount.subCode).toBe('ACQ.INVALID_PARAMETER');
  });
});

describe('closing', () => {
  it('closes only a WAIT_BUYER_PAY trade; a closed trade cannot be paid', async () => {
    const pre = await client.sdk.exec(
      'alipay.trade.precreate',
      { notifyUrl: sink.url, bizContent: tradeBiz(client.smids[0]!, 'CL_1', '5.00') },
      opts,
    );
    const page = await fetch(pre.qrCode);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('5.00');
    const q = await client.sdk.exec('alipay.trade.query', { bizContent: { out_trade_no: 'CL_1' } }, opts);
    expect(q.tradeStatus).toBe('WAIT_BUYER_PAY');
    expect((await client.sdk.exec('alipay.trade.close', { bizContent: { out_trade_no: 'CL_1' } }, opts)).code).toBe(
      '10000',
    );
    expect(
      (await client.sdk.exec('alipay.trade.query', { bizContent: { out_trade_no: 'CL_1' } }, opts)).tradeStatus,
    ).toBe('TRADE_CLOSED');
    expect((await postJson(`${h.base}/wallet/pay`, { code_url: pre.qrCode })).body.error.code).toBe('trade_closed');
    expect((await client.sdk.exec('alipay.trade.close', { bizContent: { out_trade_no: 'CL_1' } }, opts)).subCode).toBe(
      'ACQ.TRADE_STATUS_ERROR',
    );
    await sink.waitFor(() => sink.of('CL_1').some((n) => n.trade_status === 'TRADE_CLOSED'));
  });

  it('refuses to close a paid trade', async () => {
    const pre = await client.sdk.exec(
      'alipay.trade.precreate',
      { bizContent: tradeBiz(client.smids[0]!, 'CL_2', '5.00') },
      opts,
    );
    await postJson(`${h.base}/wallet/pay`, { code_url: pre.qrCode });
    expect((await client.sdk.exec('alipay.trade.close', { bizContent: { out_trade_no: 'CL_2' } }, opts)).subCode).toBe(
      'ACQ.TRADE_STATUS_ERROR',
    );
  });
});

describe('desktop page and mobile wap payments', () => {
  it('opens a pageExec GET URL as the cashier and pays it, returning a signed return_url', async () => {
    const url = client.sdk.pageExec('alipay.trade.page.pay', 'GET', {
      notifyUrl: sink.url,
      returnUrl: 'http://127.0.0.1:1/return',
      bizContent: { ...tradeBiz(client.smids[1]!, 'PG_1', '20.00'), product_code: 'FAST_INSTANT_TRADE_PAY' },
    });
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('20.00');
    expect(
      (await client.sdk.exec('alipay.trade.query', { bizContent: { out_trade_no: 'PG_1' } }, opts)).tradeStatus,
    ).toBe('WAIT_BUYER_PAY');
    const paid = await postJson(`${h.base}/wallet/pay`, { url, buyer: 'alice@example.com' });
    expect(paid.body.trades[0]).toMatchObject({ out_trade_no: 'PG_1', amount: 2000 });
    const back = Object.fromEntries(new URL(paid.body.return_url).searchParams);
    expect(back).toMatchObject({ out_trade_no: 'PG_1', method: 'alipay.trade.page.pay.return', total_amount: '20.00' });
    expect(client.sdk.checkNotifySignV2(back)).toBe(true);
    const q = await client.sdk.exec('alipay.trade.query', { bizContent: { out_trade_no: 'PG_1' } }, opts);
    expect(q).toMatchObject({ tradeStatus: 'TRADE_SUCCESS', buyerLogonId: 'alice@example.com' });
  });

  it('pays the auto-submitting form pageExec returns by default (wap)', async () => {
    const form = client.sdk.pageExec('alipay.trade.wap.pay', {
      bizContent: { ...tradeBiz(client.smids[1]!, 'WAP_1', '3.50'), product_code: 'QUICK_WAP_WAY' },
    });
    expect(form).toContain('<form');
    const paid = await postJson(`${h.base}/wallet/pay`, { url: form });
    expect(paid.body.trades[0]).toMatchObject({ out_trade_no: 'WAP_1', amount: 350 });
  });

  it('refuses a payment URL whose signed content was altered', async () => {
    const url = client.sdk.pageExec('alipay.trade.wap.pay', 'GET', {
      bizContent: tradeBiz(client.smids[1]!, 'WAP_2', '3.50'),
    });
    const tampered = url.replace(encodeURIComponent('"3.50"'), encodeURIComponent('"0.01"'));
    expect(tampered).not.toBe(url);
    const refused = await postJson(`${h.base}/wallet/pay`, { url: tampered });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('invalid_payment_request');
    expect((await fetch(tampered)).status).toBe(400);
  });
});

describe('signatures and malformed input', () => {
  it('answers a bad signature with 40002 isv.invalid-signature, signed so the SDK still verifies it', async () => {
    const forger = new AlipaySdk({
      appId: client.appId,
      privateKey: generateKeyPairSync('rsa', { modulusLength: 2048 })
        .privateKey.export({ type: 'pkcs1', format: 'pem' })
        .toString(),
      alipayPublicKey: client.alipayPublicKey,
      gateway: h.gateway,
    });
    const answer = await forger.exec('alipay.trade.query', { bizContent: { out_trade_no: 'QR_1' } }, opts);
    expect(answer).toMatchObject({ code: '40002', subCode: 'isv.invalid-signature' });
  });

  it('signs its answers with its own key: a client holding another Alipay key rejects them', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString();
    const sdk = new AlipaySdk({
      appId: client.appId,
      privateKey: client.privateKey,
      alipayPublicKey: other,
      gateway: h.gateway,
    });
    await expect(sdk.exec('alipay.trade.query', { bizContent: { out_trade_no: 'QR_1' } }, opts)).rejects.toThrow(
      /验签失败/,
    );
  });

  it('names unknown apps and methods as the gateway does', async () => {
    const stranger = new AlipaySdk({
      appId: '2021000000000000',
      privateKey: client.privateKey,
      alipayPublicKey: client.alipayPublicKey,
      gateway: h.gateway,
    });
    expect((await stranger.exec('alipay.trade.query', { bizContent: { out_trade_no: 'x' } }, opts)).subCode).toBe(
      'isv.invalid-app-id',
    );
    expect((await client.sdk.exec('alipay.trade.nonexistent', { bizContent: {} }, opts)).subCode).toBe(
      'isv.invalid-method',
    );
  });

  it('answers garbage with signed Alipay errors or 4xx JSON, never a crash', async () => {
    const missing = await rawGateway('%%%garbage&&=');
    expect(missing.status).toBe(200);
    expect(JSON.parse(missing.text).error_response.sub_code).toBe('isv.missing-method');
    const notJson = await rawGateway(
      signedForm(client.privateKey, { method: 'alipay.trade.query', biz_content: '{oops' }),
    );
    expect(JSON.parse(notJson.text).alipay_trade_query_response.sub_code).toBe('isv.invalid-parameter');
    const arrayAmount = await rawGateway(
      signedForm(client.privateKey, {
        method: 'alipay.trade.precreate',
        biz_content: JSON.stringify({ ...tradeBiz(client.smids[0]!, 'BAD_1', '1.00'), total_amount: [1] }),
      }),
    );
    expect(JSON.parse(arrayAmount.text).alipay_trade_precreate_response.sub_code).toBe('ACQ.INVALID_PARAMETER');
    const badTime = await rawGateway(
      signedForm(client.privateKey, { method: 'alipay.trade.query', biz_content: '{}', timestamp: 'yesterday' }),
    );
    expect(JSON.parse(badTime.text).alipay_trade_query_response.sub_code).toBe('isv.invalid-timestamp');
    const wallet = await fetch(`${h.base}/wallet/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '[',
    });
    expect(wallet.status).toBe(400);
    expect((await postJson(`${h.base}/wallet/pay`, { code_url: `${h.base}/qr/unknown` })).body.error.code).toBe(
      'qr_code_not_found',
    );
    expect((await postJson(`${h.base}/wallet/pay`, { url: 42 })).body.error.code).toBe('invalid_request');
    expect((await fetch(`${h.base}/no/such/route`)).status).toBe(404);
  });
});

describe('call faults', () => {
  it('answers the next N gateway calls with HTTP 503, then recovers', async () => {
    const set = await h.adminJson(`/faults`, { callError5xx: 1 }, 'PUT');
    expect(set.body.callError5xx).toBe(1);
    await expect(client.sdk.exec('alipay.trade.query', { bizContent: { out_trade_no: 'QR_1' } }, opts)).rejects.toThrow(
      /503/,
    );
    expect(
      (await client.sdk.exec('alipay.trade.query', { bizContent: { out_trade_no: 'QR_1' } }, opts)).tradeStatus,
    ).toBe('TRADE_SUCCESS');
    expect((await h.adminJson(`/faults`, { callError5xx: -1 }, 'PUT')).body.error.code).toBe('invalid_faults');
  });
});
