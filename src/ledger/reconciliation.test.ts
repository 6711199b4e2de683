// Reconciliation against the sandboxes' real bills (real PostgreSQL, real HTTP, the adapters' own bill parsers).
// Method: each scenario gets its own Asia/Shanghai bill day (both clocks moved together), makes payments, refunds
// and releases through the public API, then reconciles that day and asserts the exact outcome — clean days match
// every line, and each discrepancy injected into the sandbox's next bill download is reported once, and alone.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHutong, type TestHutong } from '../../test/helpers/hutong';
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
import { shanghaiDate } from './bill-day';
import {
  advanceToShanghaiTime,
  nextBillDay,
  paidOrder,
  reconcile,
  refunded,
  released,
  setSandboxFaults,
  subMerchantOf,
  tradeRefOf,
  type Method,
} from './test-kit';

let h: TestHutong;
let m: TestMerchant;
beforeAll(async () => {
  h = await startHutong();
  await enableWechatpay(h);
  m = await payableMerchant(h, 'Reconciled shop', { wechatpay: true });
});
afterAll(async () => {
  await h?.close();
});

/** Mismatches grouped by kind, each group in key order, for exact comparison. */
function byKind(mismatches: Array<Record<string, unknown>>) {
  const out: Record<string, Array<Record<string, unknown>>> = {};
  for (const m of mismatches) (out[String(m.kind)] ??= []).push(m);
  for (const list of Object.values(out)) list.sort((a, b) => String(a.key).localeCompare(String(b.key)));
  return out;
}

describe('a clean day reconciles with every line matched', () => {
  let day: string;
  beforeAll(async () => {
    day = await nextBillDay(h);
  });

  test('WeChat Pay: payments, partial refunds before and after a release, the commission share, the unfreeze and the return', async () => {
    const a = await paidOrder(h, m, 'wechatpay', 10_000);
    await refunded(h, m, a.orderId, 2_000);
    const b = await paidOrder(h, m, 'wechatpay', 5_000);
    expect((await released(h, m, b)).commission).toBe(250);
    await refunded(h, m, b.orderId, 1_000); // after release: the commission comes back first (a return order)

    const run = await reconcile(h, 'wechatpay', day);
    expect(run).toMatchObject({ status: 'completed', mismatches: [], matched: 7 });
    expect(run.bills).toEqual([
      { bill: 'trade', lines: 4, matched: 4 },
      { bill: 'profit_sharing', lines: 3, matched: 3 },
    ]);
    expect((await h.call('GET', `/v1/reconciliations/${run.id}`, { key: h.opsKey })).body).toEqual(run);
  });

  test('Alipay: payments and partial refunds before and after a release (its trade bill has no sharing lines)', async () => {
    const a = await paidOrder(h, m, 'alipay', 10_000);
    await refunded(h, m, a.orderId, 2_000);
    const b = await paidOrder(h, m, 'alipay', 5_000);
    expect((await released(h, m, b)).commission).toBe(250);
    await refunded(h, m, b.orderId, 1_000);

    const run = await reconcile(h, 'alipay', day);
    expect(run).toMatchObject({
      status: 'completed',
      mismatches: [],
      matched: 4,
      bills: [{ bill: 'trade', lines: 4, matched: 4 }],
    });
    const list = await h.call('GET', '/v1/reconciliations?provider=alipay&limit=1', { key: h.opsKey });
    expect(list.body.data.map((r: { id: string }) => r.id)).toEqual([run.id]);
  });

  test('a day that has not begun has no bill: 422 bill_date_in_future; only ops may reconcile', async () => {
    const tomorrow = shanghaiDate(new Date(h.clock.now().getTime() + 86_400_000));
    const res = await h.call('POST', '/v1/reconciliations', {
      key: h.opsKey,
      body: { provider: 'wechatpay', date: tomorrow },
    });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('bill_date_in_future');
    const asMerchant = await h.call('POST', '/v1/reconciliations', {
      key: m.key,
      body: { provider: 'wechatpay', date: day },
    });
    expect(asMerchant.body.error.code).toBe('forbidden_role');
  });
});

