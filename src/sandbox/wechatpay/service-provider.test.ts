// The ordinary service-provider type (普通服务商): its own refund and sharing APIs, a 30-day freeze, and no
// access to the platform's /v3/ecommerce/* APIs (and the platform none to these).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Rsa } from 'wechatpay-axios-plugin';
import {
  clientFor,
  outNo,
  refusal,
  startHarness,
  startReceiver,
  waitForNotes,
  type Harness,
  type Receiver,
  type Registered,
} from './testkit';

let h: Harness;
let receiver: Receiver;
let sp: Registered;
let platform: Registered;
let wx: any;

beforeAll(async () => {
  h = await startHarness();
  receiver = await startReceiver();
  sp = await h.register({ type: 'service_provider', sub_merchants: 2, fee_rate_bp: 38 });
  platform = await h.register({ sub_merchants: 1 });
  wx = clientFor(h, sp);
});

afterAll(async () => {
  await receiver.close();
  await h.close();
});

async function paidOrder(sub: string, total: number) {
  const out_trade_no = outNo('G');
  const { data } = await wx.v3.pay.partner.transactions.native.post({
    sp_appid: sp.appid,
    sp_mchid: sp.mchid,
    sub_mchid: sub,
    description: 'sp order',
    out_trade_no,
    notify_url: receiver.url,
    amount: { total, currency: 'CNY' },
    settle_info: { profit_sharing: true },
  });
  const paid = await h.tool('POST', '/wallet/pay', { code_url: data.code_url });
  return { out_trade_no, transaction_id: paid.body.paid[0].transaction_id as string };
}

const tradeIn = async (sub: string, tid: string) =>
  (await h.tool('GET', `/books/sub-merchants/${sub}`)).body.trades.find((t: any) => t.transaction_id === tid);

