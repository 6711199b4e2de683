// Releasing an order's escrow when the buyer confirms receipt (or the auto-confirm timer does): the platform's
// commission is shared to it by the provider and the rest released to the merchant. A resumable saga: the row is
// committed first, each provider call carries our out_order_no, and the worker retries a share refused because the
// payment has not settled yet. Workers claim a release before driving it; a release that may already have reached
// the provider ('processing') is first looked up there by its out_order_no, so a crash between the share and its
// record, or a second worker, can never record a commission other than the one the provider shared.
import type { ModuleContext } from '../shared/context';
import type { Queryable } from '../shared/db';
import { HutongError } from '../shared/errors';
import { fen, mulDivFloorFen, type Fen } from '../shared/money';
import { ProviderError, type ProviderName, type ShareStatus } from '../providers/types';
import { SweepClaims, unclaimed } from '../ops/claims';
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
  ) {
    this.claims = new SweepClaims(ctx);
  }

  private readonly claims: SweepClaims;
  /** Points where a test stops a worker as a crash would (after the provider acted, before Hutong recorded it). */
  readonly hooks: { afterShare?: (orderId: string) => void | Promise<void> } = {};

  /** Records that an order's escrow is to be released; the worker does it. Idempotent. */
  async schedule(q: Queryable, orderId: string): Promise<void> {
    const paid = await attemptStore.paidOrderOfOrder(q, orderId);
    if (!paid || !paid.transaction_id) return;
    const now = this.ctx.clock.now();
    await q.query(
      `INSERT INTO escrow_releases (order_id, provider, out_trade_no, sub_merchant_id, transaction_id, amount, status, out_order_no, next_check_at, created_at, updated_at)
       VALUES ($1,$2,$3,$4,$5,$6,'pending',$7,$8,$8,$8) ON CONFLICT (order_id) DO NOTHING`,
      [
        orderId,
        paid.method,
        paid.out_trade_no,
        paid.sub_merchant_id,
        paid.transaction_id,
        paid.amount,
        `S${orderId.replace('ord_', '')}`,
        now,
      ],
    );
  }

  async ofOrder(orderId: string): Promise<EscrowReleaseRow | undefined> {
    return (await this.ctx.db.query<EscrowReleaseRow>('SELECT * FROM escrow_releases WHERE order_id = $1', [orderId]))
      .rows[0];
  }

  async sweep(): Promise<number> {
    const now = this.ctx.clock.now();
    const { rows } = await this.ctx.db.query<{ order_id: string }>(
      `SELECT order_id FROM escrow_releases r WHERE status IN ('pending', 'processing') AND next_check_at <= $1
         AND ${unclaimed('escrow_release', 'r.order_id', '$1')} ORDER BY next_check_at LIMIT $2`,
      [now, SWEEP_SIZE_MAX],
    );
    await this.claims.driveEach(
      'escrow_release',
      rows,
      (r) => r.order_id,
      (r) => this.driveClaimed(r.order_id),
    );
    return rows.length;
  }

  /** Drives a claimed release, read again now that it is ours (another worker may have finished it meanwhile). */
  private async driveClaimed(orderId: string): Promise<void> {
    const row = await this.ofOrder(orderId);
    if (!row || (row.status !== 'pending' && row.status !== 'processing')) return;
    try {
      await this.drive(row);
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      await this.retryLater(row, err.kind === 'declined' || err.kind === 'invalid_request' ? err.code : null);
      throw err; // counted on the claim: a release that keeps failing ends in the stuck list
    }
  }

  /**
   * 'pending': no share has been sent. 'processing': one may have been (sent, crashed, timed out, or driven by a
   * worker that died), so the provider is asked first what became of our out_order_no, and whatever it says was
   * shared is what is recorded. Only a release the provider has never seen is decided from the unsplit amount.
   */
  private async drive(row: EscrowReleaseRow): Promise<void> {
    // Release waits while any refund of the order is open.
    if ((await refundStore.openCount(this.ctx.db, row.order_id)) > 0) return this.retryLater(row, null);
    const adapter = this.providers.get(row.provider);
    const ref = {
      outTradeNo: row.out_trade_no,
      subMerchantId: row.sub_merchant_id,
      transactionId: row.transaction_id,
      amountFen: fen(row.amount),
    };
    if (row.status === 'processing') {
      const known = await this.askProvider(row);
      if (known) return this.onShareStatus(row, known, known.sharedFen);
    }
    const commission =
      row.commission === null
        ? await this.decideCommission(row)
        : { commission: fen(row.commission), base: fen(row.commission_base ?? 0) };
    if (row.status === 'pending') {
      // Committed before the provider call: from here on a retry asks the provider before deciding anything.
      const decided = await transition(this.ctx.db, ESCROW_RELEASE_MACHINE, row.order_id, ['pending'], 'processing', {
        commission: commission.commission,
        commission_base: commission.base,
        updated_at: this.ctx.clock.now(),
      });
      if (!decided) return; // someone else moved it: the next sweep drives it from its new state
    }
    const unsplit = await adapter.escrow.queryUnsplit(ref);
    // Nothing left and the provider knows no share of ours: the order was refunded in full.
    if (unsplit === 0) return this.finish(row, fen(0));
    const shared = fen(Math.min(commission.commission, unsplit));
    const result = await adapter.escrow.shareAndRelease({
      ...ref,
      outOrderNo: row.out_order_no,
      commissionFen: shared,
      description: 'platform commission',
    });
    await this.hooks.afterShare?.(row.order_id);
    return this.onShareStatus(row, result, shared);
  }

  /** The provider's word on our share: its status, or null when it never received it. */
  private async askProvider(row: EscrowReleaseRow): Promise<ShareStatus | null> {
    try {
      return await this.providers.get(row.provider).escrow.queryShare({
        outOrderNo: row.out_order_no,
        outTradeNo: row.out_trade_no,
        subMerchantId: row.sub_merchant_id,
        transactionId: row.transaction_id,
      });
    } catch (err) {
      if (err instanceof ProviderError && err.code === 'share_not_found') return null;
      throw err; // unknown: deciding now could record the wrong commission, so try again later
    }
  }

  private async onShareStatus(row: EscrowReleaseRow, status: ShareStatus, commission: Fen): Promise<void> {
    switch (status.state) {
      case 'finished':
        return this.finish(row, commission);
      case 'processing':
      case 'not_settled_yet':
        return this.retryLater(row, null);
      case 'closed':
        // The provider closed the share (e.g. the receiver was refused): counted, so it ends in the stuck list.
        throw new ProviderError('declined', 'share_closed', `the provider closed the share ${row.out_order_no}`);
      default: {
        const never: never = status.state;
        throw new Error(`unknown share state ${String(never)}`);
      }
    }
  }

  /** Commission = rate × (amount − refunded), capped at 30% of the amount (the providers' sharing cap). */
  private async decideCommission(row: EscrowReleaseRow): Promise<{ commission: Fen; base: Fen }> {
    const order = await ordersStore.order(this.ctx.db, row.order_id);
    if (!order) throw new HutongError('not_found', `No order ${row.order_id}.`);
    const merchant = await catalogStore.merchant(this.ctx.db, order.merchant_id);
    const rateBp = await this.commissionRate(
      merchant?.category ?? 'general',
      order.completed_at ?? this.ctx.clock.now(),
    );
    const base = fen(row.amount - order.refunded_amount);
    const byRate = mulDivFloorFen(base, rateBp, 10_000);
    const cap = mulDivFloorFen(fen(row.amount), SHARE_CAP_BP, 10_000);
    return { commission: fen(Math.min(byRate, cap)), base };
  }

  private async finish(row: EscrowReleaseRow, commission: Fen): Promise<void> {
    const now = this.ctx.clock.now();
    const order = await ordersStore.order(this.ctx.db, row.order_id);
    await this.ctx.db.tx(async (q) => {
      const released = await transition(
        q,
        ESCROW_RELEASE_MACHINE,
        row.order_id,
        ['pending', 'processing'],
        'released',
        {
          commission,
          released_at: now,
          updated_at: now,
          failure_code: null,
        },
      );
      if (!released) return;
      await appendEvent(
        q,
        {
          topic: 'escrow.released',
          payload: {
            provider: row.provider,
            payment_id: order!.payment_id,
            order_id: row.order_id,
            merchant_id: order!.merchant_id,
            out_trade_no: row.out_trade_no,
            commission,
          },
        },
        row.order_id,
        now,
      );
    });
  }

  private async retryLater(row: EscrowReleaseRow, failureCode: string | null): Promise<void> {
    await this.ctx.db.query(
      `UPDATE escrow_releases SET next_check_at = $2, check_count = check_count + 1, failure_code = $3, updated_at = $4 WHERE order_id = $1`,
      [
        row.order_id,
        new Date(this.ctx.clock.now().getTime() + RETRY_MS * Math.min(2 ** row.check_count, 60)),
        failureCode,
        this.ctx.clock.now(),
      ],
    );
  }
}