describe('each injected bill discrepancy is found exactly once, and nothing else', () => {
  let day: string;
  beforeAll(async () => {
    day = await nextBillDay(h);
  });

  test('WeChat Pay: a missing line, an extra line, an amount off by one fen, a wrong fee, a refund recorded as failed, a share missing', async () => {
    const sub = await subMerchantOf(h, m, 'wechatpay');
    const p1 = await paidOrder(h, m, 'wechatpay', 10_000);
    const r1 = await refunded(h, m, p1.orderId, 2_000);
    const [p2, p3, p4, p5] = [
      await paidOrder(h, m, 'wechatpay', 3_000),
      await paidOrder(h, m, 'wechatpay', 4_000),
      await paidOrder(h, m, 'wechatpay', 6_000),
      await paidOrder(h, m, 'wechatpay', 5_000),
    ];
    const share = await released(h, m, p5);
    const tx = (o: { orderId: string }) => transactionOf(o.orderId);
    await setSandboxFaults(h, 'wechatpay', {
      billTamper: [
        { bill_date: day, change: 'missing_line', out_trade_no: p2.outTradeNo },
        { bill_date: day, change: 'extra_line' },
        { bill_date: day, change: 'amount_off_by_one_fen', out_trade_no: p3.outTradeNo },
        { bill_date: day, change: 'wrong_fee', out_trade_no: p4.outTradeNo },
        { bill_date: day, change: 'refund_failed', out_refund_no: r1 },
        { bill_date: day, change: 'share_missing', out_order_no: share.outOrderNo },
      ],
    });

    const run = await reconcile(h, 'wechatpay', day);
    const platform = h.providers.identity('wechatpay').platformMerchantId; // the commission's receiver
    expect(byKind(run.mismatches)).toEqual({
      amount_differs: [
        expect.objectContaining({
          line: 'payment',
          key: `payment|${sub}|${await tx(p3)}`,
          provider_amount: 4_001,
          hutong_amount: 4_000,
        }),
      ],
      fee_differs: [
        expect.objectContaining({
          line: 'payment',
          key: `payment|${sub}|${await tx(p4)}`,
          provider_fee: 37,
          hutong_fee: 36,
        }),
      ],
      missing_at_provider: [
        expect.objectContaining({
          line: 'payment',
          key: `payment|${sub}|${await tx(p2)}`,
          hutong_amount: 3_000,
          provider_ref: expect.objectContaining({ out_trade_no: p2.outTradeNo }),
        }),
        expect.objectContaining({
          line: 'share',
          key: `sharing|${share.outOrderNo}|${platform}`,
          hutong_amount: 250,
          hutong_ref: expect.objectContaining({ order_id: p5.orderId }),
        }),
      ],
      missing_in_hutong: [
        expect.objectContaining({
          line: 'payment',
          hutong_ref: null,
          provider_amount: 10_000,
          provider_ref: expect.objectContaining({ out_trade_no: expect.stringMatching(/^EXTRA/) }),
        }),
      ],
      status_differs: [
        expect.objectContaining({
          line: 'refund',
          key: `refund|${r1}`,
          provider_status: 'closed',
          hutong_status: 'succeeded',
        }),
      ],
    });
    expect(run.mismatches).toHaveLength(6);
    // Untouched: p1, p5 and p5's unfreeze line.
    expect(run.bills).toEqual([
      { bill: 'trade', lines: 6, matched: 2 },
      { bill: 'profit_sharing', lines: 1, matched: 1 },
    ]);

    // The knob changed one download only: the same day now reconciles clean.
    const again = await reconcile(h, 'wechatpay', day);
    expect(again).toMatchObject({ status: 'completed', mismatches: [], matched: 8 });
  });

  test('Alipay: a missing line, an extra line, an amount off by one fen, a wrong fee, and a failed refund (absent from its bill)', async () => {
    const sub = await subMerchantOf(h, m, 'alipay');
    const p1 = await paidOrder(h, m, 'alipay', 10_000);
    const r1 = await refunded(h, m, p1.orderId, 2_000);
    const [p2, p3, p4] = [
      await paidOrder(h, m, 'alipay', 3_000),
      await paidOrder(h, m, 'alipay', 4_000),
      await paidOrder(h, m, 'alipay', 6_000),
    ];
    await setSandboxFaults(h, 'alipay', {
      billTamper: [
        { bill_date: day, change: 'missing_line', out_trade_no: p2.outTradeNo },
        { bill_date: day, change: 'extra_line' },
        { bill_date: day, change: 'amount_off_by_one_fen', out_trade_no: p3.outTradeNo },
        { bill_date: day, change: 'wrong_fee', out_trade_no: p4.outTradeNo },
        { bill_date: day, change: 'refund_failed', out_refund_no: r1 },
      ],
    });

    const run = await reconcile(h, 'alipay', day);
    expect(byKind(run.mismatches)).toEqual({
      amount_differs: [
        expect.objectContaining({
          line: 'payment',
          key: `payment|${sub}|${await transactionOf(p3.orderId)}`,
          provider_amount: 4_001,
          hutong_amount: 4_000,
        }),
      ],
      fee_differs: [
        expect.objectContaining({
          line: 'payment',
          key: `payment|${sub}|${await transactionOf(p4.orderId)}`,
          provider_fee: 37,
          hutong_fee: 36,
        }),
      ],
      missing_at_provider: [
        expect.objectContaining({
          line: 'payment',
          key: `payment|${sub}|${await transactionOf(p2.orderId)}`,
          hutong_amount: 3_000,
        }),
        expect.objectContaining({
          line: 'refund',
          key: `refund|${r1}`,
          hutong_amount: 2_000,
          hutong_status: 'succeeded',
        }),
      ],
      missing_in_hutong: [
        expect.objectContaining({
          line: 'payment',
          hutong_ref: null,
          provider_amount: 10_000,
          provider_ref: expect.objectContaining({ out_trade_no: expect.stringMatching(/^EXTRA/) }),
        }),
      ],
    });
    expect(run.mismatches).toHaveLength(5);
    expect((await reconcile(h, 'alipay', day)).mismatches).toEqual([]);
  });
});

