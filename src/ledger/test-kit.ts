// Test helpers for the ledger's reconciliation and invariant tests: orders paid, refunded and released through
// the public API against the in-process sandboxes, and the clock moved to a chosen Asia/Shanghai time.
import { expect } from 'vitest';
import type { TestHutong } from '../../test/helpers/hutong';
import {
  buyer,
  checkout,
  product,
  until,
  untilPaymentStatus,
  walletPay,
  type TestMerchant,
} from '../../test/helpers/market';
import { shanghaiDate } from './bill-day';

export type Method = 'wechatpay' | 'alipay';

const DAY_MS = 86_400_000;
const SHANGHAI_OFFSET_MS = 8 * 3_600_000;

/** Moves Hutong's and both sandboxes' clocks forward to the next time the Shanghai clock reads `msIntoDay`. */
export async function advanceToShanghaiTime(h: TestHutong, msIntoDay: number): Promise<void> {
  const now = h.clock.now().getTime() + SHANGHAI_OFFSET_MS;
  let wait = msIntoDay - (now % DAY_MS);
  if (wait <= 0) wait += DAY_MS;
  await h.advance(Math.ceil(wait));
}

/** A fresh bill day: tomorrow, 10:00 in Shanghai. */
export async function nextBillDay(h: TestHutong): Promise<string> {
  await advanceToShanghaiTime(h, 10 * 3_600_000);
  return shanghaiDate(h.clock.now());
}

export interface PaidOrder {
  orderId: string;
  buyerKey: string;
  outTradeNo: string;
}

/** Checkout, attempt and wallet payment; returns once the payment succeeded (and the ledger posted it). */
export async function paidOrder(h: TestHutong, m: TestMerchant, method: Method, price: number): Promise<PaidOrder> {
  const p = await product(h, m, { price, fulfilment_type: 'express' });
  const buy = await buyer(h);
  const co = await checkout(h, buy.key, [{ product_id: p.id, quantity: 1 }]);
  const att = await h.call('POST', `/v1/payments/${co.payment.id}/attempts`, {
    key: buy.key,
    body: { method, scene: 'qr' },
  });
  expect(att.status).toBe(201);
  expect((await walletPay(h, method, att.body.action)).status).toBe(200);
  await untilPaymentStatus(h, buy.key, co.payment.id, 'succeeded');
  const orderId = co.orders[0]!.id;
  return { orderId, buyerKey: buy.key, outTradeNo: await tradeRefOf(h, orderId) };
}

export async function tradeRefOf(h: TestHutong, orderId: string): Promise<string> {
  await h.outbox.run();
  const entries = await h.call('GET', `/v1/ledger/entries?order_id=${orderId}`, { key: h.opsKey });
  return entries.body.data.find((e: { cause: string }) => e.cause === 'payment.sub_order_paid').trade_ref;
}

/** A partial refund, driven until the order shows it refunded; returns the refund id (= out_refund_no). */
export async function refunded(h: TestHutong, m: TestMerchant, orderId: string, amount: number): Promise<string> {
  const before = (await h.call('GET', `/v1/orders/${orderId}`, { key: m.key })).body.refunded_amount as number;
  const res = await h.call('POST', `/v1/orders/${orderId}/refunds`, { key: m.key, body: { amount } });
  expect(res.status).toBe(201);
  await until(
    h,
    async () => (await h.call('GET', `/v1/orders/${orderId}`, { key: m.key })).body.refunded_amount === before + amount,
    `refund of ${orderId}`,
  );
  await h.outbox.run();
  return res.body.id;
}

/** Ship, let the provider settle the payment, confirm receipt: the commission is shared and the rest released. */
export async function released(
  h: TestHutong,
  m: TestMerchant,
  order: PaidOrder,
): Promise<{ outOrderNo: string; commission: number }> {
  expect((await h.call('POST', `/v1/orders/${order.orderId}/ship`, { key: m.key })).status).toBe(200);
  await h.advance(2_000); // past the sandboxes' settlement delay
  expect(
    (await h.call('POST', `/v1/orders/${order.orderId}/confirm-receipt`, { key: order.buyerKey })).body.status,
  ).toBe('completed');
  await until(
    h,
    async () => (await h.escrow.ofOrder(order.orderId))?.status === 'released',
    `release of ${order.orderId}`,
  );
  await h.outbox.run();
  const release = (await h.escrow.ofOrder(order.orderId))!;
  return { outOrderNo: release.out_order_no, commission: release.commission ?? 0 };
}

export async function reconcile(h: TestHutong, provider: Method, date: string) {
  const res = await h.call('POST', '/v1/reconciliations', { key: h.opsKey, body: { provider, date } });
  expect(res.status).toBe(201);
  return res.body as {
    id: string;
    status: string;
    matched: number;
    mismatches: Array<Record<string, unknown>>;
    bills: Array<{ bill: string; lines: number; matched: number }>;
    error: string | null;
  };
}

export async function subMerchantOf(h: TestHutong, m: TestMerchant, provider: Method): Promise<string> {
  const res = await h.call('GET', `/v1/merchants/${m.id}/provider-accounts`, { key: h.opsKey });
  return res.body.data.find((x: { provider: string }) => x.provider === provider).sub_merchant_id;
}

export async function setSandboxFaults(
  h: TestHutong,
  provider: Method,
  faults: Record<string, unknown>,
): Promise<void> {
  const res = await h.call('PUT', `/sandbox/${provider}/faults`, { body: faults });
  expect(res.status).toBe(200);
}
