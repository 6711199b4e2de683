// Background work in one loop: order timers, the payments janitor, refunds, onboarding, and whatever later modules
// register (ledger outbox). In the embedded default it runs in-process; every step is safe to run twice.
import type { FastifyBaseLogger } from 'fastify';

export interface WorkerTask {
  name: string;
  run(): Promise<unknown>;
}

export class Worker {
  private readonly tasks: WorkerTask[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor(
    private readonly log: FastifyBaseLogger,
    private readonly intervalMs: number,
  ) {}

  add(task: WorkerTask): void {
    this.tasks.push(task);
  }

  /** One pass over every task; a failing task is logged and does not stop the others. */
  async runOnce(): Promise<void> {
    if (this.running) return this.running;
    this.running = (async () => {
      for (const task of this.tasks) {
        try {
          await task.run();
        } catch (err) {
          this.log.error({ task: task.name, err }, 'worker task failed');
        }
      }
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  start(): void {
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      // runOnce logs each task's failure itself; the catch only keeps a failing logger from ending the process.
      this.runOnce()
        .catch(() => undefined)
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.intervalMs);
        });
    };
    this.timer = setTimeout(tick, this.intervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
