// The ledger's outbox consumer: posts the entries each payments event implies. The posting commits with the event's
// consumption (the dispatcher's transaction), so a crash can neither lose nor double a posting; events of one payment
// arrive in the order they were written, so a refund is never posted before the payment it refunds.
import type { Queryable } from '../shared/db';
import { fen } from '../shared/money';
import type { OutboxEvent, PayloadOf, Topic } from '../outbox/events';
import type { EventMeta, OutboxConsumer } from '../outbox/dispatcher';
import {
  BUYERS_ACCOUNT,
  availableAccount,
  commissionAccount,
  feesAccount,
  holdingAccount,
  platformFeeAccount,
} from './accounts';
import type { LedgerService } from './service';
import { ledgerStore } from './store';

interface EventRow {
  id: number;
  topic: Topic;
  created_at: Date;
}

type TradeEvent = Pick<PayloadOf<'escrow.released'>, 'provider' | 'order_id' | 'merchant_id' | 'out_trade_no'>;

/** What the ledger posts from; every other topic is for other modules. */
const TOPICS = [
  'payment.sub_order_paid',
  'refund.processing',
  'refund.succeeded',
  'refund.closed',
  'escrow.released',
  'escrow.unfrozen',
  'escrow.commission_returned',
] as const satisfies readonly Topic[];

export class LedgerConsumer implements OutboxConsumer {
  readonly name = 'ledger';
  readonly topics = TOPICS;

  constructor(private readonly ledger: LedgerService) {}

  async handle(q: Queryable, event: OutboxEvent, meta: EventMeta): Promise<void> {
    const row = { topic: event.topic, id: meta.id, created_at: meta.createdAt };
    switch (event.topic) {
      case 'payment.sub_order_paid':
        return this.paid(q, row, event.payload);
      case 'refund.processing':
      case 'refund.succeeded':
        return this.refundOut(q, row, event.payload);
      case 'refund.closed':
        return this.refundBack(q, row, event.payload);
      case 'escrow.released':
        return this.released(q, row, event.payload);
      case 'escrow.unfrozen':
        return this.unfrozen(q, row, event.payload);
      case 'escrow.commission_returned':
        return this.commissionReturned(q, row, event.payload);
      default:
        return; // not subscribed
    }
  }

  private base(row: EventRow, e: TradeEvent, key: string, description: string) {
    return {
      key,
      cause: row.topic,
      causeId: String(row.id),
      provider: e.provider,
      merchantId: e.merchant_id,
      orderId: e.order_id,
      tradeRef: e.out_trade_no,
      description,
      occurredAt: row.created_at,
    };
  }

  /**
   * A payment happened when the provider says it did (paid_at), not when Hutong heard of it: a payment just before
   * midnight whose notification came after it belongs to the provider's day, and so to that day's bill.
   */
  private async paid(q: Queryable, row: EventRow, e: PayloadOf<'payment.sub_order_paid'>): Promise<void> {
    await this.ledger.post(q, {
      ...this.base(row, e, `paid:${e.out_trade_no}`, `payment into ${e.provider} escrow`),
      occurredAt: new Date(e.paid_at),
      postings: this.ledger.paidPostings(e.provider, e.merchant_id, fen(e.amount)),
    });
  }

  /** Money leaves at processing (or at success, for a refund that never was processing). */
  private async refundOut(q: Queryable, row: EventRow, e: PayloadOf<'refund.processing'>): Promise<void> {
    const key = `refund:${e.refund_id}:out`;
    if (await this.ledger.hasEntry(q, key)) return;
    const paid = fen(e.trade_amount);
    const refundedBefore = fen(paid + (await ledgerStore.tradeBalance(q, e.out_trade_no, BUYERS_ACCOUNT)));
    const feeShare = await this.ledger.refundFeeShare(
      q,
      e.provider,
      e.out_trade_no,
      paid,
      refundedBefore,
      fen(e.amount),
    );
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
  private async refundBack(q: Queryable, row: EventRow, e: PayloadOf<'refund.closed'>): Promise<void> {
    const out = await q.query<{ account: string; amount: number }>(
      `SELECT p.account, p.amount FROM ledger_postings p JOIN ledger_entries e ON e.id = p.entry_id WHERE e.idempotency_key = $1`,
      [`refund:${e.refund_id}:out`],
    );
    if (out.rows.length === 0) return;
    await this.ledger.post(q, {
      ...this.base(row, e, `refund:${e.refund_id}:back`, `refund ${e.refund_id} closed`),
      postings: out.rows.map((p) => ({ account: p.account, amount: -p.amount })),
    });
  }

  private async released(q: Queryable, row: EventRow, e: PayloadOf<'escrow.released'>): Promise<void> {
    const holding = await this.ledger.tradeHolding(q, e.provider, e.merchant_id, e.out_trade_no);
    await this.ledger.post(q, {
      ...this.base(row, e, `release:${e.out_trade_no}`, 'escrow released on receipt'),
      postings: this.ledger.releasePostings(e.provider, e.merchant_id, holding, fen(e.commission)),
    });
  }

  private async unfrozen(q: Queryable, row: EventRow, e: PayloadOf<'escrow.unfrozen'>): Promise<void> {
    const holding = await this.ledger.tradeHolding(q, e.provider, e.merchant_id, e.out_trade_no);
    await this.ledger.post(q, {
      ...this.base(row, e, `unfreeze:${e.out_order_no}`, 'escrow unfrozen for a refund'),
      postings: [
        { account: holdingAccount(e.provider, e.merchant_id), amount: -holding },
        { account: availableAccount(e.provider, e.merchant_id), amount: holding },
      ],
    });
  }

  private async commissionReturned(
    q: Queryable,
    row: EventRow,
    e: PayloadOf<'escrow.commission_returned'>,
  ): Promise<void> {
    await this.ledger.post(q, {
      ...this.base(row, e, `return:${e.out_return_no}`, 'commission returned before a refund'),
      postings: [
        { account: commissionAccount(e.provider), amount: -e.amount },
        { account: availableAccount(e.provider, e.merchant_id), amount: e.amount },
      ],
    });
  }
}
