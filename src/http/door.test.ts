// The idempotent door (shared/door.ts, http/idempotency.ts) on real PostgreSQL with the sandboxes over real HTTP:
// every API POST route goes through it, 64 clients with one key get one execution, a retry after a crash between
// the commit and the reply replays instead of paying out again, and the scope is the route template.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHutong, type CallResult, type TestHutong } from '../../test/helpers/hutong';
import {
  buyer,
  checkout,
  enableWechatpay,
  payableMerchant,
  product,
  until,
  walletPay,
  type TestMerchant,
} from '../../test/helpers/market';
import { paidOrder, setSandboxFaults, type PaidOrder } from '../ledger/test-kit';
import { doorRoutes } from './idempotency';
import { RECOVER_AFTER_MS } from '../shared/door';
import { fen } from '../shared/money';

const RACERS = 64;

let h: TestHutong;
let m: TestMerchant;
beforeAll(async () => {
  h = await startHutong();
  await enableWechatpay(h);
  m = await payableMerchant(h);
}, 300_000); // a loaded machine starts Hutong, both sandboxes and an onboarded merchant slowly
afterAll(async () => {
  await h?.close();
});

let keySeq = 0;
const newKey = () => `door-${Date.now()}-${++keySeq}`;

async function refundCount(orderId: string): Promise<number> {
  return (await h.db.query<{ n: number }>('SELECT count(*)::int AS n FROM refunds WHERE order_id = $1', [orderId]))
    .rows[0]!.n;
}

/** What the provider still holds of the trade: the price less every refund it executed. */
async function unsplitAtProvider(order: PaidOrder, price: number): Promise<number> {
  const t = (
    await h.db.query<{ sub_merchant_id: string; transaction_id: string }>(
      'SELECT sub_merchant_id, transaction_id FROM attempt_orders WHERE out_trade_no = $1',
      [order.outTradeNo],
    )
  ).rows[0]!;
  return h.providers.get('alipay').escrow.queryUnsplit({
    outTradeNo: order.outTradeNo,
    subMerchantId: t.sub_merchant_id,
    transactionId: t.transaction_id,
    amountFen: fen(price),
  });
}

async function invariantsHold(): Promise<void> {
  await h.outbox.run();
  const check = await h.call('GET', '/v1/ledger/invariants', { key: h.opsKey });
  expect(check.body.invariants.filter((i: { violations: unknown[] }) => i.violations.length > 0)).toEqual([]);
}

