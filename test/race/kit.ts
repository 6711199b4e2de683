// A small kit for race tests: start N callers behind one barrier so they hit Hutong together, sort what came back
// by status and error code, and check the ledger's invariants (the ones `hutong check` runs) afterwards.
import { expect } from 'vitest';
import Fastify from 'fastify';
import { checkInvariants, type InvariantResult } from '../../src/ledger/invariants';
import { sandboxBooks } from '../../src/ledger/provider-books';
import type { CallResult, TestHutong } from '../helpers/hutong';

/** Every race runs this many concurrent callers (issue 16). */
export const RACERS = 64;
/** Rounds of background work a race waits for before giving up (the worker drains outboxes and sweeps). */
const SETTLE_ROUNDS_MAX = 200;

export interface Outcome<T> {
  index: number;
  value?: T;
  error?: unknown;
}

/**
 * Runs `n` callers that all wait on one barrier, then release them in the same tick so their requests overlap as
 * much as one process can make them. Never throws: a caller's exception is its outcome.
 */
export async function race<T>(n: number, caller: (index: number) => Promise<T>): Promise<Outcome<T>[]> {
  let open!: () => void;
  const barrier = new Promise<void>((resolve) => {
    open = resolve;
  });
  const running = Array.from({ length: n }, async (_, index): Promise<Outcome<T>> => {
    await barrier;
    try {
      return { index, value: await caller(index) };
    } catch (error) {
      return { index, error };
    }
  });
  open();
  return Promise.all(running);
}

/** "201", "409 refund_exceeds_remaining", "error: …" — one label per outcome, counted. */
export function tally(outcomes: Outcome<CallResult>[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) {
    const label = o.error !== undefined ? `error: ${String(o.error)}` : labelOf(o.value!);
    counts[label] = (counts[label] ?? 0) + 1;
  }
  return counts;
}

export function labelOf(r: CallResult): string {
  const code = typeof r.body === 'object' && r.body?.error?.code;
  return code ? `${r.status} ${code}` : String(r.status);
}

/** The responses that won (2xx). */
export function winners(outcomes: Outcome<CallResult>[]): CallResult[] {
  return outcomes.filter((o) => o.value && o.value.status >= 200 && o.value.status < 300).map((o) => o.value!);
}

/** Drives the worker until the condition holds; fails with what was seen last. */
export async function settle(h: TestHutong, condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let round = 0; round < SETTLE_ROUNDS_MAX; round++) {
    if (await condition()) return;
    await h.worker.runOnce();
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Drains the ledger's outbox, then runs every invariant against the sandboxes' books; returns the violated ones. */
export async function violatedInvariants(h: TestHutong): Promise<InvariantResult[]> {
  await h.worker.runOnce();
  // Each drain is bounded per tick: run it until nothing is due, so the invariants read a ledger that has caught up.
  for (let round = 0; round < SETTLE_ROUNDS_MAX; round++) if ((await h.outbox.run()) === 0) break;
  const results = await checkInvariants({
    db: h.db,
    providers: h.providers,
    books: sandboxBooks(h.url, h.sandboxes?.adminToken),
  });
  return results.filter((r) => r.violations.length > 0);
}

/** Asserts the invariants hold, printing each violation (invariant, ref, amounts) when not. */
export async function expectInvariantsHold(h: TestHutong): Promise<void> {
  const violated = await violatedInvariants(h);
  expect(violated.map((r) => ({ invariant: r.name, violations: r.violations }))).toEqual([]);
}

export interface HeldNotification {
  provider: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * A notify endpoint that keeps the providers' notifications instead of passing them on (answering success, so the
 * sandbox does not resend): a test then delivers them to Hutong when and as often as it wants.
 */
export async function holdNotifications(): Promise<{ base: string; held: HeldNotification[]; close(): Promise<void> }> {
  const held: HeldNotification[] = [];
  const app = Fastify();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.post('/notify/:provider', async (req, reply) => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (typeof v === 'string' && !['host', 'content-length', 'connection'].includes(k)) headers[k] = v;
    const provider = (req.params as { provider: string }).provider;
    held.push({ provider, headers, body: String(req.body) });
    return provider === 'wechatpay' ? reply.status(204).send() : reply.type('text/plain').send('success');
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { base: `http://127.0.0.1:${port}`, held, close: () => app.close() };
}
