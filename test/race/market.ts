// Paid orders for race tests, made through the public API and the sandbox wallet as a buyer would.
import { expect } from 'vitest';
import type { TestHutong } from '../helpers/hutong';
import { buyer, checkout, product, untilPaymentStatus, walletPay, type TestMerchant } from '../helpers/market';

export type Method = 'alipay' | 'wechatpay';

export interface PaidCheckout {
  buyer: { id: string; key: string };
  paymentId: string;
  attemptId: string;
  orders: Array<{ id: string; merchant_id: string; amount: number }>;
}

/** A checkout with one item per merchant at the given prices, paid with one method and recorded as succeeded. */
export async function paidCheckout(
  h: TestHutong,
  method: Method,
  lines: Array<{ merchant: TestMerchant; price: number }>,
): Promise<PaidCheckout> {
  const items = [];
  for (const line of lines)
    items.push({
      product_id: (await product(h, line.merchant, { price: line.price, fulfilment_type: 'express' })).id,
      quantity: 1,
    });
  const buy = await buyer(h);
  const co = await checkout(h, buy.key, items);
  const att = await h.call('POST', `/v1/payments/${co.payment.id}/attempts`, {
    key: buy.key,
    body: { method, scene: 'qr' },
  });
  expect(att.status).toBe(201);
  expect((await walletPay(h, method, att.body.action)).status).toBe(200);
  await untilPaymentStatus(h, buy.key, co.payment.id, 'succeeded');
  return { buyer: buy, paymentId: co.payment.id, attemptId: att.body.id, orders: co.orders };
}

export async function subMerchantId(h: TestHutong, merchantId: string, provider: Method): Promise<string> {
  const res = await h.call('GET', `/v1/merchants/${merchantId}/provider-accounts`, { key: h.opsKey });
  return res.body.data.find((x: { provider: string }) => x.provider === provider).sub_merchant_id;
}

export interface SandboxTrade {
  out_trade_no: string;
  total_amount?: number;
  refunded: number;
}

/** The provider's own record of one of its trades (Alipay 直付通 or WeChat Pay), by our out_trade_no. */
export async function sandboxTrade(
  h: TestHutong,
  provider: Method,
  merchantId: string,
  outTradeNo: string,
): Promise<SandboxTrade | undefined> {
  const books = await h.call(
    'GET',
    `/sandbox/${provider}/books/sub-merchants/${await subMerchantId(h, merchantId, provider)}`,
  );
  expect(books.status).toBe(200);
  return (books.body.trades as SandboxTrade[]).find((t) => t.out_trade_no === outTradeNo);
}

export async function outTradeNoOf(h: TestHutong, orderId: string): Promise<string> {
  const { rows } = await h.db.query<{ out_trade_no: string }>(
    'SELECT out_trade_no FROM attempt_orders WHERE order_id = $1 AND paid',
    [orderId],
  );
  expect(rows).toHaveLength(1);
  return rows[0]!.out_trade_no;
}
