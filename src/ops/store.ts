// SQL for sweep claims: the lease, the failure count with its back-off, and the dead (stuck) rows.
import type { Db, Queryable } from '../shared/db';

export interface ClaimRow {
  kind: string;
  id: string;
  owner: string;
  lease_until: Date;
  next_try_at: Date;
  failures: number;
  last_error: string | null;
  failed_at: Date | null;
  dead_at: Date | null;
}

export const claimStore = {
  /** One statement, so two workers racing for a row get one winner (the loser sees the winner's lease). */
  async claim(q: Queryable, kind: string, id: string, owner: string, now: Date, leaseUntil: Date): Promise<boolean> {
    const r = await q.query(
      `INSERT INTO sweep_claims (kind, id, owner, lease_until, next_try_at) VALUES ($1, $2, $3, $5, $4)
       ON CONFLICT (kind, id) DO UPDATE SET owner = EXCLUDED.owner, lease_until = EXCLUDED.lease_until
       WHERE sweep_claims.dead_at IS NULL AND sweep_claims.lease_until <= $4 AND sweep_claims.next_try_at <= $4
       RETURNING id`,
      [kind, id, owner, now, leaseUntil],
    );
    return r.rowCount === 1;
  },

  /** Success: the row needs no claim any more (its failures are forgiven). */
  async release(q: Queryable, kind: string, id: string, owner: string): Promise<void> {
    await q.query('DELETE FROM sweep_claims WHERE kind = $1 AND id = $2 AND owner = $3', [kind, id, owner]);
  },

  /** Counts a failed try, frees the lease, and sets the next try (or the dead mark after triesMax). */
  async fail(
    db: Db,
    kind: string,
    id: string,
    owner: string,
    now: Date,
    error: string,
    triesMax: number,
    nextTryAt: (failures: number) => Date,
  ): Promise<{ failures: number; dead: boolean } | undefined> {
    return db.tx(async (q) => {
      const { rows } = await q.query<{ failures: number }>(
        'SELECT failures FROM sweep_claims WHERE kind = $1 AND id = $2 AND owner = $3 FOR UPDATE',
        [kind, id, owner],
      );
      if (!rows[0]) return undefined; // the lease ran out and another worker holds it now
      const failures = rows[0].failures + 1;
      const dead = failures >= triesMax;
      await q.query(
        `UPDATE sweep_claims SET failures = $4, last_error = $5, failed_at = $6, lease_until = $6, next_try_at = $7, dead_at = $8
         WHERE kind = $1 AND id = $2 AND owner = $3`,
        [kind, id, owner, failures, error, now, nextTryAt(failures), dead ? now : null],
      );
      return { failures, dead };
    });
  },

  async dead(q: Queryable, limit: number): Promise<ClaimRow[]> {
    return (
      await q.query<ClaimRow>(
        'SELECT * FROM sweep_claims WHERE dead_at IS NOT NULL ORDER BY dead_at DESC, kind, id LIMIT $1',
        [limit],
      )
    ).rows;
  },

  /** Ops' retry of a dead row: it is due again now, with a fresh count of tries. */
  async revive(q: Queryable, kind: string, id: string, now: Date): Promise<ClaimRow | undefined> {
    return (
      await q.query<ClaimRow>(
        `UPDATE sweep_claims SET dead_at = NULL, failures = 0, next_try_at = $3, lease_until = $3
       WHERE kind = $1 AND id = $2 AND dead_at IS NOT NULL RETURNING *`,
        [kind, id, now],
      )
    ).rows[0];
  },
};
