// Issue "Payments core and Alipay 直付通": Hutong against the Alipay sandbox over real HTTP.
import { generateKeyPairSync, createSign } from 'node:crypto';
import { AlipaySdk } from 'alipay-sdk';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHutong, type TestHutong } from '../../test/helpers/hutong';
import { startCapture } from '../../test/helpers/capture';
import {
  buyer,
  checkout,
  payableMerchant,
  product,
  until,
  untilPaymentStatus,
  walletPay,
  type TestMerchant,
} from '../../test/helpers/market';

let h: TestHutong;
let a: TestMerchant;
let b: TestMerchant;
beforeAll(async () => {
  h = await startHutong();
  [a, b] = await Promise.all([payableMerchant(h, 'A'), payableMerchant(h, 'B')]);
});
afterAll(async () => {
  await h?.close();
});

async function smidOf(merchantId: string): Promise<string> {
  const res = await h.call('GET', `/v1/merchants/${merchantId}/provider-accounts`, { key: h.opsKey });
  return res.body.data.find((x: { provider: string }) => x.provider === 'alipay').sub_merchant_id;
}

async function oneMerchantCheckout(price = 1000) {
  const p = await product(h, a, { price });
  const buy = await buyer(h);
  const co = await checkout(h, buy.key, [{ product_id: p.id, quantity: 1 }]);
  return { buy, co };
}

async function attempt(
  key: string,
  paymentId: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  const res = await h.call('POST', `/v1/payments/${paymentId}/attempts`, { key, body, headers });
  expect(res.status).toBe(201);
  return res.body;
}

async function sentNotifications(outTradeNo: string): Promise<number> {
  const { rows } = await h.db.query<{ n: number }>(
    `SELECT count(*)::bigint AS n FROM notification_inbox WHERE provider = 'alipay' AND payload::text LIKE $1`,
    [`%${outTradeNo}%`],
  );
  return rows[0]!.n;
}

