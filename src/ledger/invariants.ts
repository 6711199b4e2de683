// The ledger's invariants as named checks, shared by tests, `GET /v1/ledger/invariants` and `hutong check`.
// Each returns the violations it found (empty: the invariant holds). The provider checks read the provider twice
// for a disagreement, so a change in flight between the two reads is not reported as a violation.
import type { Queryable } from '../shared/db';
import { PROVIDER_NAMES, type ProviderName } from '../providers/types';
import type { ProviderRegistry } from '../providers/registry';
import { reconciliationReads as reads } from '../payments/store';
import { fen } from '../shared/money';
import { parseMerchantAccount } from './accounts';
import { ledgerStore } from './store';
import type { ProviderBooks } from './provider-books';

export interface Violation {
  /** What is wrong: an entry id, an account, an out_trade_no or a merchant. */
  ref: string;
  detail: string;
  ledger?: number;
  provider?: number;
}

export interface InvariantResult {
  name: string;
  description: string;
  violations: Violation[];
  /** Why it could not be checked (e.g. the provider offers no balance API). */
  skipped?: string;
}

/** Providers whose books cannot be compared because Hutong has no adapter for them configured. */
function unconfigured(providers: ProviderRegistry): string | undefined {
  const missing = PROVIDER_NAMES.filter((p) => !providers.has(p));
  return missing.length > 0 ? `${missing.join(', ')} not configured` : undefined;
}

export interface InvariantDeps {
  db: Queryable;
  providers: ProviderRegistry;
  books: ProviderBooks;
}

/** One check run asks about at most this many escrowed trades; the rest wait for the next run. */
export const HELD_TRADES_MAX = 10_000;

// Invariant: every journal entry's postings sum to zero.
export async function entriesBalance(db: Queryable): Promise<InvariantResult> {
  const ids = await ledgerStore.unbalancedEntries(db);
  return {
    name: 'entries_balance',
    description: 'every entry sums to zero',
    violations: ids.map((id) => ({ ref: id, detail: 'postings do not sum to zero' })),
  };
}

// Invariant: each account's running balance equals the sum of its postings.
export async function balancesEqualPostings(db: Queryable): Promise<InvariantResult> {
  const accounts = await ledgerStore.driftedBalances(db);
  return {
    name: 'balances_equal_postings',
    description: 'running balances equal their postings',
    violations: accounts.map((a) => ({ ref: a, detail: 'balance differs from the sum of its postings' })),
  };
}

// Invariant: no provider order returns more to its buyer than the buyer paid (refunded ≤ paid).
export async function refundedWithinPaid(db: Queryable): Promise<InvariantResult> {
  const trades = await ledgerStore.overRefundedTrades(db);
  return {
    name: 'refunded_within_paid',
    description: 'refunded ≤ paid per provider order',
    violations: trades.map((t) => ({
      ref: t.trade_ref,
      detail: `refunded ${t.refunded_beyond} fen more than was paid`,
    })),
  };
}

/** One check lists at most this many provider orders kept from losing attempts. */
export const KEPT_ORDERS_MAX = 1_000;

// Invariant: for every payment, the money of every attempt but the winner is refunded in full — each paid provider
// order of a losing attempt has refunds (succeeded or on their way) covering what the buyer paid for it.
export async function losingAttemptsRefunded(db: Queryable): Promise<InvariantResult> {
  const kept = await reads.keptFromLosingAttempts(db, KEPT_ORDERS_MAX);
  return {
    name: 'losing_attempts_refunded',
    description: 'every attempt but a payment’s winner is refunded in full',
    violations: kept.map((k) => ({
      ref: k.out_trade_no,
      detail: `${k.method}: payment ${k.payment_id}, attempt ${k.attempt_id} did not win; ${k.amount - k.refunded} fen kept from the buyer`,
    })),
  };
}

