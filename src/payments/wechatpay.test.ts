// Issue "WeChat Pay API v3 as an e-commerce platform": Hutong against the WeChat Pay sandbox over real HTTP.
import { generateKeyPairSync, createSign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHutong, type TestHutong } from '../../test/helpers/hutong';
import { startRelay, type Captured } from '../../test/helpers/capture';
import {
  buyer,
  checkout,
  enableWechatpay,
  payableMerchant,
  product,
  until,
  untilPaymentStatus,
  walletPay,
  type TestMerchant,
} from '../../test/helpers/market';

const DESKTOP = { 'user-agent': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Chrome/120' };
const PHONE = { 'user-agent': 'Mozilla/5.0 (Linux; Android 14) Mobile Safari/537.36' };
const WECHAT = { 'user-agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile/15E148 MicroMessenger/8.0.49' };

let h: TestHutong;
let a: TestMerchant;
let b: TestMerchant;
beforeAll(async () => {
  h = await startHutong();
  await enableWechatpay(h);
  [a, b] = await Promise.all([
    payableMerchant(h, 'A', { wechatpay: true }),
    payableMerchant(h, 'B', { wechatpay: true }),
  ]);
});
afterAll(async () => {
  await h?.close();
});

async function subMchid(merchantId: string): Promise<string> {
  const res = await h.call('GET', `/v1/merchants/${merchantId}/provider-accounts`, { key: h.opsKey });
  return res.body.data.find((x: { provider: string }) => x.provider === 'wechatpay').sub_merchant_id;
}

async function twoMerchantCheckout(priceA = 3000, priceB = 7000) {
  const pa = await product(h, a, { price: priceA });
  const pb = await product(h, b, { price: priceB });
  const buy = await buyer(h);
  const co = await checkout(h, buy.key, [
    { product_id: pa.id, quantity: 1 },
    { product_id: pb.id, quantity: 1 },
  ]);
  return { buy, co };
}

async function pay(key: string, paymentId: string, headers: Record<string, string> = DESKTOP) {
  const att = await h.call('POST', `/v1/payments/${paymentId}/attempts`, {
    key,
    body: { method: 'wechatpay' },
    headers,
  });
  expect(att.status).toBe(201);
  expect((await walletPay(h, 'wechatpay', att.body.action)).status).toBe(200);
  return att.body;
}

describe('paying with WeChat Pay', () => {
  test('a two-merchant checkout is one combined payment; each sub-order is frozen in its own sub-merchant', async () => {
    const { buy, co } = await twoMerchantCheckout();
    expect(co.payment.methods.find((m) => m.method === 'wechatpay')).toEqual({ method: 'wechatpay', available: true });
    const att = await pay(buy.key, co.payment.id);
    expect([att.scene, att.action.type]).toEqual(['qr', 'qr']);
    expect(att.action.code_url).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=/);
    await untilPaymentStatus(h, buy.key, co.payment.id, 'succeeded');
    for (const [m, amount] of [
      [a, 3000],
      [b, 7000],
    ] as const) {
      const books = await h.call('GET', `/sandbox/wechatpay/books/sub-merchants/${await subMchid(m.id)}`);
      const trade = books.body.trades.find((t: { out_trade_no: string }) =>
        t.out_trade_no.startsWith(att.id.replace('att_', 'T')),
      );
      expect(trade).toMatchObject({ profit_sharing: true });
      expect(trade.unsplit).toBe(amount - Math.round(amount * 0.006));
    }
  });

  test('inside WeChat the cashier runs JSAPI, never a redirect; a phone browser gets H5', async () => {
    const { buy, co } = await twoMerchantCheckout();
    const view = await h.call('GET', `/v1/payments/${co.payment.id}`, { key: buy.key, headers: WECHAT });
    expect(view.body.methods.map((m: { method: string; available: boolean }) => [m.method, m.available])).toEqual([
      ['wechatpay', true],
      ['alipay', false],
    ]);
    const h5 = await h.call('POST', `/v1/payments/${co.payment.id}/attempts`, {
      key: buy.key,
      body: { method: 'wechatpay' },
      headers: PHONE,
    });
    expect([h5.body.scene, h5.body.action.type]).toEqual(['h5', 'redirect']);
    const att = await pay(buy.key, co.payment.id, WECHAT);
    expect(att.scene).toBe('jsapi');
    expect(att.action.params).toMatchObject({ signType: 'RSA', package: expect.stringMatching(/^prepay_id=/) });
    expect(att.action.params.paySign).toBeTruthy();
    await untilPaymentStatus(h, buy.key, co.payment.id, 'succeeded');
  });

  test('a duplicated notification changes state once; a dropped one is found by the janitor', async () => {
    h.sandboxes!.wechatpay.setFaults({ notifyDuplicate: 1 });
    const first = await twoMerchantCheckout();
    await pay(first.buy.key, first.co.payment.id);
    await untilPaymentStatus(h, first.buy.key, first.co.payment.id, 'succeeded');
    await new Promise((r) => setTimeout(r, 300));
    const paidEvents = await h.db.query(
      `SELECT 1 FROM outbox WHERE topic = 'payment.sub_order_paid' AND payload->>'order_id' = ANY($1::text[])`,
      [first.co.orders.map((o) => o.id)],
    );
    expect(paidEvents.rows).toHaveLength(2);

    h.sandboxes!.wechatpay.setFaults({ notifyDuplicate: 0, notifyDrop: 1 });
    const second = await twoMerchantCheckout();
    await pay(second.buy.key, second.co.payment.id);
    await new Promise((r) => setTimeout(r, 300));
    await h.worker.runOnce();
    expect((await h.call('GET', `/v1/payments/${second.co.payment.id}`, { key: second.buy.key })).body.status).toBe(
      'pending',
    );
    await h.advance(31_000);
    await h.worker.runOnce();
    expect((await h.call('GET', `/v1/payments/${second.co.payment.id}`, { key: second.buy.key })).body.status).toBe(
      'succeeded',
    );
    h.sandboxes!.wechatpay.setFaults({ notifyDrop: 0 });
  });
});

