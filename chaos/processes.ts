// Hutong's processes for the chaos run: started with tsx, each on its own fixed 127.0.0.1 port so that a restart
// comes back where clients and the sandboxes' notifications look for it; SIGKILLed and started again at random.
// Every child has exit-with-parent.ts preloaded (its stdin is a pipe from the run): it never outlives the run.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { call, sleep } from './http';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const GUARD = fileURLToPath(new URL('./exit-with-parent.mjs', import.meta.url));
const LAUNCHER = fileURLToPath(new URL('./hutong-process.ts', import.meta.url));
/** A loaded machine compiles and migrates slowly (PGlite above all): how long a start may take. */
const READY_TIMEOUT_MS = 300_000;

export interface Kill {
  process: string;
  pid: number;
  atMs: number;
  downMs: number;
}

export class HutongProcess {
  private child: ChildProcess | undefined;
  private killing = false;
  starts = 0;
  /** Exits nobody asked for (a crash): each is a failure of the run. */
  readonly crashes: string[] = [];

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly env: Record<string, string>,
    private readonly logDir: string,
    private readonly role: 'api' | 'worker' | 'all' = 'all',
    /** `serve`: the production entry `hutong serve --role … --local` (compiled); `direct`: createHutong through tsx. */
    private readonly launcher: 'serve' | 'direct' = 'direct',
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get up(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    this.starts++;
    const log = openSync(join(this.logDir, `${this.name}.log`), 'a');
    const env = { ...process.env, ...this.env, PORT: String(this.port), NODE_OPTIONS: '' };
    const args =
      this.launcher === 'serve'
        ? ['--import', GUARD, join(ROOT, 'bin', 'hutong.mjs'), 'serve', '--role', this.role, '--local']
        : ['--import', 'tsx', '--import', GUARD, LAUNCHER, this.role];
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['pipe', log, log] });
    this.child = child;
    this.killing = false;
    closeSync(log);
    child.once('exit', (code, signal) => {
      if (this.killing || this.child !== child) return;
      this.crashes.push(`${this.name} (pid ${child.pid}) exited by itself: code ${code}, signal ${signal}`);
    });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (!this.up)
        throw new Error(`${this.name} exited while starting (see ${join(this.logDir, `${this.name}.log`)})`);
      try {
        if ((await call(this.url, 'GET', '/healthz')).status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`${this.name} did not answer within ${READY_TIMEOUT_MS} ms`);
      await sleep(200);
    }
  }

  /** SIGKILL: no shutdown hook runs, in-flight requests and transactions die with it. */
  async kill(): Promise<number> {
    const child = this.child;
    if (!child || !this.up) return 0;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.killing = true;
    child.kill('SIGKILL');
    await exited;
    return child.pid ?? 0;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.up) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.killing = true;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * Kills one of the processes at random every few seconds and starts it again after a short pause, until told to
 * stop and at least `minimum` kills happened (or `killsMax`). Returns the kills it made.
 */
export class Killer {
  readonly kills: Kill[] = [];
  private stopping = false;
  /** True between a kill and the restart it is followed by. */
  restarting = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly processes: HutongProcess[],
    private readonly opts: {
      minimum: number;
      killsMax: number;
      everyMs: [number, number];
      downMs: [number, number];
      t0: number;
      log: (m: string) => void;
      /** After each restart (e.g. in-process sandboxes lose their fault knobs with the process). */
      afterStart?: (p: HutongProcess) => Promise<void>;
    },
  ) {}

  start(): void {
    // A failed restart ends the kills (reported by the end checks), never the run.
    this.loop = this.run().catch((err) => {
      this.restarting = false;
      this.opts.log(`the killer stopped: ${String(err)}`);
    });
  }

  private async run(): Promise<void> {
    const between = (r: [number, number]) => r[0] + Math.random() * (r[1] - r[0]);
    while (this.kills.length < this.opts.killsMax && !(this.stopping && this.kills.length >= this.opts.minimum)) {
      await sleep(between(this.opts.everyMs));
      const victim = this.processes[Math.floor(Math.random() * this.processes.length)]!;
      const atMs = Date.now() - this.opts.t0;
      this.restarting = true;
      const pid = await victim.kill();
      const downMs = Math.round(between(this.opts.downMs));
      this.opts.log(`SIGKILL ${victim.name} (pid ${pid}); restarting in ${downMs} ms`);
      await sleep(downMs);
      await victim.start();
      await this.opts
        .afterStart?.(victim)
        .catch((err) => this.opts.log(`after restarting ${victim.name}: ${String(err)}`));
      this.restarting = false;
      this.kills.push({ process: victim.name, pid, atMs, downMs });
    }
  }

  /** Stops after the minimum number of kills; waits until every process is up again. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
  }
}
