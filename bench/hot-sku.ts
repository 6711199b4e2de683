// Hot-SKU reservations per second with zero oversell: one product, `stock` units, many concurrent buyers, and a
// few more requests than units so that selling out is exercised. Every run must sell exactly `stock` units and
// leave stock at 0 (never below).
//
// "Naive" (design.md's "a naive single-row UPDATE") is the obvious correct implementation: every reservation is
// one autocommitted `UPDATE products SET stock = stock - 1 WHERE id = $1 AND stock >= 1` on the one product row,
// straight through pg with no HTTP, no order rows and no payment. Hutong's figure is the checkout path a flash sale
// really takes: POST /v1/orders over HTTP (stock reserved by catalogStore.reserveStock inside the checkout
// transaction that also writes the payment, the order and its items). A third, informative figure runs
// catalogStore.reserveStock alone in a transaction of Hutong's Db.
import pg from 'pg';
import { openPostgres } from '../src/shared/db';
import { catalogStore } from '../src/catalog/store';
import type { BenchHutong, Market } from './hutong';
import { boundedLoops, BenchError, perSecond, progress } from './util';

export interface HotSkuRun {
  name: string;
  stock: number;
  requests: number;
  reserved: number;
  refused: number;
  finalStock: number;
  elapsedMs: number;
  perSecond: number;
  failed: number;
  errors: string[];
  timedOut: boolean;
}

async function setStock(b: BenchHutong, productId: string, stock: number): Promise<void> {
  await b.h.db.query('UPDATE products SET stock = $2 WHERE id = $1', [productId, stock]);
}

async function stockOf(b: BenchHutong, productId: string): Promise<number> {
  const { rows } = await b.h.db.query<{ stock: number }>('SELECT stock FROM products WHERE id = $1', [productId]);
  return Number(rows[0]?.stock);
}

/** Runs one contender: `reserve` returns true for a unit reserved, false for "sold out". */
async function contend(
  b: BenchHutong,
  name: string,
  productId: string,
  opts: HotSkuOptions,
  reserve: (worker: number) => Promise<boolean>,
): Promise<HotSkuRun> {
  await setStock(b, productId, opts.stock);
  const requests = opts.stock + opts.concurrency * 2;
  let reserved = 0;
  let refused = 0;
  const loops = await boundedLoops(requests, opts.concurrency, opts.timeCapMs, async (_i, worker) => {
    if (await reserve(worker)) reserved++;
    else refused++;
  });
  const finalStock = await stockOf(b, productId);
  const run: HotSkuRun = {
    name,
    stock: opts.stock,
    requests,
    reserved,
    refused,
    finalStock,
    elapsedMs: loops.elapsedMs,
    perSecond: perSecond(reserved, loops.elapsedMs),
    failed: loops.failed,
    errors: loops.errors,
    timedOut: loops.timedOut,
  };
  // Zero oversell: every unit sold once, none sold twice, stock never negative.
  if (finalStock < 0 || reserved + finalStock !== opts.stock) {
    throw new BenchError(`${name}: OVERSELL or lost stock: ${reserved} reserved, stock ${opts.stock} → ${finalStock}`);
  }
  if (!loops.timedOut && !loops.failed && finalStock !== 0)
    throw new BenchError(`${name}: ${finalStock} units left unsold`);
  progress(
    `hot SKU ${name}: ${reserved} of ${opts.stock} units in ${(loops.elapsedMs / 1000).toFixed(2)} s = ${run.perSecond.toFixed(0)}/s, ${refused} refused (sold out), final stock ${finalStock}` +
      (loops.failed ? `; ${loops.failed} failed: ${loops.errors[0]}` : ''),
  );
  return run;
}

export interface HotSkuOptions {
  stock: number;
  concurrency: number;
  timeCapMs: number;
}

export interface HotSkuResult {
  naive: HotSkuRun;
  checkout: HotSkuRun;
  reserveStock: HotSkuRun;
}

export async function hotSku(
  b: BenchHutong,
  market: Market,
  databaseUrl: string,
  opts: HotSkuOptions,
): Promise<HotSkuResult> {
  const merchant = market.merchants[0]!;
  const product = await b.http.expect(201, 'POST', '/v1/products', {
    key: merchant.key,
    body: { name: 'Flash-sale item', price: 990, stock: opts.stock },
  });
  const buyers: Array<{ id: string; key: string }> = [];
  for (let i = 0; i < opts.concurrency; i++)
    buyers.push(
      await b.http.expect(201, 'POST', '/v1/buyers', { key: b.opsKey, body: { name: `Flash buyer ${i + 1}` } }),
    );
  progress(`hot SKU: ${opts.stock} units, ${opts.concurrency} concurrent buyers`);

  const pool = new pg.Pool({ connectionString: databaseUrl, max: opts.concurrency });
  const db = openPostgres(databaseUrl, opts.concurrency);
  try {
    const naive = await contend(b, 'naive single-row UPDATE', product.id, opts, async () => {
      const r = await pool.query('UPDATE products SET stock = stock - 1 WHERE id = $1 AND stock >= 1', [product.id]);
      return r.rowCount === 1;
    });
    const checkout = await contend(b, 'POST /v1/orders', product.id, opts, async (worker) => {
      const res = await b.http.call('POST', '/v1/orders', {
        key: buyers[worker]!.key,
        body: { items: [{ product_id: product.id, quantity: 1 }] },
      });
      if (res.status === 201) return true;
      if (res.status === 409 && res.body?.error?.code === 'insufficient_stock') return false;
      throw new BenchError(`POST /v1/orders → ${res.status} ${res.text.slice(0, 200)}`);
    });
    const reserveStock = await contend(b, 'reserveStock in a transaction', product.id, opts, async () =>
      db.tx((q) => catalogStore.reserveStock(q, product.id, 1)),
    );
    return { naive, checkout, reserveStock };
  } finally {
    await pool.end();
    await db.close();
  }
}