test('the sandboxes refuse a malformed billTamper knob (422 invalid_faults); Alipay has no profit-sharing bill to drop a share from', async () => {
  const bad = [{ bill_date: '24-11-2026', change: 'missing_line' }];
  for (const p of ['wechatpay', 'alipay']) {
    const res = await h.call('PUT', `/sandbox/${p}/faults`, { body: { billTamper: bad } });
    expect([res.status, res.body.error.code]).toEqual([422, 'invalid_faults']);
  }
  const share = await h.call('PUT', '/sandbox/alipay/faults', {
    body: { billTamper: [{ bill_date: '2026-11-24', change: 'share_missing' }] },
  });
  expect(share.body.error.code).toBe('invalid_faults');
  expect((await h.call('GET', '/sandbox/alipay/faults')).body.billTamper).toEqual([]);
});

async function transactionOf(orderId: string): Promise<string> {
  const outTradeNo = await tradeRefOf(h, orderId);
  const { rows } = await h.db.query<{ transaction_id: string }>(
    'SELECT transaction_id FROM attempt_orders WHERE out_trade_no = $1',
    [outTradeNo],
  );
  return rows[0]!.transaction_id;
}

describe('payments that cross midnight', () => {
  test.each(['wechatpay', 'alipay'] as const)(
    '%s: a payment at 23:59:58 whose news arrives after midnight is matched on the provider’s day',
    async (method: Method) => {
      await nextBillDay(h);
      await advanceToShanghaiTime(h, 86_400_000 - 2_000); // 23:59:58 in Shanghai
      const day = shanghaiDate(h.clock.now());
      const p = await product(h, m, { price: 8_800, fulfilment_type: 'express' });
      const buy = await buyer(h);
      const co = await checkout(h, buy.key, [{ product_id: p.id, quantity: 1 }]);
      await setSandboxFaults(h, method, { notifyDrop: method === 'wechatpay' ? true : 1 }); // the news is lost
      const att = await h.call('POST', `/v1/payments/${co.payment.id}/attempts`, {
        key: buy.key,
        body: { method, scene: 'qr' },
      });
      expect((await walletPay(h, method, att.body.action)).status).toBe(200);
      await setSandboxFaults(h, method, { notifyDrop: method === 'wechatpay' ? false : 0 });
      await h.advance(60_000); // past midnight and past the attempt's first check: the janitor asks the provider
      await until(
        h,
        async () =>
          (await h.call('GET', `/v1/payments/${co.payment.id}`, { key: buy.key })).body.status === 'succeeded',
        'janitor finds the payment',
      );
      await h.outbox.run();

      const entries = await h.call('GET', `/v1/ledger/entries?order_id=${co.orders[0]!.id}`, { key: h.opsKey });
      const paid = entries.body.data.find((e: { cause: string }) => e.cause === 'payment.sub_order_paid');
      expect(shanghaiDate(new Date(paid.occurred_at))).toBe(day); // when the provider took the money
      expect(shanghaiDate(new Date(paid.created_at))).not.toBe(day); // when Hutong learned of it

      expect(await reconcile(h, method, day)).toMatchObject({ status: 'completed', mismatches: [], matched: 1 });
      expect(await reconcile(h, method, shanghaiDate(h.clock.now()))).toMatchObject({
        status: 'completed',
        mismatches: [],
        matched: 0,
      });
    },
  );
});

