// The ledger mirrors what each provider holds, entry by entry: payment into escrow (fee booked), release on
// receipt (commission shared, rest available), refunds before and after release. Checked against the sandboxes.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHutong, type TestHutong } from '../../test/helpers/hutong';
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

let h: TestHutong;
let m: TestMerchant;
beforeAll(async () => {
  h = await startHutong();
  await enableWechatpay(h);
  m = await payableMerchant(h, 'Ledger shop', { wechatpay: true });
});
afterAll(async () => {
  await h?.close();
});

async function subMerchantId(provider: string): Promise<string> {
  const res = await h.call('GET', `/v1/merchants/${m.id}/provider-accounts`, { key: h.opsKey });
  return res.body.data.find((x: { provider: string }) => x.provider === provider).sub_merchant_id;
}

async function providerBooks(provider: string) {
  return (await h.call('GET', `/sandbox/${provider}/books/sub-merchants/${await subMerchantId(provider)}`)).body as {
    frozen: number;
    available: number;
  };
}

async function ledgerBalance(provider: string) {
  await h.outbox.run();
  const res = await h.call('GET', `/v1/merchants/${m.id}/balance`, { key: m.key });
  return res.body.balances.find((b: { provider: string }) => b.provider === provider) as {
    frozen: number;
    available: number;
  };
}

async function paidOrder(method: 'wechatpay' | 'alipay', price: number) {
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
  return { buy, orderId: co.orders[0]!.id };
}

async function expectMirrors(provider: 'wechatpay' | 'alipay') {
  const [mine, theirs] = [await ledgerBalance(provider), await providerBooks(provider)];
  expect({ frozen: mine.frozen, available: mine.available }).toEqual({
    frozen: theirs.frozen,
    available: theirs.available,
  });
  const trial = await h.call('GET', '/v1/ledger/trial-balance', { key: h.opsKey });
  expect(trial.body.balanced).toBe(true);
}

describe.each(['wechatpay', 'alipay'] as const)('%s escrow in the ledger', (method) => {
  test('payment → frozen net of the fee; receipt → commission shared, the rest available; refunds return the commission first', async () => {
    const { buy, orderId } = await paidOrder(method, 10_000);
    await expectMirrors(method);
    const fees = await h.call('GET', `/v1/ledger/entries?order_id=${orderId}`, { key: h.opsKey });
    const paidEntry = fees.body.data.find((e: { cause: string }) => e.cause === 'payment.sub_order_paid');
    expect(paidEntry.postings).toEqual(
      expect.arrayContaining([
        { account: `provider:${method}:fees`, amount: 60 },
        { account: 'buyers', amount: -10_000 },
      ]),
    );

    // A partial refund before release comes out of escrow.
    expect(
      (await h.call('POST', `/v1/orders/${orderId}/refunds`, { key: m.key, body: { amount: 2_000 } })).status,
    ).toBe(201);
    await until(
      h,
      async () => (await h.call('GET', `/v1/orders/${orderId}`, { key: m.key })).body.refunded_amount === 2_000,
      'refund before release',
    );
    await expectMirrors(method);

    await h.call('POST', `/v1/orders/${orderId}/ship`, { key: m.key });
    await h.advance(2_000); // past the sandboxes' settlement delay
    expect((await h.call('POST', `/v1/orders/${orderId}/confirm-receipt`, { key: buy.key })).body.status).toBe(
      'completed',
    );
    await until(h, async () => (await h.escrow.ofOrder(orderId))?.status === 'released', 'escrow released');
    const release = await h.escrow.ofOrder(orderId);
    expect(release!.commission).toBe(400); // 5% of (10000 − 2000)
    await expectMirrors(method);

    // After release: the commission comes back in proportion, then the refund leaves the available money.
    expect(
      (await h.call('POST', `/v1/orders/${orderId}/refunds`, { key: m.key, body: { amount: 4_000 } })).status,
    ).toBe(201);
    await until(
      h,
      async () => (await h.call('GET', `/v1/orders/${orderId}`, { key: m.key })).body.refunded_amount === 6_000,
      'refund after release',
    );
    await h.outbox.run();
    const commission = (await h.call('GET', '/v1/ledger/trial-balance', { key: h.opsKey })).body.accounts.find(
      (a: { account: string }) => a.account === `provider:${method}:platform:commission`,
    );
    expect(commission.balance).toBeGreaterThan(0);
    await expectMirrors(method);
    expect((await h.call('GET', `/v1/orders/${orderId}`, { key: m.key })).body.status).toBe('completed');
  });
});
