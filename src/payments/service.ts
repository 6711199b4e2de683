// Payments: attempts per method tried, at most one success per payment, and every provider call that moves money.
// The attempt row with its provider order numbers is committed before the provider is called; no transaction
// spans a provider call; state changes write outbox events in the same transaction.
import type { ModuleContext } from '../shared/context';
import { writeOnce } from '../shared/door';
import type { Queryable } from '../shared/db';
import { newId } from '../shared/ids';
import { HutongError } from '../shared/errors';
import { ensureOwner, type Actor } from '../auth/actor';
import {
  ProviderError,
  type PaidSubTrade,
  type PaymentScene,
  type ProviderName,
  type TradeRef,
} from '../providers/types';
import type { ProviderRegistry } from '../providers/registry';
import type { OrdersService } from '../orders/service';
import type { OrderRow } from '../orders/store';
import { catalogStore } from '../catalog/store';
import { fen } from '../shared/money';
import { paymentStore, type PaymentRow } from './payment-store';
import { attemptStore, eventStore, paymentStats, type AttemptOrderRow, type AttemptRow } from './store';
import { providerAccountStore } from './provider-account-store';
import { clientFrom, defaultScene, METHOD_SCENES, type ClientInfo } from './client';
import { ProviderAccountEligibility, type EligibilityPolicy, type MethodAvailability } from './eligibility';
import { paymentJson, type PaymentView } from './views';
import type { RefundsService } from './refunds';
import { appendEvent } from '../outbox/store';
import { SweepClaims } from '../ops/claims';

/** First janitor look at a new attempt, then backing off to this maximum. */
export const ATTEMPT_FIRST_CHECK_MS = 30_000;
export const ATTEMPT_CHECK_MS_MAX = 5 * 60_000;
const JANITOR_SWEEP_SIZE_MAX = 100;

type Headers = Record<string, string | string[] | undefined>;

export type PaidOutcome = 'applied' | 'already_recorded' | 'late_refunded' | 'anomaly';

interface PaidEffect {
  outcome: PaidOutcome;
  attempt?: AttemptRow;
  /** Refunds written with the effect, sent right after the commit (the sweep would too). */
  refundIds?: string[];
}

export class PaymentsService implements PaymentView {
  eligibility: EligibilityPolicy;
  private readonly claims: SweepClaims;

  constructor(
    private readonly ctx: ModuleContext,
    private readonly providers: ProviderRegistry,
    private readonly orders: OrdersService,
    /** Automatic refunds of duplicate and late payments. */
    private readonly refunds: RefundsService,
  ) {
    this.eligibility = new ProviderAccountEligibility(ctx.db, providers);
    this.claims = new SweepClaims(ctx);
  }

  async payment(actor: Actor, id: string): Promise<PaymentRow> {
    const payment = await paymentStore.get(this.ctx.db, id);
    if (!payment) throw new HutongError('not_found', `No payment ${id}.`);
    if (actor.role === 'merchant') {
      const orders = await this.orders.ordersOfPayment(id);
      if (!orders.some((o) => o.merchant_id === actor.merchantId)) throw new HutongError('forbidden_resource');
    } else {
      ensureOwner(actor, { buyerId: payment.buyer_id });
    }
    return payment;
  }

  async methods(payment: PaymentRow, client: ClientInfo, orders?: OrderRow[]): Promise<MethodAvailability[]> {
    const ofPayment = orders ?? (await this.orders.ordersOfPayment(payment.id));
    return this.eligibility.evaluate({
      merchantIds: [...new Set(ofPayment.map((o) => o.merchant_id))],
      buyerId: payment.buyer_id,
      client,
    });
  }

  async paymentJson(actor: Actor, paymentId: string, headers: Headers) {
    const payment = await this.payment(actor, paymentId);
    const [attempts, orders] = await Promise.all([
      attemptStore.ofPayment(this.ctx.db, paymentId),
      this.orders.ordersOfPayment(paymentId),
    ]);
    const methods = await this.methods(payment, clientFrom(headers), orders);
    return paymentJson(payment, attempts, orders, methods, actor);
  }

