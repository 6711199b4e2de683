// Against the Alipay sandbox over real HTTP: partial refunds, a repeated refund request, an over-refund, refund
// queries, refund notifications, forged notifications posted to the notify route, and gateway faults.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fen } from '../../shared/money';
import { ProviderError, type TradeRef } from '../types';
import { formEncode, generateTestKeyPair, signNotification } from './testing';
import { startTestbed, type Testbed } from './testing-sandbox';

let tb: Testbed;
let seq = 0;

beforeAll(async () => {
  tb = await startTestbed();
});
afterAll(async () => {
  await tb?.close();
});

function no(prefix: string): string {
  seq += 1;
  return `${prefix}_${Date.now()}_${seq}`;
}

async function paidTrade(amountFen: number): Promise<TradeRef & { transactionId: string }> {
  const outTradeNo = no('att');
  const subMerchantId = tb.app.smids[0]!;
  const action = await tb.adapter.createTrade({
    scene: 'qr',
    groupOutTradeNo: outTradeNo,
    subOrders: [{ outTradeNo, subMerchantId, amountFen: fen(amountFen), description: 'tea' }],
    expiresAt: new Date(Date.now() + 15 * 60_000),
    notifyUrl: tb.notifyUrl,
    payer: { clientIp: '127.0.0.1' },
  });
  await tb.pay({ code_url: (action as { code_url: string }).code_url });
  const event = await tb.waitForEvent('trade_paid', (e) => e.subTrades[0]?.outTradeNo === outTradeNo);
  return {
    groupOutTradeNo: outTradeNo,
    subOrders: [{ outTradeNo, subMerchantId, amountFen: fen(amountFen) }],
    transactionId: event.subTrades[0]!.transactionId,
  };
}

