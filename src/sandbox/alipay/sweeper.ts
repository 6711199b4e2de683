// Background work on the sandbox clock: approving 直付通 applications, closing unpaid trades at their deadline,
// and settling trades automatically when settle_period_time runs out.
import type { Ctx } from './context';
import { approveDueApplications, findSubMerchant } from './store-apps';
import { findTradeByNo, listDueAutoSettlements, listExpiredOpenTrades } from './store-trades';
import { closeTrade } from './trades';
import { settleTrade } from './settlement';

const SWEEP_SIZE_MAX = 500;
const SWEEP_INTERVAL_MS = 100;

export class Sweeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly ctx: Ctx) {}

  start(): void {
    this.timer = setInterval(
      () => void this.sweepNow().catch((err) => this.ctx.logger?.error({ err }, 'alipay sandbox: sweep failed')),
      SWEEP_INTERVAL_MS,
    );
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running.catch(() => undefined);
  }

  /** Runs one sweep after any sweep in progress (so POST /clock sees its effects when it returns). */
  sweepNow(): Promise<void> {
    this.running = this.running.catch(() => undefined).then(() => this.sweep());
    return this.running;
  }

  private async sweep(): Promise<void> {
    const now = this.ctx.clock.now();
    await approveDueApplications(this.ctx.db, now);
    for (const trade of await listExpiredOpenTrades(this.ctx.db, now, SWEEP_SIZE_MAX)) {
      await this.ctx.db.transaction(async (tx) => {
        const current = await findTradeByNo(tx, trade.tradeNo, true);
        if (current?.status === 'WAIT_BUYER_PAY' && current.expireAt <= now) await closeTrade(this.ctx, tx, current);
      });
    }
    for (const trade of await listDueAutoSettlements(this.ctx.db, now, SWEEP_SIZE_MAX))
      await this.autoSettle(trade.tradeNo);
  }

  /** settle_period_time ran out: Alipay settles what is left to the sub-merchant's default account. */
  private async autoSettle(tradeNo: string): Promise<void> {
    await this.ctx.db.transaction(async (tx) => {
      const trade = await findTradeByNo(tx, tradeNo, true);
      if (!trade || trade.unsettledFen === 0) return;
      const merchant = (await findSubMerchant(tx, trade.smid))!;
      await settleTrade(tx, trade, {
        outRequestNo: 'AUTO_SETTLE',
        amountFen: trade.unsettledFen,
        destination: merchant.settleToCard ? 'bank_card' : 'available',
        transInType: 'defaultSettle',
        transIn: null,
        createdAt: this.ctx.clock.now(),
      });
    });
  }
}
