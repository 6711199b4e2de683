// The simulated buyer: POST /wallet/pay pays a precreate QR or a page/wap/merged-payment URL (or the HTML
// form alipay-sdk's pageExec returns), and GET on a QR or payment URL shows the cashier page.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { baseUrlOf, jsonObject } from './http-util';
import { createHash } from 'node:crypto';
import type { Ctx } from './context';
import { NOTIFY_SIGN_EXCLUDED, signContent, signRsa2 } from './crypto';
import { GatewayError, SandboxError } from './errors';
import { authenticate, mergeParams, type Params } from './gateway-auth';
import { parseBizContent } from './biz';
import { openCheckout, PAGE_METHODS, type Checkout } from './checkout';
import { formatBeijing } from './clock';
import { fenToYuan } from './money';
import { findSubMerchant } from './store-apps';
import { findTradeByNo, findTradeByQrToken } from './store-trades';
import { payTrades, scanTrade } from './trades';
import { cashierHtml, errorHtml, type CashierLine } from './wallet-page';
import type { App, Buyer, Trade } from './types';
import { SANDBOX_CLIENT } from '../access';
import { pageNonce, pageSecurityHeaders } from '../guard';

const TARGET_CHARS_MAX = 64_000;
const QR_PATH = /\/qr\/([A-Za-z0-9]{1,64})\/?$/;
const DEFAULT_BUYER: Buyer = { buyerId: '2088102177846880', buyerLogonId: 'sandbox_buyer@example.com' };

/** Maps a refusal to open a payment URL onto the wallet's JSON errors. */
function walletErrorOf(err: GatewayError): SandboxError {
  const byCode: Record<string, [number, string]> = {
    'ACQ.TRADE_HAS_SUCCESS': [409, 'trade_already_paid'],
    'ACQ.TRADE_HAS_CLOSE': [409, 'trade_closed'],
    'ACQ.CONTEXT_INCONSISTENT': [409, 'trade_context_inconsistent'],
    'ACQ.TRADE_NOT_EXIST': [404, 'trade_not_found'],
  };
  const [status, code] = byCode[err.subCode] ?? [400, 'invalid_payment_request'];
  return new SandboxError(status, code, `${err.code} ${err.subCode}: ${err.subMsg}`);
}

function buyerOf(input: unknown): Buyer {
  if (input === undefined || input === null) return DEFAULT_BUYER;
  if (typeof input === 'string' && input.length > 0 && input.length <= 100) {
    if (/^2088\d{12}$/.test(input)) return { buyerId: input, buyerLogonId: `${input.slice(-4)}@example.com` };
    const digits = BigInt(`0x${createHash('sha256').update(input).digest('hex').slice(0, 12)}`)
      .toString()
      .padStart(12, '0')
      .slice(-12);
    return { buyerId: `2088${digits}`, buyerLogonId: input };
  }
  throw new SandboxError(
    422,
    'invalid_buyer',
    'buyer must be a buyer id (2088…) or logon id string of at most 100 characters',
  );
}

/** Reads the fields of the auto-submitting form alipay-sdk's pageExec returns by default. */
function paramsOfForm(html: string): Params {
  const action = /<form[^>]*action="([^"]*)"/i.exec(html)?.[1] ?? '';
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input[^>]*name="([^"]*)"[^>]*value="([^"]*)"/gi)) {
    fields[m[1]!] = m[2]!.replaceAll('&quot;', '"').replaceAll('&amp;', '&');
  }
  const query = action.includes('?') ? action.slice(action.indexOf('?') + 1) : '';
  return mergeParams(query, fields);
}

type Target = { qrToken: string } | { params: Params };

function targetOf(text: string): Target {
  if (/<form/i.test(text)) return { params: paramsOfForm(text) };
  let url: URL | null = null;
  try {
    url = new URL(text);
  } catch {
    if (text.includes('method=')) return { params: mergeParams(text) };
  }
  if (!url) throw new SandboxError(422, 'invalid_payment_url', 'code_url / url is neither a URL nor a payment form');
  const qr = QR_PATH.exec(url.pathname);
  if (qr) return { qrToken: qr[1]! };
  return { params: mergeParams(url.search.slice(1)) };
}

async function openSignedCheckout(ctx: Ctx, params: Params): Promise<{ app: App; checkout: Checkout }> {
  if (!params.method || !PAGE_METHODS.has(params.method)) {
    throw new SandboxError(422, 'not_a_payment_url', 'the URL is not a page, wap or merged-payment request');
  }
  try {
    const { app } = await authenticate(ctx, params);
    return { app, checkout: await openCheckout(ctx, app, params, parseBizContent(params.biz_content)) };
  } catch (err) {
    throw err instanceof GatewayError ? walletErrorOf(err) : err;
  }
}