describe('notifications that must be refused', () => {
  let genuine: Captured;
  let paymentId: string;
  let buyerKey: string;
  beforeAll(async () => {
    // Capture a genuine notification on its way to Hutong through a relay (Hutong's public URL points at it).
    const relay = await startRelay(h.url);
    const publicUrl = h.config.publicUrl;
    h.config.publicUrl = relay.base;
    try {
      const { buy, co } = await twoMerchantCheckout(1100, 2200);
      await pay(buy.key, co.payment.id);
      await untilPaymentStatus(h, buy.key, co.payment.id, 'succeeded');
      genuine = relay.received[0]!;
      paymentId = co.payment.id;
      buyerKey = buy.key;
    } finally {
      h.config.publicUrl = publicUrl;
      await relay.close();
    }
  });

  const send = (headers: Record<string, string | string[] | undefined>, body: string) => {
    const forward: Record<string, string> = { 'content-type': 'application/json' };
    for (const k of ['wechatpay-timestamp', 'wechatpay-nonce', 'wechatpay-signature', 'wechatpay-serial'])
      forward[k] = String(headers[k]);
    return h.call('POST', '/notify/wechatpay', { rawBody: body, headers: forward });
  };

  test('a replayed notification id is acknowledged again and changes nothing', async () => {
    const before = await h.db.query('SELECT count(*)::bigint AS n FROM outbox');
    const again = await send(genuine.headers, genuine.body);
    expect(again.status).toBe(204);
    expect((await h.db.query('SELECT count(*)::bigint AS n FROM outbox')).rows).toEqual(before.rows);
    expect((await h.call('GET', `/v1/payments/${paymentId}`, { key: buyerKey })).body.status).toBe('succeeded');
  });

  test('tampered ciphertext, a forged signature and a stale timestamp get 401', async () => {
    const body = JSON.parse(genuine.body);
    const c = body.resource.ciphertext as string;
    body.resource.ciphertext = (c[0] === 'A' ? 'B' : 'A') + c.slice(1);
    const tampered = await send(genuine.headers, JSON.stringify(body));
    expect([tampered.status, tampered.body.code]).toEqual([401, 'FAIL']);

    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ts = String(Math.floor(h.clock.now().getTime() / 1000));
    const nonce = 'forgednonce123';
    const signature = createSign('RSA-SHA256').update(`${ts}\n${nonce}\n${genuine.body}\n`).sign(privateKey, 'base64');
    const forged = await send(
      { ...genuine.headers, 'wechatpay-timestamp': ts, 'wechatpay-nonce': nonce, 'wechatpay-signature': signature },
      genuine.body,
    );
    expect(forged.status).toBe(401);

    h.wallClock.skewMs = 6 * 60_000; // six minutes later, the captured notification is more than 5 minutes old
    try {
      const stale = await send(genuine.headers, genuine.body);
      expect([stale.status, stale.body.code]).toEqual([401, 'FAIL']);
    } finally {
      h.wallClock.skewMs = 0;
    }
    const malformed = await h.call('POST', '/notify/wechatpay', {
      rawBody: '{"id":',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.status).toBeGreaterThanOrEqual(400);
  });
});

describe('refunds', () => {
  test('each sub-order of a combined payment is refunded on its own, partially and more than once', async () => {
    const { buy, co } = await twoMerchantCheckout(4000, 5000);
    await pay(buy.key, co.payment.id);
    await untilPaymentStatus(h, buy.key, co.payment.id, 'succeeded');
    const orderA = co.orders.find((o) => o.merchant_id === a.id)!;
    const orderB = co.orders.find((o) => o.merchant_id === b.id)!;
    for (const amount of [1000, 500]) {
      const r = await h.call('POST', `/v1/orders/${orderA.id}/refunds`, { key: a.key, body: { amount } });
      expect(r.status).toBe(201);
      await until(
        h,
        async () => (await h.call('GET', `/v1/refunds/${r.body.id}`, { key: a.key })).body.status === 'succeeded',
        'refund succeeded',
      );
    }
    const rb = await h.call('POST', `/v1/orders/${orderB.id}/refunds`, { key: b.key, body: { amount: 5000 } });
    await until(
      h,
      async () => (await h.call('GET', `/v1/refunds/${rb.body.id}`, { key: b.key })).body.status === 'succeeded',
      'full refund',
    );
    expect((await h.call('GET', `/v1/orders/${orderA.id}`, { key: buy.key })).body).toMatchObject({
      refunded_amount: 1500,
      status: 'paid',
    });
    expect((await h.call('GET', `/v1/orders/${orderB.id}`, { key: buy.key })).body).toMatchObject({
      refunded_amount: 5000,
      status: 'closed',
    });
    const over = await h.call('POST', `/v1/orders/${orderA.id}/refunds`, { key: a.key, body: { amount: 2501 } });
    expect(over.body.error.code).toBe('refund_exceeds_remaining');
    const books = await h.call('GET', `/sandbox/wechatpay/books/sub-merchants/${await subMchid(a.id)}`);
    const trade = books.body.trades.find((t: { out_trade_no: string; refunded: number }) => t.refunded === 1500);
    expect(trade).toBeTruthy();
  });

  test('a second payment of the same checkout (paid after its attempt should have closed) is refunded automatically', async () => {
    const { buy, co } = await twoMerchantCheckout(1200, 1300);
    const wechat = await h.call('POST', `/v1/payments/${co.payment.id}/attempts`, {
      key: buy.key,
      body: { method: 'wechatpay', scene: 'qr' },
    });
    h.sandboxes!.wechatpay.setFaults({ callError5xx: 1 }); // switching methods cannot close the WeChat Pay order
    const alipay = await h.call('POST', `/v1/payments/${co.payment.id}/attempts`, {
      key: buy.key,
      body: { method: 'alipay', scene: 'qr' },
    });
    expect(alipay.status).toBe(201);
    await walletPay(h, 'alipay', alipay.body.action);
    await untilPaymentStatus(h, buy.key, co.payment.id, 'succeeded');
    expect((await walletPay(h, 'wechatpay', wechat.body.action)).status).toBe(200); // the buyer pays again
    h.sandboxes!.wechatpay.setFaults({ callError5xx: 0 }); // the gateway recovers; the refund is retried
    await h.advance(11_000);
    await until(
      h,
      async () =>
        (
          await h.db.query(
            `SELECT 1 FROM refunds WHERE attempt_id = $1 AND kind = 'duplicate_payment' AND status = 'succeeded'`,
            [wechat.body.id],
          )
        ).rows.length === 2,
      'both sub-orders refunded',
    );
    const view = await h.call('GET', `/v1/payments/${co.payment.id}`, { key: buy.key });
    expect(view.body.attempts.find((x: { id: string }) => x.id === wechat.body.id)).toMatchObject({
      status: 'closed',
      late_paid: true,
    });
    expect(view.body.attempts.find((x: { id: string }) => x.id === alipay.body.id).status).toBe('succeeded');
    for (const o of co.orders)
      expect((await h.call('GET', `/v1/orders/${o.id}`, { key: buy.key })).body).toMatchObject({
        status: 'paid',
        refunded_amount: 0,
      });
  });

  test('switching attempts closes the earlier order at WeChat Pay, which then cannot be paid', async () => {
    const { buy, co } = await twoMerchantCheckout(1400, 1500);
    const native = await h.call('POST', `/v1/payments/${co.payment.id}/attempts`, {
      key: buy.key,
      body: { method: 'wechatpay', scene: 'qr' },
    });
    const jsapi = await h.call('POST', `/v1/payments/${co.payment.id}/attempts`, {
      key: buy.key,
      body: { method: 'wechatpay', scene: 'jsapi' },
      headers: WECHAT,
    });
    await until(
      h,
      async () =>
        (await h.call('GET', `/v1/payments/${co.payment.id}`, { key: buy.key })).body.attempts.find(
          (x: { id: string }) => x.id === native.body.id,
        ).status === 'closed',
      'first attempt closed at the provider',
    );
    expect((await walletPay(h, 'wechatpay', native.body.action)).status).toBeGreaterThanOrEqual(400);
    await walletPay(h, 'wechatpay', jsapi.body.action);
    await untilPaymentStatus(h, buy.key, co.payment.id, 'succeeded');
  });
});
