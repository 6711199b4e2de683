// The idempotent door (the Formance/Stripe pattern). A write request that carries an Idempotency-Key gets a claim
// (http/idempotency.ts puts it in an AsyncLocalStorage context); the FIRST effect transaction of the service it calls
// goes through `writeOnce`, which inserts the idempotency record inside that same transaction, with the effect's
// result. So the record exists exactly when the effect committed:
// - a duplicate that arrives later finds the record and gets the stored response (or waits for it);
// - a duplicate that arrives at the same moment blocks on the record's primary key until the first commits, then
//   rolls back its own transaction (its effect never happens) and answers like the first, or 409 in use;
// - a retry after a crash between the commit and the reply finds a record without a response: after
//   RECOVER_AFTER_MS it takes the record over and continues from the stored result without running the effect again
//   (every provider call after it is repeat-safe by our out_trade_no / out_refund_no).
// The response is stored when it is sent, whatever its status: a failure after the effect committed is replayed as
// it was and never releases the key. Results and responses are sealed at rest (a new API key is shown once in its
// response, and must not lie in the database in plaintext).
import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from './clock';
import type { Db, Queryable } from './db';
import { HutongError } from './errors';
import type { Sealer } from './seal';

/** How long a duplicate waits for the first request's response before answering 409 idempotency_key_in_use. */
export const WAIT_FOR_RESPONSE_MS_MAX = 10_000;
const WAIT_STEP_MS_MIN = 10;
const WAIT_STEP_MS_MAX = 200;
/** A record without a response this old was left by a process that died after the commit: a retry takes it over. */
export const RECOVER_AFTER_MS = 60_000;
/** Expired records removed per sweep (the sweep runs every worker tick). */
export const EXPIRY_SWEEP_SIZE_MAX = 1_000;

export interface DoorClaim {
  /** sha256 of caller, method, route template, path parameters and key: the record's primary key. */
  scope: string;
  callerHash: string;
  method: string;
  route: string;
  requestHash: string;
  door: Door;
  /** The stored result to continue from (a retry that took over a record left without a response). */
  recovered?: { result: string | null };
  /** True once a record of this request exists (inserted by writeOnce or taken over): its response is stored. */
  recorded: boolean;
  /** writeOnce used the claim already: later transactions of the same request are ordinary ones. */
  consumed: boolean;
}

/** Answer with a response stored for this key (the error handler sends it as it was). */
export class StoredResponse extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super('stored response');
    this.name = 'StoredResponse';
  }
}

/** A test's simulated crash: the process "dies" at this point (the socket is destroyed, nothing else runs). */
export class SimulatedCrash extends Error {
  constructor(readonly point: string) {
    super(`simulated crash ${point}`);
    this.name = 'SimulatedCrash';
  }
}

class AlreadyRecorded extends Error {}

const claims = new AsyncLocalStorage<DoorClaim>();

export function withClaim<T>(claim: DoorClaim, fn: () => T): T {
  return claims.run(claim, fn);
}

/**
 * Runs the first effect transaction of a write. Without a claim (no Idempotency-Key, a worker, a test calling the
 * service) it is `db.tx(fn)`. With one, the idempotency record is inserted first in the same transaction; if this
 * key's effect already committed, `fn` does not run: the stored response is answered (StoredResponse), or the
 * stored result is returned to a retry that took over, or 409 idempotency_key_in_use. `fn`'s result must be plain
 * data (rows, ids, numbers, strings, Dates): it is stored as JSON.
 */
export async function writeOnce<T>(db: Db, fn: (q: Queryable) => Promise<T>): Promise<T> {
  const claim = claims.getStore();
  if (!claim || claim.consumed) return db.tx(fn);
  claim.consumed = true;
  if (claim.recovered) return decodeResult<T>(claim.recovered.result);
  const door = claim.door;
  let result: T;
  try {
    result = await db.tx(async (q) => {
      const inserted = await q.query(
        `INSERT INTO idempotency_records (scope, caller_hash, method, route, request_hash, created_at) VALUES ($1,$2,$3,$4,$5,$6)
         ON CONFLICT (scope) DO NOTHING`,
        [claim.scope, claim.callerHash, claim.method, claim.route, claim.requestHash, door.clock.now()],
      );
      if (inserted.rowCount !== 1) throw new AlreadyRecorded();
      const r = await fn(q);
      await q.query('UPDATE idempotency_records SET result = $2 WHERE scope = $1', [
        claim.scope,
        door.seal(claim.scope, 'result', encodeResult(r)),
      ]);
      return r;
    });
  } catch (err) {
    if (!(err instanceof AlreadyRecorded)) throw err;
    return decodeResult<T>(await door.settle(claim));
  }
  claim.recorded = true;
  if (door.faults.crashAfterCommit) throw new SimulatedCrash('after the effect committed');
  return result;
}

interface RecordRow {
  request_hash: string;
  result: string | null;
  response_status: number | null;
  response_body: string | null;
  created_at: Date;
  recovered_at: Date | null;
}