/** Alipay sends the buyer back to return_url with the payment's fields, signed like a notification. */
function signedReturnUrl(ctx: Ctx, app: App, checkout: Checkout, trade: Trade): string | undefined {
  if (!checkout.returnUrl) return undefined;
  const params: Record<string, string> = {
    charset: 'utf-8',
    method: `${checkout.method}.return`,
    app_id: app.appId,
    auth_app_id: app.appId,
    version: '1.0',
    seller_id: app.sellerId,
    timestamp: formatBeijing(ctx.clock.now()),
    ...(checkout.preOrderNo
      ? { pre_order_no: checkout.preOrderNo }
      : {
          out_trade_no: trade.outTradeNo,
          trade_no: trade.tradeNo,
          total_amount: fenToYuan(trade.totalFen),
        }),
  };
  params.sign_type = 'RSA2';
  params.sign = signRsa2(signContent(params, NOTIFY_SIGN_EXCLUDED), ctx.alipayPrivateKey);
  return `${checkout.returnUrl}${checkout.returnUrl.includes('?') ? '&' : '?'}${new URLSearchParams(params)}`;
}

function paidTradeJson(t: Trade) {
  return {
    app_id: t.appId,
    trade_no: t.tradeNo,
    out_trade_no: t.outTradeNo,
    smid: t.smid,
    subject: t.subject,
    total_amount: fenToYuan(t.totalFen),
    amount: t.totalFen,
    trade_status: t.status,
    gmt_payment: formatBeijing(t.paidAt!),
  };
}

async function pay(ctx: Ctx, target: Target, buyer: Buyer) {
  if ('qrToken' in target) {
    const trade = await findTradeByQrToken(ctx.db, target.qrToken);
    if (!trade) throw new SandboxError(404, 'qr_code_not_found', 'no trade has this QR code');
    const paid = await payTrades(ctx, [trade], buyer);
    return {
      status: 'paid',
      buyer_id: buyer.buyerId,
      buyer_logon_id: buyer.buyerLogonId,
      trades: paid.map(paidTradeJson),
    };
  }
  const { app, checkout } = await openSignedCheckout(ctx, target.params);
  const paid = await payTrades(ctx, checkout.trades, buyer);
  return {
    status: 'paid',
    buyer_id: buyer.buyerId,
    buyer_logon_id: buyer.buyerLogonId,
    ...(checkout.preOrderNo ? { pre_order_no: checkout.preOrderNo } : {}),
    return_url: signedReturnUrl(ctx, app, checkout, paid[0]!),
    trades: paid.map(paidTradeJson),
  };
}

async function cashierLines(ctx: Ctx, trades: Trade[]): Promise<CashierLine[]> {
  const lines: CashierLine[] = [];
  for (const t of trades) {
    const merchant = await findSubMerchant(ctx.db, t.smid);
    lines.push({
      merchant: merchant?.aliasName ?? merchant?.name ?? t.smid,
      smid: t.smid,
      subject: t.subject,
      outTradeNo: t.outTradeNo,
      amountFen: t.totalFen,
      status: t.status,
    });
  }
  return lines;
}

/** GET/POST gateway.do with a page, wap or merged-payment method: the buyer's browser lands on the cashier. */
export async function renderGatewayPage(ctx: Ctx, reply: FastifyReply, params: Params, baseUrl: string) {
  let checkout: Checkout;
  try {
    checkout = (await openSignedCheckout(ctx, params)).checkout;
  } catch (err) {
    if (!(err instanceof SandboxError)) throw err;
    return reply.code(err.statusCode).type('text/html; charset=utf-8').send(errorHtml(err.code, err.message));
  }
  const url = `${baseUrl}/gateway.do?${new URLSearchParams(params)}`;
  const nonce = pageNonce();
  const html = cashierHtml({
    lines: await cashierLines(ctx, checkout.trades),
    payEndpoint: `${baseUrl}/wallet/pay`,
    payload: { url },
    nonce,
  });
  return pageSecurityHeaders(reply, nonce).type('text/html; charset=utf-8').send(html);
}

export function registerWallet(app: FastifyInstance, ctx: Ctx): void {
  app.post('/wallet/pay', { config: SANDBOX_CLIENT }, async (req) => {
    const body = jsonObject(req.body);
    const text = body.code_url ?? body.url;
    if (typeof text !== 'string' || text.length === 0 || text.length > TARGET_CHARS_MAX) {
      throw new SandboxError(
        422,
        'invalid_request',
        'give code_url (a precreate QR) or url (a page/wap/merged-payment URL or form)',
      );
    }
    return pay(ctx, targetOf(text), buyerOf(body.buyer));
  });

  // Scanning the QR: the trade comes into existence (WAIT_BUYER_PAY) and the cashier shows it.
  app.get<{ Params: { token: string } }>('/qr/:token', { config: SANDBOX_CLIENT }, async (req, reply) => {
    const found = await findTradeByQrToken(ctx.db, req.params.token);
    if (!found)
      return reply
        .code(404)
        .type('text/html; charset=utf-8')
        .send(errorHtml('qr_code_not_found', 'no trade has this QR code'));
    if (found.status === 'WAIT_BUYER_PAY' && ctx.clock.now() < found.expireAt) {
      await ctx.db.transaction((tx) => scanTrade(ctx, tx, found));
    }
    const trade = (await findTradeByNo(ctx.db, found.tradeNo))!;
    const base = baseUrlOf(req, app.prefix);
    const nonce = pageNonce();
    const html = cashierHtml({
      lines: await cashierLines(ctx, [trade]),
      payEndpoint: `${base}/wallet/pay`,
      payload: { code_url: `${base}/qr/${trade.qrToken}` },
      nonce,
    });
    return pageSecurityHeaders(reply, nonce).type('text/html; charset=utf-8').send(html);
  });
}
