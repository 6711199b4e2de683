// Provider notifications processed per second: Hutong's notify endpoint alone (verify the signature — and for
// WeChat Pay decrypt the resource —, identity checks, inbox, attempt/payment/order transitions, outbox) plus the
// ledger posting of each payment.
//
// Method: the notifications are genuine. N checkouts are paid in the sandbox while Hutong's public URL points at a
// local capture endpoint, so each sandbox signs and sends its real notification there (answered "success") instead
// of to Hutong: N trades paid at the provider that Hutong has not heard of. The worker is stopped meanwhile, so the
// janitor cannot learn of them by querying. Then the bench replays the captured bytes and headers to Hutong's
// /notify/:provider from 8 concurrent clients, as a provider's burst would arrive, while a loop runs the ledger
// consumer. The clock stops when every notification was answered with success and every payment is in the ledger.
// The sandboxes do no work during the timed part, so the figure is Hutong's own.
import Fastify from 'fastify';
import type { ProviderName } from '../src/providers/types';
import type { BenchHutong, Market } from './hutong';
import { buyerPays, ledgerEntriesOf, succeededPayments, type PaidFlow } from './checkouts';
import { boundedLoops, BenchError, perSecond, progress, sleep, waitUntil } from './util';

interface Captured {
  headers: Record<string, string>;
  body: string;
}

const NOT_FORWARDED = new Set(['host', 'content-length', 'connection', 'transfer-encoding']);

async function startCapture() {
  const received: Record<string, Captured[]> = { alipay: [], wechatpay: [] };
  const app = Fastify();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.post('/notify/:provider', async (req, reply) => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (typeof v === 'string' && !NOT_FORWARDED.has(k)) headers[k] = v;
    received[(req.params as { provider: string }).provider]?.push({ headers, body: String(req.body) });
    return reply.status(200).type('text/plain').send('success');
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { base: `http://127.0.0.1:${port}`, received, close: () => app.close() };
}

/** Pays `count` checkouts whose notifications go to the capture endpoint; returns the flows and their notifications. */
async function prepare(
  b: BenchHutong,
  market: Market,
  provider: ProviderName,
  count: number,
  concurrency: number,
  timeCapMs: number,
) {
  const capture = await startCapture();
  const publicUrl = b.h.config.publicUrl;
  b.h.config.publicUrl = capture.base; // new attempts name the capture endpoint as their notify_url
  try {
    const flows: PaidFlow[] = [];
    const loops = await boundedLoops(count, concurrency, timeCapMs, async (i, worker) => {
      flows.push(await buyerPays(b, market, provider, i, worker));
    });
    if (loops.failed)
      throw new BenchError(`preparing ${provider} notifications: ${loops.failed} checkouts failed: ${loops.errors[0]}`);
    if (!(await waitUntil(async () => capture.received[provider]!.length >= flows.length, 60_000, 20))) {
      throw new BenchError(
        `preparing ${provider} notifications: ${capture.received[provider]!.length}/${flows.length} captured`,
      );
    }
    await sleep(200); // let the sandbox record the deliveries before anything else runs
    return { flows, notifications: capture.received[provider]!.slice(0, flows.length) };
  } finally {
    b.h.config.publicUrl = publicUrl;
    await capture.close();
  }
}

export interface NotificationResult {
  provider: ProviderName;
  count: number;
  processed: number;
  elapsedMs: number;
  perSecond: number;
  rejected: number;
  errors: string[];
  timedOut: boolean;
}

export async function notificationsProcessed(
  b: BenchHutong,
  market: Market,
  provider: ProviderName,
  opts: { count: number; concurrency: number; timeCapMs: number },
): Promise<NotificationResult> {
  await b.h.worker.stop();
  try {
    progress(
      `notifications ${provider}: paying ${opts.count} checkouts with their notifications captured (not timed)…`,
    );
    const { flows, notifications } = await prepare(b, market, provider, opts.count, opts.concurrency, opts.timeCapMs);
    const orderIds = flows.map((f) => f.orderId);
    if ((await ledgerEntriesOf(b, orderIds)) !== 0)
      throw new BenchError(`${provider}: Hutong heard of the prepared payments before the replay`);
    progress(
      `notifications ${provider}: replaying ${notifications.length} genuine notifications from ${opts.concurrency} clients…`,
    );

    let posting = true;
    const ledgerLoop = (async () => {
      const deadline = performance.now() + opts.timeCapMs;
      while (posting && performance.now() < deadline) if ((await b.h.outbox.run()) === 0) await sleep(5);
    })();
    const t0 = performance.now();
    const replies = await boundedLoops(notifications.length, opts.concurrency, opts.timeCapMs, async (i) => {
      const n = notifications[i]!;
      const res = await b.http.call('POST', `/notify/${provider}`, { raw: n.body, headers: n.headers });
      const ok = res.status === 200 || res.status === 204;
      if (!ok || (provider === 'alipay' && res.text.trim() !== 'success'))
        throw new BenchError(`notify → ${res.status} ${res.text.slice(0, 120)}`);
    });
    const allPosted = await waitUntil(
      async () => (await ledgerEntriesOf(b, orderIds)) >= orderIds.length,
      Math.max(5_000, opts.timeCapMs - replies.elapsedMs),
      5,
    );
    const elapsedMs = performance.now() - t0;
    posting = false;
    await ledgerLoop;
    const processed = await ledgerEntriesOf(b, orderIds);
    const succeeded = await succeededPayments(
      b,
      flows.map((f) => f.paymentId),
    );
    if (succeeded !== processed)
      throw new BenchError(`${provider}: ${processed} ledger postings but ${succeeded} succeeded payments`);
    const result: NotificationResult = {
      provider,
      count: notifications.length,
      processed,
      elapsedMs,
      perSecond: perSecond(processed, elapsedMs),
      rejected: replies.failed,
      errors: replies.errors,
      timedOut: replies.timedOut || !allPosted,
    };
    progress(
      `notifications ${provider}: ${processed}/${notifications.length} processed and posted in ${(elapsedMs / 1000).toFixed(2)} s = ${result.perSecond.toFixed(1)}/s` +
        (replies.failed ? `; ${replies.failed} rejected: ${replies.errors[0]}` : ''),
    );
    return result;
  } finally {
    b.h.worker.start();
  }
}
