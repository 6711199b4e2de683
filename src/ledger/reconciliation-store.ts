// SQL for reconciliation: the runs, and the ledger events a bill is matched against.
import type { Queryable } from '../shared/db';
import type { Posting } from './store';
import { transition } from '../shared/machine';
import { RECONCILIATION_RUN_MACHINE, type ReconciliationRunStatus } from './states';

export interface LedgerEvent {
  id: string;
  idempotency_key: string;
  cause: string;
  order_id: string | null;
  merchant_id: string | null;
  trade_ref: string | null;
  occurred_at: Date;
  postings: Posting[];
}

export interface ReconciliationRunRow {
  id: string;
  provider: string;
  bill_date: string;
  status: ReconciliationRunStatus;
  matched: number;
  mismatches: unknown[];
  bills: unknown[];
  error: string | null;
  created_at: Date;
  finished_at: Date | null;
}

/** A day of a busy marketplace is bounded; past this a run fails loudly rather than exhausting memory. */
export const DAY_EVENTS_MAX = 2_000_000;
const KEYS_PER_QUERY_MAX = 5_000;
const RUN_COLUMNS = `id, provider, to_char(bill_date, 'YYYY-MM-DD') AS bill_date, status, matched, mismatches, bills, error, created_at, finished_at`;

const EVENT_COLUMNS = `e.id, e.idempotency_key, e.cause, e.order_id, e.merchant_id, e.trade_ref, e.occurred_at,
  (SELECT json_agg(json_build_object('account', p.account, 'amount', p.amount)) FROM ledger_postings p WHERE p.entry_id = e.id) AS postings`;

/** json_agg gives bigint amounts as JSON numbers; money is never past 2^53 (the journal refuses it). */
function withPostings(rows: LedgerEvent[]): LedgerEvent[] {
  for (const r of rows) r.postings = (r.postings ?? []).map((p) => ({ account: p.account, amount: Number(p.amount) }));
  return rows;
}

export const reconciliationStore = {
  /** The provider's ledger events that happened in [start, end) (payments: at the provider's payment time). */
  async eventsBetween(q: Queryable, provider: string, start: Date, end: Date): Promise<LedgerEvent[]> {
    const { rows } = await q.query<LedgerEvent>(
      `SELECT ${EVENT_COLUMNS} FROM ledger_entries e WHERE e.provider = $1 AND e.occurred_at >= $2 AND e.occurred_at < $3 ORDER BY e.occurred_at, e.id LIMIT $4`,
      [provider, start, end, DAY_EVENTS_MAX + 1],
    );
    if (rows.length > DAY_EVENTS_MAX) throw new Error(`more than ${DAY_EVENTS_MAX} ledger events in one bill day`);
    return withPostings(rows);
  },
  async eventsByKeys(q: Queryable, keys: string[]): Promise<LedgerEvent[]> {
    const out: LedgerEvent[] = [];
    for (let i = 0; i < keys.length; i += KEYS_PER_QUERY_MAX) {
      const { rows } = await q.query<LedgerEvent>(
        `SELECT ${EVENT_COLUMNS} FROM ledger_entries e WHERE e.idempotency_key = ANY($1::text[])`,
        [keys.slice(i, i + KEYS_PER_QUERY_MAX)],
      );
      out.push(...withPostings(rows));
    }
    return out;
  },
  async insertRun(q: Queryable, run: { id: string; provider: string; billDate: string; now: Date }): Promise<void> {
    await q.query(
      `INSERT INTO reconciliation_runs (id, provider, bill_date, status, created_at) VALUES ($1, $2, $3, 'running', $4)`,
      [run.id, run.provider, run.billDate, run.now],
    );
  },
  async finishRun(
    q: Queryable,
    id: string,
    end: {
      status: 'completed' | 'failed';
      matched: number;
      mismatches: unknown[];
      bills: unknown[];
      error: string | null;
      now: Date;
    },
  ): Promise<void> {
    await transition(q, RECONCILIATION_RUN_MACHINE, id, ['running'], end.status, {
      matched: end.matched,
      mismatches: JSON.stringify(end.mismatches),
      bills: JSON.stringify(end.bills),
      error: end.error,
      finished_at: end.now,
    });
  },
  async run(q: Queryable, id: string): Promise<ReconciliationRunRow | undefined> {
    return (await q.query<ReconciliationRunRow>(`SELECT ${RUN_COLUMNS} FROM reconciliation_runs WHERE id = $1`, [id]))
      .rows[0];
  },
  /** Newest first; keyset pagination over (created_at, id). */
  async runs(
    q: Queryable,
    filter: { provider?: string; billDate?: string },
    limit: number,
    before: { createdAt: Date; id: string } | null,
  ): Promise<ReconciliationRunRow[]> {
    return (
      await q.query<ReconciliationRunRow>(
        `SELECT ${RUN_COLUMNS} FROM reconciliation_runs
       WHERE ($1::text IS NULL OR provider = $1) AND ($2::date IS NULL OR bill_date = $2)
         AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::text))
       ORDER BY created_at DESC, id DESC LIMIT $5`,
        [filter.provider ?? null, filter.billDate ?? null, before?.createdAt ?? null, before?.id ?? null, limit],
      )
    ).rows;
  },
};