describe('the service-provider type', () => {
  test('calling the platform APIs (/v3/ecommerce/*) is 403 NO_AUTH, and the platform cannot call the service-provider ones', async () => {
    const sub = sp.sub_mchids[0] as string;
    const apply = await refusal(
      wx.v3.ecommerce.refunds.apply.post({
        sub_mchid: sub,
        sp_appid: sp.appid,
        out_trade_no: 'X123456',
        out_refund_no: 'R1',
        amount: { refund: 1, total: 1, currency: 'CNY' },
      }),
    );
    expect(apply).toEqual({ status: 403, code: 'NO_AUTH' });
    expect(await refusal(wx.v3.ecommerce.fund.balance['{sub_mchid}'].get({ sub_mchid: sub }))).toEqual({
      status: 403,
      code: 'NO_AUTH',
    });
    const platformClient = clientFor(h, platform);
    const domestic = await refusal(
      platformClient.v3.refund.domestic.refunds.post({
        sub_mchid: platform.sub_mchids[0],
        out_trade_no: 'X123456',
        out_refund_no: 'R1',
        amount: { refund: 1, total: 1, currency: 'CNY' },
      }),
    );
    expect(domestic).toEqual({ status: 403, code: 'NO_AUTH' });
  });

  test('domestic refunds answer PROCESSING, then query and notify SUCCESS with the fee given back', async () => {
    const sub = sp.sub_mchids[0] as string;
    const { out_trade_no, transaction_id } = await paidOrder(sub, 5_000); // fee round-half-up(5000 × 38 / 10000) = 19
    const answer = await wx.v3.refund.domestic.refunds.post({
      sub_mchid: sub,
      out_trade_no,
      out_refund_no: 'SP-RFD-1',
      notify_url: receiver.url,
      amount: { refund: 2_000, total: 5_000, currency: 'CNY' },
    });
    expect(answer.data).toMatchObject({
      status: 'PROCESSING',
      out_refund_no: 'SP-RFD-1',
      transaction_id,
      amount: { refund: 2_000, total: 5_000 },
    });
    const q = await wx.v3.refund.domestic.refunds['{out_refund_no}'].get({
      out_refund_no: 'SP-RFD-1',
      params: { sub_mchid: sub },
    });
    expect(q.data).toMatchObject({ status: 'SUCCESS', amount: { refund_fee: 8 } }); // round-half-up(19 × 2000 / 5000) = 8
    const [note] = await waitForNotes(receiver, sp, (r) => r.out_refund_no === 'SP-RFD-1');
    expect(note!.verified).toBe(true);
    expect(note!.json.event_type).toBe('REFUND.SUCCESS');
    expect(note!.resource).toMatchObject({
      sub_mchid: sub,
      refund_status: 'SUCCESS',
      amount: { refund: 2_000, total: 5_000 },
    });
    expect(await tradeIn(sub, transaction_id)).toMatchObject({
      fee: 19,
      fee_returned: 8,
      refunded: 2_000,
      unsplit: 5_000 - 19 - 2_000 + 8,
    });
  });

  test('sharing needs an added receiver (name encrypted with the WeChat Pay public key) and unfreezes the rest on request', async () => {
    const sub = sp.sub_mchids[1] as string;
    const { transaction_id } = await paidOrder(sub, 10_000);
    const config = await wx.v3.profitsharing.merchantConfigs['{sub_mchid}'].get({ sub_mchid: sub });
    expect(config.data).toEqual({ sub_mchid: sub, max_ratio: 3000 });
    const name = Rsa.encrypt('胡同平台', Rsa.from(sp.wechatpay_public_key, Rsa.KEY_TYPE_PUBLIC));
    await wx.v3.profitsharing.receivers.add.post(
      {
        sub_mchid: sub,
        appid: sp.appid,
        type: 'MERCHANT_ID',
        account: sp.mchid,
        name,
        relation_type: 'SERVICE_PROVIDER',
      },
      { headers: { 'Wechatpay-Serial': sp.wechatpay_public_key_id } },
    );
    await h.tool('POST', '/clock', { advance_ms: 1_000 });
    const out_order_no = outNo('SP');
    const answer = await wx.v3.profitsharing.orders.post({
      sub_mchid: sub,
      appid: sp.appid,
      transaction_id,
      out_order_no,
      unfreeze_unsplit: true,
      receivers: [{ type: 'MERCHANT_ID', account: sp.mchid, amount: 2_000, description: 'service fee' }],
    });
    expect(answer.data).toMatchObject({
      state: 'PROCESSING',
      receivers: [
        { account: sp.mchid, result: 'PENDING' },
        { account: sub, amount: 10_000 - 38 - 2_000 },
      ],
    });
    const q = await wx.v3.profitsharing.orders['{out_order_no}'].get({
      out_order_no,
      params: { sub_mchid: sub, transaction_id },
    });
    expect(q.data.state).toBe('FINISHED');
    expect(q.data.receivers.map((r: any) => r.result)).toEqual(['SUCCESS', 'SUCCESS']);
    const amounts = await wx.v3.profitsharing.transactions['{transaction_id}'].amounts.get({ transaction_id });
    expect(amounts.data.unsplit_amount).toBe(0);
    const back = await wx.v3.profitsharing.returnOrders.post({
      sub_mchid: sub,
      out_order_no,
      out_return_no: outNo('SB'),
      return_mchid: sp.mchid,
      amount: 500,
      description: 'return',
    });
    expect(back.data).toMatchObject({ result: 'PROCESSING', amount: 500 });
    expect((await h.tool('GET', `/books/sub-merchants/${sub}`)).body.available).toBe(10_000 - 38 - 2_000 + 500);
  });

  test('frozen money unfreezes by itself 30 days after payment', async () => {
    const sub = sp.sub_mchids[0] as string;
    const { transaction_id } = await paidOrder(sub, 1_000);
    await h.tool('POST', '/clock', { advance_ms: 29 * 86_400_000 });
    expect((await tradeIn(sub, transaction_id)).sharing_finished).toBe(false);
    await h.tool('POST', '/clock', { advance_ms: 86_400_000 });
    expect(await tradeIn(sub, transaction_id)).toMatchObject({
      sharing_finished: true,
      unfrozen: 1_000 - 4,
      unsplit: 0,
    });
  });
});
