// Daily reconciliation: a provider's bills for one Asia/Shanghai day against the ledger, each line to exactly one
// ledger event and back (design.md "Reconciliation"). A run is recorded before it starts and finished with what it
// found, so a failed download leaves a `failed` run rather than nothing.
import type { ModuleContext } from '../shared/context';
import { writeOnce } from '../shared/door';
import { HutongError } from '../shared/errors';
import { newId } from '../shared/ids';
import { ProviderError, type ProviderName } from '../providers/types';
import type { FullAdapter, ProviderRegistry } from '../providers/registry';
import { reconciliationReads as reads } from '../payments/store';
import { addDays, billDay, shanghaiDate, type BillDay } from './bill-day';
import { KEPT_ORDERS_MAX } from './invariants';
import { billSources, fetchBills, type BillSource } from './reconciliation-bills';
import { ledgerLines, type LedgerFacts } from './reconciliation-lines';
import {
  matchLines,
  missingAtProvider,
  type BillType,
  type LedgerLine,
  type Mismatch,
  type ProviderLine,
} from './reconciliation-match';
import { reconciliationStore as store, type LedgerEvent, type ReconciliationRunRow } from './reconciliation-store';

export interface ReconciliationProgress {
  phase: 'fetching' | 'matching' | 'checking';
  done: number;
  total: number;
}

export interface BillSummary {
  bill: BillType;
  lines: number;
  matched: number;
}

/** An event recorded this close before midnight may be on the next day's bill if the provider's clock runs ahead. */
const CLOCK_SKEW_MS = 2 * 60_000;

export class ReconciliationService {
  constructor(
    private readonly ctx: ModuleContext,
    private readonly providers: ProviderRegistry,
  ) {}

  /** Reconciles one provider's bill day; a provider failure ends the run `failed` (returned, not thrown). */
  async run(
    provider: ProviderName,
    date: string,
    onProgress: (p: ReconciliationProgress) => void = () => {},
  ): Promise<ReconciliationRunRow> {
    const day = billDay(date);
    if (!day) throw new HutongError('validation_failed', `${date} is not a calendar date (YYYY-MM-DD).`);
    if (date > shanghaiDate(this.ctx.clock.now())) throw new HutongError('bill_date_in_future', undefined, { date });
    const adapter = this.providers.get(provider);
    const id = await writeOnce(this.ctx.db, async (q) => {
      const fresh = newId('rec');
      await store.insertRun(q, { id: fresh, provider, billDate: date, now: this.ctx.clock.now() });
      return fresh;
    });
    try {
      const result = await this.reconcile(adapter, provider, day, onProgress);
      await store.finishRun(this.ctx.db, id, {
        status: 'completed',
        ...result,
        error: null,
        now: this.ctx.clock.now(),
      });
    } catch (err) {
      const error =
        err instanceof ProviderError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
      await store.finishRun(this.ctx.db, id, {
        status: 'failed',
        matched: 0,
        mismatches: [],
        bills: [],
        error,
        now: this.ctx.clock.now(),
      });
      if (!(err instanceof ProviderError)) throw err;
      this.ctx.log.warn({ run: id, provider, date, error }, 'reconciliation failed: provider error');
    }
    return (await store.run(this.ctx.db, id))!;
  }

  async get(id: string): Promise<ReconciliationRunRow> {
    const run = await store.run(this.ctx.db, id);
    if (!run) throw new HutongError('not_found', `No reconciliation ${id}.`);
    return run;
  }

  async list(
    filter: { provider?: string; billDate?: string },
    limit: number,
    before: { createdAt: Date; id: string } | null,
  ) {
    return store.runs(this.ctx.db, filter, limit, before);
  }

  private async reconcile(
    adapter: FullAdapter,
    provider: ProviderName,
    day: BillDay,
    onProgress: (p: ReconciliationProgress) => void,
  ) {
    const subMerchantIds =
      provider === 'alipay' ? (await reads.subMerchants(this.ctx.db, provider)).map((r) => r.sub_merchant_id) : [];
    const sources = billSources(provider, subMerchantIds);
    const total = sources.length + 2;
    let done = 0;
    const step = (phase: ReconciliationProgress['phase']) => onProgress({ phase, done: ++done, total });
    onProgress({ phase: 'fetching', done, total });
    const theirs = await fetchBills(adapter, day.date, sources, () => step('fetching'));
    const ours = await this.ledgerLinesFor(provider, day, theirs);
    const outcome = matchLines(theirs, ours, day);
    step('matching');
    const missing = await this.stillMissing(adapter, day, sources, outcome.unlisted);
    step('checking');
    const mismatches: Mismatch[] = [
      ...outcome.mismatches,
      ...missing.map(missingAtProvider),
      ...(await this.keptFromLosingAttempts(provider, day)),
    ];
    const bills: BillSummary[] = [...new Set(sources.map((s) => s.bill))].map((bill) => ({
      bill,
      lines: theirs.filter((l) => l.bill === bill).length,
      matched: outcome.matchedByBill[bill],
    }));
    return { matched: outcome.matchedByBill.trade + outcome.matchedByBill.profit_sharing, mismatches, bills };
  }

