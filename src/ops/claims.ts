// Every background sweep claims a row before it drives it, so that several workers (API and worker processes on one
// PostgreSQL) never drive one row at the same time, and a crashed worker's rows come back when its lease runs out.
// The claim is one conditional upsert on sweep_claims: it succeeds only when no live lease, no back-off and no
// dead mark stands in the way. The outcome is recorded: success removes the claim; a failure counts a try, backs
// off exponentially and, after SWEEP_TRIES_MAX tries, marks the row dead (the stuck list ops see and retry).
// One row's failure never stops the sweep: the others are driven all the same.
import type { ModuleContext } from '../shared/context';
import { randomToken } from '../shared/ids';
import { claimStore } from './store';

export const SWEEP_KINDS = [
  'order_timeout',
  'auto_confirm',
  'attempt',
  'refund',
  'escrow_release',
  'onboarding',
  'activation',
] as const;
export type SweepKind = (typeof SWEEP_KINDS)[number];

/** Longer than any one drive (a few provider calls with their timeouts); a crashed worker's rows wait this long. */
export const SWEEP_LEASE_MS = 2 * 60_000;
/** Tries before a row is set aside as dead (about 5 hours of back-off in all: 1 s doubling to an hour, then hourly). */
export const SWEEP_TRIES_MAX = 16;
export const SWEEP_BACKOFF_FIRST_MS = 1_000;
export const SWEEP_BACKOFF_MAX_MS = 60 * 60_000;
/** Longest error text kept on a claim. */
const ERROR_TEXT_MAX = 500;

/** Back-off after the n-th failure (n ≥ 1): 1 s, 2 s, 4 s … capped at an hour. */
export function backoffMs(failures: number, firstMs = SWEEP_BACKOFF_FIRST_MS, maxMs = SWEEP_BACKOFF_MAX_MS): number {
  return Math.min(firstMs * 2 ** Math.max(failures - 1, 0), maxMs);
}

/**
 * A condition for a sweep's due query: leaves out rows that another worker holds, that are backing off, or that are
 * dead. Without it, rows that keep failing would fill every batch and starve the rest.
 * `idSql` is the row's id expression, `nowParam` the query's parameter holding now.
 */
export function unclaimed(kind: SweepKind, idSql: string, nowParam: string): string {
  return `NOT EXISTS (SELECT 1 FROM sweep_claims c WHERE c.kind = '${kind}' AND c.id = ${idSql}
    AND (c.dead_at IS NOT NULL OR c.lease_until > ${nowParam} OR c.next_try_at > ${nowParam}))`;
}

export interface SweepOutcome {
  driven: number;
  failed: number;
  /** Held by another worker, backing off or dead. */
  skipped: number;
}

export class SweepClaims {
  /** Who holds a lease: one token per instance, so a late finish never clears another worker's claim. */
  private readonly owner = randomToken(16);

  constructor(private readonly ctx: ModuleContext) {}

  async claim(kind: SweepKind, id: string): Promise<boolean> {
    const now = this.ctx.clock.now();
    return claimStore.claim(this.ctx.db, kind, id, this.owner, now, new Date(now.getTime() + SWEEP_LEASE_MS));
  }

  /** Claims each row, drives it and records the outcome; returns how many were driven, failed and skipped. */
  async driveEach<T>(
    kind: SweepKind,
    rows: readonly T[],
    idOf: (row: T) => string,
    drive: (row: T) => Promise<unknown>,
  ): Promise<SweepOutcome> {
    const outcome: SweepOutcome = { driven: 0, failed: 0, skipped: 0 };
    for (const row of rows) {
      const id = idOf(row);
      if (!(await this.claim(kind, id))) {
        outcome.skipped++;
        continue;
      }
      if (await this.run(kind, id, () => drive(row))) outcome.driven++;
      else outcome.failed++;
    }
    return outcome;
  }

  /**
   * Drives one row now (e.g. right after the API call that created it) if no one else holds it. Returns false when
   * it was not claimed; an error is recorded on the claim and rethrown to the caller.
   */
  async once(kind: SweepKind, id: string, drive: () => Promise<unknown>): Promise<boolean> {
    if (!(await this.claim(kind, id))) return false;
    let failure: unknown;
    const ok = await this.run(kind, id, drive, (err) => {
      failure = err;
    });
    if (!ok) throw failure;
    return true;
  }

  private async run(
    kind: SweepKind,
    id: string,
    drive: () => Promise<unknown>,
    onError?: (err: unknown) => void,
  ): Promise<boolean> {
    try {
      await drive();
    } catch (err) {
      await this.recordFailure(kind, id, err);
      onError?.(err);
      return false;
    }
    // Losing the database here leaves the lease to run out; the next worker drives the row again.
    await claimStore
      .release(this.ctx.db, kind, id, this.owner)
      .catch((err: unknown) =>
        this.ctx.log.warn({ kind, id, err: String(err) }, 'releasing a sweep claim failed; its lease runs out'),
      );
    return true;
  }

  private async recordFailure(kind: SweepKind, id: string, err: unknown): Promise<void> {
    const now = this.ctx.clock.now();
    const text = errorText(err);
    try {
      const failed = await claimStore.fail(
        this.ctx.db,
        kind,
        id,
        this.owner,
        now,
        text,
        SWEEP_TRIES_MAX,
        (failures) => new Date(now.getTime() + backoffMs(failures)),
      );
      const dead = failed !== undefined && failed.dead;
      this.ctx.log[dead ? 'error' : 'warn'](
        { kind, id, failures: failed?.failures, err: text },
        dead ? 'sweep row set aside as stuck' : 'sweep row failed; backing off',
      );
    } catch (recordErr) {
      this.ctx.log.error(
        { kind, id, err: text, recordErr: String(recordErr) },
        'recording a sweep failure failed; its lease runs out',
      );
    }
  }
}

function errorText(err: unknown): string {
  const code =
    typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
  const message = err instanceof Error ? err.message : String(err);
  return (code ? `${code}: ${message}` : message).slice(0, ERROR_TEXT_MAX);
}
