// Goal: the adapter pays, queries, closes and refunds against the WeChat Pay sandbox over real HTTP, for the
// platform type (partner and combined payments) and the service-provider type, and the sandbox's signed,
// encrypted notifications come out of parseNotification as the right events.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fen } from '../../shared/money';
import { ProviderError, type CreateTradeInput, type ProviderEvent, type TradeRef } from '../types';
import { startSandboxWorld, type SandboxWorld } from './sandbox-kit';
import { testApplication } from '../../onboarding/testing';

let world: SandboxWorld;
let seq = 0;
const no = (prefix: string) => `${prefix}${Date.now().toString(36)}${(seq++).toString().padStart(4, '0')}`;

beforeAll(async () => {
  world = await startSandboxWorld({ subMerchants: 2 });
});
afterAll(async () => {
  await world?.close();
});

function order(scene: CreateTradeInput['scene'], amounts: number[], wechatOpenid?: string): CreateTradeInput {
  const [a, b] = world.registration.sub_mchids;
  return {
    scene,
    groupOutTradeNo: no('pay_'),
    subOrders: amounts.map((amount, i) => ({
      outTradeNo: no('ord_'),
      subMerchantId: (i === 0 ? a : b)!,
      amountFen: fen(amount),
      description: `item ${i}`,
    })),
    expiresAt: new Date(Date.now() + 15 * 60_000),
    notifyUrl: world.notifyUrl,
    payer: { clientIp: '203.0.113.7', ...(wechatOpenid ? { wechatOpenid } : {}) },
  };
}

const refOf = (input: CreateTradeInput): TradeRef => ({
  groupOutTradeNo: input.groupOutTradeNo,
  subOrders: input.subOrders.map(({ outTradeNo, subMerchantId, amountFen }) => ({
    outTradeNo,
    subMerchantId,
    amountFen,
  })),
});

const paidEventFor = (outTradeNo: string) => (e: ProviderEvent) =>
  e.kind === 'trade_paid' && e.subTrades.some((s) => s.outTradeNo === outTradeNo);

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe('partner payments of the platform type', () => {
  it('a Native order is paid by scanning its code_url, notified as trade_paid and queried as succeeded', async () => {
    const input = order('qr', [10000]);
    const action = await world.adapter.createTrade(input);
    expect(action.type).toBe('qr');
    if (action.type !== 'qr') return;
    expect(action.code_url).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=/);
    await world.walletPay({ code_url: action.code_url });
    const event = await world.waitForEvent(paidEventFor(input.subOrders[0]!.outTradeNo));
    expect(event).toMatchObject({
      kind: 'trade_paid',
      appId: world.config.spAppid,
      platformMerchantId: world.config.spMchid,
    });
    if (event.kind !== 'trade_paid') return;
    expect(event.eventId).toMatch(/.+/);
    expect(event.subTrades).toEqual([
      expect.objectContaining({
        outTradeNo: input.subOrders[0]!.outTradeNo,
        subMerchantId: input.subOrders[0]!.subMerchantId,
        amountFen: 10000,
      }),
    ]);
    const [status] = await world.adapter.queryTrade(refOf(input));
    expect(status).toMatchObject({
      state: 'succeeded',
      transactionId: event.subTrades[0]!.transactionId,
      amountFen: 10000,
    });
  });

  it('a JSAPI order gives bridge parameters whose paySign the wallet verifies before paying', async () => {
    const input = order('jsapi', [2300], 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o');
    const action = await world.adapter.createTrade(input);
    expect(action.type).toBe('jsapi');
    if (action.type !== 'jsapi') return;
    expect(action.params).toMatchObject({
      appId: world.config.spAppid,
      signType: 'RSA',
      package: expect.stringMatching(/^prepay_id=/),
    });
    const prepayId = action.params.package!.slice('prepay_id='.length);
    await world.walletPay({ prepay_id: prepayId, jsapi_params: action.params });
    await world.waitForEvent(paidEventFor(input.subOrders[0]!.outTradeNo));
  });

  it("a JSAPI order without the buyer's openid is refused before reaching the gateway", async () => {
    expect((await failure(world.adapter.createTrade(order('jsapi', [100])))).code).toBe('payer_openid_required');
  });

  it('an H5 order gives an h5_url (with the return URL) that the wallet pays', async () => {
    const input = { ...order('h5', [990]), returnUrl: 'https://shop.example/paid?x=1' };
    const action = await world.adapter.createTrade(input);
    expect(action.type).toBe('redirect');
    if (action.type !== 'redirect') return;
    expect(new URL(action.url).searchParams.get('redirect_url')).toBe('https://shop.example/paid?x=1');
    await world.walletPay({ url: action.url });
    await world.waitForEvent(paidEventFor(input.subOrders[0]!.outTradeNo));
  });

  it('page is not a WeChat Pay scene', async () => {
    expect((await failure(world.adapter.createTrade(order('page', [100])))).code).toBe('scene_unsupported');
  });
});

