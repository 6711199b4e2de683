// Refunds as a saga of provider calls, each repeat-safe by its own number (out_refund_no = the refund id):
// (WeChat Pay) unfreeze what the refund needs beyond the unsplit amount, then refund. Commission returns come with
// the ledger's release flow. The refund row is committed before any call; the janitor re-drives anything unsettled.
import type { ModuleContext } from '../shared/context';
import { writeOnce } from '../shared/door';
import type { Queryable } from '../shared/db';
import { newId } from '../shared/ids';
import { HutongError } from '../shared/errors';
import { ensureOwner, type Actor } from '../auth/actor';
import { ProviderError, type RefundStatus as ProviderRefundStatus } from '../providers/types';
import type { ProviderRegistry } from '../providers/registry';
import type { OrdersService } from '../orders/service';
import type { RefundRequests } from '../orders/refund-requests';
import type { RefundRequestRow } from '../orders/store';
import { fen, mulDivRoundHalfUpFen, type Fen } from '../shared/money';
import { ordersStore } from '../orders/store';
import { attemptStore, eventStore, refundStore, type AttemptOrderRow, type AttemptRow, type RefundRow } from './store';
import type { RefundStatus } from './states';
import { appendEvent } from '../outbox/store';
import type { PayloadOf } from '../outbox/events';
import { SweepClaims } from '../ops/claims';

const REFUND_RETRY_MS = 10_000;
const REFUND_CHECK_MS = 30_000;
/** Retries and status checks back off from the delays above, doubling per check, up to this. */
const REFUND_RETRY_MAX_MS = 30 * 60_000;
const RETURN_POLL_MS = 1_000;
const BLOCKED_RETRY_MS = 60 * 60_000;
const SWEEP_SIZE_MAX = 100;

function refundEvent(r: RefundRow): PayloadOf<'refund.created'> {
  return {
    refund_id: r.id,
    payment_id: r.payment_id,
    order_id: r.order_id,
    merchant_id: r.merchant_id,
    provider: r.method,
    kind: r.kind,
    amount: r.amount,
    out_trade_no: r.out_trade_no,
    trade_amount: r.trade_amount,
  };
}

export class RefundsService {
  private readonly claims: SweepClaims;

  constructor(
    private readonly ctx: ModuleContext,
    private readonly providers: ProviderRegistry,
    private readonly orders: OrdersService,
    private readonly requests: RefundRequests,
  ) {
    this.claims = new SweepClaims(ctx);
  }

  /** The next look at a refund: `baseMs` doubled per check already made, capped. */
  private nextCheck(row: RefundRow, baseMs: number): Date {
    return new Date(this.ctx.clock.now().getTime() + Math.min(baseMs * 2 ** row.check_count, REFUND_RETRY_MAX_MS));
  }

  async refund(actor: Actor, id: string): Promise<RefundRow> {
    const row = await refundStore.get(this.ctx.db, id);
    if (!row) throw new HutongError('not_found', `No refund ${id}.`);
    const order = await ordersStore.order(this.ctx.db, row.order_id);
    ensureOwner(actor, { merchantId: row.merchant_id, buyerId: order?.buyer_id });
    return row;
  }

  async refundsOfOrder(actor: Actor, orderId: string): Promise<RefundRow[]> {
    await this.orders.order(actor, orderId);
    return refundStore.ofOrder(this.ctx.db, orderId);
  }

