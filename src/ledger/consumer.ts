// Consumes the payments outbox and posts the ledger entries each event implies. An event and its posting commit
// together with the event's consumption, so a crash can neither lose nor double a posting.
import type { ModuleContext } from '../shared/context';
import type { Queryable } from '../shared/db';
import { fen } from '../shared/money';
import type { ProviderName } from '../providers/types';
import { BUYERS_ACCOUNT, availableAccount, commissionAccount, feesAccount, holdingAccount, platformFeeAccount } from './accounts';
import type { LedgerService } from './service';
import { ledgerStore } from './store';

const BATCH_SIZE_MAX = 200;

interface OutboxRow {
  id: number;
  topic: string;
  aggregate_id: string;
  payload: Record<string, unknown>;
  created_at: Date;
}

interface TradeEvent {
  provider: ProviderName;
  order_id: string;
  merchant_id: string;
  out_trade_no: string;
}

export class LedgerConsumer {
  constructor(
    private readonly ctx: ModuleContext,
    private readonly ledger: LedgerService,
  ) {}

  /** Processes unconsumed outbox events in order; returns how many. */
  async run(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.ctx.db.tx(async (q) => {
        const lock = this.ctx.db.kind === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
        const { rows } = await q.query<OutboxRow>(`SELECT * FROM outbox WHERE consumed_at IS NULL ORDER BY id LIMIT $1${lock}`, [BATCH_SIZE_MAX]);
        for (const row of rows) await this.apply(q, row);
        if (rows.length) await q.query('UPDATE outbox SET consumed_at = $2 WHERE id = ANY($1::bigint[])', [rows.map((r) => r.id), this.ctx.clock.now()]);
        return rows.length;
      });
      total += n;
      if (n < BATCH_SIZE_MAX) return total;
    }
  }

  private async apply(q: Queryable, row: OutboxRow): Promise<void> {
    const p = row.payload;
    switch (row.topic) {
      case 'payment.sub_order_paid':
        return this.paid(q, row, p as unknown as TradeEvent & { amount: number; paid_at: string });
      case 'refund.processing':
      case 'refund.succeeded':
        return this.refundOut(q, row, p as unknown as TradeEvent & { refund_id: string; amount: number; trade_amount: number });
      case 'refund.closed':
        return this.refundBack(q, row, p as unknown as TradeEvent & { refund_id: string });
      case 'escrow.released':
        return this.released(q, row, p as unknown as TradeEvent & { commission: number });
      case 'escrow.unfrozen':
        return this.unfrozen(q, row, p as unknown as TradeEvent & { out_order_no: string });
      case 'escrow.commission_returned':
        return this.commissionReturned(q, row, p as unknown as TradeEvent & { amount: number; out_return_no: string });
      default:
        return; // events other modules care about; nothing to post
    }
  }

  private base(row: OutboxRow, e: TradeEvent, key: string, description: string) {
    return { key, cause: row.topic, causeId: String(row.id), provider: e.provider, merchantId: e.merchant_id, orderId: e.order_id, tradeRef: e.out_trade_no, description, occurredAt: row.created_at };
  }

  /**
   * A payment happened when the provider says it did (paid_at), not when Hutong heard of it: a payment just before
   * midnight whose notification came after it belongs to the provider's day, and so to that day's bill.
   */
  private async paid(q: Queryable, row: OutboxRow, e: TradeEvent & { amount: number; paid_at: string }): Promise<void> {
    await this.ledger.post(q, {
      ...this.base(row, e, `paid:${e.out_trade_no}`, `payment into ${e.provider} escrow`),
      occurredAt: new Date(e.paid_at),
      postings: this.ledger.paidPostings(e.provider, e.merchant_id, fen(e.amount)),
    });
  }

  /** Money leaves at processing (or at success, for a refund that never was processing). */
  private async refundOut(q: Queryable, row: OutboxRow, e: TradeEvent & { refund_id: string; amount: number; trade_amount: number }): Promise<void> {
    const key = `refund:${e.refund_id}:out`;
    if (await this.ledger.hasEntry(q, key)) return;
    const paid = fen(e.trade_amount);
    const refundedBefore = fen(paid + (await ledgerStore.tradeBalance(q, e.out_trade_no, BUYERS_ACCOUNT)));
    const feeShare = await this.ledger.refundFeeShare(q, e.provider, e.out_trade_no, paid, refundedBefore, fen(e.amount));
    // The fee share comes back to whoever bore the fee; the rest of the refund leaves the merchant's money,
    // escrow first, then (after release or an unfreeze) its available balance.
    const merchantPays = this.ledger.merchantBearsFee(e.provider);
    const needed = merchantPays ? e.amount - feeShare : e.amount;
    const holding = await this.ledger.tradeHolding(q, e.provider, e.merchant_id, e.out_trade_no);
    const fromHolding = Math.min(needed, Math.max(holding, 0));
    const postings = [
      { account: BUYERS_ACCOUNT, amount: e.amount },
      { account: holdingAccount(e.provider, e.merchant_id), amount: -fromHolding },
      { account: availableAccount(e.provider, e.merchant_id), amount: -(needed - fromHolding) },
      { account: feesAccount(e.provider), amount: -feeShare },
      { account: platformFeeAccount(e.provider), amount: merchantPays ? 0 : feeShare },
    ];
    await this.ledger.post(q, { ...this.base(row, e, key, `refund ${e.refund_id}`), postings });
  }

  /** A refund that closed after its money left comes back exactly as it left. */
  private async refundBack(q: Queryable, row: OutboxRow, e: TradeEvent & { refund_id: string }): Promise<void> {
    const out = await q.query<{ account: string; amount: number }>(
      `SELECT p.account, p.amount FROM ledger_postings p JOIN ledger_entries e ON e.id = p.entry_id WHERE e.idempotency_key = $1`,
      [`refund:${e.refund_id}:out`],
    );
    if (out.rows.length === 0) return;
    await this.ledger.post(q, { ...this.base(row, e, `refund:${e.refund_id}:back`, `refund ${e.refund_id} closed`), postings: out.rows.map((p) => ({ account: p.account, amount: -p.amount })) });
  }

  private async released(q: Queryable, row: OutboxRow, e: TradeEvent & { commission: number }): Promise<void> {
    const holding = await this.ledger.tradeHolding(q, e.provider, e.merchant_id, e.out_trade_no);
    await this.ledger.post(q, { ...this.base(row, e, `release:${e.out_trade_no}`, 'escrow released on receipt'), postings: this.ledger.releasePostings(e.provider, e.merchant_id, holding, fen(e.commission)) });
  }

  private async unfrozen(q: Queryable, row: OutboxRow, e: TradeEvent & { out_order_no: string }): Promise<void> {
    const holding = await this.ledger.tradeHolding(q, e.provider, e.merchant_id, e.out_trade_no);
    await this.ledger.post(q, {
      ...this.base(row, e, `unfreeze:${e.out_order_no}`, 'escrow unfrozen for a refund'),
      postings: [{ account: holdingAccount(e.provider, e.merchant_id), amount: -holding }, { account: availableAccount(e.provider, e.merchant_id), amount: holding }],
    });
  }

  private async commissionReturned(q: Queryable, row: OutboxRow, e: TradeEvent & { amount: number; out_return_no: string }): Promise<void> {
    await this.ledger.post(q, {
      ...this.base(row, e, `return:${e.out_return_no}`, 'commission returned before a refund'),
      postings: [{ account: commissionAccount(e.provider), amount: -e.amount }, { account: availableAccount(e.provider, e.merchant_id), amount: e.amount }],
    });
  }
}
