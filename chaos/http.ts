// HTTP for the chaos clients: JSON over fetch with a timeout, and a retrying call that keeps the same
// Idempotency-Key across connection errors, 5xx and "key in use" — what a careful client does while servers die.
export interface Answer {
  status: number;
  body: any;
}

const CALL_TIMEOUT_MS = 30_000;
/** A client gives up on one request after this many tries, or after this long, whichever comes first. */
const RETRIES_MAX = 60;
const REQUEST_DEADLINE_MS = 120_000;
const RETRY_PAUSE_MS_MAX = 2_000;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function call(
  base: string,
  method: string,
  path: string,
  opts: { key?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(base + path, { method, headers, body, signal: AbortSignal.timeout(CALL_TIMEOUT_MS) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed };
}

export function codeOf(a: Answer): string | undefined {
  return typeof a.body === 'object' && a.body !== null ? a.body.error?.code : undefined;
}

/** Worth another try with the same key: the server died, failed, or is still running the first one. */
function retryable(a: Answer): boolean {
  const code = codeOf(a);
  return (
    a.status >= 500 ||
    a.status === 429 ||
    code === 'idempotency_key_in_use' ||
    code === 'idempotency_request_in_progress'
  );
}

export class Retries {
  retried = 0;
  gaveUp = 0;
  /** The longest a client waited for one answer, retries included (a key left running by a killed process shows here). */
  longest = { ms: 0, what: '' };

  /**
   * Sends until an answer that is not retryable, choosing a server each time (`bases()` may change as servers
   * restart). Throws after RETRIES_MAX tries or REQUEST_DEADLINE_MS with the last error.
   */
  async send(
    bases: () => string[],
    method: string,
    path: string,
    opts: Parameters<typeof call>[3] = {},
  ): Promise<Answer> {
    let last: unknown;
    const started = Date.now();
    const deadline = started + REQUEST_DEADLINE_MS;
    const note = () => {
      const ms = Date.now() - started;
      if (ms > this.longest.ms)
        this.longest = { ms, what: `${method} ${path.replace(/\/[a-z]+_[A-Za-z0-9]+/g, '/:id')}` };
    };
    for (let attempt = 0; attempt < RETRIES_MAX && Date.now() < deadline; attempt++) {
      const choices = bases();
      const base = choices[Math.floor(Math.random() * choices.length)]!;
      try {
        const answer = await call(base, method, path, opts);
        if (!retryable(answer)) {
          note();
          return answer;
        }
        last = new Error(`${method} ${path} → ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`);
      } catch (err) {
        last = err;
      }
      this.retried++;
      await sleep(Math.min(100 * 2 ** Math.min(attempt, 5), RETRY_PAUSE_MS_MAX) * (0.5 + Math.random()));
    }
    note();
    this.gaveUp++;
    throw last instanceof Error ? last : new Error(String(last));
  }
}
