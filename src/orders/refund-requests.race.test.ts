// Race: 64 merchant clients approve one buyer's refund request at the same moment on real PostgreSQL. The decision
// (open → approved) is one conditional UPDATE in the transaction that writes the refund row, so exactly one approval
// wins and exactly one refund exists — here, at the provider (its unsplit amount) and in the ledger's invariants.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHutong, type TestHutong } from '../../test/helpers/hutong';
import { payableMerchant, until } from '../../test/helpers/market';
import { paidOrder } from '../ledger/test-kit';
import { fen } from '../shared/money';

const RACERS = 64;
const PRICE = 10_000;
const ASKED = 4_000;

let h: TestHutong;
beforeAll(async () => {
  h = await startHutong();
});
afterAll(async () => {
  await h?.close();
});

describe('approving one refund request from 64 clients at once', () => {
  test('one approval wins, one refund reaches the provider, and the ledger invariants hold', async () => {
    const m = await payableMerchant(h);
    const order = await paidOrder(h, m, 'alipay', PRICE);
    const asked = await h.call('POST', `/v1/orders/${order.orderId}/refund-requests`, {
      key: order.buyerKey,
      body: { amount: ASKED, reason: 'scratched' },
    });
    expect(asked.status).toBe(201);

    const answers = await Promise.all(
      Array.from({ length: RACERS }, () =>
        h.call('POST', `/v1/refund-requests/${asked.body.id}/approve`, { key: m.key }),
      ),
    );
    const won = answers.filter((a) => a.status === 200);
    const lost = answers.filter((a) => a.status === 409);
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(RACERS - 1);
    for (const a of lost) expect(a.body.error.code).toBe('refund_request_state_conflict');

    const { rows } = await h.db.query<{ id: string }>('SELECT id FROM refunds WHERE order_id = $1', [order.orderId]);
    expect(rows.map((r) => r.id)).toEqual([won[0]!.body.refund_id]);
    await until(
      h,
      async () => (await h.call('GET', `/v1/orders/${order.orderId}`, { key: m.key })).body.refunded_amount === ASKED,
      'the refund succeeds',
    );

    const trade = (
      await h.db.query<{ sub_merchant_id: string; transaction_id: string }>(
        'SELECT sub_merchant_id, transaction_id FROM attempt_orders WHERE out_trade_no = $1',
        [order.outTradeNo],
      )
    ).rows[0]!;
    const ref = {
      outTradeNo: order.outTradeNo,
      subMerchantId: trade.sub_merchant_id,
      transactionId: trade.transaction_id,
      amountFen: fen(PRICE),
    };
    expect(await h.providers.get('alipay').escrow.queryUnsplit(ref)).toBe(PRICE - ASKED); // the provider refunded once

    await h.outbox.run();
    const check = await h.call('GET', '/v1/ledger/invariants', { key: h.opsKey });
    expect(check.body.invariants.filter((i: { violations: unknown[] }) => i.violations.length > 0)).toEqual([]);
    expect(check.body.ok).toBe(true);
  });
});
