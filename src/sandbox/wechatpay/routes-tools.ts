// The sandbox's own endpoints, outside the real API: registration, the wallet (API and page), the test clock,
// fault knobs, books, keys. Errors here are Hutong-style `{ error: { code, message } }`.
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { notificationList, subMerchantBooks } from './books';
import type { Ctx } from './context';
import { ToolError } from './errors';
import { checkFaults } from './faults';
import { registerMerchant, type RegistrationInput } from './merchants';
import { rfc3339 } from './time';
import { sweep } from './sweeper';
import { baseUrl, typed } from './v3';
import { resolvePayable, walletPay, type WalletPayInput } from './wallet';
import { describePayable, errorPage, signedPage, walletPage, type Lang } from './wallet-page';
import { SANDBOX_ADMIN, SANDBOX_CLIENT } from '../access';
import { pageNonce, pageSecurityHeaders, registrationLimit, SMALL_BODY_BYTES } from '../guard';

function langOf(req: FastifyRequest): Lang {
  const asked = (req.query as { lang?: string }).lang;
  if (asked === 'en' || asked === 'zh') return asked;
  return /^zh/i.test(req.headers['accept-language'] ?? 'zh') ? 'zh' : 'en';
}

export function setupToolScope(app: FastifyInstance, ctx: Ctx, prefix: string): void {
  app.setValidatorCompiler(TypeBoxValidatorCompiler);
  app.setErrorHandler((error: Error & { statusCode?: number; validation?: unknown }, req, reply) => {
    if (error instanceof ToolError)
      return reply.code(error.status).send({ error: { code: error.code, message: error.message } });
    if (error.validation) return reply.code(422).send({ error: { code: 'invalid_request', message: error.message } });
    if (error.statusCode === 413)
      return reply.code(413).send({ error: { code: 'body_too_large', message: error.message } });
    if (error.statusCode && error.statusCode < 500) {
      return reply.code(error.statusCode).send({ error: { code: 'bad_request', message: error.message } });
    }
    req.log.error({ err: error }, 'wechatpay sandbox: unexpected error');
    return reply.code(500).send({ error: { code: 'internal_error', message: 'internal error' } });
  });
  const r = typed(app);

  r.post(
    '/merchants',
    { config: SANDBOX_CLIENT, bodyLimit: SMALL_BODY_BYTES, preHandler: registrationLimit(ctx.registrations) },
    async (req, reply) => reply.code(201).send(await registerMerchant(ctx, (req.body ?? {}) as RegistrationInput)),
  );

  r.post('/wallet/pay', { config: SANDBOX_CLIENT }, async (req) => {
    const body = req.body;
    if (typeof body !== 'object' || body === null)
      throw new ToolError(400, 'invalid_request', 'a JSON body is required');
    return walletPay(ctx, body as WalletPayInput);
  });

  // The wallet pages: a refused redirect_url is a clear error page, never a link; every value is escaped and the
  // page's only script carries its nonce (pageSecurityHeaders).
  const page = async (
    req: FastifyRequest,
    reply: FastifyReply,
    handle: Record<string, string>,
    redirectUrl?: string,
  ) => {
    const lang = langOf(req);
    const refused = redirectUrl ? ctx.hosts.returnUrlProblem(redirectUrl) : null;
    if (refused) {
      return reply
        .code(400)
        .type('text/html; charset=utf-8')
        .send(errorPage(lang, 'invalid_redirect_url', `redirect_url ${refused}`));
    }
    const view = await ctx.db.transaction(async (tx) =>
      describePayable(tx, await resolvePayable(tx, handle), ctx.clock.now()),
    );
    const nonce = pageNonce();
    const html = walletPage(view, {
      lang,
      nonce,
      payUrl: `${prefix}/wallet/pay`,
      handle,
      ...(redirectUrl ? { redirectUrl } : {}),
    });
    return pageSecurityHeaders(reply, nonce).type('text/html; charset=utf-8').send(html);
  };
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  r.get('/wallet', { config: SANDBOX_CLIENT }, async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const codeUrl = text(q.code_url);
    const prepayId = text(q.prepay_id);
    const handle: Record<string, string> = codeUrl
      ? { code_url: codeUrl }
      : prepayId
        ? { prepay_id: prepayId }
        : { url: text(q.url) ?? '' };
    return page(req, reply, handle, text(q.redirect_url));
  });
  r.get('/cgi-bin/mmpayweb-bin/checkmweb', { config: SANDBOX_CLIENT }, async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    return page(req, reply, { prepay_id: text(q.prepay_id) ?? '' }, text(q.redirect_url));
  });
  r.get('/bizpayurl', { config: SANDBOX_CLIENT }, async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    return page(req, reply, { code_url: `weixin://wxpay/bizpayurl?pr=${text(q.pr) ?? ''}` });
  });
  r.get('/applyments/sign', { config: SANDBOX_CLIENT }, async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    return reply.type('text/html; charset=utf-8').send(signedPage(text(q.applyment_id) ?? '', langOf(req)));
  });

  const clockJson = () => ({ now: rfc3339(ctx.clock.now()), now_ms: ctx.clock.now(), offset_ms: ctx.clock.offset });
  r.get('/clock', { config: SANDBOX_ADMIN }, async () => clockJson());
  r.post(
    '/clock',
    {
      config: SANDBOX_ADMIN,
      bodyLimit: SMALL_BODY_BYTES,
      schema: { body: Type.Object({ advance_ms: Type.Integer({ minimum: 0 }) }) },
    },
    async (req) => {
      await ctx.clock.advance(req.body.advance_ms);
      await sweep(ctx); // expiries and unfreezes that are now due happen before the answer
      return clockJson();
    },
  );

  r.get('/faults', { config: SANDBOX_ADMIN }, async () => ctx.faults.value);
  r.put('/faults', { config: SANDBOX_ADMIN, bodyLimit: SMALL_BODY_BYTES }, async (req) => {
    try {
      ctx.faults.set(checkFaults(req.body ?? {}));
    } catch (err) {
      throw new ToolError(422, 'invalid_faults', (err as Error).message);
    }
    return ctx.faults.value;
  });

  r.get('/books/sub-merchants/:sub_mchid', { config: SANDBOX_ADMIN }, async (req) =>
    subMerchantBooks(ctx, (req.params as { sub_mchid: string }).sub_mchid),
  );
  r.get(
    '/books/notifications',
    {
      config: SANDBOX_ADMIN,
      schema: {
        querystring: Type.Object({
          sp_mchid: Type.Optional(Type.String()),
          limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })),
        }),
      },
    },
    async (req) => ({ data: await notificationList(ctx, req.query.sp_mchid, Number(req.query.limit ?? 100)) }),
  );

  // The public keys a client pins, the same as registration answers: nothing secret.
  r.get('/keys', { config: SANDBOX_CLIENT }, async (req) => ({
    wechatpay_public_key_id: ctx.keys.wechatpayPublicKey.serial,
    wechatpay_public_key: ctx.keys.wechatpayPublicKey.publicKeyPem,
    platform_certificate: {
      serial_no: ctx.keys.platformCert.serial,
      certificate: ctx.keys.platformCert.certificatePem,
    },
    api_base: baseUrl(req, prefix),
  }));
}
