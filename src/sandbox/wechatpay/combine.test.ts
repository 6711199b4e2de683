// Combined payment (合单) of two sub-merchants through the official client, for both merchant types.
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

beforeAll(async () => {
  h = await startHarness();
  receiver = await startReceiver();
});

afterAll(async () => {
  await receiver.close();
  await h.close();
});

function combineOrder(m: Registered, amounts: [number, number]) {
  return {
    combine_appid: m.appid,
    combine_mchid: m.mchid,
    combine_out_trade_no: outNo('C'),
    notify_url: receiver.url,
    sub_orders: amounts.map((total, i) => ({
      mchid: m.mchid,
      sub_mchid: m.sub_mchids[i],
      out_trade_no: outNo(`S${i}`),
      attach: `order-${i}`,
      description: `merchant ${i} goods`,
      amount: { total_amount: total, currency: 'CNY' },
      settle_info: { profit_sharing: true },
    })),
  };
}

describe.each(['ecommerce_platform', 'service_provider'] as const)('combined payment for a %s', (type) => {
  let m: Registered;
  let wx: any;

  beforeAll(async () => {
    m = await h.register({ type, sub_merchants: 2 });
    wx = clientFor(h, m);
  });

  test('one payment pays both sub-orders, each to its own sub-merchant, in one combined notification', async () => {
    const order = combineOrder(m, [1000, 2500]);
    const { data } = await wx.v3.combineTransactions.native.post(order);
    const paid = await h.tool('POST', '/wallet/pay', { code_url: data.code_url });
    expect(paid.body.paid.map((p: any) => [p.sub_mchid, p.amount])).toEqual([
      [m.sub_mchids[0], 1000],
      [m.sub_mchids[1], 2500],
    ]);

    const [note] = await waitForNotes(receiver, m, (r) => r.combine_out_trade_no === order.combine_out_trade_no);
    const { verified, resource } = note!;
    expect(verified).toBe(true);
    expect(note!.json.event_type).toBe('TRANSACTION.SUCCESS');
    expect(resource).toMatchObject({
      combine_appid: m.appid,
      combine_mchid: m.mchid,
      combine_out_trade_no: order.combine_out_trade_no,
    });
    expect(resource.sub_orders).toHaveLength(2);
    expect(resource.sub_orders[1]).toMatchObject({
      mchid: m.mchid,
      sub_mchid: m.sub_mchids[1],
      out_trade_no: order.sub_orders[1]!.out_trade_no,
      trade_state: 'SUCCESS',
      trade_type: 'NATIVE',
      attach: 'order-1',
      amount: { total_amount: 2500, payer_amount: 2500, currency: 'CNY' },
    });
    expect(resource.sub_orders[0].transaction_id).not.toBe(resource.sub_orders[1].transaction_id);

    const q = await wx.v3.combineTransactions['out-trade-no']['{combine_out_trade_no}'].get({
      combine_out_trade_no: order.combine_out_trade_no,
    });
    expect(q.data.sub_orders.map((s: any) => s.trade_state)).toEqual(['SUCCESS', 'SUCCESS']);

    const close = await refusal(
      wx.v3.combineTransactions['out-trade-no']['{combine_out_trade_no}'].close.post(
        {
          combine_appid: m.appid,
          sub_orders: order.sub_orders.map((s) => ({
            mchid: m.mchid,
            sub_mchid: s.sub_mchid,
            out_trade_no: s.out_trade_no,
          })),
        },
        { combine_out_trade_no: order.combine_out_trade_no },
      ),
    );
    expect(close).toEqual({ status: 403, code: 'ORDERPAID' });

    const books = await h.tool('GET', `/books/sub-merchants/${m.sub_mchids[1]}`);
    const trade = books.body.trades.find((t: any) => t.out_trade_no === order.sub_orders[1]!.out_trade_no);
    expect(trade).toMatchObject({
      combine_out_trade_no: order.combine_out_trade_no,
      paid: 2500,
      fee: 15,
      unsplit: 2485,
      profit_sharing: true,
    });
  });

  test('each sub-order of a combined payment is refunded on its own', async () => {
    const order = combineOrder(m, [1000, 2000]);
    const { data } = await wx.v3.combineTransactions.native.post(order);
    await h.tool('POST', '/wallet/pay', { code_url: data.code_url });
    const sub = order.sub_orders[0]!;
    const body = {
      sub_mchid: sub.sub_mchid,
      out_trade_no: sub.out_trade_no,
      out_refund_no: outNo('R'),
      amount: { refund: 400, total: 1000, currency: 'CNY' },
    };
    if (type === 'ecommerce_platform') await wx.v3.ecommerce.refunds.apply.post({ ...body, sp_appid: m.appid });
    else await wx.v3.refund.domestic.refunds.post(body);
    const refunded = (await h.tool('GET', `/books/sub-merchants/${sub.sub_mchid}`)).body.trades.find(
      (t: any) => t.out_trade_no === sub.out_trade_no,
    );
    expect(refunded).toMatchObject({ status: 'REFUND', refunded: 400, fee_returned: 2 });
    const other = (await h.tool('GET', `/books/sub-merchants/${m.sub_mchids[1]}`)).body.trades.find(
      (t: any) => t.out_trade_no === order.sub_orders[1]!.out_trade_no,
    );
    expect(other).toMatchObject({ status: 'SUCCESS', refunded: 0 });
  });

  test('an unpaid combined order closes as a whole and cannot be paid afterwards', async () => {
    const order = combineOrder(m, [100, 200]);
    const { data } = await wx.v3.combineTransactions.jsapi.post({
      ...order,
      combine_payer_info: { openid: 'o-combine-buyer' },
    });
    expect(data.prepay_id).toMatch(/^wx/);
    const closed = await wx.v3.combineTransactions['out-trade-no']['{combine_out_trade_no}'].close.post(
      {
        combine_appid: m.appid,
        sub_orders: order.sub_orders.map((s) => ({
          mchid: m.mchid,
          sub_mchid: s.sub_mchid,
          out_trade_no: s.out_trade_no,
        })),
      },
      { combine_out_trade_no: order.combine_out_trade_no },
    );
    expect(closed.status).toBe(204);
    const q = await wx.v3.combineTransactions['out-trade-no']['{combine_out_trade_no}'].get({
      combine_out_trade_no: order.combine_out_trade_no,
    });
    expect(q.data.sub_orders.map((s: any) => s.trade_state)).toEqual(['CLOSED', 'CLOSED']);
    const late = await h.tool('POST', '/wallet/pay', { prepay_id: data.prepay_id });
    expect(late.body.error.code).toBe('trade_closed');
  });

  test('sub-orders need attach and description, and an unknown combined order is ORDER_NOT_EXIST', async () => {
    const order = combineOrder(m, [100, 200]);
    const { attach: _attach, ...withoutAttach } = order.sub_orders[0]!;
    const missing = await refusal(
      wx.v3.combineTransactions.native.post({ ...order, sub_orders: [withoutAttach, order.sub_orders[1]] }),
    );
    expect(missing).toEqual({ status: 400, code: 'PARAM_ERROR' });
    const unknown = await refusal(
      wx.v3.combineTransactions['out-trade-no']['{combine_out_trade_no}'].get({
        combine_out_trade_no: 'NOSUCHCOMBINE1',
      }),
    );
    expect(unknown).toEqual({ status: 404, code: 'ORDER_NOT_EXIST' });
  });
});