  /**
   * A merchant's (or ops') refund of an order, partial or full; never more than what is left. `claim` (a refund
   * request's decision) runs first in the transaction that writes the refund row: when it throws, no refund exists.
   */
  async createOrderRefund(
    actor: Actor,
    orderId: string,
    amountFen: Fen,
    reason: string | undefined,
    claim?: (q: Queryable, refundId: string) => Promise<void>,
  ): Promise<RefundRow> {
    const { order } = await this.orders.order(actor, orderId);
    if (actor.role === 'buyer') throw new HutongError('forbidden_role', 'A buyer asks with a refund request.');
    if (!['paid', 'shipped', 'completed'].includes(order.status)) {
      throw new HutongError('order_state_conflict', `Cannot refund an order that is ${order.status}.`, {
        status: order.status,
      });
    }
    const paid = await attemptStore.paidOrderOfOrder(this.ctx.db, orderId);
    if (!paid) throw new HutongError('order_state_conflict', 'The order has no successful payment to refund.');
    const now = this.ctx.clock.now();
    const fresh = this.newRow('order', order.payment_id, paid, paid.method, amountFen, reason ?? null, now);
    // Through the door: a retry of this request (same Idempotency-Key) gets this refund back, never a second one.
    const row = await writeOnce(this.ctx.db, async (q) => {
      const row = fresh;
      await ordersStore.order(q, orderId, true); // serialises refunds of one order
      await claim?.(q, row.id);
      const held = await refundStore.heldAmount(q, orderId);
      if (held + amountFen > order.amount) {
        throw new HutongError('refund_exceeds_remaining', undefined, { refundable: order.amount - held });
      }
      await refundStore.insert(q, row);
      await this.orders.pauseAutoConfirm(q, orderId);
      await appendEvent(q, { topic: 'refund.created', payload: refundEvent(row) }, row.id, now);
      await this.ctx.audit.record(q, actor, {
        action: 'refund.created',
        subject: `order:${orderId}`,
        before: { refunded_or_held: held },
        after: { refund_id: row.id, amount: amountFen, provider: row.method, reason: row.reason },
      });
      return row;
    });
    return (await this.driveNow(row.id)) ?? row;
  }

  /** Approving a buyer's refund request makes the refund; the request is decided in the transaction that writes it. */
  async approveRefundRequest(actor: Actor, id: string): Promise<RefundRequestRow> {
    const request = await this.requests.approvable(actor, id);
    let decided: RefundRequestRow | undefined;
    await this.createOrderRefund(actor, request.order_id, fen(request.amount), request.reason, async (q, refundId) => {
      decided = await this.requests.decideApproved(q, actor, id, refundId);
    });
    return decided!;
  }

  /**
   * A second success (paid twice, or paid after close) is refunded in full, once per provider trade. The refund row
   * is written in the caller's transaction (the one recording the payment), so a crash cannot lose it; `drive` or
   * the sweep sends it.
   */
  async recordDuplicateRefund(q: Queryable, attempt: AttemptRow, paidOrder: AttemptOrderRow): Promise<RefundRow> {
    const now = this.ctx.clock.now();
    const row = this.newRow(
      'duplicate_payment',
      attempt.payment_id,
      paidOrder,
      attempt.method,
      fen(paidOrder.amount),
      'duplicate or late payment',
      now,
    );
    if (await refundStore.insert(q, row)) {
      await appendEvent(q, { topic: 'refund.created', payload: refundEvent(row) }, row.id, now);
      this.ctx.log.warn(
        { attempt_id: attempt.id, out_trade_no: paidOrder.out_trade_no },
        'duplicate or late payment: refunding automatically',
      );
      return row;
    }
    return (
      await q.query<RefundRow>(`SELECT * FROM refunds WHERE out_trade_no = $1 AND kind = 'duplicate_payment'`, [
        paidOrder.out_trade_no,
      ])
    ).rows[0]!;
  }

  private newRow(
    kind: RefundRow['kind'],
    paymentId: string,
    paid: AttemptOrderRow,
    method: RefundRow['method'],
    amountFen: Fen,
    reason: string | null,
    now: Date,
  ): RefundRow {
    return {
      id: newId('rfd'),
      kind,
      payment_id: paymentId,
      order_id: paid.order_id,
      merchant_id: paid.merchant_id,
      attempt_id: paid.attempt_id,
      method,
      out_trade_no: paid.out_trade_no,
      sub_merchant_id: paid.sub_merchant_id,
      transaction_id: paid.transaction_id,
      trade_amount: paid.amount,
      amount: amountFen,
      reason,
      status: 'pending',
      step: 'refund',
      failure_code: null,
      provider_refund_id: null,
      commission_return: null,
      commission_returned: false,
      next_check_at: new Date(now.getTime() + REFUND_RETRY_MS),
      check_count: 0,
      created_at: now,
      updated_at: now,
    };
  }