/** The door's storage: finding a record, waiting for its response, taking it over, storing the response, expiry. */
export class Door {
  /** Test-only crash points; nothing in the product sets them. */
  readonly faults: { crashAfterCommit?: boolean; crashBeforeReply?: boolean } = {};

  constructor(
    private readonly db: Db,
    readonly clock: Clock,
    private readonly sealer: Sealer,
    private readonly ttlMs: number,
  ) {}

  /** Sealed to its record and field: a value moved to another record does not open. */
  seal(scope: string, field: 'result' | 'response', text: string | null): string | null {
    return text === null ? null : this.sealer.seal(text, `idempotency_record:${scope}:${field}`);
  }

  private open(scope: string, field: 'result' | 'response', sealed: string | null): string | null {
    return sealed === null ? null : this.sealer.open<string>(sealed, `idempotency_record:${scope}:${field}`);
  }

  /**
   * A request whose key has a record already. Throws the stored response, 409 idempotency_key_reused (another
   * body) or 409 idempotency_key_in_use (still running elsewhere); returns the stored result when this request
   * takes over a record left without a response by a crash.
   */
  async settle(claim: DoorClaim): Promise<string | null> {
    const started = Date.now();
    for (let step = WAIT_STEP_MS_MIN; ; step = Math.min(step * 2, WAIT_STEP_MS_MAX)) {
      const found = await this.settleOnce(claim);
      if (found !== undefined) return found;
      if (Date.now() - started >= WAIT_FOR_RESPONSE_MS_MAX) throw new HutongError('idempotency_key_in_use');
      await sleep(step);
    }
  }

  /** One look at the record: throws or returns as `settle` does; undefined while the first request is still running. */
  private async settleOnce(claim: DoorClaim): Promise<string | null | undefined> {
    const row = await this.record(claim.scope);
    if (!row) throw new HutongError('idempotency_key_in_use'); // expired between the two reads: let the client retry
    if (row.request_hash !== claim.requestHash) throw new HutongError('idempotency_key_reused');
    if (row.response_status !== null)
      throw new StoredResponse(row.response_status, this.open(claim.scope, 'response', row.response_body) ?? '');
    const cutoff = new Date(this.clock.now().getTime() - RECOVER_AFTER_MS);
    if ((row.recovered_at ?? row.created_at) > cutoff) return undefined;
    // Left without a response by a process that died: one retry takes it over (the others keep waiting).
    const taken = await this.db.query<{ result: string | null }>(
      `UPDATE idempotency_records SET recovered_at = $2 WHERE scope = $1 AND response_status IS NULL AND COALESCE(recovered_at, created_at) <= $3
       RETURNING result`,
      [claim.scope, this.clock.now(), cutoff],
    );
    if (taken.rowCount !== 1) return undefined;
    claim.recorded = true;
    return this.open(claim.scope, 'result', taken.rows[0]!.result);
  }

  /** Before the handler runs: undefined when no record exists; otherwise as `settle`. */
  async lookup(claim: DoorClaim): Promise<{ result: string | null } | undefined> {
    if (!(await this.record(claim.scope))) return undefined;
    return { result: await this.settle(claim) };
  }

  async storeResponse(claim: DoorClaim, status: number, body: string): Promise<void> {
    await this.db.query(
      'UPDATE idempotency_records SET response_status = $2, response_body = $3, completed_at = $4 WHERE scope = $1 AND response_status IS NULL',
      [claim.scope, status, this.seal(claim.scope, 'response', body), this.clock.now()],
    );
  }

  /** Removes records older than the retention (HUTONG_IDEMPOTENCY_TTL_HOURS), at most EXPIRY_SWEEP_SIZE_MAX a pass. */
  async sweepExpired(): Promise<number> {
    const r = await this.db.query(
      `DELETE FROM idempotency_records WHERE scope IN (
         SELECT scope FROM idempotency_records WHERE created_at < $1 ORDER BY created_at LIMIT $2)`,
      [new Date(this.clock.now().getTime() - this.ttlMs), EXPIRY_SWEEP_SIZE_MAX],
    );
    return r.rowCount;
  }

  private async record(scope: string): Promise<RecordRow | undefined> {
    return (
      await this.db.query<RecordRow>(
        'SELECT request_hash, result, response_status, response_body, created_at, recovered_at FROM idempotency_records WHERE scope = $1',
        [scope],
      )
    ).rows[0];
  }
}

/** JSON that keeps Dates (rows carry them): `{"$date": iso}`. */
export function encodeResult(value: unknown): string {
  const text = JSON.stringify(value, function (this: Record<string, unknown>, key, v: unknown) {
    const raw = this[key];
    return raw instanceof Date ? { $date: raw.toISOString() } : v;
  });
  return text ?? 'null';
}

export function decodeResult<T>(text: string | null): T {
  if (text === null) return undefined as T;
  return JSON.parse(text, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      if (typeof o.$date === 'string' && Object.keys(o).length === 1) return new Date(o.$date);
    }
    return v;
  }) as T;
}
