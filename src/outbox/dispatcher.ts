// Delivers outbox events to the modules that react to them (the ledger's postings, payments' reactions to orders'
// events). Each event is validated against its topic's schema, handed to every consumer of that topic and marked
// consumed in one transaction: a crash loses nothing and posts nothing twice. Events of one payment are taken in
// order whatever the number of workers: a worker takes only the head of a stream (skipping streams another worker
// holds) and may then follow that stream on. A handler that throws is retried with backoff and, after
// `EVENT_ATTEMPTS_MAX` tries, dead-lettered with an unknown topic or an invalid payload (dead at once); a dead event
// holds back the later events of its payment until ops retry it, and never stops the other payments.
import type { Queryable } from '../shared/db';
import type { ModuleContext } from '../shared/context';
import { parseEvent, type OutboxEvent, type Topic } from './events';
import { outboxStore, type OutboxRow } from './store';

/** Heads claimed per transaction. */
export const HEADS_PER_BATCH_MAX = 100;
/** Events of one stream followed in one claim (the rest wait for the next batch). */
export const EVENTS_PER_STREAM_MAX = 50;
/** Events handled in one call to `run()` (one worker tick), so a backlog never starves the other background tasks. */
export const EVENTS_PER_TICK_MAX = 2_000;
/** Tries of an event whose handler keeps failing before it is dead-lettered. */
export const EVENT_ATTEMPTS_MAX = 8;
const RETRY_BASE_MS = 1_000;
const RETRY_MS_MAX = 60 * 60_000;

export interface EventMeta {
  id: number;
  createdAt: Date;
}

export interface OutboxConsumer {
  /** Names the consumer in logs. */
  name: string;
  topics: readonly Topic[];
  /** Runs in the transaction that marks the event consumed; must only touch the database. */
  handle(q: Queryable, event: OutboxEvent, meta: EventMeta): Promise<void>;
}

export interface DrainResult {
  consumed: number;
  failed: number;
  dead: number;
}

export class OutboxDispatcher {
  private readonly consumers: OutboxConsumer[] = [];

  constructor(
    private readonly ctx: ModuleContext,
    private readonly limits: { eventsPerTick: number } = { eventsPerTick: EVENTS_PER_TICK_MAX },
  ) {}

  subscribe(consumer: OutboxConsumer): void {
    this.consumers.push(consumer);
  }

  /** One bounded drain; returns how many events were consumed. */
  async run(): Promise<number> {
    return (await this.drain()).consumed;
  }

  async drain(): Promise<DrainResult> {
    const total: DrainResult = { consumed: 0, failed: 0, dead: 0 };
    const max = this.limits.eventsPerTick;
    while (total.consumed + total.failed + total.dead < max) {
      const room = max - total.consumed - total.failed - total.dead;
      const batch = await this.ctx.db.tx((q) => this.batch(q, room));
      total.consumed += batch.consumed;
      total.failed += batch.failed;
      total.dead += batch.dead;
      // Fewer heads than asked means no other stream is due, but a stream cut at EVENTS_PER_STREAM_MAX still has
      // events waiting: without `cut`, one busy payment (a checkout raced by many attempts) drained only 50 events
      // per tick and the ledger lagged its refunds by ticks.
      if (batch.heads < Math.min(HEADS_PER_BATCH_MAX, room) && !batch.cut) break;
    }
    return total;
  }

  private async batch(q: Queryable, room: number): Promise<DrainResult & { heads: number; cut: boolean }> {
    const now = this.ctx.clock.now();
    const heads = await outboxStore.claimHeads(
      q,
      now,
      Math.min(HEADS_PER_BATCH_MAX, room),
      this.ctx.db.kind === 'postgres',
    );
    const result = { consumed: 0, failed: 0, dead: 0, heads: heads.length, cut: false };
    for (const head of heads) {
      let row: OutboxRow | undefined = head;
      let n = 0;
      for (; row && n < EVENTS_PER_STREAM_MAX && result.consumed + result.failed + result.dead < room; n++) {
        const outcome = await this.deliver(q, row, now);
        result[outcome]++;
        if (outcome !== 'consumed') {
          row = undefined;
          break;
        } // the stream waits behind this event
        row = await outboxStore.next(q, row.ordering_key, row.seq);
      }
      if (row && n === EVENTS_PER_STREAM_MAX) result.cut = true;
    }
    return result;
  }

  /** One event: handlers and the consumed mark commit together; a failure rolls back only this event's work. */
  private async deliver(q: Queryable, row: OutboxRow, now: Date): Promise<keyof DrainResult> {
    const parsed = parseEvent(row.topic, row.payload);
    if (!parsed.ok) {
      await outboxStore.failed(q, row.id, parsed.reason, null);
      this.ctx.log.error({ event_id: row.id, topic: row.topic, reason: parsed.reason }, 'outbox event dead-lettered');
      return 'dead';
    }
    const meta = { id: row.id, createdAt: row.created_at };
    await q.query('SAVEPOINT outbox_event');
    try {
      for (const c of this.consumers) if (c.topics.includes(parsed.event.topic)) await c.handle(q, parsed.event, meta);
      await q.query('RELEASE SAVEPOINT outbox_event');
    } catch (err) {
      await q.query('ROLLBACK TO SAVEPOINT outbox_event');
      const tries = row.attempts + 1;
      const retryAt =
        tries >= EVENT_ATTEMPTS_MAX
          ? null
          : new Date(now.getTime() + Math.min(RETRY_BASE_MS * 2 ** row.attempts, RETRY_MS_MAX));
      await outboxStore.failed(q, row.id, err instanceof Error ? err.message : String(err), retryAt);
      this.ctx.log.error(
        { event_id: row.id, topic: row.topic, tries, err },
        retryAt ? 'outbox event failed; retried later' : 'outbox event dead-lettered',
      );
      return retryAt ? 'failed' : 'dead';
    }
    await outboxStore.consumed(q, row.id, now);
    return 'consumed';
  }

  /** Dead-lettered events, oldest first, for ops. */
  async deadLetters(limit = HEADS_PER_BATCH_MAX): Promise<OutboxRow[]> {
    return outboxStore.dead(this.ctx.db, limit);
  }

  /** Puts a dead event back in line; false when there is no dead event with that id. */
  async retry(id: number): Promise<boolean> {
    return outboxStore.retry(this.ctx.db, id);
  }
}
