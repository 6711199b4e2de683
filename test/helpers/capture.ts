// A local notify endpoint that records provider notifications exactly as they arrive (raw body and headers).
import Fastify from 'fastify';

export interface Captured {
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export async function startCapture(reply: { status: number; body: string } = { status: 200, body: 'success' }) {
  const received: Captured[] = [];
  const app = Fastify();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.post('/notify', async (req, res) => {
    received.push({ headers: req.headers, body: String(req.body) });
    return res.status(reply.status).send(reply.body);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}/notify`, received, close: () => app.close() };
}

/** Records provider notifications and relays them to Hutong, answering with Hutong's own reply. */
export async function startRelay(target: string) {
  const received: Captured[] = [];
  const app = Fastify();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.post('/notify/:provider', async (req, res) => {
    received.push({ headers: req.headers, body: String(req.body) });
    const forward: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (typeof v === 'string' && !['host', 'content-length', 'connection'].includes(k)) forward[k] = v;
    const answer = await fetch(`${target}/notify/${(req.params as { provider: string }).provider}`, {
      method: 'POST',
      headers: forward,
      body: String(req.body),
    });
    const text = await answer.text();
    res.status(answer.status);
    const type = answer.headers.get('content-type');
    if (type) res.type(type);
    return res.send(text);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { base: `http://127.0.0.1:${port}`, received, close: () => app.close() };
}
