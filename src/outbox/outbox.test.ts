// The outbox on real PostgreSQL: several workers, each with its own connections, race over many payments' events
// while they are being written, and every payment's events are still consumed in the order written — so the ledger
// never posts a refund before its payment, nor a refund's return before the refund. Events that cannot be read, or
// whose consumer keeps failing, are dead-lettered (never marked consumed) and hold back only their own payment.
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { startHutong, type TestHutong } from '../../test/helpers/hutong';
import { openPostgres, type Db, type Queryable } from '../shared/db';
import type { ModuleContext } from '../shared/context';
import { fen, mulDivRoundHalfUpFen } from '../shared/money';
import { availableAccount, holdingAccount } from '../ledger/accounts';
import { LedgerConsumer } from '../ledger/consumer';
import {
  EVENT_ATTEMPTS_MAX,
  EVENTS_PER_STREAM_MAX,
  EVENTS_PER_TICK_MAX,
  OutboxDispatcher,
  type OutboxConsumer,
} from './dispatcher';
import { appendEvent, outboxStore } from './store';
import type { OutboxEvent, PayloadOf } from './events';
import { AuditService } from '../audit/service';

let h: TestHutong;
let url: string;
const extraDbs: Db[] = [];
beforeAll(async () => {
  h = await startHutong();
  url = await currentUrl(h.db);
  await h.db.query(
    'CREATE TABLE outbox_test_seen (n bigserial PRIMARY KEY, payment_id text NOT NULL, event_id bigint NOT NULL, topic text NOT NULL)',
  );
});
afterAll(async () => {
  for (const db of extraDbs) await db.close();
  await h?.close();
});

/** The test database's URL (the helper opened it; a worker opens its own pool to it). */
async function currentUrl(db: Db): Promise<string> {
  const { rows } = await db.query<{ name: string }>('SELECT current_database() AS name');
  const base = new URL(inject('databaseUrl'));
  base.pathname = `/${rows[0]!.name}`;
  return base.toString();
}

function workerCtx(db: Db): ModuleContext {
  return { db, clock: h.clock, config: h.config, log: h.app.log, audit: new AuditService(db, h.clock) };
}

/** Records, in the consuming transaction, which event was consumed when. */
const recorder: OutboxConsumer = {
  name: 'recorder',
  topics: ['payment.sub_order_paid', 'refund.processing', 'refund.succeeded', 'refund.closed'],
  async handle(q: Queryable, event: OutboxEvent, meta) {
    await q.query('INSERT INTO outbox_test_seen (payment_id, event_id, topic) VALUES ($1,$2,$3)', [
      event.payload.payment_id,
      meta.id,
      event.topic,
    ]);
  },
};

async function append(event: OutboxEvent, aggregateId: string): Promise<void> {
  await h.db.tx((q) => appendEvent(q, event, aggregateId, h.clock.now()));
}