describe('the ledger’s invariants (what `hutong check` prints)', () => {
  test('hold on everything above; a balanced entry that mirrors nothing at the provider is caught against its books', async () => {
    const healthy = await h.call('GET', '/v1/ledger/invariants', { key: h.opsKey });
    expect(healthy.body.ok).toBe(true);
    expect(
      healthy.body.invariants.map((i: { name: string; violations: unknown[] }) => [i.name, i.violations.length]),
    ).toEqual([
      ['entries_balance', 0],
      ['balances_equal_postings', 0],
      ['refunded_within_paid', 0],
      ['losing_attempts_refunded', 0],
      ['escrow_equals_provider_unsplit', 0],
      ['balances_equal_provider', 0],
    ]);

    // A made-up unfreeze: it balances, so only the comparison with the provider can tell it is false.
    const order = await paidOrder(h, m, 'wechatpay', 2_000);
    const frozen = `provider:wechatpay:merchant:${m.id}:frozen`;
    await h.ledger.post(h.db, {
      key: `test:unfreeze:${order.outTradeNo}`,
      cause: 'test',
      causeId: 'test',
      provider: 'wechatpay',
      merchantId: m.id,
      orderId: order.orderId,
      tradeRef: order.outTradeNo,
      description: 'an unfreeze that never happened',
      occurredAt: h.clock.now(),
      postings: [
        { account: frozen, amount: -500 },
        { account: `provider:wechatpay:merchant:${m.id}:available`, amount: 500 },
      ],
    });
    const broken = await h.call('GET', '/v1/ledger/invariants', { key: h.opsKey });
    expect(broken.body.ok).toBe(false);
    const byName = Object.fromEntries(
      broken.body.invariants.map((i: { name: string; violations: unknown[] }) => [i.name, i.violations]),
    );
    expect(byName.entries_balance).toEqual([]);
    expect(byName.escrow_equals_provider_unsplit).toEqual([
      { ref: order.outTradeNo, detail: expect.any(String), ledger: 1_488, provider: 1_988 },
    ]);
    expect(byName.balances_equal_provider).toEqual([
      expect.objectContaining({ ref: m.id, detail: expect.stringContaining('wechatpay frozen') }),
      expect.objectContaining({ ref: m.id, detail: expect.stringContaining('wechatpay available') }),
    ]);
  });
});