describe('every API POST route goes through the door', () => {
  // Method: call every POST route of the route table once with an Idempotency-Key, then again with the same key and
  // body. The second answer must be the first one replayed (same status and body, marked replayed), and the record
  // must carry the effect's result — written by writeOnce inside the effect's transaction, not after the reply.
  test('each route replays its first answer and its record was written with the effect', async () => {
    const exercised = new Map<string, CallResult>();
    const twice = async (
      route: string,
      method: string,
      path: string,
      key: string | undefined,
      body?: unknown,
    ): Promise<CallResult> => {
      const headers = { 'idempotency-key': newKey() };
      const first = await h.call(method, path, { key, body, headers });
      expect(first.status, `${route}: ${JSON.stringify(first.body)}`).toBeLessThan(300);
      const second = await h.call(method, path, { key, body, headers });
      expect([second.status, second.body, second.headers.get('idempotent-replayed')], route).toEqual([
        first.status,
        first.body,
        'true',
      ]);
      const record = await h.db.query<{ result: string | null; response_status: number | null }>(
        'SELECT result, response_status FROM idempotency_records WHERE route = $1 ORDER BY created_at DESC LIMIT 1',
        [route],
      );
      expect(record.rows[0]?.result, `${route} wrote no record inside its effect`).not.toBeNull();
      expect(record.rows[0]?.response_status).toBe(first.status);
      exercised.set(route, first);
      return first;
    };
    const ops = h.opsKey;
    const shop = (await twice('/v1/merchants', 'POST', '/v1/merchants', ops, { name: 'Door shop' })).body;
    const shopKey = (await twice('/v1/merchants/:id/api-keys', 'POST', `/v1/merchants/${shop.id}/api-keys`, ops)).body;
    await twice('/v1/api-keys/:id/rotate', 'POST', `/v1/api-keys/${shopKey.id}/rotate`, ops, { overlap_seconds: 60 });
    const storefront = (
      await twice('/v1/publishable-keys', 'POST', '/v1/publishable-keys', ops, { name: 'door storefront' })
    ).body;
    const p = (
      await twice('/v1/products', 'POST', '/v1/products', m.key, {
        name: 'Door product',
        price: 1_000,
        stock: 100,
        fulfilment_type: 'express',
      })
    ).body;
    const room = (await twice('/v1/live-rooms', 'POST', '/v1/live-rooms', m.key, { title: 'Door room' })).body;
    await twice('/v1/live-rooms/:id/sessions', 'POST', `/v1/live-rooms/${room.id}/sessions`, m.key, {
      host: 'h',
      starts_at: '2026-01-01T00:00:00Z',
      ends_at: '2026-01-02T00:00:00Z',
      featured_product_ids: [p.id],
    });
    const b = (await twice('/v1/buyers', 'POST', '/v1/buyers', storefront.key, { name: 'Door buyer' })).body;
    const co = (await twice('/v1/orders', 'POST', '/v1/orders', b.key, { items: [{ product_id: p.id, quantity: 1 }] }))
      .body;
    const att = (
      await twice('/v1/payments/:id/attempts', 'POST', `/v1/payments/${co.payment.id}/attempts`, b.key, {
        method: 'alipay',
        scene: 'qr',
      })
    ).body;
    expect((await walletPay(h, 'alipay', att.action)).status).toBe(200);
    const orderId = co.orders[0].id;
    await until(
      h,
      async () => (await h.call('GET', `/v1/orders/${orderId}`, { key: b.key })).body.status === 'paid',
      'order paid',
    );
    const rr1 = (
      await twice('/v1/orders/:id/refund-requests', 'POST', `/v1/orders/${orderId}/refund-requests`, b.key, {
        amount: 100,
        reason: 'dent',
      })
    ).body;
    await twice('/v1/refund-requests/:id/decline', 'POST', `/v1/refund-requests/${rr1.id}/decline`, m.key, {
      reason: 'no dent',
    });
    const rr2 = (
      await h.call('POST', `/v1/orders/${orderId}/refund-requests`, {
        key: b.key,
        body: { amount: 100, reason: 'dent again' },
      })
    ).body;
    await twice('/v1/refund-requests/:id/approve', 'POST', `/v1/refund-requests/${rr2.id}/approve`, m.key);
    await twice('/v1/orders/:id/refunds', 'POST', `/v1/orders/${orderId}/refunds`, m.key, { amount: 50 });
    await twice('/v1/orders/:id/ship', 'POST', `/v1/orders/${orderId}/ship`, m.key);
    await twice('/v1/orders/:id/extend-confirm', 'POST', `/v1/orders/${orderId}/extend-confirm`, b.key);
    await until(
      h,
      async () =>
        (
          await h.db.query('SELECT 1 FROM refunds WHERE order_id = $1 AND status IN ($2, $3)', [
            orderId,
            'pending',
            'processing',
          ])
        ).rowCount === 0,
      'refunds settle',
    );
    await twice('/v1/orders/:id/confirm-receipt', 'POST', `/v1/orders/${orderId}/confirm-receipt`, b.key);
    const unpaid = (
      await h.call('POST', '/v1/orders', { key: b.key, body: { items: [{ product_id: p.id, quantity: 1 }] } })
    ).body;
    await twice('/v1/orders/:id/cancel', 'POST', `/v1/orders/${unpaid.orders[0].id}/cancel`, b.key);
    const wave = (
      await twice('/v1/rollout-waves', 'POST', '/v1/rollout-waves', ops, {
        method: 'wechatpay',
        name: 'door wave',
        merchant_ids: [m.id],
      })
    ).body;
    await twice('/v1/rollout-waves/:id/invite', 'POST', `/v1/rollout-waves/${wave.id}/invite`, ops);
    await twice('/v1/rollout-waves/:id/launch', 'POST', `/v1/rollout-waves/${wave.id}/launch`, ops);
    await twice('/v1/rollout-waves/:id/pause', 'POST', `/v1/rollout-waves/${wave.id}/pause`, ops);
    await twice('/v1/rollout-waves/:id/resume', 'POST', `/v1/rollout-waves/${wave.id}/resume`, ops);
    await twice(
      '/v1/merchants/:id/payment-methods/:method/accept',
      'POST',
      `/v1/merchants/${m.id}/payment-methods/wechatpay/accept`,
      m.key,
      { agreement_version: '2026-11' },
    );
    await twice('/v1/commission-rates', 'POST', '/v1/commission-rates', ops, {
      category: 'door',
      rate_bp: 500,
      effective_from: '2026-01-01T00:00:00Z',
    });
    await twice('/v1/reconciliations', 'POST', '/v1/reconciliations', ops, { provider: 'alipay', date: '2026-01-01' });
    await h.db.query(
      `INSERT INTO sweep_claims (kind, id, owner, lease_until, next_try_at, failures, last_error, failed_at, dead_at) VALUES ('refund', 'rfd_door', 'x', now(), now(), 16, 'e', now(), now())`,
    );
    await twice('/v1/ops/stuck/:kind/:id/retry', 'POST', '/v1/ops/stuck/refund/rfd_door/retry', ops);

    expect([...exercised.keys()].sort()).toEqual([...new Set(doorRoutes.get(h.app))].sort());
    await invariantsHold();
  });
});

