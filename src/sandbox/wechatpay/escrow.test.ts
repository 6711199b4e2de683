// The platform type's money rules (平台收付通): fees, partial refunds, the unsplit amount, settlement, the 30% cap,
// return orders, finishing, balances and the automatic unfreeze — all through the official client.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
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
let m: Registered;
let wx: any;

beforeAll(async () => {
  h = await startHarness();
  receiver = await startReceiver();
  m = await h.register({ sub_merchants: 3 });
  wx = clientFor(h, m);
});

afterAll(async () => {
  await receiver.close();
  await h.close();
});

async function paidOrder(sub: string, total: number): Promise<{ out_trade_no: string; transaction_id: string }> {
  const out_trade_no = outNo('E');
  const { data } = await wx.v3.pay.partner.transactions.native.post({
    sp_appid: m.appid,
    sp_mchid: m.mchid,
    sub_mchid: sub,
    description: 'escrow',
    out_trade_no,
    notify_url: receiver.url,
    amount: { total, currency: 'CNY' },
    settle_info: { profit_sharing: true },
  });
  const paid = await h.tool('POST', '/wallet/pay', { code_url: data.code_url });
  return { out_trade_no, transaction_id: paid.body.paid[0].transaction_id };
}

const settle = () => h.tool('POST', '/clock', { advance_ms: 1_000 });
const books = async (sub: string) => (await h.tool('GET', `/books/sub-merchants/${sub}`)).body;
const tradeIn = async (sub: string, tid: string) =>
  (await books(sub)).trades.find((t: any) => t.transaction_id === tid);

function refund(sub: string, outTradeNo: string, amount: number, total: number, outRefundNo = outNo('R')) {
  return wx.v3.ecommerce.refunds.apply.post({
    sub_mchid: sub,
    sp_appid: m.appid,
    out_trade_no: outTradeNo,
    out_refund_no: outRefundNo,
    notify_url: receiver.url,
    amount: { refund: amount, total, currency: 'CNY' },
  });
}

function share(sub: string, tid: string, amount: number, finish = false, account = m.mchid) {
  return wx.v3.ecommerce.profitsharing.orders.post({
    appid: m.appid,
    sub_mchid: sub,
    transaction_id: tid,
    out_order_no: outNo('P'),
    finish,
    receivers: [{ type: 'MERCHANT_ID', receiver_account: account, amount, description: 'commission' }],
  });
}

