// A background row that keeps failing backs off, never holds up the others, and after SWEEP_TRIES_MAX tries lands in
// the stuck list ops see (GET /v1/ops/stuck) and can put back (POST /v1/ops/stuck/{kind}/{id}/retry).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHutong, type TestHutong } from '../../test/helpers/hutong';
import {
  buyer,
  checkout,
  payableMerchant,
  product,
  untilPaymentStatus,
  walletPay,
  type TestMerchant,
} from '../../test/helpers/market';
import { SWEEP_BACKOFF_MAX_MS, SWEEP_TRIES_MAX, backoffMs } from './claims';

let h: TestHutong;
let m: TestMerchant;

beforeAll(async () => {
  h = await startHutong();
  m = await payableMerchant(h, 'Stuck shop');
});
afterAll(async () => {
  await h?.close();
});

/** Paid, shipped and past the settlement delay; confirming receipt (which schedules the release) is left to the test. */
async function shippedOrder(price: number): Promise<{ orderId: string; buyerKey: string }> {
  const p = await product(h, m, { price, fulfilment_type: 'express' });
  const buy = await buyer(h);
  const co = await checkout(h, buy.key, [{ product_id: p.id, quantity: 1 }]);
  const att = await h.call('POST', `/v1/payments/${co.payment.id}/attempts`, {
    key: buy.key,
    body: { method: 'alipay', scene: 'qr' },
  });
  expect((await walletPay(h, 'alipay', att.body.action)).status).toBe(200);
  await untilPaymentStatus(h, buy.key, co.payment.id, 'succeeded');
  const orderId = co.orders[0]!.id;
  await h.call('POST', `/v1/orders/${orderId}/ship`, { key: m.key });
  await h.advance(2_000);
  return { orderId, buyerKey: buy.key };
}

async function confirm(o: { orderId: string; buyerKey: string }): Promise<void> {
  expect((await h.call('POST', `/v1/orders/${o.orderId}/confirm-receipt`, { key: o.buyerKey })).body.status).toBe(
    'completed',
  );
}

async function stuck(): Promise<Array<{ kind: string; id: string; failures: number; last_error: string | null }>> {
  const res = await h.call('GET', '/v1/ops/stuck', { key: h.opsKey });
  expect(res.status).toBe(200);
  return res.body.data;
}

describe('the stuck list', () => {
  test('backoff grows and is capped', () => {
    expect([1, 2, 3].map((n) => backoffMs(n))).toEqual([1_000, 2_000, 4_000]);
    expect(backoffMs(50)).toBe(SWEEP_BACKOFF_MAX_MS);
  });

  test('a release the provider keeps refusing is set aside after its tries; the others are released; ops retry it', async () => {
    const shipped = [await shippedOrder(5_000), await shippedOrder(6_000)];
    for (const o of shipped) await confirm(o);
    await h.outbox.run(); // order.completed schedules the releases
    const [bad, good] = shipped.map((o) => o.orderId) as [string, string];
    // The provider does not know this trade (a corrupted reference): every try fails.
    const original = (await h.escrow.ofOrder(bad))!.transaction_id;
    await h.db.query(`UPDATE escrow_releases SET transaction_id = '2099010122001499999999999999' WHERE order_id = $1`, [
      bad,
    ]);

    await h.escrow.sweep();
    expect((await h.escrow.ofOrder(good))!.status).toBe('released'); // in the same sweep as the failing one
    const claim = await h.db.query<{ failures: number; next_try_at: Date; failed_at: Date }>(
      `SELECT failures, next_try_at, failed_at FROM sweep_claims WHERE kind = 'escrow_release' AND id = $1`,
      [bad],
    );
    expect(claim.rows[0]!.failures).toBe(1);
    expect(claim.rows[0]!.next_try_at.getTime() - claim.rows[0]!.failed_at.getTime()).toBe(backoffMs(1)); // backing off

    for (let i = 1; i < SWEEP_TRIES_MAX; i++) {
      expect(await stuck()).toEqual([]);
      await h.advance(SWEEP_BACKOFF_MAX_MS);
      await h.escrow.sweep();
    }
    const list = await stuck();
    expect(list).toEqual([expect.objectContaining({ kind: 'escrow_release', id: bad, failures: SWEEP_TRIES_MAX })]);
    expect(list[0]!.last_error).toContain('trade_not_found');
    // Dead: later sweeps leave it alone.
    await h.advance(SWEEP_BACKOFF_MAX_MS);
    await h.escrow.sweep();
    expect((await stuck())[0]!.failures).toBe(SWEEP_TRIES_MAX);

    const merchantLook = await h.call('GET', '/v1/ops/stuck', { key: m.key });
    expect(merchantLook.status).toBe(403);
    expect((await h.call('POST', '/v1/ops/stuck/nonsense/x/retry', { key: h.opsKey })).status).toBe(422);

    // Ops repair the cause and put the row back.
    await h.db.query('UPDATE escrow_releases SET transaction_id = $2 WHERE order_id = $1', [bad, original]);
    const retried = await h.call('POST', `/v1/ops/stuck/escrow_release/${bad}/retry`, { key: h.opsKey });
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ kind: 'escrow_release', id: bad, failures: 0, dead_at: null });
    expect(await stuck()).toEqual([]);
    await h.advance(6 * 60_000); // past the release's own retry delay
    await h.escrow.sweep();
    const release = (await h.escrow.ofOrder(bad))!;
    expect(release.status).toBe('released');
    expect(release.commission).toBe(250);
    expect((await h.call('POST', `/v1/ops/stuck/escrow_release/${bad}/retry`, { key: h.opsKey })).body.error.code).toBe(
      'not_found',
    );
  });

  test('a dead outbox event is listed with them and put back in line by its retry', async () => {
    const key = `pay_stuck_${Date.now().toString(36)}`;
    await h.db.query('INSERT INTO outbox_streams (ordering_key, last_seq) VALUES ($1, 1)', [key]);
    await h.db.query(
      `INSERT INTO outbox (topic, aggregate_id, ordering_key, seq, payload, created_at) VALUES ('payment.teleported', 'x', $1, 1, $2, now())`,
      [key, JSON.stringify({ payment_id: key })],
    );
    await h.outbox.run();
    const dead = (await stuck()).find((r) => r.kind === 'outbox');
    expect(dead).toMatchObject({
      kind: 'outbox',
      topic: 'payment.teleported',
      ordering_key: key,
      last_error: 'unknown topic payment.teleported',
    });
    const retried = await h.call('POST', `/v1/ops/stuck/outbox/${(dead as { id: string }).id}/retry`, {
      key: h.opsKey,
    });
    expect(retried.status).toBe(200);
    expect(
      (await h.db.query<{ state: string }>('SELECT state FROM outbox WHERE ordering_key = $1', [key])).rows[0]!.state,
    ).toBe('pending');
    expect((await h.call('POST', '/v1/ops/stuck/outbox/999999999/retry', { key: h.opsKey })).status).toBe(404);
  });
});