describe('paying with Alipay', () => {
  test('a two-merchant checkout is one merged payment; each trade sits unsettled in its own sub-merchant', async () => {
    const pa = await product(h, a, { price: 1230 });
    const pb = await product(h, b, { price: 4560 });
    const buy = await buyer(h);
    const co = await checkout(h, buy.key, [
      { product_id: pa.id, quantity: 1 },
      { product_id: pb.id, quantity: 1 },
    ]);
    expect(co.payment.methods.find((m) => m.method === 'alipay')).toEqual({ method: 'alipay', available: true });
    const att = await attempt(buy.key, co.payment.id, { method: 'alipay', scene: 'qr' });
    expect(att.action.type).toBe('qr');
    expect((await walletPay(h, 'alipay', att.action)).status).toBe(200);
    await untilPaymentStatus(h, buy.key, co.payment.id, 'succeeded');
    for (const o of co.orders)
      expect((await h.call('GET', `/v1/orders/${o.id}`, { key: buy.key })).body.status).toBe('paid');
    for (const [m, amount] of [
      [a, 1230],
      [b, 4560],
    ] as const) {
      const books = await h.call('GET', `/sandbox/alipay/books/sub-merchants/${await smidOf(m.id)}`);
      const trade = books.body.trades.find((t: { out_trade_no: string }) =>
        t.out_trade_no.startsWith(att.id.replace('att_', 'T')),
      );
      expect(trade).toBeTruthy();
      expect(books.body.frozen).toBeGreaterThanOrEqual(amount);
    }
  });

  test('the scene follows the client: desktop → page redirect, phone → H5, inside WeChat → client_unsupported', async () => {
    const { buy, co } = await oneMerchantCheckout();
    const desktop = await attempt(
      buy.key,
      co.payment.id,
      { method: 'alipay' },
      { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0) Chrome/120' },
    );
    expect([desktop.scene, desktop.action.type]).toEqual(['page', 'redirect']);
    const phone = await attempt(
      buy.key,
      co.payment.id,
      { method: 'alipay' },
      { 'user-agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile/15E148' },
    );
    expect([phone.scene, phone.action.type]).toEqual(['h5', 'redirect']);
    const inWechat = await h.call('POST', `/v1/payments/${co.payment.id}/attempts`, {
      key: buy.key,
      body: { method: 'alipay' },
      headers: { 'user-agent': 'Mozilla/5.0 (iPhone) MicroMessenger/8.0.49' },
    });
    expect([inWechat.status, inWechat.body.error.code, inWechat.body.error.details.reason]).toEqual([
      409,
      'method_unavailable',
      'client_unsupported',
    ]);
    const jsapi = await h.call('POST', `/v1/payments/${co.payment.id}/attempts`, {
      key: buy.key,
      body: { method: 'alipay', scene: 'jsapi' },
    });
    expect([jsapi.status, jsapi.body.error.code]).toEqual([422, 'scene_unsupported']);
    const view = await h.call('GET', `/v1/payments/${co.payment.id}`, {
      key: buy.key,
      headers: { 'user-agent': 'MicroMessenger/8.0' },
    });
    expect(view.body.methods.find((m: { method: string }) => m.method === 'alipay')).toEqual({
      method: 'alipay',
      available: false,
      reason: 'client_unsupported',
    });
  });

  test('a duplicated notification changes state once', async () => {
    h.sandboxes!.alipay.setFaults({ notifyDuplicate: 1 });
    const { buy, co } = await oneMerchantCheckout();
    const att = await attempt(buy.key, co.payment.id, { method: 'alipay', scene: 'qr' });
    await walletPay(h, 'alipay', att.action);
    await untilPaymentStatus(h, buy.key, co.payment.id, 'succeeded');
    const outTradeNo = `${att.id.replace('att_', 'T')}_1`;
    await until(
      h,
      async () =>
        (
          await h.db.query(
            `SELECT 1 FROM outbox WHERE topic = 'payment.sub_order_paid' AND payload->>'out_trade_no' = $1`,
            [outTradeNo],
          )
        ).rows.length === 1,
      'one paid event',
    );
    await new Promise((r) => setTimeout(r, 300)); // let the duplicate arrive
    const events = await h.db.query(`SELECT 1 FROM outbox WHERE payload->>'out_trade_no' = $1`, [outTradeNo]);
    expect(events.rows).toHaveLength(1);
    expect(await sentNotifications(outTradeNo)).toBe(1);
  });

  test('a dropped notification is found by the janitor', async () => {
    h.sandboxes!.alipay.setFaults({ notifyDrop: 1 });
    const { buy, co } = await oneMerchantCheckout();
    const att = await attempt(buy.key, co.payment.id, { method: 'alipay', scene: 'qr' });
    await walletPay(h, 'alipay', att.action);
    await new Promise((r) => setTimeout(r, 300));
    await h.worker.runOnce();
    expect((await h.call('GET', `/v1/payments/${co.payment.id}`, { key: buy.key })).body.status).toBe('pending');
    h.clock.advance(31_000); // the janitor's first look
    await h.worker.runOnce();
    expect((await h.call('GET', `/v1/payments/${co.payment.id}`, { key: buy.key })).body.status).toBe('succeeded');
  });

  test('an unscanned QR reads TRADE_NOT_EXIST: not paid; it is closed when the checkout expires', async () => {
    const { buy, co } = await oneMerchantCheckout();
    const att = await attempt(buy.key, co.payment.id, { method: 'alipay', scene: 'qr' });
    h.clock.advance(31_000);
    await h.worker.runOnce();
    expect((await h.call('GET', `/v1/payments/${co.payment.id}`, { key: buy.key })).body).toMatchObject({
      status: 'pending',
    });
    h.clock.advance(15 * 60_000);
    await h.worker.runOnce();
    await h.worker.runOnce();
    const view = await h.call('GET', `/v1/payments/${co.payment.id}`, { key: buy.key });
    expect(view.body.status).toBe('expired');
    expect(view.body.attempts.find((x: { id: string }) => x.id === att.id).status).toBe('closed');
  });
});

