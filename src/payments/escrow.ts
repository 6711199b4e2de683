// Releasing an order's escrow when the buyer confirms receipt (or the auto-confirm timer does): the platform's
// commission is shared to it by the provider and the rest released to the merchant. A resumable saga: the row is
// committed first, each provider call carries our out_order_no, and the worker retries a share refused because the
// payment has not settled yet.
import type { ModuleContext } from '../shared/context';
import type { Queryable } from '../shared/db';
import { HutongError } from '../shared/errors';
import { fen, mulDivFloorFen, type Fen } from '../shared/money';
import { ProviderError, type ProviderName } from '../providers/types';
import type { ProviderRegistry } from '../providers/registry';
import { ordersStore } from '../orders/store';
import { catalogStore } from '../catalog/store';
import { transition } from '../shared/machine';
import { attemptStore, eventStore, refundStore } from './store';
import { ESCROW_RELEASE_MACHINE, type EscrowReleaseStatus } from './states';
import { appendEvent } from '../outbox/store';

/** The providers' default sharing cap: at most 30% of a payment goes to others. */
export const SHARE_CAP_BP = 3000;
const RETRY_MS = 5_000;
const SWEEP_SIZE_MAX = 100;

export interface EscrowReleaseRow {
  order_id: string;
  provider: ProviderName;
  out_trade_no: string;
  sub_merchant_id: string;
  transaction_id: string;
  amount: number;
  commission: number | null;
  commission_base: number | null;
  status: EscrowReleaseStatus;
  out_order_no: string;
  failure_code: string | null;
  next_check_at: Date;
  check_count: number;
  released_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export type CommissionRate = (category: string, at: Date) => Promise<number>;

export class EscrowReleases {
  constructor(
    private readonly ctx: ModuleContext,
    private readonly providers: ProviderRegistry,
    private readonly commissionRate: CommissionRate,
  ) {}

  /** Records that an order's escrow is to be released; the worker does it. Idempotent. */
  async schedule(q: Queryable, orderId: string): Promise<void> {
    const paid = await attemptStore.paidOrderOfOrder(q, orderId);
    if (!paid || !paid.transaction_id) return;
    const now = this.ctx.clock.now();
    await q.query(
      `INSERT INTO escrow_releases (order_id, provider, out_trade_no, sub_merchant_id, transaction_id, amount, status, out_order_no, next_check_at, created_at, updated_at)
       VALUES ($1,$2,$3,$4,$5,$6,'pending',$7,$8,$8,$8) ON CONFLICT (order_id) DO NOTHING`,
      [orderId, paid.method, paid.out_trade_no, paid.sub_merchant_id, paid.transaction_id, paid.amount, `S${orderId.replace('ord_', '')}`, now],
    );
  }

  async ofOrder(orderId: string): Promise<EscrowReleaseRow | undefined> {
    return (await this.ctx.db.query<EscrowReleaseRow>('SELECT * FROM escrow_releases WHERE order_id = $1', [orderId])).rows[0];
  }

  async sweep(): Promise<number> {
    const { rows } = await this.ctx.db.query<EscrowReleaseRow>(
      `SELECT * FROM escrow_releases WHERE status IN ('pending', 'processing') AND next_check_at <= $1 ORDER BY next_check_at LIMIT $2`,
      [this.ctx.clock.now(), SWEEP_SIZE_MAX],
    );
    for (const row of rows) {
      try {
        await this.drive(row);
      } catch (err) {
        if (!(err instanceof ProviderError)) throw err;
        await this.retryLater(row, err.kind === 'declined' || err.kind === 'invalid_request' ? err.code : null);
      }
    }
    return rows.length;
  }

