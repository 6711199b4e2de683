// Small helpers shared by the measurements: progress on stderr, bounded concurrent loops, JSON over undici.
import { Pool, type Dispatcher } from 'undici';

const started = Date.now();

/** Progress goes to stderr so stdout carries only the final table. */
export function progress(message: string): void {
  const seconds = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[bench ${seconds}s] ${message}\n`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class BenchError extends Error {}

export interface LoopResult {
  /** Iterations that finished (successfully or not) before the cap. */
  done: number;
  failed: number;
  /** The first few failures, for the report. */
  errors: string[];
  elapsedMs: number;
  timedOut: boolean;
}

/**
 * Runs `fn(i)` for i in [0, count) from `concurrency` loops, stopping early at `timeCapMs`. Every loop is bounded
 * in count and in time: nothing here can spin forever.
 */
export async function boundedLoops(
  count: number,
  concurrency: number,
  timeCapMs: number,
  fn: (i: number, worker: number) => Promise<void>,
): Promise<LoopResult> {
  const t0 = performance.now();
  const deadline = t0 + timeCapMs;
  let next = 0;
  let done = 0;
  let failed = 0;
  let timedOut = false;
  const errors: string[] = [];
  const loop = async (worker: number) => {
    for (;;) {
      if (performance.now() > deadline) {
        timedOut = true;
        return;
      }
      const i = next++;
      if (i >= count) return;
      try {
        await fn(i, worker);
      } catch (err) {
        failed++;
        if (errors.length < 5) errors.push(String((err as Error).message ?? err).slice(0, 300));
      }
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => loop(w)));
  return { done, failed, errors, elapsedMs: performance.now() - t0, timedOut };
}

/** Polls `check` every `everyMs` until it returns true or `timeoutMs` passes; returns whether it held. */
export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, everyMs = 20): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await check()) return true;
    await sleep(everyMs);
  }
  return check();
}

export interface JsonAnswer {
  status: number;
  body: any;
  text: string;
}

/** A keep-alive HTTP client to one origin (127.0.0.1), sized for the benchmark's concurrency. */
export class HttpClient {
  readonly pool: Pool;

  constructor(
    readonly origin: string,
    connections: number,
  ) {
    this.pool = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
  }

  async call(
    method: Dispatcher.HttpMethod,
    path: string,
    opts: { key?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
  ): Promise<JsonAnswer> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.key) headers.authorization = `Bearer ${opts.key}`;
    let body = opts.raw;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await this.pool.request({ method, path, headers, body, headersTimeout: 30_000, bodyTimeout: 30_000 });
    const text = await res.body.text();
    let parsed: unknown = text;
    if (text && (res.headers['content-type'] ?? '').toString().includes('json')) parsed = JSON.parse(text);
    return { status: res.statusCode, body: parsed, text };
  }

  /** Like call, but any status other than `expected` is an error naming the answer. */
  async expect(
    expected: number | number[],
    method: Dispatcher.HttpMethod,
    path: string,
    opts: Parameters<HttpClient['call']>[2] = {},
  ): Promise<any> {
    const res = await this.call(method, path, opts);
    const ok = Array.isArray(expected) ? expected.includes(res.status) : res.status === expected;
    if (!ok) throw new BenchError(`${method} ${path} → ${res.status} ${res.text.slice(0, 200)}`);
    return res.body;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

export function perSecond(count: number, elapsedMs: number): number {
  return elapsedMs > 0 ? (count * 1000) / elapsedMs : 0;
}