describe('one Idempotency-Key from 64 clients at once', () => {
  test('one execution: every client gets the same refund or 409 idempotency_key_in_use', async () => {
    const order = await paidOrder(h, m, 'alipay', 10_000);
    const headers = { 'idempotency-key': newKey() };
    const answers = await Promise.all(
      Array.from({ length: RACERS }, () =>
        h.call('POST', `/v1/orders/${order.orderId}/refunds`, { key: m.key, body: { amount: 2_500 }, headers }),
      ),
    );
    const ok = answers.filter((a) => a.status === 201);
    expect(ok.length).toBeGreaterThan(0);
    expect(new Set(ok.map((a) => a.body.id)).size).toBe(1);
    for (const a of answers.filter((x) => x.status !== 201))
      expect([a.status, a.body.error.code]).toEqual([409, 'idempotency_key_in_use']);
    expect(await refundCount(order.orderId)).toBe(1);
    await until(
      h,
      async () => (await h.call('GET', `/v1/orders/${order.orderId}`, { key: m.key })).body.refunded_amount === 2_500,
      'refund done',
    );
    expect(await unsplitAtProvider(order, 10_000)).toBe(7_500);
    await invariantsHold();
  });
});

describe('a retry after a crash between the commit and the reply', () => {
  // Method: a test-only crash point makes the server drop the connection (as a killed process would) right after the
  // refund's transaction committed, or after the refund reached the provider but before the answer was stored and
  // sent. The merchant retries with the same key: while the first could still be running it is told 409 in use;
  // once the record is old enough to be a crash's leftover, the retry continues from the stored refund.
  for (const point of ['crashAfterCommit', 'crashBeforeReply'] as const) {
    test(`${point}: the merchant's refund retried with one key is one refund at the provider`, async () => {
      const order = await paidOrder(h, m, 'alipay', 10_000);
      const headers = { 'idempotency-key': newKey() };
      const ask = () =>
        h.call('POST', `/v1/orders/${order.orderId}/refunds`, { key: m.key, body: { amount: 406 }, headers });
      h.door.faults[point] = true;
      try {
        await expect(ask()).rejects.toThrow();
      } finally {
        h.door.faults[point] = false;
      }
      expect(await refundCount(order.orderId)).toBe(1);
      const tooSoon = await ask();
      expect([tooSoon.status, tooSoon.body.error?.code]).toEqual([409, 'idempotency_key_in_use']);
      await h.advance(RECOVER_AFTER_MS + 1_000);
      const retried = await ask();
      expect(retried.status).toBe(201);
      const again = await ask();
      expect([again.status, again.body, again.headers.get('idempotent-replayed')]).toEqual([201, retried.body, 'true']);
      expect(await refundCount(order.orderId)).toBe(1);
      await until(
        h,
        async () => (await h.call('GET', `/v1/orders/${order.orderId}`, { key: m.key })).body.refunded_amount === 406,
        'refund done',
      );
      expect(await unsplitAtProvider(order, 10_000)).toBe(10_000 - 406);
      await invariantsHold();
    });
  }

  test('a failure after the effect committed is replayed as it was and keeps the key', async () => {
    const b = await buyer(h);
    const p = await product(h, m);
    const co = await checkout(h, b.key, [{ product_id: p.id, quantity: 1 }]);
    const headers = { 'idempotency-key': newKey() };
    const ask = () =>
      h.call('POST', `/v1/payments/${co.payment.id}/attempts`, {
        key: b.key,
        body: { method: 'alipay', scene: 'qr' },
        headers,
      });
    await setSandboxFaults(h, 'alipay', { callError5xx: 20 });
    let first: CallResult;
    try {
      first = await ask(); // the attempt row committed; the provider then failed
    } finally {
      await setSandboxFaults(h, 'alipay', { callError5xx: 0 });
    }
    expect(first.status).toBeGreaterThanOrEqual(500);
    const again = await ask();
    expect([again.status, again.body, again.headers.get('idempotent-replayed')]).toEqual([
      first.status,
      first.body,
      'true',
    ]);
    const { rows } = await h.db.query<{ n: number }>('SELECT count(*)::int AS n FROM attempts WHERE payment_id = $1', [
      co.payment.id,
    ]);
    expect(rows[0]!.n).toBe(1);
  });
});

