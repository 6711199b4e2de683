// What happens by itself as the sandbox clock moves: unpaid orders close at time_expire, frozen funds unfreeze
// at the end of their freeze period, applications reach FINISH and get their sub-merchant.
import { finishDueApplyments } from './applyments';
import type { Ctx } from './context';
import { autoUnfreezeDue } from './sharing';
import { closeExpired } from './trades';

const SWEEP_INTERVAL_MS = 250;

export async function sweep(ctx: Ctx): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const now = ctx.clock.now();
    await closeExpired(tx, now);
    await autoUnfreezeDue(tx, now);
    await finishDueApplyments(ctx, tx);
  });
}

export class Sweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly ctx: Ctx) {}

  start(): void {
    this.timer = setInterval(() => {
      if (this.running) return; // one sweep at a time
      this.running = sweep(this.ctx)
        .catch((err: unknown) => this.ctx.log.error({ err }, 'wechatpay sandbox: sweep failed'))
        .finally(() => {
          this.running = undefined;
        });
    }, SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
