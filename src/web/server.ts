// Serves the web pages: the storefront and cashier at /shop, the merchant console at /merchant and the operations
// console at /ops, each a single-page app (any path inside falls back to its page), assets under /web/.
import type { FastifyInstance, FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';
import { WEB_APPS, WEB_BASE, builtPages, pagesComplete, type WebApp } from './build';

/** The pages load and talk only to this server; QR codes are data: images. Provider pages are navigated to, not loaded. */
const PAGE_CSP = [
  "default-src 'self'",
  "img-src 'self' data:",
  "style-src 'self'",
  "script-src 'self'",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

function sendPage(reply: FastifyReply, app: WebApp, root: string) {
  return reply
    .header('content-security-policy', PAGE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    .header('cache-control', 'no-cache')
    .sendFile(`${app}.html`, root);
}

declare module 'fastify' {
  interface FastifyInstance {
    hutongWeb?: true;
  }
}

/** Serves the pages in `pagesDir` (production: dist/web), or those built from web/ into the build cache. */
export async function registerWeb(
  app: FastifyInstance,
  opts: { storefrontKey: () => Promise<string>; pagesDir?: string },
): Promise<void> {
  if (app.hasDecorator('hutongWeb')) return; // already registered on this server
  app.decorate('hutongWeb', true);
  const root = opts.pagesDir ?? (await builtPages());
  if (!pagesComplete(root)) throw new Error(`the pages are not built in ${root}: run npm run build`);

  // The plugin only lends reply.sendFile; the asset route is ours so it declares its access like every other.
  await app.register(fastifyStatic, { root, serve: false });
  const hide = { config: { access: ['public'] as const }, schema: { hide: true } };
  // Hashed file names: an asset never changes under its name.
  app.get(`${WEB_BASE}*`, hide, (req, reply) =>
    reply.sendFile((req.params as { '*': string })['*'], root, { immutable: true, maxAge: '365d', index: false }),
  );

  app.get('/', hide, (_req, reply) => reply.redirect('/shop'));
  for (const page of WEB_APPS) {
    app.get(`/${page}`, hide, (_req, reply) => sendPage(reply, page, root));
    app.get(`/${page}/*`, hide, (_req, reply) => sendPage(reply, page, root));
  }
  // Which sandboxes this server mounts, so the cashier offers "simulate scanning" only where a wallet page exists,
  // and the storefront's publishable key (safe in a page: it reads the public catalogue and signs guests up).
  app.get(`${WEB_BASE}env.json`, hide, async (_req, reply) => {
    reply.header('cache-control', 'no-cache');
    return {
      publishable_key: await opts.storefrontKey(),
      sandboxes: {
        alipay: app.hasRoute({ method: 'POST', url: '/sandbox/alipay/wallet/pay' }),
        wechatpay: app.hasRoute({ method: 'GET', url: '/sandbox/wechatpay/wallet' }),
      },
    };
  });
}