  /**
   * Sends a refund right away (after the request that made it) unless a worker holds it; either way the sweep
   * finishes what is left. Returns the refund as it stands afterwards.
   */
  async driveNow(id: string): Promise<RefundRow | undefined> {
    await this.claims
      .once('refund', id, () => this.driveClaimed(id, false))
      .catch((err: unknown) => {
        if (!(err instanceof ProviderError)) throw err;
      });
    return refundStore.get(this.ctx.db, id);
  }

  /** Drives a refund this worker has claimed, read again now that it is ours. */
  private async driveClaimed(id: string, countFailures: boolean): Promise<void> {
    const row = await refundStore.get(this.ctx.db, id);
    if (!row) return;
    if (row.status === 'blocked_insufficient_funds') {
      if (row.next_check_at > this.ctx.clock.now()) return;
      const retried = await refundStore.transition(
        this.ctx.db,
        row.id,
        ['blocked_insufficient_funds'],
        'pending',
        this.ctx.clock.now(),
      );
      if (retried) await this.drive(retried, countFailures);
    } else if (row.status === 'pending' || row.status === 'processing') {
      await this.drive(row, countFailures);
    }
  }

  /**
   * Moves a refund one step further at its provider; safe to call again at any time. With `countFailures` (the
   * sweep), a provider that is unavailable is rethrown after the retry is scheduled, so the claim counts it.
   */
  async drive(row: RefundRow, countFailures = false): Promise<RefundRow> {
    const adapter = this.providers.get(row.method);
    const ref = { outTradeNo: row.out_trade_no, subMerchantId: row.sub_merchant_id, outRefundNo: row.id };
    try {
      if (row.status === 'processing') return this.apply(row, await adapter.queryRefund(ref));
      const commissionReturn = await this.returnCommissionFirst(row);
      if (commissionReturn === 'wait') return (await refundStore.get(this.ctx.db, row.id))!;
      const input = {
        ...ref,
        transactionId: row.transaction_id ?? undefined,
        refundFen: fen(row.amount),
        totalFen: fen(row.trade_amount),
        reason: row.reason ?? undefined,
        notifyUrl: `${this.ctx.config.publicUrl}/notify/${row.method}`,
        ...(row.method === 'alipay' && commissionReturn > 0 ? { returnShareFen: commissionReturn } : {}),
      };
      try {
        return await this.apply(row, await adapter.refund(input));
      } catch (err) {
        if (!(err instanceof ProviderError) || err.code !== 'refund_needs_unfreeze' || !row.transaction_id) throw err;
        // WeChat Pay refuses a refund larger than the unsplit amount: unfreeze the rest first, then refund.
        await refundStore.update(this.ctx.db, row.id, { step: 'unfreeze' });
        const outOrderNo = `U${row.id.replace('rfd_', '')}`;
        await adapter.escrow.releaseRemaining({
          outTradeNo: row.out_trade_no,
          subMerchantId: row.sub_merchant_id,
          transactionId: row.transaction_id,
          amountFen: fen(row.trade_amount),
          outOrderNo,
          description: 'unfreeze for refund',
        });
        await this.ctx.db.tx(async (q) => {
          await refundStore.update(q, row.id, { step: 'refund' });
          await appendEvent(
            q,
            { topic: 'escrow.unfrozen', payload: { ...refundEvent(row), out_order_no: outOrderNo } },
            row.id,
            this.ctx.clock.now(),
          );
        });
        return await this.apply(row, await adapter.refund(input));
      }
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      const after = await this.onProviderError(row, err);
      if (countFailures && (err.kind === 'unavailable' || err.kind === 'outcome_unknown')) throw err;
      return after;
    }
  }

