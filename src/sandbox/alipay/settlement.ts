// Moving a trade's money out of escrow: settlement (confirm or automatic at settle_period_time) and the
// release that finishes royalty. The sub-merchant's books change in the same transaction.
import type { Sql } from './db';
import { addAvailable, addWithdrawn } from './store-apps';
import { insertSettlement, updateTrade, type Settlement } from './store-trades';
import type { Trade } from './types';

/**
 * Settles `amountFen` of the trade's unsettled money: into royalty-frozen money (to share later), the
 * sub-merchant's available balance, or out to its bank card (a card ignores the freeze).
 */
export async function settleTrade(tx: Sql, trade: Trade, s: Omit<Settlement, 'tradeNo'>): Promise<boolean> {
  const fields: Partial<Trade> = {
    unsettledFen: trade.unsettledFen - s.amountFen,
    settledFen: trade.settledFen + s.amountFen,
    ...(s.destination === 'royalty_frozen'
      ? { royaltyFrozenFen: trade.royaltyFrozenFen + s.amountFen }
      : { releasedFen: trade.releasedFen + s.amountFen }),
  };
  if (!(await updateTrade(tx, trade.tradeNo, trade.status, fields))) return false;
  if (s.destination === 'available') await addAvailable(tx, trade.smid, s.amountFen);
  if (s.destination === 'bank_card') await addWithdrawn(tx, trade.smid, s.amountFen);
  await insertSettlement(tx, { tradeNo: trade.tradeNo, ...s });
  return true;
}

/** royalty_finish: whatever is still royalty-frozen goes to the sub-merchant's available balance. */
export async function finishRoyalty(tx: Sql, trade: Trade): Promise<Partial<Trade>> {
  const releaseFen = trade.royaltyFrozenFen;
  if (releaseFen > 0) await addAvailable(tx, trade.smid, releaseFen);
  return { royaltyFrozenFen: 0, releasedFen: trade.releasedFen + releaseFen, royaltyFinished: true };
}
