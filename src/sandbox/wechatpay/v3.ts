// The /v3 scope: raw-body capture, signature verification, merchant-type rules, WeChat Pay error shapes,
// response signing and the call fault knobs. Route modules register inside it.
import { TypeBoxValidatorCompiler, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import { callerOf, keepRawBody, rememberMerchant, signReply, verifyRequest } from './auth';
import type { Ctx, Merchant } from './context';
import { WxError, wx } from './errors';

export interface V3Env {
  ctx: Ctx;
  /** The mount prefix (e.g. /sandbox/wechatpay); URLs the sandbox hands out are built from it. */
  prefix: string;
}

export function merchantOf(req: FastifyRequest): Merchant {
  const merchant = callerOf(req);
  if (!merchant) throw wx.sign('请求未签名');
  return merchant;
}

/** The sandbox's base URL as the client reached it: protocol + Host + mount prefix. */
export function baseUrl(req: FastifyRequest, prefix: string): string {
  return `${req.protocol}://${req.host}${prefix}`;
}

export const DOWNLOAD_PATH = '/v3/billdownload/file';

// Each merchant type reaches only its own money APIs; payments are common to both.
function typeRefusal(path: string, merchant: Merchant): WxError | undefined {
  if (path.startsWith('/v3/ecommerce/') && merchant.type !== 'ecommerce_platform') {
    return wx.noAuth('无权限：普通服务商不能调用平台收付通接口');
  }
  const serviceProviderOnly =
    path.startsWith('/v3/refund/domestic/') ||
    path.startsWith('/v3/applyment4sub/') ||
    (path.startsWith('/v3/profitsharing/') && path !== '/v3/profitsharing/bills');
  if (serviceProviderOnly && merchant.type !== 'service_provider') {
    return wx.noAuth('无权限：平台收付通请使用 /v3/ecommerce/ 接口');
  }
  return undefined;
}

export function setupV3Scope(app: FastifyInstance, env: V3Env): void {
  const { ctx, prefix } = env;
  app.setValidatorCompiler(TypeBoxValidatorCompiler);
  app.removeContentTypeParser(['application/json']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = String(body);
    keepRawBody(req, text);
    if (text === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(wx.param('请求体不是合法的 JSON'));
    }
  });

  app.addHook('onRequest', async () => {
    if (ctx.faults.hit('callError5xx')) throw wx.system();
  });

  app.addHook('preValidation', async (req) => {
    const path = (req.routeOptions.url ?? '').slice(prefix.length);
    // Bill files are fetched with a token; a signature is checked only when one is sent.
    if (path === DOWNLOAD_PATH && !req.headers.authorization) return;
    const merchant = await verifyRequest(ctx, req);
    rememberMerchant(req, merchant);
    const refusal = typeRefusal(path, merchant);
    if (refusal) throw refusal;
  });

  app.addHook('onSend', async (req, reply, payload) => {
    const path = (req.routeOptions.url ?? '').slice(prefix.length);
    const isFile = path === DOWNLOAD_PATH && reply.statusCode === 200;
    if (!isFile) signReply(ctx, req, reply, payload);
    const holdMs = ctx.faults.value.callTimeoutMs;
    if (holdMs > 0) await sleep(holdMs);
    return payload;
  });

  app.setErrorHandler((error: Error & { validation?: unknown; statusCode?: number }, req, reply) => {
    if (error instanceof WxError) return reply.code(error.status).send({ code: error.code, message: error.message });
    if (error.validation) return reply.code(400).send({ code: 'PARAM_ERROR', message: `参数错误: ${error.message}` });
    if (error.statusCode === 413) return reply.code(413).send({ code: 'PARAM_ERROR', message: '请求体过大' });
    if (error.statusCode === 415)
      return reply.code(415).send({ code: 'PARAM_ERROR', message: '不支持的 Content-Type' });
    if (error.statusCode && error.statusCode < 500) {
      return reply.code(400).send({ code: 'PARAM_ERROR', message: error.message });
    }
    req.log.error({ err: error }, 'wechatpay sandbox: unexpected error');
    return reply.code(500).send({ code: 'SYSTEM_ERROR', message: '系统错误' });
  });
}

export function typed(app: FastifyInstance) {
  return app.withTypeProvider<TypeBoxTypeProvider>();
}
