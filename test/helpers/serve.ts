// Runs the production entry as a user does: `node bin/hutong.mjs serve …` in its own process, on the compiled build
// (made once per source change by `npm run build`, under a lock so parallel test files build it once).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { ROOT, compiledIsCurrent } from '../../bin/build-state.mjs';

const LOCK = join(ROOT, 'dist', '.build-lock');
const LOCK_POLLS_MAX = 1200;
const LOCK_POLL_MS = 250;

async function withBuildLock(fn: () => void): Promise<void> {
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  for (let poll = 0; poll < LOCK_POLLS_MAX; poll++) {
    try {
      mkdirSync(LOCK);
    } catch {
      await new Promise((r) => setTimeout(r, LOCK_POLL_MS));
      continue;
    }
    try {
      fn();
    } finally {
      rmSync(LOCK, { recursive: true, force: true });
    }
    return;
  }
  throw new Error(`${LOCK} stayed taken: remove it if no build is running`);
}

/** `npm run build` unless dist/ is already newer than the sources. */
export async function ensureBuilt(): Promise<void> {
  if (compiledIsCurrent()) return;
  await withBuildLock(() => {
    if (compiledIsCurrent()) return; // another test file built it while this one waited
    const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`npm run build failed: ${r.stdout}\n${r.stderr}`);
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export function dataKey(): string {
  return randomBytes(32).toString('base64');
}

export interface ServeProcess {
  child: ChildProcess;
  /** Everything printed so far, stdout and stderr interleaved. */
  output(): string;
  /** Resolves once the output matches; rejects if the process exits first. */
  waitFor(pattern: RegExp): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns `hutong serve` with exactly `env` (plus PATH): nothing leaks in from the test runner's environment. */
export function spawnServe(args: string[], env: Record<string, string>): ServeProcess {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'hutong.mjs'), 'serve', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const watchers = new Set<() => void>();
  const append = (d: Buffer) => {
    text += d.toString('utf8');
    for (const w of watchers) w();
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  let closed = false;
  // 'close', not 'exit': by then every byte the process wrote has been read.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => {
      closed = true;
      resolve({ code, signal });
      for (const w of watchers) w();
    });
  });
  const done = () => closed;
  return {
    child,
    output: () => text,
    exited,
    waitFor(pattern) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(text)) {
            watchers.delete(check);
            resolve();
          } else if (done()) {
            watchers.delete(check);
            reject(
              new Error(
                `hutong serve exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}:\n${text}`,
              ),
            );
          }
        };
        watchers.add(check);
        check();
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
