// Paid checkouts per second, end to end, per provider: POST /v1/orders → POST /v1/payments/:id/attempts →
// the sandbox wallet pays the QR → the sandbox sends its signed notification → Hutong verifies and records it →
// the worker's ledger consumer posts the payment. A checkout counts when its ledger entry exists.
import { randomUUID } from 'node:crypto';
import type { ProviderName } from '../src/providers/types';
import { DESKTOP_UA, type BenchHutong, type Market } from './hutong';
import { boundedLoops, BenchError, perSecond, progress, waitUntil } from './util';

export interface PaidFlow {
  orderId: string;
  paymentId: string;
  /** Milliseconds the buyer's three calls took (order, attempt, wallet pay). */
  buyerMs: number;
}

/**
 * The buyer's part of one checkout: one item, one merchant, paid by scanning the QR in the sandbox wallet. Each write
 * carries an Idempotency-Key, as a client that retries must: the figures include the idempotent door's cost.
 */
export async function buyerPays(
  b: BenchHutong,
  market: Market,
  provider: ProviderName,
  i: number,
  worker: number,
): Promise<PaidFlow> {
  const t0 = performance.now();
  const product = market.products[i % market.products.length]!;
  const buyer = market.buyers[worker % market.buyers.length]!;
  const idempotencyKey = `bench-${provider}-${worker}-${i}-${randomUUID()}`;
  const co = await b.http.expect(201, 'POST', '/v1/orders', {
    key: buyer.key,
    body: { items: [{ product_id: product.id, quantity: 1 }] },
    headers: { 'idempotency-key': `${idempotencyKey}-order` },
  });
  const attempt = await b.http.expect(201, 'POST', `/v1/payments/${co.payment.id}/attempts`, {
    key: buyer.key,
    body: { method: provider, scene: 'qr' },
    headers: { 'user-agent': DESKTOP_UA, 'idempotency-key': `${idempotencyKey}-attempt` },
  });
  if (attempt.action?.type !== 'qr')
    throw new BenchError(`expected a QR action, got ${JSON.stringify(attempt.action)}`);
  await b.sandboxHttp[provider].expect(200, 'POST', `/sandbox/${provider}/wallet/pay`, {
    body: { code_url: attempt.action.code_url },
  });
  return { orderId: co.orders[0].id, paymentId: co.payment.id, buyerMs: performance.now() - t0 };
}

export async function ledgerEntriesOf(b: BenchHutong, orderIds: string[]): Promise<number> {
  const { rows } = await b.h.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ledger_entries WHERE cause = 'payment.sub_order_paid' AND order_id = ANY($1::text[])`,
    [orderIds],
  );
  return rows[0]?.n ?? 0;
}

export async function succeededPayments(b: BenchHutong, paymentIds: string[]): Promise<number> {
  const { rows } = await b.h.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM payments WHERE status = 'succeeded' AND id = ANY($1::text[])`,
    [paymentIds],
  );
  return rows[0]?.n ?? 0;
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export interface CheckoutResult {
  provider: ProviderName;
  requested: number;
  completed: number;
  failed: number;
  errors: string[];
  elapsedMs: number;
  perSecond: number;
  buyerP50Ms: number;
  buyerP95Ms: number;
  timedOut: boolean;
}

export async function paidCheckouts(
  b: BenchHutong,
  market: Market,
  provider: ProviderName,
  opts: { count: number; concurrency: number; timeCapMs: number },
): Promise<CheckoutResult> {
  progress(`checkouts ${provider}: ${opts.count} checkouts from ${opts.concurrency} buyers…`);
  const flows: PaidFlow[] = [];
  const t0 = performance.now();
  const loops = await boundedLoops(opts.count, opts.concurrency, opts.timeCapMs, async (i, worker) => {
    flows.push(await buyerPays(b, market, provider, i, worker));
    if (flows.length % 100 === 0) progress(`checkouts ${provider}: ${flows.length} paid by buyers`);
  });
  // The buyers are done; the checkout is done when the notification was processed and the ledger posted it.
  const orderIds = flows.map((f) => f.orderId);
  const leftMs = Math.max(5_000, opts.timeCapMs - (performance.now() - t0));
  const allPosted = await waitUntil(async () => (await ledgerEntriesOf(b, orderIds)) >= orderIds.length, leftMs, 10);
  const elapsedMs = performance.now() - t0;
  const posted = await ledgerEntriesOf(b, orderIds);
  const succeeded = await succeededPayments(
    b,
    flows.map((f) => f.paymentId),
  );
  if (succeeded < posted)
    throw new BenchError(`${provider}: ${posted} ledger postings but only ${succeeded} succeeded payments`);
  const buyerMs = flows.map((f) => f.buyerMs);
  const result: CheckoutResult = {
    provider,
    requested: opts.count,
    completed: posted,
    failed: loops.failed,
    errors: loops.errors,
    elapsedMs,
    perSecond: perSecond(posted, elapsedMs),
    buyerP50Ms: percentile(buyerMs, 50),
    buyerP95Ms: percentile(buyerMs, 95),
    timedOut: loops.timedOut || !allPosted,
  };
  progress(
    `checkouts ${provider}: ${posted}/${opts.count} paid and posted in ${(elapsedMs / 1000).toFixed(1)} s = ${result.perSecond.toFixed(1)}/s` +
      ` (buyer's calls p50 ${result.buyerP50Ms.toFixed(0)} ms, p95 ${result.buyerP95Ms.toFixed(0)} ms)${loops.failed ? `; ${loops.failed} failed: ${loops.errors[0]}` : ''}`,
  );
  return result;
}
