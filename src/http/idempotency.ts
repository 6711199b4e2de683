// Idempotency-Key on every POST (api.md): same key + same body → the stored response; another body → 409
// idempotency_key_reused; two concurrent requests → one execution (a primary key decides the race, not a read).
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../shared/db';
import type { Clock } from '../shared/clock';
import { HutongError } from '../shared/errors';

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
const WAIT_FOR_RUNNING_MS_MAX = 10_000;
const WAIT_STEP_MS = 50;
/** A 'running' claim older than this was left by a crashed process; the next retry may run again. */
const STALE_CLAIM_MS = 5 * 60_000;

interface Claim {
  actorId: string;
  method: string;
  path: string;
  key: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    idempotencyClaim?: Claim;
  }
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

interface StoredRow {
  request_hash: string;
  state: 'running' | 'done';
  response_status: number | null;
  response_body: string | null;
  created_at: Date;
}

export function installIdempotency(app: FastifyInstance, db: Db, clock: Clock): void {
  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.method !== 'POST') return;
    const key = request.headers['idempotency-key'];
    if (key === undefined) return;
    if (typeof key !== 'string' || !KEY_PATTERN.test(key)) throw new HutongError('invalid_idempotency_key');
    const actorId = request.actor?.keyId ?? `ip:${request.ip}`;
    const claim: Claim = { actorId, method: request.method, path: request.url.split('?')[0] as string, key };
    const hash = createHash('sha256').update(canonical(request.body)).digest('hex');
    const started = Date.now();
    for (;;) {
      const inserted = await db.query(
        `INSERT INTO idempotency_keys (actor_id, method, path, key, request_hash, state, created_at)
         VALUES ($1,$2,$3,$4,$5,'running',$6) ON CONFLICT DO NOTHING`,
        [claim.actorId, claim.method, claim.path, claim.key, hash, clock.now()],
      );
      if (inserted.rowCount === 1) {
        request.idempotencyClaim = claim;
        return;
      }
      const { rows } = await db.query<StoredRow>(
        'SELECT request_hash, state, response_status, response_body, created_at FROM idempotency_keys WHERE actor_id=$1 AND method=$2 AND path=$3 AND key=$4',
        [claim.actorId, claim.method, claim.path, claim.key],
      );
      const row = rows[0];
      if (!row) continue; // released by a failed request just now: claim again
      if (row.request_hash !== hash) throw new HutongError('idempotency_key_reused');
      if (row.state === 'done') {
        reply.header('idempotent-replayed', 'true');
        return reply.status(row.response_status ?? 200).type('application/json; charset=utf-8').send(row.response_body ?? '');
      }
      if (clock.now().getTime() - row.created_at.getTime() > STALE_CLAIM_MS) {
        await db.query('DELETE FROM idempotency_keys WHERE actor_id=$1 AND method=$2 AND path=$3 AND key=$4 AND state=$5', [claim.actorId, claim.method, claim.path, claim.key, 'running']);
        continue;
      }
      if (Date.now() - started > WAIT_FOR_RUNNING_MS_MAX) throw new HutongError('idempotency_request_in_progress');
      await new Promise((r) => setTimeout(r, WAIT_STEP_MS));
    }
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const claim = request.idempotencyClaim;
    if (!claim) return payload;
    request.idempotencyClaim = undefined;
    const args = [claim.actorId, claim.method, claim.path, claim.key];
    if (reply.statusCode >= 500) {
      // Nothing was decided: let a retry run again.
      await db.query('DELETE FROM idempotency_keys WHERE actor_id=$1 AND method=$2 AND path=$3 AND key=$4', args);
    } else {
      await db.query(
        `UPDATE idempotency_keys SET state='done', response_status=$5, response_body=$6 WHERE actor_id=$1 AND method=$2 AND path=$3 AND key=$4`,
        [...args, reply.statusCode, typeof payload === 'string' ? payload : String(payload ?? '')],
      );
    }
    return payload;
  });
}
