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
