// Asynchronous notifications: queued in the sandbox's database in the same transaction as the change they
// report, then delivered by one background loop with Alipay's retry schedule (scaled for tests).
import { randomBytes, type KeyObject } from 'node:crypto';
import { Agent, request } from 'undici';
import type { FastifyBaseLogger } from 'fastify';
import { many, one, type Db, type Sql } from './db';
import { NOTIFY_SIGN_EXCLUDED, signContent, signRsa2 } from './crypto';
import type { FaultState } from './faults';
import type { SandboxClock } from './clock';
import type { HostPolicy } from '../guard';

/** Alipay retries 7 times after the first try: 4m, 10m, 10m, 1h, 2h, 6h, 15h (8 notifications in ~25 h). */
const RETRY_SCHEDULE_MS = [4, 10, 10, 60, 120, 360, 900].map((minutes) => minutes * 60_000);
const ATTEMPTS_MAX = RETRY_SCHEDULE_MS.length + 1;
const BATCH_SIZE_MAX = 32;
const IDLE_POLL_MS = 200;
const DELIVERY_TIMEOUT_MS = 5_000;
/** A reordered notification waits for the next one, but never longer than this (sandbox clock). */
const REORDER_HOLD_MS = 30_000;

interface NotificationRow {
  id: number;
  url: string;
  body: string;
  attempts: number;
}

export interface NotifierOptions {
  db: Db;
  clock: SandboxClock;
  faults: FaultState;
  hosts: HostPolicy;
  signingKey: KeyObject;
  timeScale: number;
  logger?: FastifyBaseLogger;
}

export class Notifier {
  private readonly agent = new Agent({ keepAliveTimeout: 4_000, connections: 64 });
  private stopped = false;
  private wake: (() => void) | null = null;
  private loopDone: Promise<void> | null = null;
  private heldQueued = false;

  constructor(private readonly o: NotifierOptions) {}

  /**
   * Queues a signed trade_status_sync notification inside the caller's transaction. Signing excludes both
   * `sign` and `sign_type`, as Alipay's notification verifiers expect.
   */
  async enqueue(sql: Sql, tradeNo: string, url: string, fields: Record<string, string | undefined>): Promise<void> {
    const now = this.o.clock.now();
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== '') params[k] = v;
    params.notify_id = randomBytes(16).toString('hex');
    params.sign_type = 'RSA2';
    params.sign = signRsa2(signContent(params, NOTIFY_SIGN_EXCLUDED), this.o.signingKey);
    const held = this.o.faults.take('notifyReorder');
    const row = await one<{ id: number }>(
      sql,
      `insert into notifications (notify_id, trade_no, url, body, status, next_at, held, created_at)
       values ($1, $2, $3, $4, 'pending', $5, $6, $7) returning id`,
      [
        params.notify_id,
        tradeNo,
        url,
        new URLSearchParams(params).toString(),
        now + this.o.faults.value('notifyDelayMs'),
        held,
        now,
      ],
    );
    // A held (reordered) notification is released behind the next one; the flag spares a scan per enqueue.
    if (held) this.heldQueued = true;
    else if (this.heldQueued) {
      await sql.query('update notifications set held = false, after_id = $1 where held', [row!.id]);
      this.heldQueued = false;
    }
    setImmediate(() => this.kick());
  }

  kick(): void {
    this.wake?.();
  }

  start(): void {
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.kick();
    await this.loopDone;
    await this.agent.close();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let delivered = 0;
      try {
        delivered = await this.deliverDue();
      } catch (err) {
        if (!this.stopped) this.o.logger?.error({ err }, 'alipay sandbox: notification loop failed');
      }
      if (delivered < BATCH_SIZE_MAX && !this.stopped) await this.sleep(await this.msUntilNextDue());
    }
  }

  private async msUntilNextDue(): Promise<number> {
    const row = await one<{ next_at: number | null }>(
      this.o.db,
      `select min(next_at)::bigint as next_at from notifications where status = 'pending'`,
    );
    if (row?.next_at === null || row?.next_at === undefined) return IDLE_POLL_MS;
    return Math.min(IDLE_POLL_MS, Math.max(5, Number(row.next_at) - this.o.clock.now()));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  /** Delivers the due notifications, in order; a held (reordered) one waits until its successor was tried. */
  private async deliverDue(): Promise<number> {
    const now = this.o.clock.now();
    const rows = await many<NotificationRow>(
      this.o.db,
      `select n.id, n.url, n.body, n.attempts from notifications n
       where n.status = 'pending' and n.next_at <= $1
         and (not n.held or n.created_at + $2 <= $1)
         and (n.after_id is null or not exists (
           select 1 from notifications a where a.id = n.after_id and a.status = 'pending' and a.attempts = 0))
       order by n.next_at, n.id limit $3`,
      [now, REORDER_HOLD_MS, BATCH_SIZE_MAX],
    );
    const delivered = (await Promise.all(rows.map((row) => this.deliverOne(row)))).filter(
      (id): id is number => id !== null,
    );
    if (delivered.length > 0) {
      await this.o.db.query(
        `update notifications set status = 'delivered', attempts = attempts + 1, last_result = 'success' where id = any($1::int[])`,
        [delivered],
      );
    }
    return rows.length;
  }

  /** Tries one notification; returns its id when delivered (recorded in one batch by the caller). */
  private async deliverOne(row: NotificationRow): Promise<number | null> {
    const firstTry = row.attempts === 0;
    if (firstTry && this.o.faults.take('notifyDrop')) {
      await this.o.db.query(
        `update notifications set status = 'dropped', last_result = 'dropped by fault' where id = $1`,
        [row.id],
      );
      return null;
    }
    const copies = firstTry && this.o.faults.take('notifyDuplicate') ? 2 : 1;
    let result = '';
    for (let i = 0; i < copies && !this.stopped; i++) {
      const answer = await this.post(row);
      if (result !== 'success') result = answer;
    }
    const attempts = row.attempts + 1;
    const now = this.o.clock.now();
    if (result === 'success') return row.id;
    if (attempts >= ATTEMPTS_MAX) {
      await this.o.db.query(
        `update notifications set status = 'failed', attempts = $2, last_result = $3 where id = $1`,
        [row.id, attempts, result],
      );
    } else {
      const delayMs = Math.max(1, Math.round(RETRY_SCHEDULE_MS[attempts - 1]! * this.o.timeScale));
      await this.o.db.query(
        `update notifications set attempts = $2, next_at = $3, held = false, last_result = $4 where id = $1`,
        [row.id, attempts, now + delayMs, result],
      );
    }
    return null;
  }

  /** One POST; returns 'success' when the merchant answered HTTP 200 with the plain body "success". */
  private async post(row: NotificationRow): Promise<string> {
    // Checked again at delivery: a row queued under another configuration never reaches a host now refused.
    const refused = this.o.hosts.notifyUrlProblem(row.url);
    if (refused) return `refused: notify_url ${refused}`;
    try {
      const res = await request(row.url, {
        method: 'POST',
        body: row.body,
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
        dispatcher: this.agent,
        headersTimeout: DELIVERY_TIMEOUT_MS,
        bodyTimeout: DELIVERY_TIMEOUT_MS,
      });
      const text = (await res.body.text()).slice(0, 200);
      return res.statusCode === 200 && text.trim() === 'success'
        ? 'success'
        : `http ${res.statusCode}: ${text.slice(0, 60)}`;
    } catch (err) {
      return `error: ${(err as Error).message.slice(0, 100)}`;
    }
  }
}