describe('the platform type keeps paid money frozen in the sub-merchant account', () => {
  test('paying freezes paid − fee; the fee is round-half-up of paid × 60 bp', async () => {
    const sub = m.sub_mchids[0] as string;
    const before = await books(sub);
    const { transaction_id } = await paidOrder(sub, 10_001);
    const after = await books(sub);
    expect(await tradeIn(sub, transaction_id)).toMatchObject({
      status: 'SUCCESS',
      paid: 10_001,
      fee: 60,
      unsplit: 9_941,
      profit_sharing: true,
    });
    expect(after.frozen - before.frozen).toBe(9_941);
    const balance = await wx.v3.ecommerce.fund.balance['{sub_mchid}'].get({
      sub_mchid: sub,
      params: { account_type: 'BASIC' },
    });
    expect(balance.data).toEqual({
      sub_mchid: sub,
      account_type: 'BASIC',
      available_amount: after.available,
      pending_amount: after.frozen,
    });
  });

  test('partial refunds give back the fee in proportion and the last refund gives back the rest', async () => {
    const sub = m.sub_mchids[0] as string;
    const { out_trade_no, transaction_id } = await paidOrder(sub, 10_001);
    const first = await refund(sub, out_trade_no, 3_333, 10_001);
    expect(first.data.status).toBeUndefined(); // the platform's refund answer carries no status
    expect(first.data.amount).toMatchObject({ refund: 3_333, currency: 'CNY' });
    expect(await tradeIn(sub, transaction_id)).toMatchObject({
      status: 'REFUND',
      refunded: 3_333,
      fee_returned: 20,
      unsplit: 6_628,
    });
    await refund(sub, out_trade_no, 3_333, 10_001);
    await refund(sub, out_trade_no, 3_335, 10_001);
    expect(await tradeIn(sub, transaction_id)).toMatchObject({
      refunded: 10_001,
      fee: 60,
      fee_returned: 60,
      unsplit: 0,
    });

    const q = await wx.v3.ecommerce.refunds['out-refund-no']['{out_refund_no}'].get({
      out_refund_no: first.data.out_refund_no,
      params: { sub_mchid: sub },
    });
    expect(q.data).toMatchObject({ status: 'SUCCESS', refund_id: first.data.refund_id, transaction_id, out_trade_no });
    const notes = await waitForNotes(receiver, m, (r) => r.out_trade_no === out_trade_no && 'refund_id' in r, 3);
    expect(notes.map((n) => n.json.event_type)).toEqual(['REFUND.SUCCESS', 'REFUND.SUCCESS', 'REFUND.SUCCESS']);
    expect(notes.every((o) => o.verified)).toBe(true);
    expect(notes.find((n) => n.resource.out_refund_no === first.data.out_refund_no)!.resource).toMatchObject({
      sp_mchid: m.mchid,
      sub_mchid: sub,
      out_refund_no: first.data.out_refund_no,
      refund_status: 'SUCCESS',
      amount: { total: 10_001, refund: 3_333 },
    });
  });

  test('the same out_refund_no again is the same refund; more than is left is refused', async () => {
    const sub = m.sub_mchids[0] as string;
    const { out_trade_no, transaction_id } = await paidOrder(sub, 1_000);
    const a = await refund(sub, out_trade_no, 600, 1_000, 'RFD-SAME-1');
    const b = await refund(sub, out_trade_no, 600, 1_000, 'RFD-SAME-1');
    expect(b.data.refund_id).toBe(a.data.refund_id);
    expect((await tradeIn(sub, transaction_id)).refunded).toBe(600);
    expect(await refusal(refund(sub, out_trade_no, 401, 1_000))).toEqual({ status: 400, code: 'INVALID_REQUEST' });
  });

  test('a share before settlement is refused with INVALID_REQUEST and succeeds once the payment has settled', async () => {
    const sub = m.sub_mchids[1] as string;
    const { transaction_id } = await paidOrder(sub, 2_000);
    expect(await refusal(share(sub, transaction_id, 100))).toEqual({ status: 400, code: 'INVALID_REQUEST' });
    await settle();
    const ok = await share(sub, transaction_id, 100);
    expect(ok.data).toMatchObject({ sub_mchid: sub, transaction_id });
    const q = await wx.v3.ecommerce.profitsharing.orders.get({
      params: { sub_mchid: sub, transaction_id, out_order_no: ok.data.out_order_no },
    });
    expect(q.data).toMatchObject({
      status: 'FINISHED',
      receivers: [{ receiver_account: m.mchid, amount: 100, result: 'SUCCESS' }],
    });
    const amounts = await wx.v3.ecommerce.profitsharing.orders['{transaction_id}'].amounts.get({ transaction_id });
    expect(amounts.data).toEqual({ transaction_id, unsplit_amount: 2_000 - 12 - 100 });
  });

  test('at most 30% of the paid amount goes to others (RULE_LIMIT beyond)', async () => {
    const sub = m.sub_mchids[1] as string;
    const { transaction_id } = await paidOrder(sub, 1_000);
    await settle();
    expect(await refusal(share(sub, transaction_id, 301))).toEqual({ status: 403, code: 'RULE_LIMIT' });
    await share(sub, transaction_id, 200);
    await share(sub, transaction_id, 100);
    expect(await refusal(share(sub, transaction_id, 1))).toEqual({ status: 403, code: 'RULE_LIMIT' });
    expect(await tradeIn(sub, transaction_id)).toMatchObject({
      shared: 300,
      unsplit: 1_000 - 6 - 300,
      share_requests: 2,
    });
  });

  test('an order takes at most 20 sharing requests (RULE_LIMIT beyond)', async () => {
    const sub = m.sub_mchids[1] as string;
    const { transaction_id } = await paidOrder(sub, 10_000);
    await settle();
    for (let i = 0; i < 20; i++) await share(sub, transaction_id, 1);
    expect(await refusal(share(sub, transaction_id, 1))).toEqual({ status: 403, code: 'RULE_LIMIT' });
  });

  test('repeating an out_order_no or an out_return_no is the same request, moving no money twice', async () => {
    const sub = m.sub_mchids[1] as string;
    const { transaction_id } = await paidOrder(sub, 3_000);
    await settle();
    const body = {
      appid: m.appid,
      sub_mchid: sub,
      transaction_id,
      out_order_no: outNo('P'),
      finish: false,
      receivers: [{ type: 'MERCHANT_ID', receiver_account: m.mchid, amount: 200, description: 'commission' }],
    };
    const a = await wx.v3.ecommerce.profitsharing.orders.post(body);
    const b = await wx.v3.ecommerce.profitsharing.orders.post(body);
    expect(b.data.order_id).toBe(a.data.order_id);
    const ret = {
      sub_mchid: sub,
      out_order_no: body.out_order_no,
      out_return_no: outNo('B'),
      return_mchid: m.mchid,
      amount: 50,
      description: 'back',
    };
    const r1 = await wx.v3.ecommerce.profitsharing.returnorders.post(ret);
    const r2 = await wx.v3.ecommerce.profitsharing.returnorders.post(ret);
    expect(r2.data.return_no).toBe(r1.data.return_no);
    expect(await tradeIn(sub, transaction_id)).toMatchObject({ shared: 200, returned: 50, share_requests: 1 });
  });

  test('a receiver must be added first, and a request names at most 5 receivers', async () => {
    const sub = m.sub_mchids[1] as string;
    const { transaction_id } = await paidOrder(sub, 5_000);
    await settle();
    expect(await refusal(share(sub, transaction_id, 10, false, '1900000777'))).toEqual({
      status: 400,
      code: 'INVALID_REQUEST',
    });
    await wx.v3.ecommerce.profitsharing.receivers.add.post({
      appid: m.appid,
      type: 'MERCHANT_ID',
      account: '1900000777',
      name: 'Partner',
      relation_type: 'SUPPLIER',
    });
    await share(sub, transaction_id, 10, false, '1900000777');
    const six = Array.from({ length: 6 }, () => ({
      type: 'MERCHANT_ID',
      receiver_account: m.mchid,
      amount: 1,
      description: 'x',
    }));
    const tooMany = await refusal(
      wx.v3.ecommerce.profitsharing.orders.post({
        appid: m.appid,
        sub_mchid: sub,
        transaction_id,
        out_order_no: outNo('P'),
        finish: false,
        receivers: six,
      }),
    );
    expect(tooMany).toEqual({ status: 400, code: 'PARAM_ERROR' });
  });

  test('a refund needing more than the unsplit amount is RULE_LIMIT until the rest is unfrozen; returns give shares back', async () => {
    const sub = m.sub_mchids[2] as string;
    const { out_trade_no, transaction_id } = await paidOrder(sub, 10_000);
    await settle();
    const shared = await share(sub, transaction_id, 3_000);
    expect(await refusal(refund(sub, out_trade_no, 10_000, 10_000))).toEqual({ status: 403, code: 'RULE_LIMIT' });

    const ret = await wx.v3.ecommerce.profitsharing.returnorders.post({
      sub_mchid: sub,
      out_order_no: shared.data.out_order_no,
      out_return_no: outNo('B'),
      return_mchid: m.mchid,
      amount: 3_000,
      description: 'refund',
    });
    expect(ret.data).toMatchObject({ result: 'PROCESSING', amount: 3_000, return_mchid: m.mchid });
    const retQuery = await wx.v3.ecommerce.profitsharing.returnorders.get({
      params: { sub_mchid: sub, out_order_no: shared.data.out_order_no, out_return_no: ret.data.out_return_no },
    });
    expect(retQuery.data.result).toBe('SUCCESS');
    const more = await refusal(
      wx.v3.ecommerce.profitsharing.returnorders.post({
        sub_mchid: sub,
        out_order_no: shared.data.out_order_no,
        out_return_no: outNo('B'),
        return_mchid: m.mchid,
        amount: 1,
        description: 'too much',
      }),
    );
    expect(more).toEqual({ status: 403, code: 'NOT_ENOUGH' });
    expect(await refusal(refund(sub, out_trade_no, 10_000, 10_000))).toEqual({ status: 403, code: 'RULE_LIMIT' });

    await wx.v3.ecommerce.profitsharing.finishOrder.post({
      sub_mchid: sub,
      transaction_id,
      out_order_no: outNo('F'),
      description: 'unfreeze for refund',
    });
    expect(await books(sub)).toMatchObject({ frozen: 0, available: 3_000 + 6_940 });
    await refund(sub, out_trade_no, 10_000, 10_000);
    expect(await books(sub)).toMatchObject({ frozen: 0, available: 0 });
    expect(await tradeIn(sub, transaction_id)).toMatchObject({
      refunded: 10_000,
      fee_returned: 60,
      shared: 3_000,
      returned: 3_000,
      unfrozen: 6_940,
      unsplit: 0,
      sharing_finished: true,
    });
  });

  test('a refund from an available balance that was withdrawn fails NOT_ENOUGH', async () => {
    const sub = m.sub_mchids[2] as string;
    const { out_trade_no, transaction_id } = await paidOrder(sub, 1_000);
    await settle();
    await wx.v3.ecommerce.profitsharing.finishOrder.post({
      sub_mchid: sub,
      transaction_id,
      out_order_no: outNo('F'),
      description: 'release',
    });
    const { available } = await books(sub);
    await wx.v3.ecommerce.fund.withdraw.post({ sub_mchid: sub, out_request_no: outNo('W'), amount: available });
    expect(await refusal(refund(sub, out_trade_no, 500, 1_000))).toEqual({ status: 403, code: 'NOT_ENOUGH' });
  });

  test('money still frozen 180 days after payment unfreezes by itself (by the sandbox clock)', async () => {
    const sub = m.sub_mchids[0] as string;
    const { transaction_id } = await paidOrder(sub, 3_000);
    await h.tool('POST', '/clock', { advance_ms: 179 * 86_400_000 });
    expect(await tradeIn(sub, transaction_id)).toMatchObject({ sharing_finished: false, unsplit: 2_982 });
    await h.tool('POST', '/clock', { advance_ms: 1 * 86_400_000 });
    expect(await tradeIn(sub, transaction_id)).toMatchObject({ sharing_finished: true, unsplit: 0, unfrozen: 2_982 });
  });
});
