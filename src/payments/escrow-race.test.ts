// Escrow releases driven by two workers on one PostgreSQL, and by a worker killed between the provider's share and
// Hutong's record of it: the commission booked is the one the provider shared, the ledger's invariants hold and
// each merchant's balances equal the sandbox's books.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHutong, type TestHutong } from '../../test/helpers/hutong';
import {
  buyer,
  checkout,
  enableWechatpay,
  payableMerchant,
  product,
  untilPaymentStatus,
  walletPay,
  type TestMerchant,
} from '../../test/helpers/market';
import { openPostgres, type Db } from '../shared/db';
import { EscrowReleases } from './escrow';
import { SWEEP_LEASE_MS } from '../ops/claims';

const COMMISSION_BP = 500; // the default category's rate
/** Sweep rounds before a test gives up (each round moves the clock past every retry delay). */
const ROUNDS_MAX = 20;
const CONCURRENT_SWEEPS = 8;

let h: TestHutong;
let m: TestMerchant;
const extraDbs: Db[] = [];

beforeAll(async () => {
  h = await startHutong();
  await enableWechatpay(h);
  m = await payableMerchant(h, 'Race shop', { wechatpay: true });
});
afterAll(async () => {
  for (const db of extraDbs) await db.close().catch(() => {});
  await h?.close();
});

/** A second worker: its own connection pool on the same database, its own claims. */
function otherWorker(): { escrow: EscrowReleases; db: Db } {
  const db = openPostgres(h.databaseUrl!, 5);
  extraDbs.push(db);
  const escrow = new EscrowReleases(
    { db, clock: h.clock, config: h.config, log: h.app.log, audit: h.audit },
    h.providers,
    (category, at) => h.ledger.commissionRate(category, at),
  );
  return { escrow, db };
}

/** Paid, shipped, settled at the provider and confirmed: an escrow release waits for a worker. */
async function completedOrder(method: 'wechatpay' | 'alipay', price: number): Promise<string> {
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
  expect((await h.call('POST', `/v1/orders/${orderId}/ship`, { key: m.key })).status).toBe(200);
  await h.advance(2_000); // past the sandboxes' settlement delay
  expect((await h.call('POST', `/v1/orders/${orderId}/confirm-receipt`, { key: buy.key })).body.status).toBe(
    'completed',
  );
  await h.outbox.run(); // order.completed schedules the release
  expect((await h.escrow.ofOrder(orderId))?.status).toBe('pending');
  return orderId;
}

const expected = (price: number) => Math.floor((price * COMMISSION_BP) / 10_000);

async function sharedAtProvider(orderId: string): Promise<{ state: string; sharedFen: number }> {
  const r = (await h.escrow.ofOrder(orderId))!;
  return h.providers.get(r.provider).escrow.queryShare({
    outOrderNo: r.out_order_no,
    outTradeNo: r.out_trade_no,
    subMerchantId: r.sub_merchant_id,
    transactionId: r.transaction_id,
  });
}

async function expectBooksAgree(): Promise<void> {
  await h.outbox.run();
  const invariants = await h.call('GET', '/v1/ledger/invariants', { key: h.opsKey });
  expect(invariants.status).toBe(200);
  const violated = invariants.body.invariants.filter((i: { violations: unknown[] }) => i.violations.length > 0);
  expect(violated).toEqual([]);
  expect(invariants.body.ok).toBe(true);
}

describe('escrow release with several workers', () => {
  test('two workers racing over the same releases book each commission once, as the provider shared it', async () => {
    const prices = { wechatpay: [2_990, 10_000], alipay: [4_321, 8_800] } as const;
    const orders: Array<{ id: string; price: number }> = [];
    for (const method of ['wechatpay', 'alipay'] as const) {
      for (const price of prices[method]) orders.push({ id: await completedOrder(method, price), price });
    }
    const second = otherWorker().escrow;
    for (let round = 0; round < ROUNDS_MAX; round++) {
      await Promise.all(Array.from({ length: CONCURRENT_SWEEPS }, (_, i) => (i % 2 === 0 ? h.escrow : second).sweep()));
      const released = await Promise.all(
        orders.map(async (o) => (await h.escrow.ofOrder(o.id))?.status === 'released'),
      );
      if (released.every(Boolean)) break;
      await h.advance(6 * 60_000); // past any retry delay (a share still processing, not settled yet)
    }
    for (const o of orders) {
      const release = (await h.escrow.ofOrder(o.id))!;
      expect(release.status).toBe('released');
      expect(release.commission).toBe(expected(o.price));
      expect((await sharedAtProvider(o.id)).sharedFen).toBe(expected(o.price));
    }
    const entries = await h.call('GET', `/v1/ledger/entries?order_id=${orders[0]!.id}`, { key: h.opsKey });
    expect(entries.body.data.filter((e: { cause: string }) => e.cause === 'escrow.released')).toHaveLength(1);
    await expectBooksAgree();
  });

  test.each(['wechatpay', 'alipay'] as const)(
    '%s: a worker killed between the share and its record; the next one books the shared commission',
    async (method) => {
      const price = 7_777;
      const orderId = await completedOrder(method, price);
      const doomed = otherWorker();
      // The "kill": the worker's connections die right after the provider shared, before anything is recorded.
      doomed.escrow.hooks.afterShare = async () => {
        await doomed.db.close();
        throw new Error('worker killed');
      };
      await doomed.escrow.sweep();
      const left = (await h.escrow.ofOrder(orderId))!;
      expect(left.status).toBe('processing');
      expect(await sharedAtProvider(orderId)).toEqual({ state: 'finished', sharedFen: expected(price) });

      // Its lease still stands: another worker leaves the row alone until it runs out.
      const next = otherWorker().escrow;
      await next.sweep();
      expect((await h.escrow.ofOrder(orderId))!.status).toBe('processing');

      await h.advance(SWEEP_LEASE_MS + 1_000);
      for (let round = 0; round < ROUNDS_MAX && (await h.escrow.ofOrder(orderId))!.status !== 'released'; round++) {
        await next.sweep();
        await h.advance(6 * 60_000);
      }
      const release = (await h.escrow.ofOrder(orderId))!;
      expect(release.status).toBe('released');
      expect(release.commission).toBe(expected(price));
      await expectBooksAgree();
    },
  );
});
