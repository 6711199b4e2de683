// Against the Alipay sandbox over real HTTP: creating trades for each scene, a buyer paying with the sandbox
// wallet, the notification arriving at a local notify route and parsed by the adapter, merged payments, query and
// close. The official alipay-sdk underneath verifies every response signature.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fen } from '../../shared/money';
import { ProviderError, type CreateTradeInput, type PaymentAction, type TradeRef } from '../types';
import { startTestbed, type Testbed } from './testing-sandbox';

let tb: Testbed;
let seq = 0;

beforeAll(async () => {
  tb = await startTestbed();
});
afterAll(async () => {
  await tb?.close();
});

function orderNo(prefix: string): string {
  seq += 1;
  return `${prefix}_${Date.now()}_${seq}`;
}

function single(scene: CreateTradeInput['scene'], amountFen: number, smidIndex = 0): CreateTradeInput {
  const outTradeNo = orderNo('att');
  return {
    scene,
    groupOutTradeNo: outTradeNo,
    subOrders: [
      { outTradeNo, subMerchantId: tb.app.smids[smidIndex]!, amountFen: fen(amountFen), description: '青花瓷茶具' },
    ],
    expiresAt: new Date(Date.now() + 15 * 60_000),
    notifyUrl: tb.notifyUrl,
    returnUrl: 'http://127.0.0.1:1/paid',
    payer: { clientIp: '127.0.0.1' },
  };
}

function refOf(input: CreateTradeInput): TradeRef {
  return {
    groupOutTradeNo: input.groupOutTradeNo,
    subOrders: input.subOrders.map(({ outTradeNo, subMerchantId, amountFen }) => ({
      outTradeNo,
      subMerchantId,
      amountFen,
    })),
  };
}

function target(action: PaymentAction): { code_url: string } | { url: string } {
  if (action.type === 'qr') return { code_url: action.code_url };
  if (action.type === 'redirect') return { url: action.url };
  throw new Error('Alipay has no jsapi action');
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return (error as ProviderError).code;
}

describe('single-merchant payments', () => {
  it.each(['qr', 'page', 'h5'] as const)(
    'a %s trade paid in the wallet is notified and parsed as trade_paid to the sub-merchant',
    async (scene) => {
      const input = single(scene, 8888);
      const action = await tb.adapter.createTrade(input);
      expect(action.type).toBe(scene === 'qr' ? 'qr' : 'redirect');
      await tb.pay(target(action));
      const outTradeNo = input.subOrders[0]!.outTradeNo;
      const event = await tb.waitForEvent('trade_paid', (e) => e.subTrades[0]?.outTradeNo === outTradeNo);
      expect(event.appId).toBe(tb.app.app_id);
      expect(event.platformMerchantId).toBe(tb.app.seller_id);
      expect(event.subTrades[0]!.amountFen).toBe(8888);
      const [status] = await tb.adapter.queryTrade(refOf(input));
      expect(status).toMatchObject({
        outTradeNo,
        state: 'succeeded',
        amountFen: 8888,
        transactionId: event.subTrades[0]!.transactionId,
      });
      const books = (await tb.admin('GET', `/books/sub-merchants/${tb.app.smids[0]}`)).body;
      const trade = books.trades.find((t: { out_trade_no: string }) => t.out_trade_no === outTradeNo);
      expect(trade).toMatchObject({
        status: 'TRADE_SUCCESS',
        unsettled: 8888,
        settle_info: { settle_period_time: '365d' },
      });
    },
  );

  it('an unscanned QR trade reads not_found, closes as a no-op, and stays payable', async () => {
    const input = single('qr', 100);
    const action = await tb.adapter.createTrade(input);
    expect((await tb.adapter.queryTrade(refOf(input)))[0]!.state).toBe('not_found');
    await tb.adapter.closeTrade(refOf(input));
    await tb.pay(target(action));
    expect((await tb.adapter.queryTrade(refOf(input)))[0]!.state).toBe('succeeded');
  });

  it('a pending page trade closes, is notified as trade_closed, and closing again is harmless', async () => {
    const input = single('page', 300);
    const action = await tb.adapter.createTrade(input);
    // Opening the cashier page (a GET on the signed URL) creates the trade at the gateway, unpaid.
    expect((await fetch((action as { url: string }).url)).status).toBe(200);
    expect((await tb.adapter.queryTrade(refOf(input)))[0]!.state).toBe('pending');
    await tb.adapter.closeTrade(refOf(input));
    await tb.adapter.closeTrade(refOf(input));
    expect((await tb.adapter.queryTrade(refOf(input)))[0]!.state).toBe('closed');
    const outTradeNo = input.subOrders[0]!.outTradeNo;
    await tb.waitForEvent('trade_closed', (e) => e.outTradeNos.includes(outTradeNo));
  });

  it('refuses to close a paid trade: trade_already_paid', async () => {
    const input = single('qr', 200);
    await tb.pay(target(await tb.adapter.createTrade(input)));
    expect(await codeOf(tb.adapter.closeTrade(refOf(input)))).toBe('trade_already_paid');
  });
});

describe('merged payment over two sub-merchants', () => {
  function merged(scene: CreateTradeInput['scene']): CreateTradeInput {
    return {
      scene,
      groupOutTradeNo: orderNo('grp'),
      subOrders: [
        { outTradeNo: orderNo('att'), subMerchantId: tb.app.smids[0]!, amountFen: fen(1000), description: 'tea' },
        { outTradeNo: orderNo('att'), subMerchantId: tb.app.smids[1]!, amountFen: fen(2550), description: 'cups' },
      ],
      expiresAt: new Date(Date.now() + 15 * 60_000),
      notifyUrl: tb.notifyUrl,
      payer: { clientIp: '127.0.0.1' },
    };
  }

  it("one payment puts each merchant's trade, unsettled, in its own sub-merchant's books", async () => {
    const input = merged('qr');
    const action = await tb.adapter.createTrade(input);
    // No PC merge exists: the desktop QR carries the wap.merge.pay URL.
    expect(action.type).toBe('qr');
    expect(new URL((action as { code_url: string }).code_url).searchParams.get('method')).toBe(
      'alipay.trade.wap.merge.pay',
    );
    expect((await tb.adapter.queryTrade(refOf(input))).map((s) => s.state)).toEqual(['not_found', 'not_found']);
    await tb.pay(target(action));
    for (const [i, order] of input.subOrders.entries()) {
      const event = await tb.waitForEvent('trade_paid', (e) => e.subTrades[0]?.outTradeNo === order.outTradeNo);
      expect(event.subTrades[0]!.amountFen).toBe(order.amountFen);
      const books = (await tb.admin('GET', `/books/sub-merchants/${tb.app.smids[i]}`)).body;
      expect(books.trades.find((t: { out_trade_no: string }) => t.out_trade_no === order.outTradeNo)).toMatchObject({
        unsettled: order.amountFen,
      });
    }
    expect((await tb.adapter.queryTrade(refOf(input))).map((s) => s.state)).toEqual(['succeeded', 'succeeded']);
  });

  it('on a phone the merged payment is a redirect to wap.merge.pay', async () => {
    const action = await tb.adapter.createTrade(merged('h5'));
    expect(action.type).toBe('redirect');
    expect(new URL((action as { url: string }).url).searchParams.get('method')).toBe('alipay.trade.wap.merge.pay');
  });
});
