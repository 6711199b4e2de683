// A multi-merchant checkout paid once: alipay.trade.merge.precreate + alipay.trade.wap.merge.pay, each
// sub-trade landing, unsettled, in its own sub-merchant's books.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  getJson,
  NotifySink,
  postJson,
  registerClient,
  startSandbox,
  tradeBiz,
  type Harness,
  type RegisteredClient,
} from './testkit';

let h: Harness;
let sink: NotifySink;
let client: RegisteredClient;
const opts = { validateSign: true };

beforeAll(async () => {
  h = await startSandbox();
  sink = await new NotifySink().start();
  client = await registerClient(h, { sub_merchants: 2 });
});
afterAll(async () => {
  await sink.close();
  await h.close();
});

function mergeBiz(outMergeNo: string, parts: [string, string, string][]) {
  return {
    out_merge_no: outMergeNo,
    order_details: parts.map(([smid, outTradeNo, amount]) => ({
      app_id: client.appId,
      ...tradeBiz(smid, outTradeNo, amount),
      product_code: 'QUICK_WAP_WAY',
    })),
  };
}

describe('merged payment', () => {
  it("pays two sub-merchants' trades with one buyer payment, each unsettled in its own books", async () => {
    const [a, b] = client.smids as [string, string];
    const pre = await client.sdk.exec(
      'alipay.trade.merge.precreate',
      {
        notifyUrl: sink.url,
        bizContent: mergeBiz('M_1', [
          [a, 'M_1_A', '30.00'],
          [b, 'M_1_B', '12.34'],
        ]),
      },
      opts,
    );
    expect(pre.code).toBe('10000');
    expect(pre.orderDetailResults).toEqual([
      expect.objectContaining({ outTradeNo: 'M_1_A', success: true }),
      expect.objectContaining({ outTradeNo: 'M_1_B', success: true }),
    ]);
    expect((await client.sdk.exec('alipay.trade.query', { bizContent: { out_trade_no: 'M_1_A' } }, opts)).subCode).toBe(
      'ACQ.TRADE_NOT_EXIST',
    );

    const url = client.sdk.pageExec('alipay.trade.wap.merge.pay', 'GET', {
      bizContent: { pre_order_no: pre.preOrderNo },
    });
    const cashier = await (await fetch(url)).text();
    expect(cashier).toContain('42.34');
    const paid = await postJson(`${h.base}/wallet/pay`, { code_url: url });
    expect(paid.status).toBe(200);
    expect(paid.body.pre_order_no).toBe(pre.preOrderNo);
    expect(paid.body.trades.map((t: any) => [t.out_trade_no, t.smid, t.amount])).toEqual([
      ['M_1_A', a, 3000],
      ['M_1_B', b, 1234],
    ]);

    for (const [outTradeNo, amount] of [
      ['M_1_A', '30.00'],
      ['M_1_B', '12.34'],
    ] as const) {
      const q = await client.sdk.exec('alipay.trade.query', { bizContent: { out_trade_no: outTradeNo } }, opts);
      expect(q).toMatchObject({ tradeStatus: 'TRADE_SUCCESS', totalAmount: amount });
    }
    await sink.waitFor(() => sink.of('M_1_A').length > 0 && sink.of('M_1_B').length > 0);
    expect([...sink.of('M_1_A'), ...sink.of('M_1_B')].every((n) => client.sdk.checkNotifySignV2(n))).toBe(true);

    const booksA = await h.adminGet(`/books/sub-merchants/${a}`);
    const booksB = await h.adminGet(`/books/sub-merchants/${b}`);
    expect(booksA).toMatchObject({ frozen: 3000, unsettled: 3000, available: 0 });
    expect(booksB).toMatchObject({ frozen: 1234, unsettled: 1234, available: 0 });
    expect(booksA.trades.map((t: any) => t.out_trade_no)).toEqual(['M_1_A']);
    expect(booksB.trades[0]).toMatchObject({
      out_trade_no: 'M_1_B',
      status: 'TRADE_SUCCESS',
      unsettled: 1234,
      fee: 7,
      pre_order_no: pre.preOrderNo,
    });
    expect(booksB.trades[0].settle_info.settle_period_time).toBe('30d');

    expect((await postJson(`${h.base}/wallet/pay`, { url })).body.error.code).toBe('trade_already_paid');
  });

  it('answers a repeated out_merge_no with the same pre_order_no, and refuses it with other sub-orders', async () => {
    const [a, b] = client.smids as [string, string];
    const biz = mergeBiz('M_2', [
      [a, 'M_2_A', '1.00'],
      [b, 'M_2_B', '2.00'],
    ]);
    const first = await client.sdk.exec('alipay.trade.merge.precreate', { bizContent: biz }, opts);
    const again = await client.sdk.exec('alipay.trade.merge.precreate', { bizContent: biz }, opts);
    expect(again.preOrderNo).toBe(first.preOrderNo);
    const changed = await client.sdk.exec(
      'alipay.trade.merge.precreate',
      {
        bizContent: mergeBiz('M_2', [
          [a, 'M_2_A', '1.00'],
          [b, 'M_2_B', '2.01'],
        ]),
      },
      opts,
    );
    expect(changed.subCode).toBe('ACQ.DISCORDANT_REPEAT_REQUEST');
  });

  it('pays the order string sdkExec builds (an app or H5 payment) too', async () => {
    const [a, b] = client.smids as [string, string];
    const pre = await client.sdk.exec(
      'alipay.trade.merge.precreate',
      {
        bizContent: mergeBiz('M_6', [
          [a, 'M_6_A', '4.00'],
          [b, 'M_6_B', '5.00'],
        ]),
      },
      opts,
    );
    const orderString = client.sdk.sdkExec('alipay.trade.wap.merge.pay', {
      bizContent: { preOrderNo: pre.preOrderNo },
    });
    const paid = await postJson(`${h.base}/wallet/pay`, { url: orderString });
    expect(paid.body.trades.map((t: any) => t.out_trade_no)).toEqual(['M_6_A', 'M_6_B']);
  });

  it('pays all sub-trades or none: one already closed sub-trade fails the whole payment', async () => {
    const [a, b] = client.smids as [string, string];
    const pre = await client.sdk.exec(
      'alipay.trade.merge.precreate',
      {
        bizContent: mergeBiz('M_3', [
          [a, 'M_3_A', '1.00'],
          [b, 'M_3_B', '2.00'],
        ]),
      },
      opts,
    );
    const url = client.sdk.pageExec('alipay.trade.wap.merge.pay', 'GET', {
      bizContent: { pre_order_no: pre.preOrderNo },
    });
    await fetch(url);
    expect((await client.sdk.exec('alipay.trade.close', { bizContent: { out_trade_no: 'M_3_B' } }, opts)).code).toBe(
      '10000',
    );
    expect((await postJson(`${h.base}/wallet/pay`, { url })).body.error.code).toBe('trade_closed');
    expect(
      (await client.sdk.exec('alipay.trade.query', { bizContent: { out_trade_no: 'M_3_A' } }, opts)).tradeStatus,
    ).toBe('WAIT_BUYER_PAY');
  });

  it('refuses sub-orders of another app and duplicated out_trade_no', async () => {
    const [a] = client.smids as [string];
    const foreign = mergeBiz('M_4', [[a, 'M_4_A', '1.00']]);
    foreign.order_details[0]!.app_id = '2021000000000001';
    expect((await client.sdk.exec('alipay.trade.merge.precreate', { bizContent: foreign }, opts)).subCode).toBe(
      'ACQ.INVALID_PARAMETER',
    );
    const twice = mergeBiz('M_5', [
      [a, 'M_5_A', '1.00'],
      [a, 'M_5_A', '1.00'],
    ]);
    expect((await client.sdk.exec('alipay.trade.merge.precreate', { bizContent: twice }, opts)).subCode).toBe(
      'ACQ.INVALID_PARAMETER',
    );
  });
});
