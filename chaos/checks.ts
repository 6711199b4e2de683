// The chaos run's end checks, over HTTP as an operator (ops key) and against the sandboxes' own books: each returns
// its failures (empty: it holds), naming the ids and amounts involved.
import { call, sleep, type Answer } from './http';
import { METHODS, type CheckoutRecord, type Endpoints, type Market, type Method } from './workload';

export interface CheckResult {
  name: string;
  description: string;
  failures: string[];
}

interface SandboxTrade {
  out_trade_no: string;
  refunded: number;
  paid: number;
}

export interface World {
  api: string;
  market: Market;
  endpoints: Endpoints;
  records: CheckoutRecord[];
}

async function ok(a: Promise<Answer>, what: string): Promise<any> {
  const answer = await a;
  if (answer.status !== 200 && answer.status !== 201)
    throw new Error(`${what}: HTTP ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
  return answer.body;
}

/** Every trade each sandbox holds for the market's sub-merchants, by out_trade_no, and each sub-merchant's books. */
export async function sandboxBooks(w: World) {
  const trades = new Map<string, SandboxTrade & { method: Method; merchantId: string }>();
  const held: Array<{ merchantId: string; method: Method; subMerchantId: string; frozen: number; available: number }> =
    [];
  for (const m of w.market.merchants) {
    const accounts = await ok(
      call(w.api, 'GET', `/v1/merchants/${m.id}/provider-accounts`, { key: w.market.opsKey }),
      'provider accounts',
    );
    for (const method of METHODS) {
      const sub = accounts.data.find((a: { provider: string }) => a.provider === method)?.sub_merchant_id;
      if (!sub) continue;
      const books = await ok(
        call(w.endpoints.sandbox(method), 'GET', `/sandbox/${method}/books/sub-merchants/${sub}`, {
          headers: w.endpoints.sandboxAdminHeaders,
        }),
        `${method} books`,
      );
      held.push({ merchantId: m.id, method, subMerchantId: sub, frozen: books.frozen, available: books.available });
      for (const t of books.trades as Array<Record<string, any>>) {
        const paid = method === 'alipay' ? (t.paid_at ? t.total_amount : 0) : t.paid;
        trades.set(t.out_trade_no, {
          out_trade_no: t.out_trade_no,
          refunded: t.refunded,
          paid,
          method,
          merchantId: m.id,
        });
      }
    }
  }
  return { trades, held };
}

const outTradePrefix = (attemptId: string) => `${attemptId.replace('att_', 'T')}_`;

/** Waits (bounded) until every wallet-paid payment succeeded and no refund is still on its way. */
export async function settled(w: World, deadline: number, log: (m: string) => void): Promise<boolean> {
  const open = new Set(w.records.filter((r) => r.walletPaid.length > 0));
  let refundsOpen = 1;
  while (Date.now() < deadline) {
    for (const r of [...open]) {
      const view = await call(w.api, 'GET', `/v1/payments/${r.paymentId}`, { key: r.buyerKey }).catch(() => undefined);
      if (
        view?.status === 200 &&
        view.body.status === 'succeeded' &&
        view.body.attempts.every((a: { status: string }) => a.status !== 'created' && a.status !== 'pending')
      )
        open.delete(r);
    }
    refundsOpen = 0;
    for (const r of w.records) {
      for (const o of r.orders) {
        const refunds = await call(w.api, 'GET', `/v1/orders/${o.id}/refunds`, { key: r.buyerKey }).catch(
          () => undefined,
        );
        if (!refunds || refunds.status !== 200) refundsOpen++;
        else
          refundsOpen += refunds.body.data.filter(
            (x: { status: string }) => x.status === 'pending' || x.status === 'processing',
          ).length;
      }
    }
    if (open.size === 0 && refundsOpen === 0) return true;
    log(`settling: ${open.size} paid payment(s) not yet succeeded, ${refundsOpen} refund(s) on their way`);
    await sleep(3_000);
  }
  return false;
}

export async function endChecks(w: World): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const { trades, held } = await sandboxBooks(w);
  const views = new Map<string, any>();
  const orders = new Map<string, any>();
  const refundsOf = new Map<string, any[]>();
  for (const r of w.records) {
    views.set(
      r.paymentId,
      await ok(call(w.api, 'GET', `/v1/payments/${r.paymentId}`, { key: r.buyerKey }), `payment ${r.paymentId}`),
    );
    for (const o of r.orders) {
      orders.set(o.id, await ok(call(w.api, 'GET', `/v1/orders/${o.id}`, { key: r.buyerKey }), `order ${o.id}`));
      refundsOf.set(
        o.id,
        (await ok(call(w.api, 'GET', `/v1/orders/${o.id}/refunds`, { key: r.buyerKey }), `refunds of ${o.id}`)).data,
      );
    }
  }

  // 1. Every payment the wallet paid succeeded, with its orders paid (or later: shipped, completed, closed by refund).
  const paid: string[] = [];
  for (const r of w.records.filter((x) => x.walletPaid.length > 0)) {
    const view = views.get(r.paymentId);
    if (view.status !== 'succeeded')
      paid.push(
        `${r.paymentId}: ${view.status} although the wallet paid ${r.walletPaid.map((a) => `${a.attemptId} (${a.method})`).join(', ')}`,
      );
    for (const o of r.orders) {
      const order = orders.get(o.id);
      const fine =
        ['paid', 'shipped', 'completed'].includes(order.status) ||
        (order.status === 'closed' && order.refunded_amount === order.amount);
      if (!fine)
        paid.push(
          `${o.id} of ${r.paymentId}: order ${order.status} (refunded ${order.refunded_amount} of ${order.amount})`,
        );
    }
  }
  results.push({
    name: 'wallet_paid_succeeded',
    description: 'every payment the wallet paid is succeeded with its orders paid',
    failures: paid,
  });

  // 2. No buyer charged twice: every attempt but the winner gave back all it took; the winner took the payment once.
  const twice: string[] = [];
  for (const r of w.records) {
    const view = views.get(r.paymentId);
    const winners = view.attempts.filter((a: { status: string }) => a.status === 'succeeded');
    if (winners.length > 1) twice.push(`${r.paymentId}: ${winners.length} attempts succeeded`);
    for (const a of view.attempts as Array<{ id: string; method: string; status: string }>) {
      const own = [...trades.values()].filter((t) => t.out_trade_no.startsWith(outTradePrefix(a.id)));
      const took = own.reduce((s, t) => s + t.paid, 0);
      const gaveBack = own.reduce((s, t) => s + t.refunded, 0);
      if (a.status !== 'succeeded' && took !== gaveBack) {
        twice.push(
          `${r.paymentId} attempt ${a.id} (${a.method}, ${a.status}): paid ${took} fen, refunded ${gaveBack} — ${took - gaveBack} fen kept from a losing attempt`,
        );
      }
      if (a.status === 'succeeded' && took !== r.amount)
        twice.push(
          `${r.paymentId} attempt ${a.id} (${a.method}): the provider took ${took} fen for a ${r.amount} fen payment`,
        );
    }
  }
  results.push({
    name: 'no_double_charge',
    description: 'no buyer charged twice without an automatic refund',
    failures: twice,
  });

  // 3. Every accepted refund reached the provider exactly once.
  const once: string[] = [];
  for (const r of w.records) {
    const view = views.get(r.paymentId);
    const winner = view.attempts.find((a: { status: string }) => a.status === 'succeeded');
    for (const [n, o] of r.orders.entries()) {
      const list = refundsOf.get(o.id)!;
      const mine = list.filter((x) => x.kind === 'order' && x.status === 'succeeded');
      const stuck = list.filter((x) => x.status !== 'succeeded');
      for (const x of stuck)
        once.push(
          `${x.id} (${x.kind}, ${x.amount} fen, order ${o.id}): ${x.status}${x.failure_code ? ` ${x.failure_code}` : ''}`,
        );
      const accepted = [...r.refunds.values()].filter((id) => list.some((x) => x.id === id && x.order_id === o.id));
      for (const id of accepted)
        if (!mine.some((x) => x.id === id)) once.push(`${id} accepted for order ${o.id} but not succeeded`);
      const extra = mine.filter((x) => !accepted.includes(x.id));
      if (extra.length > 0)
        once.push(
          `order ${o.id}: ${extra.length} refund(s) nobody asked for: ${extra.map((x) => `${x.id} ${x.amount} fen`).join(', ')}`,
        );
      if (!winner) continue;
      const trade = trades.get(`${outTradePrefix(winner.id)}${n + 1}`);
      const hutong = mine.reduce((s, x) => s + x.amount, 0);
      const order = orders.get(o.id);
      if (!trade || trade.refunded !== hutong || order.refunded_amount !== hutong) {
        once.push(
          `order ${o.id} (${winner.method} ${outTradePrefix(winner.id)}${n + 1}): Hutong refunded ${hutong} fen, order says ${order.refunded_amount}, the provider refunded ${trade?.refunded ?? 'no trade'}`,
        );
      }
    }
  }
  results.push({
    name: 'refunds_reached_provider_once',
    description: 'every accepted refund reached the provider exactly once',
    failures: once,
  });

  // 4. Trial balance zero.
  const trial = await ok(call(w.api, 'GET', '/v1/ledger/trial-balance', { key: w.market.opsKey }), 'trial balance');
  const sum = (trial.accounts as Array<{ balance: number }>).reduce((s, a) => s + a.balance, 0);
  results.push({
    name: 'trial_balance_zero',
    description: 'the ledger’s accounts sum to zero',
    failures: trial.balanced && sum === 0 ? [] : [`balanced ${trial.balanced}, accounts sum to ${sum} fen`],
  });

  // 5. Each merchant's balances equal the sandbox's books, to the fen.
  const books: string[] = [];
  for (const m of w.market.merchants) {
    const mine = await ok(call(w.api, 'GET', `/v1/merchants/${m.id}/balance`, { key: m.key }), 'balance');
    for (const theirs of held.filter((x) => x.merchantId === m.id)) {
      const b = (mine.balances as Array<{ provider: string; frozen: number; available: number }>).find(
        (x) => x.provider === theirs.method,
      ) ?? { frozen: 0, available: 0 };
      if (b.frozen !== theirs.frozen || b.available !== theirs.available) {
        books.push(
          `${m.id} ${theirs.method} (sub-merchant ${theirs.subMerchantId}): ledger frozen ${b.frozen} available ${b.available}, provider frozen ${theirs.frozen} available ${theirs.available}`,
        );
      }
    }
  }
  results.push({
    name: 'merchant_balances_equal_provider',
    description: 'each merchant’s balances equal the sandbox’s books to the fen',
    failures: books,
  });
  return results;
}

/** Reconciliation of each provider's bill for each day the run touched. */
export async function reconciliationCheck(w: World, days: string[]): Promise<CheckResult> {
  const failures: string[] = [];
  for (const provider of METHODS) {
    for (const date of days) {
      const run = await call(w.api, 'POST', '/v1/reconciliations', { key: w.market.opsKey, body: { provider, date } });
      if (run.status !== 201)
        failures.push(`${provider} ${date}: HTTP ${run.status} ${JSON.stringify(run.body).slice(0, 200)}`);
      else if (run.body.status !== 'completed' || run.body.mismatches.length > 0) {
        failures.push(
          `${provider} ${date}: ${run.body.status}, ${run.body.mismatches.length} mismatch(es): ${JSON.stringify(run.body.mismatches.slice(0, 5))}${run.body.error ? ` (${run.body.error})` : ''}`,
        );
      }
    }
  }
  return { name: 'reconciliation_clean', description: 'reconciliation for the day finds nothing', failures };
}

/** The invariants `hutong check` prints, as the server runs them (GET /v1/ledger/invariants). */
export async function invariantsCheck(w: World): Promise<CheckResult> {
  const res = await ok(call(w.api, 'GET', '/v1/ledger/invariants', { key: w.market.opsKey }), 'invariants');
  const failures: string[] = [];
  for (const inv of res.invariants as Array<{
    name: string;
    violations: Array<{ ref: string; detail: string; ledger?: number; provider?: number }>;
  }>) {
    for (const v of inv.violations)
      failures.push(
        `${inv.name}: ${v.ref} ${v.detail}${v.ledger !== undefined ? ` (ledger ${v.ledger}, provider ${v.provider ?? '—'})` : ''}`,
      );
  }
  return { name: 'invariants', description: 'GET /v1/ledger/invariants: every invariant holds', failures };
}