describe('the scope is the route template with its parameters', () => {
  test('/r%65funds and an encoded order id are the same scope as /refunds; another body is 409 reused', async () => {
    const order = await paidOrder(h, m, 'alipay', 10_000);
    const headers = { 'idempotency-key': newKey() };
    const first = await h.call('POST', `/v1/orders/${order.orderId}/refunds`, {
      key: m.key,
      body: { amount: 300 },
      headers,
    });
    expect(first.status).toBe(201);
    const encodedSegment = await h.call('POST', `/v1/orders/${order.orderId}/r%65funds`, {
      key: m.key,
      body: { amount: 300 },
      headers,
    });
    expect([encodedSegment.status, encodedSegment.body.id, encodedSegment.headers.get('idempotent-replayed')]).toEqual([
      201,
      first.body.id,
      'true',
    ]);
    const encodedId = await h.call('POST', `/v1/orders/${order.orderId.replace('_', '%5F')}/refunds`, {
      key: m.key,
      body: { amount: 300 },
      headers,
    });
    expect([encodedId.status, encodedId.body.id]).toEqual([201, first.body.id]);
    const reused = await h.call('POST', `/v1/orders/${order.orderId}/r%65funds`, {
      key: m.key,
      body: { amount: 301 },
      headers,
    });
    expect([reused.status, reused.body.error.code]).toEqual([409, 'idempotency_key_reused']);
    expect(await refundCount(order.orderId)).toBe(1);
  });

  test('the caller is stored as a hash: neither the bearer key nor its id is in the record', async () => {
    const { rows } = await h.db.query<Record<string, unknown>>('SELECT * FROM idempotency_records');
    const keyIds = (await h.db.query<{ id: string }>('SELECT id FROM api_keys')).rows.map((r) => r.id);
    const stored = JSON.stringify(rows);
    for (const secret of [m.key, h.opsKey, ...keyIds]) expect(stored).not.toContain(secret);
  });
});

describe('expiry', () => {
  test('records older than the retention are swept, in bounded passes; younger ones stay', async () => {
    const b = await buyer(h);
    const p = await product(h, m);
    const headers = { 'idempotency-key': newKey() };
    const old = await checkout(h, b.key, [{ product_id: p.id, quantity: 1 }], headers);
    const before = (await h.db.query<{ n: number }>('SELECT count(*)::int AS n FROM idempotency_records')).rows[0]!.n;
    expect(before).toBeGreaterThan(0);
    await h.advance(h.config.idempotencyTtlHours * 3_600_000 + 1_000);
    const young = await checkout(h, b.key, [{ product_id: p.id, quantity: 1 }], { 'idempotency-key': newKey() });
    let swept = 0;
    for (let pass = 0; pass < 10; pass++) swept += await h.door.sweepExpired();
    expect(swept).toBe(before);
    expect((await h.db.query<{ n: number }>('SELECT count(*)::int AS n FROM idempotency_records')).rows[0]!.n).toBe(1);
    // The expired key is free again: a new checkout, not the old answer.
    const again = await checkout(h, b.key, [{ product_id: p.id, quantity: 1 }], headers);
    expect(again.payment.id).not.toBe(old.payment.id);
    expect(young.payment.id).not.toBe(old.payment.id);
  });
});
