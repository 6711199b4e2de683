// Ops' view of background work that keeps failing: the stuck list (sweep rows set aside, dead outbox events) and its retry.
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { ModuleContext } from '../shared/context';
import { HutongError } from '../shared/errors';
import type { OutboxDispatcher } from '../outbox/dispatcher';
import { outboxStore, type OutboxRow } from '../outbox/store';
import { writeOnce } from '../shared/door';
import { SWEEP_KINDS } from './claims';
import { claimStore, type ClaimRow } from './store';

/** The stuck list shows at most this many rows, newest first. */
export const STUCK_LIST_MAX = 500;

/** Dead outbox events are listed with the sweeps' dead rows, under this kind (their id is the event's). */
const OUTBOX_KIND = 'outbox';
const Kind = Type.Union(
  [...SWEEP_KINDS, OUTBOX_KIND].map((k) => Type.Literal(k)),
  { description: 'Which sweep the row belongs to, or outbox.' },
);
const StuckRow = Type.Object({
  kind: Type.String(),
  id: Type.String(),
  failures: Type.Integer(),
  last_error: Type.Union([Type.String(), Type.Null()]),
  failed_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  dead_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  /** Outbox events: their topic and the payment whose events wait behind them. */
  topic: Type.Optional(Type.String()),
  ordering_key: Type.Optional(Type.String()),
});

function stuckJson(r: ClaimRow) {
  return {
    kind: r.kind,
    id: r.id,
    failures: r.failures,
    last_error: r.last_error,
    failed_at: r.failed_at?.toISOString() ?? null,
    dead_at: r.dead_at?.toISOString() ?? null,
  };
}

function deadEventJson(e: OutboxRow) {
  return {
    kind: OUTBOX_KIND,
    id: String(e.id),
    failures: e.attempts,
    last_error: e.last_error,
    failed_at: null,
    dead_at: null,
    topic: e.topic,
    ordering_key: e.ordering_key,
  };
}

export function opsRoutes(app: FastifyInstance, ctx: ModuleContext, outbox: OutboxDispatcher): void {
  app.get(
    '/v1/ops/stuck',
    {
      config: { access: ['ops'] },
      schema: {
        tags: ['ops'],
        summary:
          'Background work set aside after repeated failures (dead-letter list): which sweep, which row, the last error.',
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: STUCK_LIST_MAX })) }),
        response: { 200: Type.Object({ data: Type.Array(StuckRow) }) },
      },
    },
    async (req) => {
      const limit = (req.query as { limit?: number }).limit ?? STUCK_LIST_MAX;
      const rows = [
        ...(await claimStore.dead(ctx.db, limit)).map(stuckJson),
        ...(await outbox.deadLetters(limit)).map(deadEventJson),
      ];
      return { data: rows.slice(0, limit) };
    },
  );

  app.post(
    '/v1/ops/stuck/:kind/:id/retry',
    {
      config: { access: ['ops'] },
      schema: {
        tags: ['ops'],
        summary: 'Puts a stuck row back in its sweep: due now, with a fresh count of tries.',
        params: Type.Object({ kind: Kind, id: Type.String({ minLength: 1, maxLength: 128 }) }),
        response: { 200: StuckRow },
      },
    },
    async (req) => {
      const { kind, id } = req.params as { kind: string; id: string };
      // The change and its idempotency record commit together (the door), so a retried request replays this answer.
      if (kind === OUTBOX_KIND) {
        const dead = (await outbox.deadLetters(STUCK_LIST_MAX)).find((e) => String(e.id) === id);
        const retried = dead !== undefined && (await writeOnce(ctx.db, (q) => outboxStore.retry(q, dead.id)));
        if (!dead || !retried) throw new HutongError('not_found', `No dead outbox event ${id}.`);
        return { ...deadEventJson(dead), failures: 0 };
      }
      const revived = await writeOnce(ctx.db, (q) => claimStore.revive(q, kind, id, ctx.clock.now()));
      if (!revived) throw new HutongError('not_found', `No stuck ${kind} ${id}.`);
      return stuckJson(revived);
    },
  );
}