  async createAttempt(
    actor: Actor,
    paymentId: string,
    method: ProviderName,
    requestedScene: PaymentScene | undefined,
    headers: Headers,
    clientIp: string,
  ): Promise<AttemptRow> {
    const payment = await this.payment(actor, paymentId);
    if (actor.role !== 'buyer') throw new HutongError('forbidden_role', 'Only the buyer pays.');
    const client = clientFrom(headers);
    const scene = requestedScene ?? defaultScene(method, client);
    if (!METHOD_SCENES[method].includes(scene))
      throw new HutongError('scene_unsupported', `${method} has no ${scene} scene.`, { method, scene });
    if (payment.status !== 'requires_method' && payment.status !== 'pending') {
      throw new HutongError('payment_state_conflict', `The payment is ${payment.status}.`, { status: payment.status });
    }
    if (this.ctx.clock.now() >= payment.expires_at) {
      throw new HutongError('payment_state_conflict', 'The checkout’s payment deadline has passed.', {
        status: 'expired',
      });
    }
    const orders = await this.orders.ordersOfPayment(paymentId);
    const availability = (await this.methods(payment, client, orders)).find((m) => m.method === method);
    if (!availability?.available)
      throw new HutongError('method_unavailable', undefined, {
        method,
        reason: availability?.reason ?? 'method_disabled',
      });
    const subMerchants = await providerAccountStore.subMerchantIds(
      this.ctx.db,
      orders.map((o) => o.merchant_id),
      method,
    );
    if (orders.some((o) => !subMerchants.has(o.merchant_id)))
      throw new HutongError('method_unavailable', undefined, { method, reason: 'merchant_not_enabled' });
    const now = this.ctx.clock.now();
    const fresh: AttemptRow = {
      id: newId('att'),
      payment_id: paymentId,
      method,
      scene,
      status: 'created',
      action: null,
      failure_code: null,
      late_paid: false,
      expires_at: payment.expires_at,
      next_check_at: new Date(now.getTime() + ATTEMPT_FIRST_CHECK_MS),
      check_count: 0,
      succeeded_at: null,
      closed_at: null,
      created_at: now,
    };
    const freshOrders: AttemptOrderRow[] = orders.map((o, i) => ({
      attempt_id: fresh.id,
      order_id: o.id,
      merchant_id: o.merchant_id,
      out_trade_no: `${fresh.id.replace('att_', 'T')}_${i + 1}`,
      sub_merchant_id: subMerchants.get(o.merchant_id)!,
      amount: o.amount,
      paid: false,
      transaction_id: null,
      paid_at: null,
    }));
    // Through the door: a retry with the same Idempotency-Key continues with this attempt and its provider order numbers.
    const { attempt, attemptOrders } = await writeOnce(this.ctx.db, async (q) => {
      const current = await paymentStore.transition(q, paymentId, ['requires_method', 'pending'], 'pending');
      if (!current) throw new HutongError('payment_state_conflict', 'The payment is no longer open.');
      // The payment's row is locked by the transition above: concurrent attempts are counted one at a time.
      const recent = await q.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM attempts WHERE payment_id = $1 AND created_at > $2',
        [paymentId, new Date(now.getTime() - 60_000)],
      );
      if ((recent.rows[0]?.n ?? 0) >= this.ctx.config.limits.paymentAttemptsPerMinute) {
        throw new HutongError('too_many_attempts', undefined, {
          maximum_per_minute: this.ctx.config.limits.paymentAttemptsPerMinute,
        });
      }
      await attemptStore.insert(q, fresh, freshOrders);
      return { attempt: fresh, attemptOrders: freshOrders };
    });