describe('forged notifications are rejected and change nothing', () => {
  test('wrong key, tampered amount, another app id', async () => {
    // A genuine, sandbox-signed notification for another app, captured on our own notify endpoint.
    const capture = await startCapture();
    const other = await h.call('POST', '/sandbox/alipay/apps', { body: { sub_merchants: 1 } });
    const sdk = new AlipaySdk({
      appId: other.body.app_id,
      privateKey: other.body.app_private_key,
      alipayPublicKey: other.body.alipay_public_key,
      gateway: `${h.url}/sandbox/alipay/gateway.do`,
    });
    const pre = await sdk.exec(
      'alipay.trade.precreate',
      {
        notifyUrl: capture.url,
        bizContent: {
          out_trade_no: 'OTHER_APP_1',
          total_amount: '10.00',
          subject: 'x',
          sub_merchant: { merchant_id: other.body.smids[0] },
          settle_info: {
            settle_detail_infos: [{ trans_in_type: 'defaultSettle', amount: '10.00' }],
            settle_period_time: '7d',
          },
        },
      },
      { validateSign: true },
    );
    await h.call('POST', '/sandbox/alipay/wallet/pay', {
      body: { code_url: (pre as unknown as { qrCode: string }).qrCode },
    });
    for (let i = 0; i < 100 && capture.received.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    const genuine = capture.received[0]!.body;
    await capture.close();

    const post = (body: string) =>
      h.call('POST', '/notify/alipay', {
        rawBody: body,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
    const otherApp = await post(genuine);
    expect(otherApp.status).toBe(401);
    expect(otherApp.body).not.toBe('success');
    const tampered = await post(genuine.replace(/total_amount=10\.00/, 'total_amount=0.01'));
    expect(tampered.status).toBe(401);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const params = Object.fromEntries(new URLSearchParams(genuine));
    delete params.sign;
    const content = Object.keys(params)
      .filter((k) => k !== 'sign_type')
      .sort()
      .map((k) => `${k}=${params[k]}`)
      .join('&');
    const wrongKey = new URLSearchParams({
      ...params,
      sign: createSign('RSA-SHA256').update(content).sign(privateKey, 'base64'),
    }).toString();
    expect((await post(wrongKey)).status).toBe(401);
    expect((await post('not=a&notification')).status).toBeGreaterThanOrEqual(400);
    const { rows } = await h.db.query(`SELECT 1 FROM outbox WHERE payload::text LIKE '%OTHER_APP_1%'`);
    expect(rows).toHaveLength(0);
  });
});

describe('refunds', () => {
  test('refund part twice, then an over-refund is rejected', async () => {
    const { buy, co } = await oneMerchantCheckout(5000);
    const att = await attempt(buy.key, co.payment.id, { method: 'alipay', scene: 'qr' });
    await walletPay(h, 'alipay', att.action);
    await untilPaymentStatus(h, buy.key, co.payment.id, 'succeeded');
    const orderId = co.orders[0]!.id;
    const r1 = await h.call('POST', `/v1/orders/${orderId}/refunds`, {
      key: a.key,
      body: { amount: 1000, reason: 'size' },
    });
    expect(r1.body).toMatchObject({ status: 'succeeded', amount: 1000 });
    const r2 = await h.call('POST', `/v1/orders/${orderId}/refunds`, { key: a.key, body: { amount: 1500 } });
    expect(r2.body.status).toBe('succeeded');
    const over = await h.call('POST', `/v1/orders/${orderId}/refunds`, { key: a.key, body: { amount: 2501 } });
    expect([over.status, over.body.error.code]).toEqual([409, 'refund_exceeds_remaining']);
    expect((await h.call('GET', `/v1/orders/${orderId}`, { key: buy.key })).body).toMatchObject({
      refunded_amount: 2500,
      status: 'paid',
    });
    const rest = await h.call('POST', `/v1/orders/${orderId}/refunds`, { key: a.key, body: { amount: 2500 } });
    expect(rest.body.status).toBe('succeeded');
    expect((await h.call('GET', `/v1/orders/${orderId}`, { key: buy.key })).body).toMatchObject({
      refunded_amount: 5000,
      status: 'closed',
    });
    const books = await h.call('GET', `/sandbox/alipay/books/sub-merchants/${await smidOf(a.id)}`);
    const trade = books.body.trades.find(
      (t: { out_trade_no: string }) => t.out_trade_no === `${att.id.replace('att_', 'T')}_1`,
    );
    expect(trade.refunded).toBe(5000);
  });

  test('another merchant cannot refund this order; a buyer asks through a refund request', async () => {
    const { buy, co } = await oneMerchantCheckout(3000);
    const att = await attempt(buy.key, co.payment.id, { method: 'alipay', scene: 'qr' });
    await walletPay(h, 'alipay', att.action);
    await untilPaymentStatus(h, buy.key, co.payment.id, 'succeeded');
    const orderId = co.orders[0]!.id;
    expect(
      (await h.call('POST', `/v1/orders/${orderId}/refunds`, { key: b.key, body: { amount: 100 } })).body.error.code,
    ).toBe('forbidden_resource');
    expect(
      (await h.call('POST', `/v1/orders/${orderId}/refunds`, { key: buy.key, body: { amount: 100 } })).body.error.code,
    ).toBe('forbidden_role');
    const rr = await h.call('POST', `/v1/orders/${orderId}/refund-requests`, {
      key: buy.key,
      body: { amount: 700, reason: 'late delivery' },
    });
    const approved = await h.call('POST', `/v1/refund-requests/${rr.body.id}/approve`, { key: a.key });
    expect(approved.body.status).toBe('approved');
    const refund = await h.call('GET', `/v1/refunds/${approved.body.refund_id}`, { key: buy.key });
    expect(refund.body).toMatchObject({ amount: 700, status: 'succeeded' });
  });

  test('a buyer who pays twice gets the second payment refunded automatically', async () => {
    const { buy, co } = await oneMerchantCheckout(2000);
    const first = await attempt(buy.key, co.payment.id, { method: 'alipay', scene: 'qr' });
    const second = await attempt(buy.key, co.payment.id, { method: 'alipay', scene: 'qr' });
    await new Promise((r) => setTimeout(r, 200)); // switching closes the first attempt (an unscanned QR: nothing to close yet)
    expect((await walletPay(h, 'alipay', second.action)).status).toBe(200);
    await untilPaymentStatus(h, buy.key, co.payment.id, 'succeeded');
    // The first QR was never scanned, so Alipay could not close it: it is still payable, as at the real gateway.
    expect((await walletPay(h, 'alipay', first.action)).status).toBe(200);
    const dup = `${first.id.replace('att_', 'T')}_1`;
    await until(
      h,
      async () =>
        (
          await h.db.query(
            `SELECT 1 FROM refunds WHERE out_trade_no = $1 AND kind = 'duplicate_payment' AND status = 'succeeded'`,
            [dup],
          )
        ).rows.length === 1,
      'duplicate refunded',
    );
    const view = await h.call('GET', `/v1/payments/${co.payment.id}`, { key: buy.key });
    expect(view.body.attempts.filter((x: { status: string }) => x.status === 'succeeded')).toHaveLength(1);
    expect(view.body.attempts.find((x: { id: string }) => x.id === first.id).late_paid).toBe(true);
    expect((await h.call('GET', `/v1/orders/${co.orders[0]!.id}`, { key: buy.key })).body.refunded_amount).toBe(0);
  });
});
