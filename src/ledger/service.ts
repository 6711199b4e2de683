// The ledger: append-only, balanced journal entries that mirror each provider's books, posted from the payments
// module's outbox events. Every entry carries its cause and an idempotency key; re-processing never posts twice.
import type { AuditActor } from '../audit/service';
import type { ModuleContext } from '../shared/context';
import { writeOnce } from '../shared/door';
import type { Queryable } from '../shared/db';
import { newId } from '../shared/ids';
import { InvariantViolation } from '../shared/errors';
import { fen, mulDivRoundHalfUpFen, type Fen } from '../shared/money';
import type { ProviderName } from '../providers/types';
import type { ProviderRegistry } from '../providers/registry';
import {
  BUYERS_ACCOUNT,
  availableAccount,
  commissionAccount,
  feesAccount,
  holdingAccount,
  parseMerchantAccount,
  platformFeeAccount,
} from './accounts';
import { ledgerStore as store, type Posting } from './store';

export interface EntryInput {
  key: string;
  cause: string;
  causeId: string;
  provider: ProviderName;
  merchantId: string;
  orderId: string;
  tradeRef: string;
  description: string;
  occurredAt: Date;
  postings: Posting[];
}

/** Invariant: every entry sums to zero. */
export function assertBalanced(postings: Posting[]): void {
  const sum = postings.reduce((s, p) => s + p.amount, 0);
  if (sum !== 0) throw new InvariantViolation(`entry does not balance: ${JSON.stringify(postings)}`);
  for (const p of postings)
    if (!Number.isSafeInteger(p.amount)) throw new InvariantViolation(`non-integer posting ${p.amount}`);
}

/** Merges postings to the same account and drops zeros (the journal stores non-zero amounts only). */
function netted(postings: Posting[]): Posting[] {
  const byAccount = new Map<string, number>();
  for (const p of postings) byAccount.set(p.account, (byAccount.get(p.account) ?? 0) + p.amount);
  return [...byAccount].filter(([, amount]) => amount !== 0).map(([account, amount]) => ({ account, amount }));
}

export class LedgerService {
  constructor(
    private readonly ctx: ModuleContext,
    private readonly providers: ProviderRegistry,
  ) {}

  async post(q: Queryable, e: EntryInput): Promise<boolean> {
    assertBalanced(e.postings);
    const postings = netted(e.postings);
    if (postings.length === 0) return false;
    return store.insertEntry(
      q,
      {
        id: newId('jnl'),
        idempotency_key: e.key,
        cause: e.cause,
        cause_id: e.causeId,
        provider: e.provider,
        merchant_id: e.merchantId,
        order_id: e.orderId,
        trade_ref: e.tradeRef,
        description: e.description,
        occurred_at: e.occurredAt,
        created_at: this.ctx.clock.now(),
      },
      postings,
    );
  }

  feeRateBp(provider: ProviderName): number {
    return this.providers.has(provider)
      ? this.providers.identity(provider).feeRateBp
      : this.ctx.config.feeRateBp[provider];
  }

  /** The provider's fee for a payment: round-half-up(paid × rate), the sandbox's arithmetic (protocols.md). */
  paymentFee(provider: ProviderName, amount: Fen): Fen {
    return mulDivRoundHalfUpFen(amount, this.feeRateBp(provider), 10_000);
  }

  /** What one trade still holds in escrow (frozen / unsettled) according to the ledger. */
  async tradeHolding(q: Queryable, provider: ProviderName, merchantId: string, tradeRef: string): Promise<Fen> {
    return fen(await store.tradeBalance(q, tradeRef, holdingAccount(provider, merchantId)));
  }

  /** The fee share a refund gets back: in proportion, and the last refund takes what is left (protocols.md). */
  async refundFeeShare(
    q: Queryable,
    provider: ProviderName,
    tradeRef: string,
    paid: Fen,
    refundedBefore: Fen,
    refund: Fen,
  ): Promise<Fen> {
    const fee = this.paymentFee(provider, paid);
    const feeReturned = -(await store.tradeBalance(q, tradeRef, `${feesAccount(provider)}`)) + fee;
    if (refundedBefore + refund >= paid) return fen(fee - feeReturned);
    // Many small refunds each round their share up: never give back more fee than is left (as the providers do).
    return fen(Math.min(mulDivRoundHalfUpFen(fee, refund, paid), fee - feeReturned));
  }