  /**
   * Saga step 1: a refund of an order whose commission was already shared takes the commission back in proportion
   * first (the last refund takes what is left). WeChat Pay: a return order now; Alipay: inside the refund call.
   * Returns the commission to return, or 'wait' while a return order is processing.
   */
  private async returnCommissionFirst(row: RefundRow): Promise<Fen | 'wait'> {
    if (row.kind !== 'order') return fen(0);
    let amount = row.commission_return;
    if (amount === null) {
      amount = await this.commissionShare(row);
      await refundStore.update(this.ctx.db, row.id, { commission_return: amount });
    }
    if (amount === 0 || row.commission_returned || row.method !== 'wechatpay') return fen(amount);
    const release = await this.releaseOf(row.order_id);
    const outReturnNo = `R${row.id.replace('rfd_', '')}`;
    const escrow = this.providers.get(row.method).escrow;
    const asked =
      row.step === 'return_commission' && escrow.queryReturnShare
        ? await escrow
            .queryReturnShare({ subMerchantId: row.sub_merchant_id, outOrderNo: release!.out_order_no, outReturnNo })
            .catch(() => null)
        : null;
    const result =
      asked ??
      (await escrow.returnShare({
        outTradeNo: row.out_trade_no,
        subMerchantId: row.sub_merchant_id,
        transactionId: row.transaction_id ?? '',
        amountFen: fen(amount),
        outOrderNo: release!.out_order_no,
        outReturnNo,
      }));
    if (result.state !== 'succeeded') {
      if (result.state === 'failed')
        throw new ProviderError(
          'declined',
          'commission_return_failed',
          'The provider refused to return the shared commission.',
        );
      // Return orders are processed asynchronously: ask again (same out_return_no) shortly.
      await refundStore.update(this.ctx.db, row.id, {
        step: 'return_commission',
        next_check_at: new Date(this.ctx.clock.now().getTime() + RETURN_POLL_MS),
      });
      return 'wait';
    }
    await this.ctx.db.tx(async (q) => {
      await refundStore.update(q, row.id, { commission_returned: true, step: 'refund' });
      await appendEvent(
        q,
        { topic: 'escrow.commission_returned', payload: { ...refundEvent(row), amount, out_return_no: outReturnNo } },
        row.id,
        this.ctx.clock.now(),
      );
    });
    return fen(0);
  }

  private async releaseOf(
    orderId: string,
  ): Promise<{ out_order_no: string; commission: number; commission_base: number } | undefined> {
    return (
      await this.ctx.db.query<{ out_order_no: string; commission: number; commission_base: number }>(
        `SELECT out_order_no, commission, commission_base FROM escrow_releases WHERE order_id = $1 AND status = 'released'`,
        [orderId],
      )
    ).rows[0];
  }

  /** In proportion to what the commission was computed on; the refund that empties the order returns the rest. */
  private async commissionShare(row: RefundRow): Promise<number> {
    const release = await this.releaseOf(row.order_id);
    if (!release || release.commission === 0 || release.commission_base === 0) return 0;
    const { rows } = await this.ctx.db.query<{ returned: number; refunded_after: number }>(
      `SELECT COALESCE(sum(commission_return), 0)::bigint AS returned, COALESCE(sum(amount), 0)::bigint AS refunded_after
       FROM refunds WHERE order_id = $1 AND kind = 'order' AND id <> $2 AND commission_return IS NOT NULL AND status <> 'closed'`,
      [row.order_id, row.id],
    );
    const left = release.commission - rows[0]!.returned;
    if (rows[0]!.refunded_after + row.amount >= release.commission_base) return Math.max(left, 0);
    return Math.min(left, mulDivRoundHalfUpFen(fen(release.commission), row.amount, release.commission_base));
  }

  private async onProviderError(row: RefundRow, err: ProviderError): Promise<RefundRow> {
    const now = this.ctx.clock.now();
    if (err.kind === 'unavailable' || err.kind === 'outcome_unknown') {
      await refundStore.update(this.ctx.db, row.id, {
        next_check_at: this.nextCheck(row, REFUND_RETRY_MS),
        check_count: row.check_count + 1,
      });
      return (await refundStore.get(this.ctx.db, row.id))!;
    }
    // WeChat Pay NOT_ENOUGH / Alipay ACQ.SELLER_BALANCE_NOT_ENOUGH: the merchant withdrew the money; retried later.
    if (err.code === 'insufficient_funds' || err.code === 'merchant_balance_insufficient') {
      return (
        (await refundStore.transition(this.ctx.db, row.id, ['pending'], 'blocked_insufficient_funds', now, {
          failure_code: err.code,
          next_check_at: new Date(now.getTime() + BLOCKED_RETRY_MS),
        })) ?? row
      );
    }
    return this.finish(row, 'closed', err.code);
  }

