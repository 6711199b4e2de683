// SQL for the outbox: appending an event in the writer's transaction, claiming the head event of each payment's
// stream, and recording what became of each event (consumed, retried later, dead-lettered).
import type { Queryable } from '../shared/db';
import type { OutboxEvent } from './events';

export type OutboxState = 'pending' | 'consumed' | 'dead';

export interface OutboxRow {
  id: number;
  topic: string;
  aggregate_id: string;
  ordering_key: string;
  seq: number;
  payload: unknown;
  state: OutboxState;
  attempts: number;
  next_attempt_at: Date | null;
  last_error: string | null;
  created_at: Date;
  consumed_at: Date | null;
}

/** Longest error text kept on a failed event (enough to diagnose, never a whole stack). */
const ERROR_TEXT_MAX = 500;

/**
 * Appends an event in the caller's transaction. The stream's row is locked until that transaction ends, so two
 * writers of one payment take their sequence numbers in commit order, and a consumer can never see seq n+1 committed
 * while seq n is still to come.
 */
export async function appendEvent(q: Queryable, event: OutboxEvent, aggregateId: string, now: Date): Promise<void> {
  const key = event.payload.payment_id;
  const { rows } = await q.query<{ last_seq: number }>(
    `INSERT INTO outbox_streams (ordering_key, last_seq) VALUES ($1, 1)
     ON CONFLICT (ordering_key) DO UPDATE SET last_seq = outbox_streams.last_seq + 1 RETURNING last_seq`,
    [key],
  );
  await q.query(
    'INSERT INTO outbox (topic, aggregate_id, ordering_key, seq, payload, created_at) VALUES ($1,$2,$3,$4,$5,$6)',
    [event.topic, aggregateId, key, rows[0]!.last_seq, JSON.stringify(event.payload), now],
  );
}

export const outboxStore = {
  /**
   * Pending events that are the head of their stream (no earlier event of the same payment is pending or dead) and
   * due. On PostgreSQL the heads are locked and heads another consumer holds are skipped: its stream is busy.
   */
  async claimHeads(q: Queryable, now: Date, limit: number, lock: boolean): Promise<OutboxRow[]> {
    return (
      await q.query<OutboxRow>(
        `SELECT o.* FROM outbox o
       WHERE o.state = 'pending' AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= $1)
         AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.ordering_key = o.ordering_key AND e.seq < o.seq AND e.state <> 'consumed')
       ORDER BY o.id LIMIT $2${lock ? ' FOR UPDATE OF o SKIP LOCKED' : ''}`,
        [now, limit],
      )
    ).rows;
  },
  /** The next pending event of a stream whose head this consumer holds (nobody else can take it meanwhile). */
  async next(q: Queryable, orderingKey: string, afterSeq: number): Promise<OutboxRow | undefined> {
    return (
      await q.query<OutboxRow>(
        `SELECT * FROM outbox WHERE ordering_key = $1 AND seq > $2 AND state = 'pending' ORDER BY seq LIMIT 1`,
        [orderingKey, afterSeq],
      )
    ).rows[0];
  },
  async consumed(q: Queryable, id: number, now: Date): Promise<void> {
    await q.query(`UPDATE outbox SET state = 'consumed', consumed_at = $2 WHERE id = $1`, [id, now]);
  },
  /** A failed try: back off until `retryAt`, or dead-letter it when `retryAt` is null. */
  async failed(q: Queryable, id: number, error: string, retryAt: Date | null): Promise<void> {
    await q.query(
      `UPDATE outbox SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3, state = $4 WHERE id = $1`,
      [id, error.slice(0, ERROR_TEXT_MAX), retryAt, retryAt ? 'pending' : 'dead'],
    );
  },
  async dead(q: Queryable, limit: number): Promise<OutboxRow[]> {
    return (await q.query<OutboxRow>(`SELECT * FROM outbox WHERE state = 'dead' ORDER BY id LIMIT $1`, [limit])).rows;
  },
  /** Ops put a dead event back in line (after fixing its cause); its stream resumes from it. */
  async retry(q: Queryable, id: number): Promise<boolean> {
    const r = await q.query(
      `UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = NULL WHERE id = $1 AND state = 'dead'`,
      [id],
    );
    return r.rowCount === 1;
  },
  async pendingCount(q: Queryable): Promise<number> {
    return (await q.query<{ n: number }>(`SELECT count(*)::bigint AS n FROM outbox WHERE state = 'pending'`)).rows[0]!
      .n;
  },
};
