// Buyers' refund requests: the merchant approves (payments makes the refund and decides the request with it) or
// declines with a reason. While one is open the order's auto-confirm clock stands still.
import type { ModuleContext } from '../shared/context';
import type { Queryable } from '../shared/db';
import { writeOnce } from '../shared/door';
import { newId } from '../shared/ids';
import { HutongError } from '../shared/errors';
import { ensureOwner, type Actor } from '../auth/actor';
import type { Fen } from '../shared/money';
import { ordersStore as store, type RefundRequestRow } from './store';
import { conflict, type OrdersService } from './service';

export class RefundRequests {
  constructor(
    private readonly ctx: ModuleContext,
    private readonly orders: OrdersService,
  ) {}

  async requestRefund(actor: Actor, orderId: string, amountFen: Fen, reason: string): Promise<RefundRequestRow> {
    const { order } = await this.orders.order(actor, orderId);
    if (actor.role !== 'buyer') throw new HutongError('forbidden_role', 'Only the buyer asks for a refund.');
    if (!['paid', 'shipped', 'completed'].includes(order.status)) throw conflict(order, 'ask for a refund');
    if (amountFen > order.amount - order.refunded_amount) throw new HutongError('refund_exceeds_remaining');
    const row: RefundRequestRow = {
      id: newId('rrq'),
      order_id: orderId,
      buyer_id: order.buyer_id,
      merchant_id: order.merchant_id,
      amount: amountFen,
      reason,
      status: 'open',
      decline_reason: null,
      refund_id: null,
      created_at: this.ctx.clock.now(),
      decided_at: null,
    };
    try {
      return await writeOnce(this.ctx.db, async (q) => {
        await store.insertRefundRequest(q, row);
        await this.orders.pauseAutoConfirm(q, orderId);
        return row;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new HutongError('refund_request_open');
      throw err;
    }
  }

  async refundRequest(actor: Actor, id: string): Promise<RefundRequestRow> {
    const row = await store.refundRequest(this.ctx.db, id);
    if (!row) throw new HutongError('not_found', `No refund request ${id}.`);
    ensureOwner(actor, { merchantId: row.merchant_id, buyerId: row.buyer_id });
    return row;
  }

  async refundRequestsOfOrder(actor: Actor, orderId: string): Promise<RefundRequestRow[]> {
    await this.orders.order(actor, orderId);
    return store.refundRequestsOfOrder(this.ctx.db, orderId);
  }

  /**
   * The request a merchant (or ops) may approve: theirs and open. Approval makes a refund, which is payments' work:
   * payments (`RefundsService.approveRefundRequest`) reads it here, then decides it with `decideApproved` in the
   * transaction that writes the refund row.
   */
  async approvable(actor: Actor, id: string): Promise<RefundRequestRow> {
    const request = await this.refundRequest(actor, id);
    if (actor.role === 'buyer') throw new HutongError('forbidden_role');
    if (request.status !== 'open') throw new HutongError('refund_request_state_conflict');
    return request;
  }

  /**
   * open → approved, one conditional UPDATE, before any refund exists: of two simultaneous approvals one moves the
   * request (and its transaction makes the refund), the other gets refund_request_state_conflict and rolls back. The
   * auto-confirm clock stays paused until the refund ends.
   */
  async decideApproved(q: Queryable, actor: Actor, id: string, refundId: string): Promise<RefundRequestRow> {
    const decided = await store.decideRefundRequest(q, id, 'approved', {
      refund_id: refundId,
      decided_at: this.ctx.clock.now(),
    });
    if (!decided) throw new HutongError('refund_request_state_conflict');
    await this.audit(q, actor, decided, 'approved', { refund_id: refundId });
    return decided;
  }

  async declineRefundRequest(actor: Actor, id: string, reason: string): Promise<RefundRequestRow> {
    const request = await this.refundRequest(actor, id);
    if (actor.role === 'buyer') throw new HutongError('forbidden_role');
    if (request.status !== 'open') throw new HutongError('refund_request_state_conflict');
    return writeOnce(this.ctx.db, async (q) => {
      const row = await store.decideRefundRequest(q, id, 'declined', {
        decline_reason: reason,
        decided_at: this.ctx.clock.now(),
      });
      if (!row) throw new HutongError('refund_request_state_conflict');
      await this.orders.resumeAutoConfirm(q, row.order_id);
      await this.audit(q, actor, row, 'declined', { decline_reason: reason });
      return row;
    });
  }

  private async audit(
    q: Queryable,
    actor: Actor,
    row: RefundRequestRow,
    to: 'approved' | 'declined',
    set: Record<string, string>,
  ): Promise<void> {
    await this.ctx.audit.record(q, actor, {
      action: `refund_request.${to}`,
      subject: `order:${row.order_id}`,
      before: { refund_request_id: row.id, status: 'open' },
      after: { refund_request_id: row.id, status: to, amount: row.amount, ...set },
    });
  }
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === '23505';
}