describe('combined payment across two merchants', () => {
  it('one scan pays both sub-orders, each to its own sub-merchant, notified with the combine_out_trade_no', async () => {
    const input = order('qr', [3000, 4500]);
    const action = await world.adapter.createTrade(input);
    if (action.type !== 'qr') throw new Error('expected a QR');
    await world.walletPay({ code_url: action.code_url });
    const event = await world.waitForEvent(
      (e) => e.kind === 'trade_paid' && e.groupOutTradeNo === input.groupOutTradeNo,
    );
    if (event.kind !== 'trade_paid') return;
    expect(event).toMatchObject({ appId: world.config.spAppid, platformMerchantId: world.config.spMchid });
    expect(event.subTrades.map((s) => [s.outTradeNo, s.subMerchantId, s.amountFen]).sort()).toEqual(
      input.subOrders.map((s) => [s.outTradeNo, s.subMerchantId, s.amountFen]).sort(),
    );
    const statuses = await world.adapter.queryTrade(refOf(input));
    expect(statuses.map((s) => s.state)).toEqual(['succeeded', 'succeeded']);
  });

  it('combined JSAPI and H5 orders are paid through their prepay_id and h5_url', async () => {
    for (const scene of ['jsapi', 'h5'] as const) {
      const input = order(scene, [700, 800], 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o');
      const action = await world.adapter.createTrade(input);
      if (action.type === 'jsapi')
        await world.walletPay({
          prepay_id: action.params.package!.slice('prepay_id='.length),
          jsapi_params: action.params,
        });
      else if (action.type === 'redirect') await world.walletPay({ url: action.url });
      else throw new Error(`unexpected action ${action.type}`);
      const event = await world.waitForEvent(
        (e) => e.kind === 'trade_paid' && e.groupOutTradeNo === input.groupOutTradeNo,
      );
      expect(event.kind === 'trade_paid' && event.subTrades.length).toBe(2);
    }
  });

  it('each sub-order is refunded on its own, partially and more than once; a repeated out_refund_no is the same refund', async () => {
    const input = order('qr', [5000, 8000]);
    const action = await world.adapter.createTrade(input);
    if (action.type !== 'qr') throw new Error('expected a QR');
    await world.walletPay({ code_url: action.code_url });
    await world.waitForEvent((e) => e.kind === 'trade_paid' && e.groupOutTradeNo === input.groupOutTradeNo);
    const [a, b] = input.subOrders as [CreateTradeInput['subOrders'][0], CreateTradeInput['subOrders'][0]];
    const refundOf = (sub: typeof a, outRefundNo: string, refundFen: number) =>
      world.adapter.refund({
        outTradeNo: sub.outTradeNo,
        subMerchantId: sub.subMerchantId,
        outRefundNo,
        refundFen: fen(refundFen),
        totalFen: sub.amountFen,
        notifyUrl: world.notifyUrl,
      });
    const first = await refundOf(a, no('rfd_'), 1000);
    const secondNo = no('rfd_');
    const second = await refundOf(a, secondNo, 500);
    const onB = await refundOf(b, no('rfd_'), 8000);
    for (const r of [first, second, onB]) expect(['processing', 'succeeded']).toContain(r.state);
    expect([first.refundFen, second.refundFen, onB.refundFen]).toEqual([1000, 500, 8000]);
    expect((await refundOf(a, secondNo, 500)).providerRefundId).toBe(second.providerRefundId);
    const finished = await world.waitForEvent((e) => e.kind === 'refund_finished' && e.outRefundNo === secondNo);
    expect(finished).toMatchObject({
      outTradeNo: a.outTradeNo,
      subMerchantId: a.subMerchantId,
      state: 'succeeded',
      refundFen: 500,
    });
    expect(
      await world.adapter.queryRefund({
        outTradeNo: a.outTradeNo,
        subMerchantId: a.subMerchantId,
        outRefundNo: secondNo,
      }),
    ).toMatchObject({ state: 'succeeded', refundFen: 500 });
    const statuses = await world.adapter.queryTrade(refOf(input));
    expect(statuses.map((s) => s.state)).toEqual(['refunded', 'refunded']);
  });
});

describe('query and close rules', () => {
  it('an unknown order is not_found; an unpaid one pending, then closed by close, which is idempotent', async () => {
    const unknown = order('qr', [100]);
    expect((await world.adapter.queryTrade(refOf(unknown)))[0]!.state).toBe('not_found');
    await expect(world.adapter.closeTrade(refOf(unknown))).resolves.toBeUndefined();
    for (const amounts of [[100], [100, 200]]) {
      const input = order('qr', amounts);
      const action = await world.adapter.createTrade(input);
      expect((await world.adapter.queryTrade(refOf(input))).map((s) => s.state)).toEqual(amounts.map(() => 'pending'));
      await world.adapter.closeTrade(refOf(input));
      await world.adapter.closeTrade(refOf(input));
      expect((await world.adapter.queryTrade(refOf(input))).map((s) => s.state)).toEqual(amounts.map(() => 'closed'));
      if (action.type === 'qr') await expect(world.walletPay({ code_url: action.code_url })).rejects.toThrow(/409/);
    }
  });

  it('a paid order, single or combined, cannot be closed: trade_already_paid', async () => {
    for (const amounts of [[100], [100, 200]]) {
      const input = order('qr', amounts);
      const action = await world.adapter.createTrade(input);
      if (action.type !== 'qr') throw new Error('expected a QR');
      await world.walletPay({ code_url: action.code_url });
      const err = await failure(world.adapter.closeTrade(refOf(input)));
      expect([err.kind, err.code]).toEqual(['declined', 'trade_already_paid']);
    }
  });

  it('refunding an order that does not exist is trade_not_found', async () => {
    const sub = order('qr', [100]).subOrders[0]!;
    const err = await failure(
      world.adapter.refund({
        outTradeNo: sub.outTradeNo,
        subMerchantId: sub.subMerchantId,
        outRefundNo: no('rfd_'),
        refundFen: fen(1),
        totalFen: fen(100),
        notifyUrl: world.notifyUrl,
      }),
    );
    expect(err.code).toBe('trade_not_found');
  });
});

describe('the service-provider type', () => {
  let sp: SandboxWorld;
  beforeAll(async () => {
    sp = await startSandboxWorld({ type: 'service_provider', subMerchants: 1 });
  });
  afterAll(async () => {
    await sp?.close();
  });

  it('pays a partner order and refunds it through /v3/refund/domestic/refunds', async () => {
    const sub = {
      outTradeNo: no('ord_'),
      subMerchantId: sp.registration.sub_mchids[0]!,
      amountFen: fen(1200),
      description: 'tea',
    };
    const input: CreateTradeInput = {
      scene: 'qr',
      groupOutTradeNo: no('pay_'),
      subOrders: [sub],
      expiresAt: new Date(Date.now() + 600_000),
      notifyUrl: sp.notifyUrl,
      payer: { clientIp: '203.0.113.7' },
    };
    const action = await sp.adapter.createTrade(input);
    if (action.type !== 'qr') throw new Error('expected a QR');
    await sp.walletPay({ code_url: action.code_url });
    await sp.waitForEvent(paidEventFor(sub.outTradeNo));
    const outRefundNo = no('rfd_');
    const refund = await sp.adapter.refund({
      outTradeNo: sub.outTradeNo,
      subMerchantId: sub.subMerchantId,
      outRefundNo,
      refundFen: fen(200),
      totalFen: sub.amountFen,
      notifyUrl: sp.notifyUrl,
    });
    expect(['processing', 'succeeded']).toContain(refund.state);
    await sp.waitForEvent(
      (e) => e.kind === 'refund_finished' && e.outRefundNo === outRefundNo && e.state === 'succeeded',
    );
    expect(
      await sp.adapter.queryRefund({ outTradeNo: sub.outTradeNo, subMerchantId: sub.subMerchantId, outRefundNo }),
    ).toMatchObject({ state: 'succeeded', refundFen: 200 });
  });

  it('answers escrow and onboarding with not_supported_for_merchant_type', async () => {
    expect((await failure(sp.adapter.escrow.balance(sp.registration.sub_mchids[0]!))).code).toBe(
      'not_supported_for_merchant_type',
    );
    expect(
      (await failure(sp.adapter.submitOnboarding(await testApplication(world.adapter, no('app_'), 'x')))).code,
    ).toBe('not_supported_for_merchant_type');
  });
});

describe('notifications from the sandbox', () => {
  it('were all verified and acknowledged 204, none rejected', () => {
    expect(world.received.length).toBeGreaterThan(0);
    expect(world.received.filter((r) => r.rejection)).toEqual([]);
    expect(new Set(world.received.map((r) => r.status))).toEqual(new Set([204]));
  });
});
