// Refunds as Alipay makes them: partial and repeated, idempotent per out_request_no, never beyond what was
// paid, with the fee returned in proportion (the last refund returns the rest).
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
  client = await registerClient(h, { sub_merchants: 1, fee_rate_bp: 60 });
});
afterAll(async () => {
  await sink.close();
  await h.close();
});

async function paidTrade(outTradeNo: string, amount: string): Promise<void> {
  const pre = await client.sdk.exec(
    'alipay.trade.precreate',
    { notifyUrl: sink.url, bizContent: tradeBiz(client.smids[0]!, outTradeNo, amount) },
    opts,
  );
  expect((await postJson(`${h.base}/wallet/pay`, { code_url: pre.qrCode })).status).toBe(200);
}

const refund = (biz: Record<string, unknown>) => client.sdk.exec('alipay.trade.refund', { bizContent: biz }, opts);

describe('refunds', () => {
  it('refunds part twice, repeats idempotently, and rejects an over-refund', async () => {
    await paidTrade('RF_1', '100.00'); // fee 0.60
    const first = await refund({ out_trade_no: 'RF_1', refund_amount: '33.33', out_request_no: 'RF_1_r1' });
    expect(first).toMatchObject({
      code: '10000',
      fundChange: 'Y',
      refundFee: '33.33',
      sendBackFee: '33.33',
      refundChargeAmount: '0.20',
    });
    const repeat = await refund({ out_trade_no: 'RF_1', refund_amount: '33.33', out_request_no: 'RF_1_r1' });
    expect(repeat).toMatchObject({ code: '10000', fundChange: 'N', refundFee: '33.33' });
    const second = await refund({ out_trade_no: 'RF_1', refund_amount: '50.00', out_request_no: 'RF_1_r2' });
    expect(second).toMatchObject({ fundChange: 'Y', refundFee: '83.33', refundChargeAmount: '0.30' });
    const over = await refund({ out_trade_no: 'RF_1', refund_amount: '16.68', out_request_no: 'RF_1_r3' });
    expect(over.subCode).toBe('ACQ.REFUND_AMT_NOT_EQUAL_TOTAL');
    expect((await refund({ out_trade_no: 'RF_1', refund_amount: '1.00', out_request_no: 'RF_1_r1' })).subCode).toBe(
      'ACQ.DISCORDANT_REPEAT_REQUEST',
    );

    const q = await client.sdk.exec(
      'alipay.trade.fastpay.refund.query',
      { bizContent: { out_trade_no: 'RF_1', out_request_no: 'RF_1_r2' } },
      opts,
    );
    expect(q).toMatchObject({
      code: '10000',
      refundStatus: 'REFUND_SUCCESS',
      refundAmount: '50.00',
      totalAmount: '100.00',
      outRequestNo: 'RF_1_r2',
    });
    const unknown = await client.sdk.exec(
      'alipay.trade.fastpay.refund.query',
      { bizContent: { out_trade_no: 'RF_1', out_request_no: 'nope' } },
      opts,
    );
    expect(unknown.code).toBe('10000');
    expect(unknown.refundStatus).toBeUndefined();

    const books = await h.adminGet(`/books/sub-merchants/${client.smids[0]}`);
    const trade = books.trades.find((t: any) => t.out_trade_no === 'RF_1');
    expect(trade).toMatchObject({
      refunded: 8333,
      unsettled: 1667,
      fee: 60,
      fee_returned: 50,
      status: 'TRADE_SUCCESS',
    });
    expect(trade.refunds.map((r: any) => [r.out_request_no, r.amount, r.fee_returned])).toEqual([
      ['RF_1_r1', 3333, 20],
      ['RF_1_r2', 5000, 30],
    ]);

    await sink.waitFor(() => sink.of('RF_1').filter((n) => n.out_biz_no).length >= 2);
    const refundNote = sink.of('RF_1').find((n) => n.out_biz_no === 'RF_1_r2')!;
    expect(client.sdk.checkNotifySignV2(refundNote)).toBe(true);
    expect(refundNote).toMatchObject({ trade_status: 'TRADE_SUCCESS', refund_fee: '83.33', total_amount: '100.00' });
    expect(refundNote.gmt_refund).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/);
  });

  it('closes a fully refunded trade and returns the rest of the fee with the last refund', async () => {
    await paidTrade('RF_2', '0.99'); // fee round-half-up(0.5940) = 1 fen
    expect(await refund({ out_trade_no: 'RF_2', refund_amount: '0.50', out_request_no: 'RF_2_a' })).toMatchObject({
      refundChargeAmount: '0.01',
    });
    expect(await refund({ out_trade_no: 'RF_2', refund_amount: '0.49', out_request_no: 'RF_2_b' })).toMatchObject({
      refundChargeAmount: '0.00',
      refundFee: '0.99',
    });
    expect(
      (await client.sdk.exec('alipay.trade.query', { bizContent: { out_trade_no: 'RF_2' } }, opts)).tradeStatus,
    ).toBe('TRADE_CLOSED');
    expect((await refund({ out_trade_no: 'RF_2', refund_amount: '0.01', out_request_no: 'RF_2_c' })).subCode).toBe(
      'ACQ.TRADE_HAS_CLOSE',
    );
    await sink.waitFor(() => sink.of('RF_2').some((n) => n.out_biz_no === 'RF_2_b'));
    expect(sink.of('RF_2').find((n) => n.out_biz_no === 'RF_2_b')!.trade_status).toBe('TRADE_CLOSED');
  });

  it('refuses refunds of unpaid or unknown trades', async () => {
    const url = client.sdk.pageExec('alipay.trade.page.pay', 'GET', {
      bizContent: tradeBiz(client.smids[0]!, 'RF_3', '5.00'),
    });
    await fetch(url);
    expect((await refund({ out_trade_no: 'RF_3', refund_amount: '1.00' })).subCode).toBe('ACQ.TRADE_STATUS_ERROR');
    expect((await refund({ out_trade_no: 'RF_none', refund_amount: '1.00' })).subCode).toBe('ACQ.TRADE_NOT_EXIST');
    expect((await refund({ out_trade_no: 'RF_3' })).subCode).toBe('ACQ.INVALID_PARAMETER');
  });

  it('keys a refund without out_request_no by out_trade_no (one full refund)', async () => {
    await paidTrade('RF_4', '2.00');
    expect(await refund({ out_trade_no: 'RF_4', refund_amount: '2.00' })).toMatchObject({
      fundChange: 'Y',
      refundFee: '2.00',
    });
    expect(await refund({ out_trade_no: 'RF_4', refund_amount: '2.00' })).toMatchObject({ fundChange: 'N' });
    const q = await client.sdk.exec(
      'alipay.trade.fastpay.refund.query',
      { bizContent: { out_trade_no: 'RF_4', out_request_no: 'RF_4' } },
      opts,
    );
    expect(q.refundStatus).toBe('REFUND_SUCCESS');
  });
});