describe('ordered per payment', () => {
  test('four workers racing 40 payments post each payment, its refunds and a closed refund in order; balances come out exact', async () => {
    const PAYMENTS = 40;
    const WORKERS = 4;
    const amount = fen(10_000);
    const run = `r${Date.now().toString(36)}`;
    const payments = Array.from({ length: PAYMENTS }, (_, i) => ({
      paymentId: `pay_${run}_${i}`,
      merchantId: `mch_${run}_${i}`,
      orderId: `ord_${run}_${i}`,
      outTradeNo: `T${run}${i}`,
    }));

    // Each payment: paid, a refund of 2,000 processing then succeeded, a refund of 3,000 processing then closed.
    const script = (p: (typeof payments)[number]): OutboxEvent[] => {
      const trade = {
        provider: 'wechatpay' as const,
        payment_id: p.paymentId,
        order_id: p.orderId,
        merchant_id: p.merchantId,
        out_trade_no: p.outTradeNo,
      };
      const refund = (id: string, refundFen: number): PayloadOf<'refund.processing'> => ({
        ...trade,
        refund_id: id,
        kind: 'order',
        amount: refundFen,
        trade_amount: amount,
      });
      return [
        {
          topic: 'payment.sub_order_paid',
          payload: {
            ...trade,
            attempt_id: `att_${p.paymentId}`,
            sub_merchant_id: 'sub',
            transaction_id: `tx_${p.outTradeNo}`,
            amount,
            paid_at: h.clock.now().toISOString(),
          },
        },
        { topic: 'refund.processing', payload: refund(`rfd_${p.paymentId}_1`, 2_000) },
        { topic: 'refund.succeeded', payload: refund(`rfd_${p.paymentId}_1`, 2_000) },
        { topic: 'refund.processing', payload: refund(`rfd_${p.paymentId}_2`, 3_000) },
        { topic: 'refund.closed', payload: refund(`rfd_${p.paymentId}_2`, 3_000) },
      ];
    };

    const workers = Array.from({ length: WORKERS }, () => {
      const db = openPostgres(url, 3);
      extraDbs.push(db);
      const d = new OutboxDispatcher(workerCtx(db));
      d.subscribe(new LedgerConsumer(h.ledger));
      d.subscribe(recorder);
      return d;
    });

    // Writers append every payment's events one transaction each, all payments at once, while the workers drain.
    let writing = true;
    const writers = Promise.all(
      payments.map(async (p) => {
        for (const e of script(p)) await append(e, p.orderId);
      }),
    ).finally(() => {
      writing = false;
    });
    const ROUNDS_MAX = 10_000;
    const drains = workers.map(async (w) => {
      for (let round = 0; round < ROUNDS_MAX; round++) {
        const n = await w.run();
        if (!writing && n === 0 && (await outboxStore.pendingCount(h.db)) === 0) return;
      }
      throw new Error('the workers did not drain the outbox');
    });
    await Promise.all([writers, ...drains]);

    const seen = (
      await h.db.query<{ payment_id: string; topic: string; event_id: number }>(
        'SELECT payment_id, topic, event_id FROM outbox_test_seen ORDER BY n',
      )
    ).rows;
    for (const p of payments) {
      const mine = seen.filter((s) => s.payment_id === p.paymentId);
      expect(mine.map((s) => s.topic)).toEqual(script(p).map((e) => e.topic));
      expect(mine.map((s) => s.event_id)).toEqual([...mine.map((s) => s.event_id)].sort((a, b) => a - b));
    }

    // Balances: the paid money sits in escrow net of the fee, less the succeeded refund (with its fee share); the
    // closed refund came back exactly as it left. Out of order, the refunds would have hit the available balance.
    const fee = h.ledger.paymentFee('wechatpay', amount);
    const share = mulDivRoundHalfUpFen(fee, fen(2_000), amount);
    const merchantPays = h.ledger.merchantBearsFee('wechatpay');
    const holding = merchantPays ? amount - fee - (2_000 - share) : amount - 2_000;
    const balances = await h.db.query<{ account: string; balance: number }>(
      'SELECT account, sum(amount)::bigint AS balance FROM ledger_postings WHERE account = ANY($1::text[]) GROUP BY account',
      [
        payments.flatMap((p) => [
          holdingAccount('wechatpay', p.merchantId),
          availableAccount('wechatpay', p.merchantId),
        ]),
      ],
    );
    const byAccount = new Map(balances.rows.map((b) => [b.account, b.balance]));
    for (const p of payments) {
      expect(byAccount.get(holdingAccount('wechatpay', p.merchantId))).toBe(holding);
      expect(byAccount.get(availableAccount('wechatpay', p.merchantId)) ?? 0).toBe(0);
    }
    const total = await h.db.query<{ s: number }>('SELECT COALESCE(sum(amount), 0)::bigint AS s FROM ledger_postings');
    expect(total.rows[0]!.s).toBe(0);
  });
});