async function codeOf(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe('refunds', () => {
  it('refunds part twice, repeats a request without refunding twice, and rejects an over-refund', async () => {
    const trade = await paidTrade(10_000);
    const { outTradeNo, subMerchantId } = trade.subOrders[0]!;
    const base = { outTradeNo, subMerchantId, totalFen: fen(10_000), notifyUrl: tb.notifyUrl };
    const first = { ...base, outRefundNo: no('rfd'), refundFen: fen(3_000) };
    expect(await tb.adapter.refund(first)).toEqual({ state: 'succeeded', refundFen: 3_000 });
    expect(await tb.adapter.refund({ ...base, outRefundNo: no('rfd'), refundFen: fen(4_000) })).toEqual({
      state: 'succeeded',
      refundFen: 4_000,
    });
    // Same out_request_no again: Alipay answers fund_change N; the adapter reads the refund back.
    expect(await tb.adapter.refund(first)).toEqual({ state: 'succeeded', refundFen: 3_000 });
    const over = await codeOf(tb.adapter.refund({ ...base, outRefundNo: no('rfd'), refundFen: fen(3_001) }));
    expect(over.kind).toBe('declined');
    expect(over.code).toBe('refund_exceeds_remaining');
    const books = (await tb.admin('GET', `/books/sub-merchants/${subMerchantId}`)).body;
    expect(books.trades.find((t: { out_trade_no: string }) => t.out_trade_no === outTradeNo).refunded).toBe(7_000);
  });

  it('queries a refund by its request number, and an unknown request reads not_found', async () => {
    const trade = await paidTrade(500);
    const { outTradeNo, subMerchantId } = trade.subOrders[0]!;
    const outRefundNo = no('rfd');
    await tb.adapter.refund({
      outTradeNo,
      subMerchantId,
      outRefundNo,
      refundFen: fen(120),
      totalFen: fen(500),
      notifyUrl: tb.notifyUrl,
    });
    expect(await tb.adapter.queryRefund({ outTradeNo, subMerchantId, outRefundNo })).toEqual({
      state: 'succeeded',
      refundFen: 120,
    });
    expect(await tb.adapter.queryRefund({ outTradeNo, subMerchantId, outRefundNo: no('rfd') })).toEqual({
      state: 'not_found',
    });
  });

  it("parses the refund notification into refund_finished with this refund's own amount", async () => {
    const trade = await paidTrade(1_000);
    const { outTradeNo, subMerchantId } = trade.subOrders[0]!;
    for (const refundFen of [100, 250]) {
      const outRefundNo = no('rfd');
      await tb.adapter.refund({
        outTradeNo,
        subMerchantId,
        outRefundNo,
        refundFen: fen(refundFen),
        totalFen: fen(1_000),
        notifyUrl: tb.notifyUrl,
      });
      const event = await tb.waitForEvent('refund_finished', (e) => e.outRefundNo === outRefundNo);
      expect(event).toMatchObject({ outTradeNo, state: 'succeeded', refundFen });
    }
  });

  it('reads a fully refunded trade as refunded, not as closed unpaid', async () => {
    const trade = await paidTrade(50);
    const { outTradeNo, subMerchantId } = trade.subOrders[0]!;
    await tb.adapter.refund({
      outTradeNo,
      subMerchantId,
      outRefundNo: no('rfd'),
      refundFen: fen(50),
      totalFen: fen(50),
      notifyUrl: tb.notifyUrl,
    });
    expect((await tb.adapter.queryTrade(trade))[0]!.state).toBe('refunded');
  });
});

describe('forged notifications at the notify route', () => {
  async function post(body: string): Promise<string> {
    const res = await fetch(tb.notifyUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    return res.text();
  }

  function fields(overrides: Record<string, string> = {}): Record<string, string> {
    return {
      notify_id: no('forged'),
      notify_type: 'trade_status_sync',
      notify_time: '2026-11-25 10:00:00',
      app_id: tb.app.app_id,
      charset: 'utf-8',
      version: '1.0',
      trade_no: '2026112522001400000000009999',
      out_trade_no: no('att'),
      trade_status: 'TRADE_SUCCESS',
      total_amount: '0.01',
      gmt_payment: '2026-11-25 10:00:00',
      seller_id: tb.app.seller_id,
      ...overrides,
    };
  }

  it('answers fail to a notification signed with another key, and records nothing', async () => {
    const forged = fields();
    expect(await post(formEncode(signNotification(forged, generateTestKeyPair().privateKey)))).toBe('fail');
    expect(tb.refusals.at(-1)).toBe('bad_signature');
    expect(tb.events.some((e) => e.eventId === forged.notify_id)).toBe(false);
  });

  it('answers fail to a genuine notification whose amount was changed in transit', async () => {
    // Capture a real notification from the sandbox, then alter its amount.
    const trade = await paidTrade(9_999);
    const log = (await tb.admin('GET', `/notifications?trade_no=${trade.transactionId}`)).body;
    const genuine = new URLSearchParams(log.data[0].params as Record<string, string>);
    genuine.set('total_amount', '0.01');
    expect(await post(genuine.toString())).toBe('fail');
    expect(tb.refusals.at(-1)).toBe('bad_signature');
  });

  it('answers fail to a genuinely signed notification for another app', async () => {
    // A second app on the same sandbox sends its trade's notification to our notify route: Alipay's signature
    // verifies, but the app id is not ours.
    const other = (await tb.admin('POST', '/apps', { sub_merchants: 1 })).body;
    const otherAdapter = tb.adapterWith({
      appId: other.app_id,
      sellerId: other.seller_id,
      appPrivateKeyPem: other.app_private_key,
    });
    const outTradeNo = no('other');
    const action = await otherAdapter.createTrade({
      scene: 'qr',
      groupOutTradeNo: outTradeNo,
      subOrders: [{ outTradeNo, subMerchantId: other.smids[0], amountFen: fen(10), description: 'x' }],
      expiresAt: new Date(Date.now() + 60_000),
      notifyUrl: tb.notifyUrl,
      payer: { clientIp: '127.0.0.1' },
    });
    const refusalsBefore = tb.refusals.length;
    await tb.pay({ code_url: (action as { code_url: string }).code_url });
    await expect.poll(() => tb.refusals.slice(refusalsBefore), { timeout: 10_000 }).toContain('unknown_app');
    expect(tb.events.some((e) => e.kind === 'trade_paid' && e.subTrades[0]?.outTradeNo === outTradeNo)).toBe(false);
  });
});

describe('gateway failures', () => {
  it('a 5xx on a read is unavailable, on a refund outcome_unknown; the refund then completes once', async () => {
    const trade = await paidTrade(700);
    const { outTradeNo, subMerchantId } = trade.subOrders[0]!;
    tb.setFaults({ callError5xx: 1 });
    const read = await codeOf(tb.adapter.queryTrade(trade));
    expect([read.kind, read.code]).toEqual(['unavailable', 'provider_http_error']);
    const refund = {
      outTradeNo,
      subMerchantId,
      outRefundNo: no('rfd'),
      refundFen: fen(100),
      totalFen: fen(700),
      notifyUrl: tb.notifyUrl,
    };
    tb.setFaults({ callError5xx: 1 });
    const money = await codeOf(tb.adapter.refund(refund));
    expect([money.kind, money.code]).toEqual(['outcome_unknown', 'provider_http_error']);
    expect(await tb.adapter.queryRefund(refund)).toEqual({ state: 'not_found' });
    expect(await tb.adapter.refund(refund)).toEqual({ state: 'succeeded', refundFen: 100 });
  });

  it('a timeout on a refund is outcome_unknown, and the query tells what happened', async () => {
    const trade = await paidTrade(800);
    const { outTradeNo, subMerchantId } = trade.subOrders[0]!;
    const impatient = tb.adapterWith({ timeoutMs: 200 });
    const refund = {
      outTradeNo,
      subMerchantId,
      outRefundNo: no('rfd'),
      refundFen: fen(300),
      totalFen: fen(800),
      notifyUrl: tb.notifyUrl,
    };
    tb.setFaults({ callTimeoutMs: 1_000 });
    try {
      const error = await codeOf(impatient.refund(refund));
      expect([error.kind, error.code]).toEqual(['outcome_unknown', 'provider_unreachable']);
    } finally {
      tb.setFaults({ callTimeoutMs: 0 });
    }
    // The sandbox applied it anyway, as a real gateway may have.
    await expect
      .poll(() => tb.adapter.queryRefund(refund), { timeout: 10_000 })
      .toEqual({ state: 'succeeded', refundFen: 300 });
  });

  it('a response signed with a key other than the configured Alipay key is never trusted', async () => {
    const misconfigured = tb.adapterWith({ alipayPublicKeyPem: generateTestKeyPair().publicSpkiPem });
    const trade = await paidTrade(60);
    const error = await codeOf(misconfigured.queryTrade(trade));
    expect([error.kind, error.code]).toEqual(['unavailable', 'provider_response_unverified']);
  });

  it('a request signed with the wrong app key is refused by the gateway as an invalid request', async () => {
    const wrongKey = tb.adapterWith({ appPrivateKeyPem: generateTestKeyPair().privatePkcs1Pem });
    const trade = await paidTrade(70);
    const error = await codeOf(wrongKey.queryTrade(trade));
    expect([error.kind, error.code, error.providerCode]).toEqual([
      'invalid_request',
      'provider_rejected_request',
      'isv.invalid-signature',
    ]);
  });
});