  private async drive(row: EscrowReleaseRow): Promise<void> {
    // Release waits while any refund of the order is open.
    if ((await refundStore.openCount(this.ctx.db, row.order_id)) > 0) return this.retryLater(row, null);
    const adapter = this.providers.get(row.provider);
    const ref = { outTradeNo: row.out_trade_no, subMerchantId: row.sub_merchant_id, transactionId: row.transaction_id, amountFen: fen(row.amount) };
    const commission = row.commission === null ? await this.decideCommission(row) : { commission: fen(row.commission), base: fen(row.commission_base ?? 0) };
    if (row.commission === null) {
      const decided = await transition(this.ctx.db, ESCROW_RELEASE_MACHINE, row.order_id, ['pending'], 'processing', {
        commission: commission.commission, commission_base: commission.base, updated_at: this.ctx.clock.now(),
      });
      if (!decided) return; // another worker decided the commission first and drives the release
    }
    const unsplit = await adapter.escrow.queryUnsplit(ref);
    if (unsplit === 0) return this.finish(row, fen(0)); // fully refunded or already released: nothing left to share
    const status = row.status === 'processing' && row.check_count > 0
      ? await adapter.escrow.queryShare({ outOrderNo: row.out_order_no, outTradeNo: row.out_trade_no, subMerchantId: row.sub_merchant_id, transactionId: row.transaction_id }).catch(() => null)
      : null;
    const result = status?.state === 'finished' ? status
      : await adapter.escrow.shareAndRelease({ ...ref, outOrderNo: row.out_order_no, commissionFen: fen(Math.min(commission.commission, unsplit)), description: 'platform commission' });
    switch (result.state) {
      case 'finished':
        return this.finish(row, fen(Math.min(commission.commission, unsplit)));
      case 'processing':
      case 'not_settled_yet':
        return this.retryLater(row, null);
      case 'closed':
        return this.retryLater(row, 'share_closed');
      default: {
        const never: never = result.state;
        throw new Error(`unknown share state ${String(never)}`);
      }
    }
  }

  /** Commission = rate × (amount − refunded), capped at 30% of the amount (the providers' sharing cap). */
  private async decideCommission(row: EscrowReleaseRow): Promise<{ commission: Fen; base: Fen }> {
    const order = await ordersStore.order(this.ctx.db, row.order_id);
    if (!order) throw new HutongError('not_found', `No order ${row.order_id}.`);
    const merchant = await catalogStore.merchant(this.ctx.db, order.merchant_id);
    const rateBp = await this.commissionRate(merchant?.category ?? 'general', order.completed_at ?? this.ctx.clock.now());
    const base = fen(row.amount - order.refunded_amount);
    const byRate = mulDivFloorFen(base, rateBp, 10_000);
    const cap = mulDivFloorFen(fen(row.amount), SHARE_CAP_BP, 10_000);
    return { commission: fen(Math.min(byRate, cap)), base };
  }

  private async finish(row: EscrowReleaseRow, commission: Fen): Promise<void> {
    const now = this.ctx.clock.now();
    const order = await ordersStore.order(this.ctx.db, row.order_id);
    await this.ctx.db.tx(async (q) => {
      const released = await transition(q, ESCROW_RELEASE_MACHINE, row.order_id, ['pending', 'processing'], 'released', { commission, released_at: now, updated_at: now });
      if (!released) return;
      await appendEvent(q, { topic: 'escrow.released', payload: {
        provider: row.provider, payment_id: order!.payment_id, order_id: row.order_id, merchant_id: order!.merchant_id, out_trade_no: row.out_trade_no, commission,
      } }, row.order_id, now);
    });
  }

  private async retryLater(row: EscrowReleaseRow, failureCode: string | null): Promise<void> {
    await this.ctx.db.query(
      `UPDATE escrow_releases SET next_check_at = $2, check_count = check_count + 1, failure_code = $3, updated_at = $4 WHERE order_id = $1`,
      [row.order_id, new Date(this.ctx.clock.now().getTime() + RETRY_MS * Math.min(2 ** row.check_count, 60)), failureCode, this.ctx.clock.now()],
    );
  }
}
