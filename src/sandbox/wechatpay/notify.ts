// Notifications: queued in the sandbox's database in the same transaction as the change they announce, then
// delivered by a background loop (undici) with WeChat Pay's retry schedule, scaled by notifyTimeScale.
import { request } from 'undici';
import { merchantKey, signBody } from './auth';
import { findMerchant } from './merchants';
import type { Ctx } from './context';
import { aeadEncrypt } from './crypto';
import { all, type Tx } from './db';
import { ids } from './ids';
import { rfc3339 } from './time';

/** Waits after the n-th failed delivery (15 retries over about 24 hours). */
export const RETRY_SCHEDULE_MS = [
  15_000, 15_000, 30_000, 180_000, 600_000, 1_200_000, 1_800_000, 1_800_000, 1_800_000, 3_600_000, 10_800_000,
  10_800_000, 10_800_000, 21_600_000, 21_600_000,
];
const DELIVERY_TIMEOUT_MS = 5_000;
const BATCH_MAX = 16;
const IN_FLIGHT_MAX = 8;
const IDLE_POLL_MS = 200;
/** A notification held back for reordering goes out anyway after this long when no other one comes. */
const REORDER_HOLD_MAX_MS = 2_000;

export interface NotificationEvent {
  spMchid: string;
  apiv3Key: string;
  url: string;
  eventType: 'TRANSACTION.SUCCESS' | 'REFUND.SUCCESS' | 'REFUND.ABNORMAL' | 'REFUND.CLOSED';
  summary: string;
  originalType: 'transaction' | 'refund';
  resource: Record<string, unknown>;
}

export async function enqueueNotification(tx: Tx, ctx: Ctx, event: NotificationEvent): Promise<string> {
  const id = ids.eventId();
  const body = JSON.stringify({
    id,
    create_time: rfc3339(ctx.clock.now()),
    resource_type: 'encrypt-resource',
    event_type: event.eventType,
    summary: event.summary,
    resource: {
      original_type: event.originalType,
      ...aeadEncrypt(JSON.stringify(event.resource), event.apiv3Key, event.originalType),
    },
  });
  const nowReal = Date.now();
  const dueReal = nowReal + ctx.faults.value.notifyDelayMs;
  let status = 'pending';
  if (ctx.faults.hit('notifyDrop')) status = 'dropped';
  else if (ctx.faults.hit('notifyReorder')) status = 'held';
  const duplicate = status === 'pending' && ctx.faults.hit('notifyDuplicate');
  const { rows } = await tx.query<{ seq: number }>(
    `insert into wx_notifications (id, sp_mchid, url, event_type, body, status, duplicate, next_real_ms, created_ms)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning seq`,
    [
      id,
      event.spMchid,
      event.url,
      event.eventType,
      body,
      status,
      duplicate,
      status === 'held' ? dueReal + REORDER_HOLD_MAX_MS : dueReal,
      ctx.clock.now(),
    ],
  );
  if (status === 'held') ctx.mayHoldNotifications = true;
  if (status === 'pending' && ctx.mayHoldNotifications) {
    // Anything held for reordering now goes out right after this one's first attempt.
    const released = await tx.query(
      `update wx_notifications set status = 'pending', after_seq = $1, next_real_ms = $2 where status = 'held'`,
      [rows[0]?.seq, dueReal],
    );
    if (!released.affectedRows) ctx.mayHoldNotifications = false;
  }
  return id;
}

interface NotificationRow {
  seq: number;
  id: string;
  sp_mchid: string;
  url: string;
  body: string;
  status: string;
  attempts: number;
  duplicate: boolean;
}

export class Notifier {
  private running = false;
  private readonly inFlight = new Set<number>();
  private wakeUp: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private readonly abort = new AbortController();

  constructor(private readonly ctx: Ctx) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  wake(): void {
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort();
    this.wake();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let picked = 0;
      try {
        picked = await this.deliverDue();
      } catch (err) {
        if (this.running) this.ctx.log.error({ err }, 'wechatpay sandbox: notification loop failed');
      }
      if (!this.running) break;
      if (picked === 0) await this.idle();
    }
    while (this.inFlight.size > 0) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(), IDLE_POLL_MS);
      this.wakeUp = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
    });
  }

  private async deliverDue(): Promise<number> {
    const room = IN_FLIGHT_MAX - this.inFlight.size;
    if (room <= 0) return 0;
    const due = await all<NotificationRow>(
      this.ctx.db,
      `select n.seq, n.id, n.sp_mchid, n.url, n.body, n.status, n.attempts, n.duplicate from wx_notifications n
        where n.status in ('pending', 'held') and n.next_real_ms <= $1 and not (n.seq = any($2::bigint[]))
          and (n.status = 'held' or (n.status = 'pending' and (n.after_seq is null or exists (
                select 1 from wx_notifications a where a.seq = n.after_seq and (a.attempts > 0 or a.status <> 'pending')))))
        order by n.next_real_ms, n.seq limit $3`,
      [Date.now(), [...this.inFlight], Math.min(room, BATCH_MAX)],
    );
    for (const row of due) {
      this.inFlight.add(row.seq);
      // A failed delivery (its database gone at close, say) is retried from the row; it must not end the process.
      void this.deliver(row)
        .catch((err: unknown) => {
          if (this.running) this.ctx.log.error({ err }, 'wechatpay sandbox: delivering a notification failed');
        })
        .finally(() => {
          this.inFlight.delete(row.seq);
          this.wake();
        });
    }
    return due.length;
  }

  private async post(row: NotificationRow): Promise<number> {
    // Checked again at delivery: a row queued under another configuration never reaches a host now refused.
    if (this.ctx.hosts.notifyUrlProblem(row.url)) return 0;
    const headers = signBody(row.body, merchantKey(this.ctx, await findMerchant(this.ctx, row.sp_mchid)));
    try {
      const res = await request(row.url, {
        method: 'POST',
        body: row.body,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Mozilla/4.0 (WeChat Pay sandbox)',
          'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048',
          ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
        },
        headersTimeout: DELIVERY_TIMEOUT_MS,
        bodyTimeout: DELIVERY_TIMEOUT_MS,
        signal: this.abort.signal,
      });
      await res.body.dump();
      return res.statusCode;
    } catch {
      return 0; // refused, unreachable or timed out: a failed attempt like any non-2xx answer
    }
  }

  private async deliver(row: NotificationRow): Promise<void> {
    const status = await this.post(row);
    if (!this.running) return;
    const ok = status >= 200 && status < 300;
    if (ok && row.duplicate) await this.post(row);
    const attempts = row.attempts + 1;
    const waitMs = RETRY_SCHEDULE_MS[attempts - 1];
    const next = ok ? 'delivered' : waitMs === undefined ? 'failed' : 'pending';
    const nextReal = Date.now() + Math.round((waitMs ?? 0) * this.ctx.settings.notifyTimeScale);
    await this.ctx.db.query(
      `update wx_notifications set status = $2, attempts = $3, last_http_status = $4, next_real_ms = $5 where seq = $1`,
      [row.seq, next, attempts, status, nextReal],
    );
  }
}