  /**
   * Payments of the day that both books agree on but that belong to an attempt that lost its payment and are not
   * refunded in full (the losing_attempts_refunded invariant, for this provider and day).
   */
  private async keptFromLosingAttempts(provider: ProviderName, day: BillDay): Promise<Mismatch[]> {
    const kept = (await reads.keptFromLosingAttempts(this.ctx.db, KEPT_ORDERS_MAX)).filter(
      (k) => k.method === provider && k.paid_at >= day.start && k.paid_at < day.end,
    );
    return kept.map((k) => ({
      kind: 'kept_from_losing_attempt',
      bill: 'trade',
      line: 'payment',
      key: `${k.sub_merchant_id}:${k.transaction_id}`,
      provider_ref: {
        sub_merchant_id: k.sub_merchant_id,
        transaction_id: k.transaction_id,
        out_trade_no: k.out_trade_no,
      },
      hutong_ref: null,
      provider_amount: k.amount,
      hutong_amount: k.refunded,
      occurred_at: k.paid_at.toISOString(),
      note: `attempt ${k.attempt_id} lost payment ${k.payment_id}; ${k.amount - k.refunded} fen not refunded`,
    }));
  }

  /** The day's ledger events, plus those the bill's lines name that were recorded on another day. */
  private async ledgerLinesFor(provider: ProviderName, day: BillDay, theirs: ProviderLine[]): Promise<LedgerLine[]> {
    const db = this.ctx.db;
    const dayEvents = await store.eventsBetween(db, provider, day.start, day.end);
    const named = (pick: (l: ProviderLine) => boolean, ref: 'transaction_id' | 'out_refund_no' | 'out_order_no') =>
      theirs.filter(pick).map((l) => l.ref[ref] ?? '');
    const outOrderNos = named((l) => l.bill === 'profit_sharing', 'out_order_no');
    const releaseOrderIds = dayEvents
      .filter((e) => e.idempotency_key.startsWith('release:'))
      .map((e) => e.order_id ?? '');
    const releases = await reads.releases(db, { orderIds: releaseOrderIds, outOrderNos });
    const paidByTransaction = await reads.paidSubOrders(db, provider, {
      outTradeNos: [],
      transactionIds: named((l) => l.kind === 'payment', 'transaction_id'),
    });
    const sharedOrders = new Set(outOrderNos);
    const keys = [
      ...paidByTransaction.map((p) => `paid:${p.out_trade_no}`),
      ...named((l) => l.kind === 'refund', 'out_refund_no').map((id) => `refund:${id}:out`),
      ...outOrderNos.flatMap((no) => [`unfreeze:${no}`, `return:${no}`]),
      ...releases.filter((r) => sharedOrders.has(r.out_order_no)).map((r) => `release:${r.out_trade_no}`),
    ];
    const known = new Set(dayEvents.map((e) => e.idempotency_key));
    const events = [
      ...dayEvents,
      ...(await store.eventsByKeys(
        db,
        [...new Set(keys)].filter((k) => !known.has(k)),
      )),
    ];
    return ledgerLines(events, await this.factsOf(provider, day, events, releases));
  }

  private async factsOf(
    provider: ProviderName,
    day: BillDay,
    events: LedgerEvent[],
    releases: Awaited<ReturnType<typeof reads.releases>>,
  ): Promise<LedgerFacts> {
    const db = this.ctx.db;
    const paid = await reads.paidSubOrders(db, provider, {
      outTradeNos: [...new Set(events.map((e) => e.trade_ref ?? ''))],
      transactionIds: [],
    });
    const refundIds = events
      .filter((e) => /^refund:.*:out$/.test(e.idempotency_key))
      .map((e) => e.idempotency_key.split(':')[1]!);
    const refunds = await reads.refunds(db, refundIds);
    return {
      provider,
      cutoff: day.end,
      platformReceiver: provider === 'wechatpay' ? this.providers.identity(provider).platformMerchantId : undefined,
      listsFailedRefunds: provider === 'wechatpay',
      paid: new Map(
        paid.map((p) => [p.out_trade_no, { subMerchantId: p.sub_merchant_id, transactionId: p.transaction_id }]),
      ),
      refunds: new Map(refunds.map((r) => [r.id, { status: r.status, updatedAt: r.updated_at }])),
      releases: new Map(
        releases.map((r) => [r.order_id, { outOrderNo: r.out_order_no, subMerchantId: r.sub_merchant_id }]),
      ),
    };
  }

  /**
   * Ledger lines of the day that the day's bill does not list. Hutong records an event after the provider acted
   * (a refund's answer, a share found finished), so one recorded just after midnight may be on the previous
   * day's bill; that bill, and the next day's for clock skew, are asked before calling a line missing.
   */
  private async stillMissing(
    adapter: FullAdapter,
    day: BillDay,
    sources: BillSource[],
    unlisted: LedgerLine[],
  ): Promise<LedgerLine[]> {
    if (unlisted.length === 0) return [];
    const today = shanghaiDate(this.ctx.clock.now());
    const neighbours = [addDays(day.date, -1)];
    if (
      unlisted.some((l) => day.end.getTime() - l.occurredAt.getTime() < CLOCK_SKEW_MS) &&
      addDays(day.date, 1) <= today
    )
      neighbours.push(addDays(day.date, 1));
    const wanted = sources.filter((s) =>
      unlisted.some(
        (l) => l.bill === s.bill && (!s.subMerchantId || l.providerRef.sub_merchant_id === s.subMerchantId),
      ),
    );
    const listed = new Set<string>();
    for (const date of neighbours) for (const line of await fetchBills(adapter, date, wanted)) listed.add(line.key);
    return unlisted.filter((l) => !listed.has(l.key));
  }
}
