// Small builders for tests: merchants, products and buyers made through the public API, as a user would.
import { expect } from 'vitest';
import type { TestHutong } from './hutong';

export interface TestMerchant {
  id: string;
  key: string;
}

export async function merchant(
  h: TestHutong,
  name = 'Shop',
  extra: Record<string, unknown> = {},
): Promise<TestMerchant> {
  const created = await h.call('POST', '/v1/merchants', { key: h.opsKey, body: { name, ...extra } });
  expect(created.status).toBe(201);
  const key = await h.call('POST', `/v1/merchants/${created.body.id}/api-keys`, { key: h.opsKey });
  expect(key.status).toBe(201);
  return { id: created.body.id, key: key.body.key };
}

export async function product(
  h: TestHutong,
  m: TestMerchant,
  body: Record<string, unknown> = {},
): Promise<{ id: string; price: number }> {
  const res = await h.call('POST', '/v1/products', {
    key: m.key,
    body: { name: 'Thing', price: 1000, stock: 100, ...body },
  });
  expect(res.status).toBe(201);
  return res.body;
}

const storefrontKeys = new WeakMap<TestHutong, Promise<string>>();

/** The test server's storefront publishable key (made once per server by ops, as a deployment would). */
export function publishableKey(h: TestHutong): Promise<string> {
  let key = storefrontKeys.get(h);
  if (!key) {
    key = h.call('POST', '/v1/publishable-keys', { key: h.opsKey, body: { name: 'test storefront' } }).then((res) => {
      expect(res.status).toBe(201);
      return res.body.key as string;
    });
    storefrontKeys.set(h, key);
  }
  return key;
}

/** A guest buyer, signed up as a storefront does: with the publishable key. */
export async function buyer(h: TestHutong, name = 'Buyer'): Promise<{ id: string; key: string }> {
  const res = await h.call('POST', '/v1/buyers', { key: await publishableKey(h), body: { name } });
  expect(res.status).toBe(201);
  return res.body;
}

/** Runs the worker until the condition holds (bounded), e.g. an onboarding reaching active. */
export async function until(
  h: TestHutong,
  condition: () => Promise<boolean>,
  what: string,
  roundsMax = 200,
): Promise<void> {
  for (let i = 0; i < roundsMax; i++) {
    if (await condition()) return;
    await h.worker.runOnce();
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function accountActive(h: TestHutong, merchantId: string, provider: string): Promise<boolean> {
  const res = await h.call('GET', `/v1/merchants/${merchantId}/provider-accounts`, { key: h.opsKey });
  return res.body.data.some(
    (a: { provider: string; status: string }) => a.provider === provider && a.status === 'active',
  );
}

/**
 * A merchant that can be paid: its Alipay 直付通 sub-merchant is onboarded (automatic on creation) and, when asked,
 * a WeChat Pay 二级商户 applied for through the platform's applyment API — both approved by the sandboxes.
 */
export async function payableMerchant(
  h: TestHutong,
  name = 'Shop',
  opts: { wechatpay?: boolean } = {},
): Promise<TestMerchant> {
  const m = await merchant(h, name);
  if (opts.wechatpay) await h.accounts.apply(m.id, 'wechatpay');
  await until(h, () => accountActive(h, m.id, 'alipay'), `alipay onboarding of ${m.id}`);
  if (opts.wechatpay) await until(h, () => accountActive(h, m.id, 'wechatpay'), `wechatpay onboarding of ${m.id}`);
  return m;
}

export async function enableWechatpay(h: TestHutong): Promise<void> {
  const res = await h.call('PATCH', '/v1/payment-methods/wechatpay', { key: h.opsKey, body: { enabled: true } });
  expect(res.status).toBe(200);
}

export async function checkout(
  h: TestHutong,
  buyerKey: string,
  items: Array<{ product_id: string; quantity: number }>,
  headers: Record<string, string> = {},
) {
  const res = await h.call('POST', '/v1/orders', { key: buyerKey, body: { items }, headers });
  expect(res.status).toBe(201);
  return res.body as {
    orders: Array<{ id: string; merchant_id: string; amount: number }>;
    payment: { id: string; amount: number; methods: Array<{ method: string; available: boolean; reason?: string }> };
  };
}

/** The sandbox wallet pays whatever the attempt asked the buyer to do. */
export async function walletPay(
  h: TestHutong,
  method: string,
  action: { type: string; code_url?: string; url?: string; params?: Record<string, string> },
) {
  const body =
    action.type === 'qr'
      ? { code_url: action.code_url }
      : action.type === 'redirect'
        ? { url: action.url }
        : { prepay_id: action.params!.package!.replace('prepay_id=', '') };
  return h.call('POST', `/sandbox/${method}/wallet/pay`, { body });
}

export async function paymentStatus(h: TestHutong, key: string, paymentId: string): Promise<string> {
  return (await h.call('GET', `/v1/payments/${paymentId}`, { key })).body.status;
}

/** Waits (driving the worker) until the payment reaches a status: notifications arrive over real HTTP. */
export async function untilPaymentStatus(h: TestHutong, key: string, paymentId: string, status: string): Promise<void> {
  await until(h, async () => (await paymentStatus(h, key, paymentId)) === status, `payment ${paymentId} ${status}`);
}
