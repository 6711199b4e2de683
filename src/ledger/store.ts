// SQL for the journal: entries, their postings, running balances, commission rates.
import type { Queryable } from '../shared/db';

/** Running-balance slots per account (see migrations/0006). */
const BALANCE_SLOTS = 8;
import { BUYERS_ACCOUNT } from './accounts';

export interface Posting {
  account: string;
  amount: number;
}

export interface EntryRow {
  id: string;
  idempotency_key: string;
  cause: string;
  cause_id: string;
  provider: string | null;
  merchant_id: string | null;
  order_id: string | null;
  trade_ref: string | null;
  description: string;
  occurred_at: Date;
  created_at: Date;
}

export const ledgerStore = {
  /** Returns false when an entry with this idempotency key exists: re-processing never posts twice. */
  async insertEntry(q: Queryable, e: EntryRow, postings: Posting[]): Promise<boolean> {
    const inserted = await q.query(
      `INSERT INTO ledger_entries (id, idempotency_key, cause, cause_id, provider, merchant_id, order_id, trade_ref, description, occurred_at, created_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) ON CONFLICT (idempotency_key) DO NOTHING`,
      [
        e.id,
        e.idempotency_key,
        e.cause,
        e.cause_id,
        e.provider,
        e.merchant_id,
        e.order_id,
        e.trade_ref,
        e.description,
        e.occurred_at,
        e.created_at,
      ],
    );
    if (inserted.rowCount !== 1) return false;
    const sorted = [...postings].sort((a, b) => a.account.localeCompare(b.account));
    await q.query(
      `INSERT INTO ledger_postings (entry_id, account, amount, trade_ref) SELECT $1, * , $4 FROM unnest($2::text[], $3::bigint[])`,
      [e.id, sorted.map((p) => p.account), sorted.map((p) => p.amount), e.trade_ref],
    );
    // Accounts in name order, so concurrent postings never deadlock on balance rows; each database connection
    // writes its own slot, so concurrent transactions posting to the same hot account (buyers, fees) don't queue.
    await q.query(
      `INSERT INTO ledger_balances (account, slot, balance) SELECT a, pg_backend_pid() % $3, b FROM unnest($1::text[], $2::bigint[]) AS t(a, b)
       ON CONFLICT (account, slot) DO UPDATE SET balance = ledger_balances.balance + EXCLUDED.balance`,
      [sorted.map((p) => p.account), sorted.map((p) => p.amount), BALANCE_SLOTS],
    );
    return true;
  },
  async hasEntry(q: Queryable, key: string): Promise<boolean> {
    return (await q.query('SELECT 1 FROM ledger_entries WHERE idempotency_key = $1', [key])).rows.length > 0;
  },
  /** One trade's money in an account (escrow of one provider order). */
  async tradeBalance(q: Queryable, tradeRef: string, account: string): Promise<number> {
    const { rows } = await q.query<{ s: number }>(
      'SELECT COALESCE(sum(amount), 0)::bigint AS s FROM ledger_postings WHERE trade_ref = $1 AND account = $2',
      [tradeRef, account],
    );
    return rows[0]?.s ?? 0;
  },
  async entriesOfTrade(q: Queryable, tradeRef: string): Promise<EntryRow[]> {
    return (
      await q.query<EntryRow>('SELECT * FROM ledger_entries WHERE trade_ref = $1 ORDER BY created_at, id', [tradeRef])
    ).rows;
  },
  async balances(q: Queryable, prefix: string | null): Promise<Array<{ account: string; balance: number }>> {
    return (
      await q.query<{ account: string; balance: number }>(
        `SELECT account, sum(balance)::bigint AS balance FROM ledger_balances WHERE ($1::text IS NULL OR account LIKE $1 || '%')
       GROUP BY account ORDER BY account`,
        [prefix],
      )
    ).rows;
  },
  async entries(
    q: Queryable,
    filter: { account?: string; orderId?: string; merchantId?: string },
    limit: number,
    beforeId: string | null,
  ) {
    return (
      await q.query<EntryRow & { postings: Posting[] }>(
        `SELECT e.*, (SELECT json_agg(json_build_object('account', p.account, 'amount', p.amount) ORDER BY p.account) FROM ledger_postings p WHERE p.entry_id = e.id) AS postings
       FROM ledger_entries e
       WHERE ($1::text IS NULL OR EXISTS (SELECT 1 FROM ledger_postings p WHERE p.entry_id = e.id AND p.account = $1))
         AND ($2::text IS NULL OR e.order_id = $2) AND ($3::text IS NULL OR e.merchant_id = $3)
         AND ($5::timestamptz IS NULL OR e.created_at < $5)
       ORDER BY e.created_at DESC, e.id DESC LIMIT $4`,
        [filter.account ?? null, filter.orderId ?? null, filter.merchantId ?? null, limit, beforeId],
      )
    ).rows;
  },
  /** Invariant check: entries whose postings do not sum to zero. */
  async unbalancedEntries(q: Queryable): Promise<string[]> {
    return (
      await q.query<{ entry_id: string }>(
        'SELECT entry_id FROM ledger_postings GROUP BY entry_id HAVING sum(amount) <> 0',
      )
    ).rows.map((r) => r.entry_id);
  },
  /** Invariant check: running balances that differ from the sum of their postings (either side may be missing). */
  async driftedBalances(q: Queryable): Promise<string[]> {
    return (
      await q.query<{ account: string }>(
        `SELECT COALESCE(b.account, p.account) AS account FROM (SELECT account, sum(balance)::bigint AS balance FROM ledger_balances GROUP BY account) b
       FULL OUTER JOIN (SELECT account, sum(amount)::bigint AS s FROM ledger_postings GROUP BY account) p ON p.account = b.account
       WHERE COALESCE(b.balance, 0) <> COALESCE(p.s, 0) ORDER BY 1`,
      )
    ).rows.map((r) => r.account);
  },
  /** Invariant check: provider orders whose refunds to buyers exceed what the buyers paid. */
  async overRefundedTrades(q: Queryable): Promise<Array<{ trade_ref: string; refunded_beyond: number }>> {
    return (
      await q.query<{ trade_ref: string; refunded_beyond: number }>(
        `SELECT trade_ref, sum(amount)::bigint AS refunded_beyond FROM ledger_postings WHERE account = $1 AND trade_ref IS NOT NULL
       GROUP BY trade_ref HAVING sum(amount) > 0 ORDER BY trade_ref`,
        [BUYERS_ACCOUNT],
      )
    ).rows;
  },
  /** Provider orders with money still in escrow (frozen / unsettled), per holding account. */
  async heldTrades(q: Queryable, limit: number): Promise<Array<{ trade_ref: string; account: string; held: number }>> {
    return (
      await q.query<{ trade_ref: string; account: string; held: number }>(
        `SELECT trade_ref, account, sum(amount)::bigint AS held FROM ledger_postings
       WHERE trade_ref IS NOT NULL AND (account LIKE 'provider:%:frozen' OR account LIKE 'provider:%:unsettled')
       GROUP BY trade_ref, account HAVING sum(amount) <> 0 ORDER BY trade_ref LIMIT $1`,
        [limit],
      )
    ).rows;
  },
  async commissionRate(q: Queryable, category: string, at: Date): Promise<number> {
    const { rows } = await q.query<{ rate_bp: number }>(
      `SELECT rate_bp FROM commission_rates WHERE category IN ($1, '*') AND effective_from <= $2
       ORDER BY (category = '*'), effective_from DESC LIMIT 1`,
      [category, at],
    );
    return rows[0]?.rate_bp ?? 0;
  },
  async insertRate(q: Queryable, category: string, rateBp: number, effectiveFrom: Date, now: Date): Promise<void> {
    await q.query(
      `INSERT INTO commission_rates (category, rate_bp, effective_from, created_at) VALUES ($1,$2,$3,$4)
       ON CONFLICT (category, effective_from) DO UPDATE SET rate_bp = EXCLUDED.rate_bp`,
      [category, rateBp, effectiveFrom, now],
    );
  },
  async rates(q: Queryable) {
    return (
      await q.query<{ category: string; rate_bp: number; effective_from: Date }>(
        'SELECT category, rate_bp, effective_from FROM commission_rates ORDER BY category, effective_from',
      )
    ).rows;
  },
};