    const buyer = await catalogStore.buyer(this.ctx.db, payment.buyer_id);
    const merchantNames = new Map(
      (
        await catalogStore.merchantsByIds(
          this.ctx.db,
          orders.map((o) => o.merchant_id),
        )
      ).map((m) => [m.id, m.name]),
    );
    const adapter = this.providers.get(method);
    try {
      const action = await adapter.createTrade({
        scene,
        groupOutTradeNo: attempt.id.replace('att_', 'G'),
        subOrders: attemptOrders.map((ao) => ({
          outTradeNo: ao.out_trade_no,
          subMerchantId: ao.sub_merchant_id,
          amountFen: fen(ao.amount),
          description: `${merchantNames.get(ao.merchant_id) ?? 'Hutong'} ${ao.order_id}`.slice(0, 120),
        })),
        expiresAt: payment.expires_at,
        notifyUrl: `${this.ctx.config.publicUrl}/notify/${method}`,
        returnUrl: `${this.ctx.config.publicUrl}/shop/payments/${paymentId}`,
        payer: { wechatOpenid: buyer?.wechat_openid, clientIp },
      });
      const pending = await attemptStore.transition(this.ctx.db, attempt.id, ['created'], 'pending', { action });
      this.closeOtherAttemptsLater(paymentId, attempt.id);
      return pending ?? (await attemptStore.get(this.ctx.db, attempt.id))!;
    } catch (err) {
      if (err instanceof ProviderError && (err.kind === 'declined' || err.kind === 'invalid_request')) {
        await attemptStore.transition(this.ctx.db, attempt.id, ['created'], 'failed', { failure_code: err.code });
      }
      // unavailable / outcome unknown: the attempt stays 'created' and the janitor queries it.
      throw err;
    }
  }

  /**
   * Closes the other attempts without making the caller wait. Nothing is lost if this fails (a database hiccup, a
   * crash): the janitor queries every open attempt and closes it past its deadline, or refunds it if it was paid.
   */
  private closeOtherAttemptsLater(paymentId: string, exceptId: string): void {
    void this.closeOtherAttempts(paymentId, exceptId).catch((err: unknown) => {
      this.ctx.log.warn(
        { payment_id: paymentId, err: String(err) },
        'closing the other attempts failed; the janitor retries',
      );
    });
  }

  /** Switching method closes the earlier attempts at their providers. */
  async closeOtherAttempts(paymentId: string, exceptId: string | null): Promise<void> {
    for (const a of await attemptStore.ofPayment(this.ctx.db, paymentId)) {
      if (a.id === exceptId || (a.status !== 'created' && a.status !== 'pending')) continue;
      await this.closeAttempt(a).catch((err) =>
        this.ctx.log.warn({ attempt_id: a.id, err: String(err) }, 'closing an attempt failed; the janitor retries'),
      );
    }
  }

  async tradeRef(attempt: AttemptRow): Promise<TradeRef> {
    const orders = await attemptStore.orders(this.ctx.db, attempt.id);
    return {
      groupOutTradeNo: attempt.id.replace('att_', 'G'),
      subOrders: orders.map((o) => ({
        outTradeNo: o.out_trade_no,
        subMerchantId: o.sub_merchant_id,
        amountFen: fen(o.amount),
      })),
    };
  }

  /** Closes at the provider first; only then locally. A trade that was paid meanwhile is recorded (and refunded if late). */
  async closeAttempt(attempt: AttemptRow): Promise<void> {
    const adapter = this.providers.get(attempt.method);
    const ref = await this.tradeRef(attempt);
    try {
      await adapter.closeTrade(ref);
    } catch (err) {
      if (err instanceof ProviderError && err.code === 'trade_already_paid') {
        await this.reconcileAttempt(attempt);
        return;
      }
      throw err;
    }
    await this.closeLocally(attempt);
  }

  /** Closes an attempt in our records; sub-trades paid before the close (a merged payment paid in part) go back. */
  private async closeLocally(attempt: AttemptRow): Promise<void> {
    const refundIds = await this.ctx.db.tx(async (q) => {
      const closed = await attemptStore.transition(q, attempt.id, ['created', 'pending'], 'closed', {
        closed_at: this.ctx.clock.now(),
      });
      return closed ? this.refundLosingAttempt(q, closed) : [];
    });
    await this.sendRefunds(refundIds);
  }

  /** Asks the provider what happened to an attempt and records every paid sub-trade. */
  async reconcileAttempt(attempt: AttemptRow): Promise<{ paid: number; open: number; closed: number }> {
    const statuses = await this.providers.get(attempt.method).queryTrade(await this.tradeRef(attempt));
    let paid = 0;
    let open = 0;
    let closed = 0;
    for (const s of statuses) {
      if ((s.state === 'succeeded' || s.state === 'refunded') && s.transactionId && s.amountFen !== undefined) {
        await this.recordSubTradePaid(attempt.method, {
          outTradeNo: s.outTradeNo,
          subMerchantId: s.subMerchantId,
          transactionId: s.transactionId,
          amountFen: s.amountFen,
          paidAt: s.paidAt ?? this.ctx.clock.now(),
        });
        paid++;
      } else if (s.state === 'closed') closed++;
      else open++;
    }
    return { paid, open, closed };
  }

  /**
   * The one path by which money arriving at a provider is recorded (notification or janitor query).
   * Invariant: at most one attempt per payment succeeds; any other paid sub-trade is refunded automatically.
   */
  async recordSubTradePaid(provider: ProviderName, trade: PaidSubTrade): Promise<PaidOutcome> {
    const effect = await this.ctx.db.tx((q) => this.applyPaidTrade(q, provider, trade, this.ctx.clock.now()));
    await this.afterPaid([effect]);
    return effect.outcome;
  }

  /**
   * A provider's notification of paid trades: the inbox row, every sub-trade and the processed mark commit together
   * (one commit per notification). Returns null when this event id was already processed.
   */
  async recordNotifiedPayment(
    provider: ProviderName,
    eventId: string,
    payload: unknown,
    trades: PaidSubTrade[],
  ): Promise<PaidOutcome[] | null> {
    const now = this.ctx.clock.now();
    const effects = await this.ctx.db.tx(async (q) => {
      const fresh = await eventStore.recordInbox(q, provider, eventId, 'trade_paid', payload, now);
      if (!fresh && (await eventStore.inboxProcessed(q, provider, eventId))) return null;
      const applied: PaidEffect[] = [];
      for (const trade of trades) applied.push(await this.applyPaidTrade(q, provider, trade, now));
      // An anomaly is recorded but the event stays unprocessed: the provider's retry is looked at again.
      if (!applied.some((e) => e.outcome === 'anomaly'))
        await eventStore.markProcessed(q, provider, eventId, applied.map((e) => e.outcome).join(','), now);
      return applied;
    });
    if (!effects) return null;
    await this.afterPaid(effects);
    return effects.map((e) => e.outcome);
  }

  /** After commit: send automatic refunds now (the sweep would too), close the other attempts of a paid checkout. */
  private async afterPaid(effects: PaidEffect[]): Promise<void> {
    for (const e of effects) {
      await this.sendRefunds(e.refundIds ?? []);
      if (e.outcome === 'applied' && e.attempt) this.closeOtherAttemptsLater(e.attempt.payment_id, e.attempt.id);
    }
  }

  private async sendRefunds(ids: readonly string[]): Promise<void> {
    for (const id of ids) await this.refunds.driveNow(id);
  }

  /**
   * A losing attempt gives back everything it took: every sub-order it was paid for is refunded in full, whichever
   * order the notifications came in (one recorded while the attempt was still live included). Idempotent: one
   * refund per provider order. Returns the attempt's refunds not sent yet.
   */
  private async refundLosingAttempt(q: Queryable, attempt: AttemptRow): Promise<string[]> {
    const paid = (await attemptStore.orders(q, attempt.id)).filter((o) => o.paid);
    if (paid.length === 0) return [];
    for (const order of paid) await this.refunds.recordDuplicateRefund(q, attempt, order);
    if (!attempt.late_paid) await attemptStore.update(q, attempt.id, { late_paid: true });
    return (
      await q.query<{ id: string }>(
        `SELECT id FROM refunds WHERE attempt_id = $1 AND kind = 'duplicate_payment' AND status = 'pending'`,
        [attempt.id],
      )
    ).rows.map((r) => r.id);
  }

  /** Whether an attempt can no longer win: it is closed or failed, or its payment is decided without it. */
  private static lost(attempt: AttemptRow, payment: PaymentRow): boolean {
    if (attempt.status === 'succeeded') return false;
    const attemptLive = attempt.status === 'created' || attempt.status === 'pending';
    const paymentOpen = payment.status === 'requires_method' || payment.status === 'pending';
    return !attemptLive || !paymentOpen;
  }

  private async applyPaidTrade(
    q: Queryable,
    provider: ProviderName,
    trade: PaidSubTrade,
    now: Date,
  ): Promise<PaidEffect> {
    const ao = await attemptStore.orderByOutTradeNo(q, trade.outTradeNo);
    const attempt = ao ? await attemptStore.get(q, ao.attempt_id, true) : undefined;
    // Alipay's notification names no sub-merchant: compare it only where the provider gives one.
    const subMerchantDiffers = trade.subMerchantId !== '' && ao?.sub_merchant_id !== trade.subMerchantId;
    if (!ao || !attempt || attempt.method !== provider || ao.amount !== trade.amountFen || subMerchantDiffers) {
      await eventStore.anomaly(
        q,
        provider,
        'paid_trade_mismatch',
        trade.outTradeNo,
        { trade, expected: ao ?? null },
        now,
      );
      return { outcome: 'anomaly' };
    }
    if (!(await attemptStore.markOrderPaid(q, trade.outTradeNo, trade.transactionId, trade.paidAt))) {
      // A repeat: if the attempt has lost meanwhile, make sure everything it took is on its way back.
      const payment = (await paymentStore.get(q, attempt.payment_id, true))!;
      const refundIds = PaymentsService.lost(attempt, payment) ? await this.refundLosingAttempt(q, attempt) : [];
      return { outcome: 'already_recorded', refundIds };
    }
    const payment = (await paymentStore.get(q, attempt.payment_id, true))!;
    await appendEvent(
      q,
      {
        topic: 'payment.sub_order_paid',
        payload: {
          provider,
          attempt_id: attempt.id,
          payment_id: payment.id,
          order_id: ao.order_id,
          merchant_id: ao.merchant_id,
          sub_merchant_id: ao.sub_merchant_id,
          out_trade_no: ao.out_trade_no,
          transaction_id: trade.transactionId,
          amount: ao.amount,
          paid_at: trade.paidAt.toISOString(),
        },
      },
      ao.order_id,
      now,
    );
    if (PaymentsService.lost(attempt, payment)) {
      // Paid after it should have closed (or a second success): it will never succeed; this sub-order's money
      // goes back, and so does that of every sub-order of the attempt recorded earlier.
      const closed =
        (await attemptStore.transition(q, attempt.id, ['created', 'pending'], 'closed', { closed_at: now })) ?? attempt;
      return { outcome: 'late_refunded', attempt: closed, refundIds: await this.refundLosingAttempt(q, closed) };
    }
    if (attempt.status === 'succeeded') return { outcome: 'applied' };
    const all = await attemptStore.orders(q, attempt.id);
    if (!all.every((o) => o.paid)) return { outcome: 'applied' };
    await attemptStore.transition(q, attempt.id, ['created', 'pending'], 'succeeded', { succeeded_at: now });
    await paymentStore.transition(q, payment.id, ['requires_method', 'pending'], 'succeeded', now);
    await this.orders.markCheckoutPaid(q, payment.id);
    await appendEvent(
      q,
      {
        topic: 'payment.succeeded',
        payload: { payment_id: payment.id, attempt_id: attempt.id, provider, amount: payment.amount },
      },
      payment.id,
      now,
    );
    // The other attempts have lost: what they were paid so far goes back now (what they are paid later, on arrival).
    const refundIds: string[] = [];
    for (const other of await attemptStore.ofPayment(q, payment.id)) {
      if (other.id !== attempt.id) refundIds.push(...(await this.refundLosingAttempt(q, other)));
    }
    return { outcome: 'applied', attempt, refundIds };
  }

  /** Janitor: attempts whose notification may have been lost, or that passed their deadline. Each claimed first. */
  async sweepAttempts(): Promise<number> {
    const due = await attemptStore.due(this.ctx.db, this.ctx.clock.now(), JANITOR_SWEEP_SIZE_MAX);
    await this.claims.driveEach(
      'attempt',
      due,
      (a) => a.id,
      (a) => this.checkAttempt(a.id),
    );
    return due.length;
  }

  private async checkAttempt(attemptId: string): Promise<void> {
    const attempt = await attemptStore.get(this.ctx.db, attemptId);
    if (!attempt || (attempt.status !== 'created' && attempt.status !== 'pending')) return;
    const now = this.ctx.clock.now();
    try {
      const { paid, open } = await this.reconcileAttempt(attempt);
      const fresh = (await attemptStore.get(this.ctx.db, attempt.id))!;
      if (fresh.status !== 'created' && fresh.status !== 'pending') return;
      const payment = (await paymentStore.get(this.ctx.db, fresh.payment_id))!;
      // Paid in part and the payment decided without it: it can never complete, so it closes and gives back.
      if (paid > 0 && PaymentsService.lost(fresh, payment)) await this.closeLocally(fresh);
      else if (open > 0 && paid === 0 && now > attempt.expires_at) await this.closeAttempt(fresh);
      else if (open === 0 && paid === 0)
        await attemptStore.transition(this.ctx.db, attempt.id, ['created', 'pending'], 'closed', { closed_at: now });
      else await this.scheduleNextCheck(fresh);
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      await this.scheduleNextCheck(attempt);
      throw err; // counted on the claim
    }
  }

  private async scheduleNextCheck(attempt: AttemptRow): Promise<void> {
    const now = this.ctx.clock.now().getTime();
    const backoff = Math.min(ATTEMPT_FIRST_CHECK_MS * 2 ** attempt.check_count, ATTEMPT_CHECK_MS_MAX);
    // Never wait past the deadline by more than one step: closing on time is what stops late scans.
    const next = Math.min(now + backoff, Math.max(attempt.expires_at.getTime() + 1000, now + 1000));
    await attemptStore.update(this.ctx.db, attempt.id, {
      next_check_at: new Date(next),
      check_count: attempt.check_count + 1,
    });
  }

  async paidByMerchant(merchantIds: string[], since: Date) {
    return paymentStats.paidByMerchant(this.ctx.db, merchantIds, since);
  }

  async attemptsOfPayment(paymentId: string): Promise<AttemptRow[]> {
    return attemptStore.ofPayment(this.ctx.db, paymentId);
  }
}
