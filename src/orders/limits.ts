// Abuse limits on checkouts: one buyer cannot hold the whole stock, nor open unpaid orders without end, and no
// checkout total passes the configured maximum (nor, whatever the configuration, 2^53 − 1 fen).
import type { Queryable } from '../shared/db';
import type { Config } from '../config';
import { HutongError } from '../shared/errors';

/**
 * The checkout total, refused past the maximum. Each line is at most 10^10 fen × 10^4 units = 10^14, so every
 * partial sum below the (safe-integer) maximum plus one line stays an exact integer: no total can overflow.
 */
export function checkoutTotal(lines: Array<{ unitPrice: number; quantity: number }>, maxFen: number): number {
  let total = 0;
  for (const line of lines) {
    total += line.unitPrice * line.quantity;
    if (!Number.isSafeInteger(total) || total > maxFen) {
      throw new HutongError('amount_too_large', undefined, { maximum: maxFen });
    }
  }
  return total;
}

/**
 * Inside the checkout's transaction: locks the buyer (so one buyer's checkouts are counted one at a time) and
 * refuses a checkout that would pass the buyer's unpaid-order or held-stock limit.
 */
export async function ensureBuyerWithinLimits(
  q: Queryable,
  buyerId: string,
  adding: { orders: number; units: number },
  limits: Config['limits'],
): Promise<void> {
  await q.query('SELECT id FROM buyers WHERE id = $1 FOR UPDATE', [buyerId]);
  const { rows } = await q.query<{ orders: number; units: number }>(
    `SELECT count(DISTINCT o.id)::int AS orders, COALESCE(sum(i.quantity), 0)::int AS units
       FROM orders o JOIN order_items i ON i.order_id = o.id
      WHERE o.buyer_id = $1 AND o.status = 'pending_payment'`,
    [buyerId],
  );
  const held = rows[0] ?? { orders: 0, units: 0 };
  if (held.orders + adding.orders > limits.buyerUnpaidOrdersMax) {
    throw new HutongError('unpaid_orders_limit', undefined, {
      unpaid_orders: held.orders,
      maximum: limits.buyerUnpaidOrdersMax,
    });
  }
  if (held.units + adding.units > limits.buyerHeldUnitsMax) {
    throw new HutongError('held_stock_limit', undefined, { held_units: held.units, maximum: limits.buyerHeldUnitsMax });
  }
}