// Invariant: each order's escrow in the ledger equals the provider's unsplit (WeChat Pay) / unsettled (Alipay) money.
export async function escrowEqualsProviderUnsplit(deps: InvariantDeps): Promise<InvariantResult> {
  const result: InvariantResult = {
    name: 'escrow_equals_provider_unsplit',
    description: 'each order’s frozen money equals the provider’s unsplit amount',
    violations: [],
  };
  const skipped = unconfigured(deps.providers);
  if (skipped) result.skipped = skipped;
  const held = await ledgerStore.heldTrades(deps.db, HELD_TRADES_MAX);
  for (const provider of PROVIDER_NAMES.filter((p) => deps.providers.has(p))) {
    const mine = held.filter((h) => parseMerchantAccount(h.account)?.provider === provider);
    const trades = await reads.paidSubOrders(deps.db, provider, {
      outTradeNos: mine.map((h) => h.trade_ref),
      transactionIds: [],
    });
    for (const orphan of mine.filter((h) => !trades.some((t) => t.out_trade_no === h.trade_ref))) {
      result.violations.push({
        ref: orphan.trade_ref,
        detail: `${provider}: escrow held for a provider order that was never paid`,
        ledger: orphan.held,
      });
    }
    for (const t of trades) {
      const ref = {
        outTradeNo: t.out_trade_no,
        subMerchantId: t.sub_merchant_id,
        transactionId: t.transaction_id,
        amountFen: fen(t.amount),
      };
      const ledger = () =>
        ledgerStore.tradeBalance(deps.db, t.out_trade_no, mine.find((h) => h.trade_ref === t.out_trade_no)!.account);
      const provided = () => deps.providers.get(provider).escrow.queryUnsplit(ref);
      const differs = await stillDiffers(ledger, provided);
      if (differs !== null && differs !== 'unknown')
        result.violations.push({
          ref: t.out_trade_no,
          detail: `${provider}: escrow differs from the provider's unsplit amount`,
          ...differs,
        });
    }
  }
  return result;
}

// Invariant: each merchant's frozen and available money in the ledger equal what the provider holds for it.
export async function balancesEqualProvider(deps: InvariantDeps): Promise<InvariantResult> {
  const result: InvariantResult = {
    name: 'balances_equal_provider',
    description: 'each merchant’s balances equal the provider’s',
    violations: [],
  };
  const skipped: string[] = [unconfigured(deps.providers) ?? ''].filter(Boolean);
  for (const provider of PROVIDER_NAMES.filter((p) => deps.providers.has(p))) {
    for (const account of await reads.subMerchants(deps.db, provider)) {
      for (const kind of ['frozen', 'available'] as const) {
        const ledger = async () => (await merchantHeld(deps.db, provider, account.merchant_id))[kind];
        const provided = async () => (await deps.books.held(provider, account.sub_merchant_id))?.[kind];
        const differs = await stillDiffers(ledger, provided);
        if (differs === 'unknown') {
          skipped.push(`${provider} offers no balance to compare with`);
          break;
        }
        if (differs)
          result.violations.push({
            ref: account.merchant_id,
            detail: `${provider} ${kind} differs (sub-merchant ${account.sub_merchant_id})`,
            ...differs,
          });
      }
    }
  }
  if (skipped.length > 0) result.skipped = [...new Set(skipped)].join('; ');
  return result;
}

async function merchantHeld(
  db: Queryable,
  provider: ProviderName,
  merchantId: string,
): Promise<{ frozen: number; available: number }> {
  const out = { frozen: 0, available: 0 };
  for (const row of await ledgerStore.balances(db, `provider:${provider}:merchant:${merchantId}:`)) {
    const parsed = parseMerchantAccount(row.account);
    if (parsed?.merchantId !== merchantId) continue;
    if (parsed.kind === 'available') out.available += row.balance;
    else out.frozen += row.balance;
  }
  return out;
}

/** Compares twice: only a disagreement seen both times counts (money in flight moves between the reads). */
async function stillDiffers(
  ledger: () => Promise<number>,
  provider: () => Promise<number | undefined>,
): Promise<{ ledger: number; provider: number } | 'unknown' | null> {
  const read = async () => ({ mine: await ledger(), theirs: await provider() });
  let seen = await read();
  if (seen.theirs !== undefined && seen.mine !== seen.theirs) seen = await read();
  if (seen.theirs === undefined) return 'unknown';
  return seen.mine === seen.theirs ? null : { ledger: seen.mine, provider: seen.theirs };
}

/** Every invariant, journal ones first (they need no provider). */
export async function checkInvariants(
  deps: InvariantDeps,
  onChecked: (r: InvariantResult) => void = () => {},
): Promise<InvariantResult[]> {
  const checks = [
    () => entriesBalance(deps.db),
    () => balancesEqualPostings(deps.db),
    () => refundedWithinPaid(deps.db),
    () => losingAttemptsRefunded(deps.db),
    () => escrowEqualsProviderUnsplit(deps),
    () => balancesEqualProvider(deps),
  ];
  const results: InvariantResult[] = [];
  for (const check of checks) {
    const r = await check();
    results.push(r);
    onChecked(r);
  }
  return results;
}