describe('dead letters', () => {
  test('an unknown topic and an invalid payload are dead-lettered, never consumed, and hold back only their payment', async () => {
    const d = new OutboxDispatcher(workerCtx(h.db));
    d.subscribe(recorder);
    const run = `d${Date.now().toString(36)}`;
    await h.db.query(`INSERT INTO outbox_streams (ordering_key, last_seq) VALUES ($1, 2), ($2, 1)`, [
      `pay_${run}_unknown`,
      `pay_${run}_invalid`,
    ]);
    await h.db.query(
      `INSERT INTO outbox (topic, aggregate_id, ordering_key, seq, payload, created_at) VALUES
        ('payment.teleported', 'x', $1, 1, '{"payment_id":"x"}', now()),
        ('payment.sub_order_paid', 'x', $1, 2, $3, now()),
        ('refund.succeeded', 'x', $2, 1, '{"payment_id":"y","amount":"12.30"}', now())`,
      [`pay_${run}_unknown`, `pay_${run}_invalid`, JSON.stringify({ payment_id: `pay_${run}_unknown` })],
    );
    const healthy: OutboxEvent = {
      topic: 'refund.closed',
      payload: {
        provider: 'alipay',
        payment_id: `pay_${run}_ok`,
        order_id: 'o',
        merchant_id: 'm',
        out_trade_no: 't',
        refund_id: 'r',
        kind: 'order',
        amount: 1,
        trade_amount: 1,
      },
    };
    await append(healthy, 'r');

    await d.drain();
    const rows = (
      await h.db.query<{
        topic: string;
        ordering_key: string;
        state: string;
        consumed_at: Date | null;
        last_error: string | null;
      }>(
        'SELECT topic, ordering_key, state, consumed_at, last_error FROM outbox WHERE ordering_key LIKE $1 ORDER BY ordering_key, seq',
        [`pay_${run}_%`],
      )
    ).rows;
    expect(rows.map((r) => [r.ordering_key.replace(`pay_${run}_`, ''), r.topic, r.state])).toEqual([
      ['invalid', 'refund.succeeded', 'dead'],
      ['ok', 'refund.closed', 'consumed'],
      ['unknown', 'payment.teleported', 'dead'],
      ['unknown', 'payment.sub_order_paid', 'pending'], // waits behind the dead event of its payment
    ]);
    expect(rows.filter((r) => r.state === 'dead').every((r) => r.consumed_at === null)).toBe(true);
    expect(rows.find((r) => r.topic === 'payment.teleported')!.last_error).toBe('unknown topic payment.teleported');
    expect(rows.find((r) => r.ordering_key.endsWith('invalid'))!.last_error).toMatch(
      /^invalid refund\.succeeded payload/,
    );
    expect((await d.deadLetters()).map((r) => r.topic)).toEqual(
      expect.arrayContaining(['payment.teleported', 'refund.succeeded']),
    );
  });

  test('a consumer that keeps failing is retried with backoff, then dead-lettered; a retry by ops resumes the stream', async () => {
    let failing = true;
    const d = new OutboxDispatcher(workerCtx(h.db));
    d.subscribe({
      name: 'flaky',
      topics: ['checkout.closed'],
      async handle(q) {
        await q.query('SELECT 1');
        if (failing) throw new Error('downstream refused');
      },
    });
    const paymentId = `pay_f${Date.now().toString(36)}`;
    await append({ topic: 'checkout.closed', payload: { payment_id: paymentId, reason: 'cancelled' } }, paymentId);
    await append({ topic: 'checkout.closed', payload: { payment_id: paymentId, reason: 'unpaid_timeout' } }, paymentId);
    const state = async () =>
      (
        await h.db.query<{ state: string; attempts: number }>(
          'SELECT state, attempts FROM outbox WHERE ordering_key = $1 ORDER BY seq',
          [paymentId],
        )
      ).rows;

    for (let i = 0; i < EVENT_ATTEMPTS_MAX; i++) {
      const r = await d.drain();
      expect(r.consumed).toBe(0);
      expect(await d.drain()).toEqual({ consumed: 0, failed: 0, dead: 0 }); // backing off: not due yet
      await h.advance(3_600_000);
    }
    expect(await state()).toEqual([
      { state: 'dead', attempts: EVENT_ATTEMPTS_MAX },
      { state: 'pending', attempts: 0 },
    ]);

    failing = false;
    const [dead] = (await d.deadLetters()).filter((r) => r.ordering_key === paymentId);
    expect(await d.retry(dead!.id)).toBe(true);
    expect(await d.retry(dead!.id)).toBe(false);
    expect((await d.drain()).consumed).toBe(2);
    expect((await state()).map((s) => s.state)).toEqual(['consumed', 'consumed']);
  });

  test('one drain handles at most its named maximum of events; the rest wait for the next tick', async () => {
    const d = new OutboxDispatcher(workerCtx(h.db), { eventsPerTick: 5 });
    const tag = `pay_b${Date.now().toString(36)}`;
    for (let i = 0; i < 12; i++)
      await append({ topic: 'checkout.closed', payload: { payment_id: `${tag}_${i % 4}`, reason: 'cancelled' } }, tag);
    expect((await d.drain()).consumed).toBe(5);
    expect((await d.drain()).consumed).toBe(5);
    expect((await d.drain()).consumed).toBe(2);
    expect(EVENTS_PER_TICK_MAX).toBeGreaterThanOrEqual(1_000);
  });

  test('one drain follows a busy payment past the per-stream maximum, up to the tick maximum', async () => {
    const d = new OutboxDispatcher(workerCtx(h.db));
    const payment = `pay_s${Date.now().toString(36)}`;
    const written = EVENTS_PER_STREAM_MAX * 2 + 5;
    for (let i = 0; i < written; i++)
      await append({ topic: 'checkout.closed', payload: { payment_id: payment, reason: 'cancelled' } }, payment);
    await d.drain();
    const left = await h.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM outbox WHERE ordering_key = $1 AND state <> 'consumed'`,
      [payment],
    );
    expect({ written, left: left.rows[0]!.n }).toEqual({ written, left: 0 });
  });
});