  /** Does the merchant's money carry the fee (net amounts), or does the platform pay it? */
  merchantBearsFee(provider: ProviderName): boolean {
    return this.ctx.config.feeBearer[provider] === 'merchant';
  }

  paidPostings(provider: ProviderName, merchantId: string, amount: Fen): Posting[] {
    const fee = this.paymentFee(provider, amount);
    const merchantPays = this.merchantBearsFee(provider);
    return [
      { account: BUYERS_ACCOUNT, amount: -amount },
      { account: holdingAccount(provider, merchantId), amount: merchantPays ? amount - fee : amount },
      { account: feesAccount(provider), amount: fee },
      { account: platformFeeAccount(provider), amount: merchantPays ? 0 : -fee },
    ];
  }

  releasePostings(provider: ProviderName, merchantId: string, holding: Fen, commission: Fen): Posting[] {
    if (commission > holding) throw new InvariantViolation(`commission ${commission} exceeds the escrow ${holding}`);
    return [
      { account: holdingAccount(provider, merchantId), amount: -holding },
      { account: commissionAccount(provider), amount: commission },
      { account: availableAccount(provider, merchantId), amount: holding - commission },
    ];
  }

  async hasEntry(q: Queryable, key: string): Promise<boolean> {
    return store.hasEntry(q, key);
  }

  async trialBalance(): Promise<{ balanced: boolean; accounts: Array<{ account: string; balance: number }> }> {
    const accounts = await store.balances(this.ctx.db, null);
    return { balanced: accounts.reduce((s, a) => s + a.balance, 0) === 0, accounts };
  }

  /** What the ledger says the provider holds for a merchant: frozen (frozen or unsettled) and available, per provider. */
  async merchantBalances(
    merchantId: string,
  ): Promise<Array<{ provider: ProviderName; frozen: number; available: number }>> {
    const rows = await store.balances(this.ctx.db, null);
    const result = new Map<ProviderName, { provider: ProviderName; frozen: number; available: number }>();
    for (const p of ['alipay', 'wechatpay'] as const) result.set(p, { provider: p, frozen: 0, available: 0 });
    for (const r of rows) {
      const parsed = parseMerchantAccount(r.account);
      if (!parsed || parsed.merchantId !== merchantId) continue;
      const b = result.get(parsed.provider)!;
      if (parsed.kind === 'available') b.available += r.balance;
      else b.frozen += r.balance;
    }
    return [...result.values()];
  }

  async entries(
    filter: { account?: string; orderId?: string; merchantId?: string },
    limit: number,
    before: Date | null,
  ) {
    return store.entries(this.ctx.db, filter, limit, before ? before.toISOString() : null);
  }

  async commissionRate(category: string, at: Date): Promise<number> {
    return store.commissionRate(this.ctx.db, category, at);
  }

  async setCommissionRate(actor: AuditActor, category: string, rateBp: number, effectiveFrom: Date): Promise<void> {
    await writeOnce(this.ctx.db, async (q) => {
      const before = await store.commissionRate(q, category, effectiveFrom);
      await store.insertRate(q, category, rateBp, effectiveFrom, this.ctx.clock.now());
      await this.ctx.audit.record(q, actor, {
        action: 'commission_rate.set',
        subject: `commission_rate:${category}`,
        before: { rate_bp_at_effective_from: before },
        after: { rate_bp: rateBp, effective_from: effectiveFrom.toISOString() },
      });
    });
  }

  async commissionRates() {
    return store.rates(this.ctx.db);
  }

  /** Invariants that need no provider: every entry balances; running balances equal their postings. */
  async journalInvariants(): Promise<{ unbalancedEntries: string[]; driftedBalances: string[] }> {
    return {
      unbalancedEntries: await store.unbalancedEntries(this.ctx.db),
      driftedBalances: await store.driftedBalances(this.ctx.db),
    };
  }
}
