// Payable shops for the browser tests, set up as an operator would: merchants and products through the API,
// Alipay onboarded automatically (the worker follows the application), and WeChat Pay by linking a sub-merchant
// that exists at the sandbox (made through Hutong's own adapter and the sandbox's applyment API).
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { TestHutong } from '../../test/helpers/hutong';
import { merchant, until } from '../../test/helpers/market';
import { testApplication } from '../onboarding/testing';

export interface TestShop {
  id: string;
  key: string;
  name: string;
  products: Array<{ id: string; name: string; price: number }>;
}

const ONBOARDING_POLLS_MAX = 100;

async function accountActive(h: TestHutong, merchantId: string, provider: 'alipay' | 'wechatpay'): Promise<boolean> {
  const res = await h.call('GET', `/v1/merchants/${merchantId}/provider-accounts`, { key: h.opsKey });
  return (res.body.data as Array<{ provider: string; status: string }>).some(
    (a) => a.provider === provider && a.status === 'active',
  );
}

/** A WeChat Pay 二级商户 created at the sandbox through its applyment API, as one onboarded elsewhere would be. */
export async function sandboxSubMchid(h: TestHutong, name: string): Promise<string> {
  const adapter = h.providers.get('wechatpay');
  const outRequestNo = `web${randomBytes(8).toString('hex')}`;
  let status = await adapter.submitOnboarding(await testApplication(adapter, outRequestNo, name));
  for (let i = 0; i < ONBOARDING_POLLS_MAX && status.state !== 'finished'; i++) {
    expect(['checking', 'auditing', 'need_sign']).toContain(status.state);
    await new Promise((r) => setTimeout(r, 100));
    status = await adapter.queryOnboarding(outRequestNo);
  }
  expect(status.state).toBe('finished');
  return status.subMerchantId!;
}

export async function linkWechatpay(h: TestHutong, merchantId: string, name: string): Promise<void> {
  const linked = await h.call('PUT', `/v1/merchants/${merchantId}/provider-accounts/wechatpay`, {
    key: h.opsKey,
    body: { sub_mchid: await sandboxSubMchid(h, name) },
  });
  expect(linked.status).toBe(200);
  expect(linked.body.status).toBe('active');
}

export async function shop(
  h: TestHutong,
  name: string,
  products: Array<[string, number]>,
  opts: { wechatpay?: boolean } = {},
): Promise<TestShop> {
  const m = await merchant(h, name);
  const made: TestShop['products'] = [];
  for (const [productName, price] of products) {
    const res = await h.call('POST', '/v1/products', { key: m.key, body: { name: productName, price, stock: 50 } });
    expect(res.status).toBe(201);
    made.push({ id: res.body.id, name: productName, price });
  }
  await until(h, () => accountActive(h, m.id, 'alipay'), `alipay onboarding of ${name}`);
  if (opts.wechatpay) await linkWechatpay(h, m.id, name);
  return { id: m.id, key: m.key, name, products: made };
}

/** WeChat Pay starts disabled in the catalogue; the operator turns it on. */
export async function enableWechatpay(h: TestHutong): Promise<void> {
  const res = await h.call('PATCH', '/v1/payment-methods/wechatpay', { key: h.opsKey, body: { enabled: true } });
  expect(res.status).toBe(200);
  expect(res.body.enabled).toBe(true);
}

/** A checkout the buyer pays with Alipay through the API and the sandbox wallet (no browser). */
export async function paidCheckout(
  h: TestHutong,
  buyerKey: string,
  items: Array<{ product_id: string; quantity: number }>,
): Promise<string[]> {
  const checkout = await h.call('POST', '/v1/orders', { key: buyerKey, body: { items } });
  expect(checkout.status).toBe(201);
  const paymentId: string = checkout.body.payment.id;
  const attempt = await h.call('POST', `/v1/payments/${paymentId}/attempts`, {
    key: buyerKey,
    body: { method: 'alipay' },
  });
  expect(attempt.status).toBe(201);
  const action = attempt.body.action as { url?: string; code_url?: string };
  const paid = await h.call('POST', '/sandbox/alipay/wallet/pay', { body: { url: action.url ?? action.code_url } });
  expect(paid.status).toBe(200);
  await until(
    h,
    async () => (await h.call('GET', `/v1/payments/${paymentId}`, { key: buyerKey })).body.status === 'succeeded',
    'the payment',
  );
  return checkout.body.orders.map((o: { id: string }) => o.id);
}

/** The order as the platform sees it (ops key). */
export async function orderStatus(h: TestHutong, orderId: string): Promise<string> {
  const res = await h.call('GET', `/v1/orders/${orderId}`, { key: h.opsKey });
  expect(res.status).toBe(200);
  return res.body.status;
}
