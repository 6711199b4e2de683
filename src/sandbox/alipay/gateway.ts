// POST/GET /gateway.do: the classic OpenAPI gateway. Every API answer is HTTP 200 with the
// `<method>_response` member first, signed over its exact bytes, then `sign` — errors included.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Ctx } from './context';
import { signRsa2 } from './crypto';
import { GatewayError, invalidArguments, missingArguments, successBody } from './errors';
import { authenticate, mergeParams, responseKeyOf, type Params } from './gateway-auth';
import { parseBizContent } from './biz';
import type { ApiMethod } from './call';
import { PAGE_METHODS } from './checkout';
import { renderGatewayPage } from './wallet';
import { baseUrlOf } from './http-util';
import { close, precreate, query } from './methods-trade';
import { mergePrecreate } from './methods-merge';
import { refund, refundQuery } from './methods-refund';
import { onsettleQuery, orderSettle, orderSettleQuery, royaltyRelationBind, settleConfirm } from './methods-settle';
import { imageUpload, orderQuery, zftCreate } from './methods-merchant';
import { boundaryOf, MultipartError, parseMultipart } from '../multipart';
import { billDownloadUrlQuery } from './methods-bill';
import { SANDBOX_CLIENT } from '../access';

const API_METHODS: Record<string, ApiMethod> = {
  'alipay.trade.precreate': precreate,
  'alipay.trade.query': query,
  'alipay.trade.close': close,
  'alipay.trade.refund': refund,
  'alipay.trade.fastpay.refund.query': refundQuery,
  'alipay.trade.merge.precreate': mergePrecreate,
  'alipay.trade.settle.confirm': settleConfirm,
  'alipay.trade.order.settle': orderSettle,
  'alipay.trade.order.settle.query': orderSettleQuery,
  'alipay.trade.royalty.relation.bind': royaltyRelationBind,
  'alipay.trade.order.onsettle.query': onsettleQuery,
  'alipay.data.dataservice.bill.downloadurl.query': billDownloadUrlQuery,
  'ant.merchant.expand.indirect.zft.create': zftCreate,
  'ant.merchant.expand.order.query': orderQuery,
  'ant.merchant.expand.indirect.image.upload': imageUpload,
};

/** The body the SDK verifies: `{"<key>":<json>,"sign":"<RSA2 of exactly <json>>"}`. */
export function signedEnvelope(ctx: Ctx, responseKey: string, body: Record<string, unknown>): string {
  const json = JSON.stringify(body);
  return `{"${responseKey}":${json},"sign":"${signRsa2(json, ctx.alipayPrivateKey)}"}`;
}

async function answerApi(
  ctx: Ctx,
  params: Params,
  baseUrl: string,
  files: Map<string, Buffer>,
): Promise<Record<string, unknown>> {
  const method = params.method;
  if (!method) throw missingArguments('isv.missing-method', '缺少方法名参数');
  const handler = API_METHODS[method];
  if (!handler) throw invalidArguments('isv.invalid-method', `不存在的方法名: ${method}`);
  const { app } = await authenticate(ctx, params);
  const biz = parseBizContent(params.biz_content);
  return successBody(await handler({ ctx, app, params, biz, baseUrl, files }));
}

async function handleApi(
  ctx: Ctx,
  req: FastifyRequest,
  reply: FastifyReply,
  params: Params,
  baseUrl: string,
  files: Map<string, Buffer>,
) {
  let body: Record<string, unknown>;
  try {
    body = await answerApi(ctx, params, baseUrl, files);
  } catch (err) {
    if (!(err instanceof GatewayError))
      ctx.logger?.error({ err, method: params.method }, 'alipay sandbox: gateway method failed');
    body =
      err instanceof GatewayError ? err.body() : new GatewayError('20000', 'isp.unknow-error', '服务暂不可用').body();
  }
  const delayMs = ctx.faults.value('callTimeoutMs');
  if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  return reply.type('application/json; charset=utf-8').send(signedEnvelope(ctx, responseKeyOf(params.method), body));
}

/**
 * File uploads come as multipart/form-data: text parts are parameters (and signed), file parts are not. A body that
 * does not parse leaves the parameters to the query string, whose check then answers.
 */
function multipartOf(req: FastifyRequest): { fields: Params; files: Map<string, Buffer> } | undefined {
  const boundary = boundaryOf(req.headers['content-type']);
  if (!boundary || !Buffer.isBuffer(req.body)) return undefined;
  const fields: Params = {};
  const files = new Map<string, Buffer>();
  try {
    for (const part of parseMultipart(req.body, boundary)) {
      if (part.filename !== undefined) files.set(part.name, part.data);
      else fields[part.name] = part.data.toString('utf8');
    }
  } catch (err) {
    if (!(err instanceof MultipartError)) throw err;
  }
  return { fields, files };
}

function bodyParams(req: FastifyRequest): unknown {
  const body = req.body;
  if (typeof body !== 'string') return body;
  if (!/json/i.test(String(req.headers['content-type'] ?? ''))) return body;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

export function registerGateway(app: FastifyInstance, ctx: Ctx): void {
  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    if (ctx.faults.take('callError5xx')) {
      return reply
        .code(503)
        .type('text/html; charset=utf-8')
        .send('<html><body><h1>503 Service Unavailable</h1></body></html>');
    }
    const multipart = multipartOf(req);
    const params = mergeParams(req.query, multipart ? multipart.fields : bodyParams(req));
    const baseUrl = baseUrlOf(req, app.prefix);
    if (params.method && PAGE_METHODS.has(params.method)) return renderGatewayPage(ctx, reply, params, baseUrl);
    return handleApi(ctx, req, reply, params, baseUrl, multipart?.files ?? new Map());
  };
  app.route({ method: ['GET', 'POST'], url: '/gateway.do', config: SANDBOX_CLIENT, handler });
}
