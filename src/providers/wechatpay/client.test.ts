// Goal: gateway failures reach the caller as the error kind that says what to do next (unavailable: retry;
// outcome_unknown: query first; declined/invalid_request: final), and answers are trusted only when signed.
// Method: a bare HTTP stub on 127.0.0.1 scripted per test, which checks the request signature with the client
// library's helpers and signs its answers with a "WeChat Pay" key we generated (or deliberately does not).
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Formatter, Rsa } from 'wechatpay-axios-plugin';
import { fen } from '../../shared/money';
import { ProviderError } from '../types';
import { createWechatpayAdapter, type WechatpayAdapter } from './adapter';
import { offlineWorld, rsaKeyPair, PUBLIC_KEY_ID, type OfflineWorld } from './test-kit';

interface Script {
  status: number;
  body?: object;
  signing?: 'good' | 'forged' | 'none';
  hang?: boolean;
}

let world: OfflineWorld;
let app: FastifyInstance;
let adapter: WechatpayAdapter;
let script: Script;
const seen: Array<{ method: string; url: string; body: string; signatureValid: boolean }> = [];
const forger = rsaKeyPair();

beforeAll(async () => {
  world = offlineWorld();
  app = Fastify();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.all('/prefix/*', async (req, reply) => {
    const body = typeof req.body === 'string' ? req.body : '';
    seen.push({
      method: req.method,
      url: req.url,
      body,
      signatureValid: requestSignatureValid(req.method, req.url, body, req.headers.authorization),
    });
    if (script.hang) return new Promise(() => undefined);
    const text = script.body === undefined ? '' : JSON.stringify(script.body);
    if (script.signing !== 'none') {
      const ts = String(Formatter.timestamp());
      const nonce = Formatter.nonce();
      const key = script.signing === 'forged' ? forger.privateKeyPem : world.wechatpay.privateKeyPem;
      reply.headers({
        'Wechatpay-Timestamp': ts,
        'Wechatpay-Nonce': nonce,
        'Wechatpay-Serial': PUBLIC_KEY_ID,
        'Wechatpay-Signature': Rsa.sign(Formatter.response(ts, nonce, text), Rsa.from(key, 'private')),
      });
    }
    reply.code(script.status).header('content-type', 'application/json');
    return reply.send(text);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as { port: number };
  adapter = createWechatpayAdapter({ ...world.config, baseUrl: `http://127.0.0.1:${port}/prefix`, timeoutMs: 300 });
});

afterAll(async () => {
  await app.close();
});

beforeEach(() => {
  seen.length = 0;
  script = { status: 200, body: {}, signing: 'good' };
});

function requestSignatureValid(method: string, url: string, body: string, authorization?: string): boolean {
  const fields = Object.fromEntries([...(authorization ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  if (
    !authorization?.startsWith('WECHATPAY2-SHA256-RSA2048 ') ||
    fields.mchid !== world.config.spMchid ||
    fields.serial_no !== world.config.merchantSerialNo
  )
    return false;
  const message = Formatter.request(method, url, fields.timestamp!, fields.nonce_str!, body);
  return Rsa.verify(message, fields.signature!, Rsa.from(world.merchant.publicKeyPem, 'public'));
}

const ref = {
  groupOutTradeNo: 'pay_000001',
  subOrders: [{ outTradeNo: 'ord_000001', subMerchantId: '1900000109', amountFen: fen(100) }],
};
const refundInput = {
  outTradeNo: 'ord_000001',
  subMerchantId: '1900000109',
  outRefundNo: 'rfd_000001',
  refundFen: fen(50),
  totalFen: fen(100),
  notifyUrl: 'https://h.example/notify/wechatpay',
};

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe('requests', () => {
  it('are signed over the path as sent, base-URL prefix and query included', async () => {
    script = {
      status: 200,
      body: {
        out_trade_no: 'ord_000001',
        sp_appid: 'wx',
        sp_mchid: '1900000100',
        sub_mchid: '1900000109',
        trade_state: 'NOTPAY',
      },
    };
    expect(await adapter.queryTrade(ref)).toEqual([
      { outTradeNo: 'ord_000001', subMerchantId: '1900000109', state: 'pending' },
    ]);
    expect(seen[0]).toMatchObject({
      method: 'GET',
      url: '/prefix/v3/pay/partner/transactions/out-trade-no/ord_000001?sp_mchid=1900000100&sub_mchid=1900000109',
      signatureValid: true,
    });
  });
});

describe('answers', () => {
  it('signed with a key we do not trust are refused: unavailable for a read', async () => {
    script = { status: 200, body: { trade_state: 'SUCCESS' }, signing: 'forged' };
    const err = await failure(adapter.queryTrade(ref));
    expect([err.kind, err.code]).toEqual(['unavailable', 'response_signature_invalid']);
  });

  it('unsigned on a refund are outcome_unknown: the money may have moved', async () => {
    script = { status: 200, body: { refund_id: 'r1', out_refund_no: 'rfd_000001' }, signing: 'none' };
    const err = await failure(adapter.refund(refundInput));
    expect([err.kind, err.code]).toEqual(['outcome_unknown', 'response_signature_invalid']);
  });

  it('5xx is unavailable for a read and outcome_unknown for a refund', async () => {
    script = { status: 500, body: { code: 'SYSTEM_ERROR', message: '系统错误' }, signing: 'none' };
    expect((await failure(adapter.queryTrade(ref))).kind).toBe('unavailable');
    const err = await failure(adapter.refund(refundInput));
    expect([err.kind, err.providerCode]).toEqual(['outcome_unknown', 'SYSTEM_ERROR']);
  });

  it('no answer before the timeout is outcome_unknown for a refund and unavailable for a read', async () => {
    script = { status: 200, hang: true };
    expect((await failure(adapter.refund(refundInput))).kind).toBe('outcome_unknown');
    expect((await failure(adapter.queryTrade(ref))).kind).toBe('unavailable');
  });

  it('a refused connection is unavailable even for a refund: nothing reached the gateway', async () => {
    const closed = createWechatpayAdapter({ ...world.config, baseUrl: 'http://127.0.0.1:1/prefix' });
    const err = await failure(closed.refund(refundInput));
    expect([err.kind, err.code]).toEqual(['unavailable', 'provider_unreachable']);
  });

  it('404 ORDER_NOT_EXIST on a query is not_found, and on a close counts as closed', async () => {
    script = { status: 404, body: { code: 'ORDER_NOT_EXIST', message: '订单不存在' }, signing: 'none' };
    expect(await adapter.queryTrade(ref)).toEqual([
      { outTradeNo: 'ord_000001', subMerchantId: '1900000109', state: 'not_found' },
    ]);
    await expect(adapter.closeTrade(ref)).resolves.toBeUndefined();
  });

  it('ORDERPAID on a close is declined trade_already_paid', async () => {
    script = { status: 400, body: { code: 'ORDERPAID', message: '订单已支付' }, signing: 'none' };
    const err = await failure(adapter.closeTrade(ref));
    expect([err.kind, err.code]).toEqual(['declined', 'trade_already_paid']);
  });

  it('RULE_LIMIT and NOT_ENOUGH on a refund say what to do next', async () => {
    script = { status: 403, body: { code: 'RULE_LIMIT', message: '分账冻结金额不足' }, signing: 'none' };
    expect((await failure(adapter.refund(refundInput))).code).toBe('refund_needs_unfreeze');
    script = { status: 403, body: { code: 'NOT_ENOUGH', message: '余额不足' }, signing: 'none' };
    expect((await failure(adapter.refund(refundInput))).code).toBe('insufficient_funds');
  });

  it('a share before settlement is not_settled_yet, a state rather than an error', async () => {
    script = {
      status: 400,
      body: { code: 'INVALID_REQUEST', message: '订单资金尚未结算，请稍后重试' },
      signing: 'none',
    };
    const share = {
      ...ref.subOrders[0]!,
      transactionId: '4200000001',
      outOrderNo: 'shr_000001',
      commissionFen: fen(5),
      description: 'commission',
    };
    expect(await adapter.escrow.shareAndRelease(share)).toEqual({ state: 'not_settled_yet', sharedFen: 0 });
  });

  it('another INVALID_REQUEST on a share is a final share_refused, never retried as not settled', async () => {
    script = { status: 400, body: { code: 'INVALID_REQUEST', message: '分账接收方未添加' }, signing: 'none' };
    const share = {
      ...ref.subOrders[0]!,
      transactionId: '4200000001',
      outOrderNo: 'shr_000001',
      commissionFen: fen(5),
      description: 'commission',
    };
    const err = await failure(adapter.escrow.shareAndRelease(share));
    expect([err.kind, err.code, err.providerCode]).toEqual(['declined', 'share_refused', 'INVALID_REQUEST']);
  });
});

describe('service-provider type', () => {
  it('refuses escrow and onboarding with not_supported_for_merchant_type before calling the gateway', async () => {
    const sp = createWechatpayAdapter({
      ...world.config,
      merchantType: 'service_provider',
      baseUrl: 'http://127.0.0.1:1/prefix',
    });
    const escrowRef = { ...ref.subOrders[0]!, transactionId: '4200000001' };
    expect((await failure(sp.escrow.queryUnsplit(escrowRef))).code).toBe('not_supported_for_merchant_type');
    expect((await failure(sp.escrow.balance('1900000109'))).code).toBe('not_supported_for_merchant_type');
    expect((await failure(sp.queryOnboarding('app_0001'))).code).toBe('not_supported_for_merchant_type');
  });

  it('refunds through /v3/refund/domestic/refunds and reads its status from the answer', async () => {
    const port = (app.server.address() as { port: number }).port;
    const sp = createWechatpayAdapter({
      ...world.config,
      merchantType: 'service_provider',
      baseUrl: `http://127.0.0.1:${port}/prefix`,
    });
    script = {
      status: 200,
      body: { refund_id: 'r1', out_refund_no: 'rfd_000001', status: 'PROCESSING', amount: { refund: 50, total: 100 } },
    };
    expect(await sp.refund(refundInput)).toEqual({ state: 'processing', providerRefundId: 'r1', refundFen: 50 });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/prefix/v3/refund/domestic/refunds', signatureValid: true });
    expect(JSON.parse(seen[0]!.body)).toEqual({
      sub_mchid: '1900000109',
      out_trade_no: 'ord_000001',
      out_refund_no: 'rfd_000001',
      notify_url: 'https://h.example/notify/wechatpay',
      amount: { refund: 50, total: 100, currency: 'CNY' },
    });
  });
});