  private async apply(row: RefundRow, status: ProviderRefundStatus): Promise<RefundRow> {
    const now = this.ctx.clock.now();
    switch (status.state) {
      case 'succeeded':
        return this.finish(row, 'succeeded', null, status.providerRefundId);
      case 'closed':
        return this.finish(row, 'closed', 'closed_by_provider', status.providerRefundId);
      case 'abnormal':
        return this.finish(row, 'abnormal', 'abnormal', status.providerRefundId);
      case 'processing': {
        const moved = await this.ctx.db.tx(async (q) => {
          const r = await refundStore.transition(q, row.id, ['pending'], 'processing', now, {
            provider_refund_id: status.providerRefundId ?? null,
            next_check_at: new Date(now.getTime() + REFUND_CHECK_MS),
          });
          if (r) await appendEvent(q, { topic: 'refund.processing', payload: refundEvent(r) }, r.id, now);
          return r;
        });
        if (!moved)
          await refundStore.update(this.ctx.db, row.id, {
            next_check_at: this.nextCheck(row, REFUND_CHECK_MS),
            check_count: row.check_count + 1,
          });
        return (await refundStore.get(this.ctx.db, row.id))!;
      }
      case 'not_found':
        // The provider never saw it (a lost request): send it again under the same number.
        if (row.status === 'processing')
          await refundStore.transition(this.ctx.db, row.id, ['processing'], 'pending', now);
        await refundStore.update(this.ctx.db, row.id, {
          next_check_at: this.nextCheck(row, REFUND_RETRY_MS),
          check_count: row.check_count + 1,
        });
        return (await refundStore.get(this.ctx.db, row.id))!;
      default: {
        const never: never = status.state;
        throw new Error(`unknown refund state ${String(never)}`);
      }
    }
  }

  /** Final states: succeeded records the money on the order; every ending resumes the auto-confirm clock. */
  async finish(
    row: RefundRow,
    to: Extract<RefundStatus, 'succeeded' | 'closed' | 'abnormal'>,
    failureCode: string | null,
    providerRefundId?: string,
  ): Promise<RefundRow> {
    const now = this.ctx.clock.now();
    return this.ctx.db.tx(async (q) => {
      const from: RefundStatus[] =
        to === 'abnormal' ? ['pending', 'processing'] : ['pending', 'processing', 'blocked_insufficient_funds'];
      const done = await refundStore.transition(q, row.id, from, to, now, {
        failure_code: failureCode,
        provider_refund_id: providerRefundId ?? row.provider_refund_id,
      });
      if (!done) return (await refundStore.get(q, row.id))!;
      if (to === 'succeeded' && done.kind === 'order')
        await this.orders.recordRefunded(q, done.order_id, fen(done.amount));
      if (done.kind === 'order' && (await refundStore.openCount(q, done.order_id)) === 0)
        await this.orders.resumeAutoConfirm(q, done.order_id);
      if (to === 'succeeded' && done.commission_return && !done.commission_returned) {
        // Alipay returns the commission inside the refund (refund_royalty_parameters).
        await refundStore.update(q, done.id, { commission_returned: true });
        await appendEvent(
          q,
          {
            topic: 'escrow.commission_returned',
            payload: {
              ...refundEvent(done),
              amount: done.commission_return,
              out_return_no: `R${done.id.replace('rfd_', '')}`,
            },
          },
          done.id,
          now,
        );
      }
      await appendEvent(q, { topic: `refund.${to}`, payload: refundEvent(done) }, done.id, now);
      return done;
    });
  }

  /** A provider's refund notification: re-read the refund's state at the provider's word. */
  async onRefundFinished(outRefundNo: string, state: 'succeeded' | 'closed' | 'abnormal'): Promise<boolean> {
    const row = await refundStore.get(this.ctx.db, outRefundNo);
    if (!row) return false;
    await this.finish(row, state, state === 'succeeded' ? null : `notified_${state}`);
    return true;
  }

  async sweep(): Promise<number> {
    const due = await refundStore.due(this.ctx.db, this.ctx.clock.now(), SWEEP_SIZE_MAX);
    await this.claims.driveEach(
      'refund',
      due,
      (r) => r.id,
      (r) => this.driveClaimed(r.id, true),
    );
    return due.length;
  }
}
