// Ledger postings per second: LedgerService.post of balanced payment entries (buyers → merchant escrow, fee) from
// concurrent workers on PostgreSQL. The main figure gives each entry its own transaction (the worst case: one
// commit, one fsync per entry); a second, informative figure posts in batches per transaction, as the outbox
// consumer does when events arrive in bursts.
import { randomBytes } from 'node:crypto';
import { openPostgres } from '../src/shared/db';
import { fen } from '../src/shared/money';
import type { Hutong } from '../src/app';
import type { EntryInput } from '../src/ledger/service';
import { boundedLoops, BenchError, perSecond, progress } from './util';

const MERCHANTS = 100;

export interface LedgerResult {
  entriesPerTx: number;
  concurrency: number;
  posted: number;
  elapsedMs: number;
  perSecond: number;
  failed: number;
  errors: string[];
  timedOut: boolean;
}

function entry(h: Hutong, run: string, i: number): EntryInput {
  const provider = i % 2 === 0 ? 'alipay' : 'wechatpay';
  const merchantId = `mch_bench${i % MERCHANTS}`;
  return {
    key: `bench:${run}:${i}`,
    cause: 'bench.posting',
    causeId: String(i),
    provider,
    merchantId,
    orderId: `ord_bench_${run}_${i}`,
    tradeRef: `TB${run}_${i}`,
    description: 'benchmark payment',
    occurredAt: new Date(),
    postings: h.ledger.paidPostings(provider, merchantId, fen(1000 + (i % 997))),
  };
}

export async function ledgerPostings(
  h: Hutong,
  databaseUrl: string,
  opts: { count: number; concurrency: number; entriesPerTx: number; timeCapMs: number },
): Promise<LedgerResult> {
  const label = opts.entriesPerTx === 1 ? 'one entry per transaction' : `${opts.entriesPerTx} entries per transaction`;
  progress(`ledger: ${opts.count} postings from ${opts.concurrency} workers, ${label}…`);
  const db = openPostgres(databaseUrl, opts.concurrency);
  const run = randomBytes(4).toString('hex');
  const batches = Math.ceil(opts.count / opts.entriesPerTx);
  try {
    const loops = await boundedLoops(batches, opts.concurrency, opts.timeCapMs, async (batch) => {
      await db.tx(async (q) => {
        for (let k = 0; k < opts.entriesPerTx; k++) {
          const i = batch * opts.entriesPerTx + k;
          if (i >= opts.count) break;
          if (!(await h.ledger.post(q, entry(h, run, i)))) throw new BenchError(`entry ${i} was not posted`);
        }
      });
    });
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ledger_entries WHERE idempotency_key LIKE $1`,
      [`bench:${run}:%`],
    );
    const posted = rows[0]?.n ?? 0;
    const unbalanced = await db.query(
      `SELECT p.entry_id FROM ledger_postings p JOIN ledger_entries e ON e.id = p.entry_id WHERE e.idempotency_key LIKE $1 GROUP BY p.entry_id HAVING sum(p.amount) <> 0`,
      [`bench:${run}:%`],
    );
    if (unbalanced.rows.length) throw new BenchError(`${unbalanced.rows.length} benchmark entries do not balance`);
    const result: LedgerResult = {
      entriesPerTx: opts.entriesPerTx,
      concurrency: opts.concurrency,
      posted,
      elapsedMs: loops.elapsedMs,
      perSecond: perSecond(posted, loops.elapsedMs),
      failed: loops.failed,
      errors: loops.errors,
      timedOut: loops.timedOut,
    };
    progress(
      `ledger (${label}): ${posted} postings in ${(loops.elapsedMs / 1000).toFixed(2)} s = ${result.perSecond.toFixed(0)}/s` +
        (loops.failed ? `; ${loops.failed} transactions failed: ${loops.errors[0]}` : ''),
    );
    return result;
  } finally {
    await db.close();
  }
}
