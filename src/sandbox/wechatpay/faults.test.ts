// Notification delivery (retries on WeChat Pay's schedule, time-scaled) and the deterministic fault knobs.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  clientFor,
  notesMatching,
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
  h = await startHarness({ notifyTimeScale: 0.0001 });
  receiver = await startReceiver();
  m = await h.register({ sub_merchants: 1 });
  wx = clientFor(h, m);
});

afterEach(async () => {
  receiver.answer = 204;
  receiver.script = [];
  await h.tool('PUT', '/faults', {
    notifyDrop: 0,
    notifyDuplicate: 0,
    notifyReorder: 0,
    callError5xx: 0,
    callTimeoutMs: 0,
    notifyDelayMs: 0,
  });
});

afterAll(async () => {
  await receiver.close();
  await h.close();
});

async function placed(total = 100) {
  const out_trade_no = outNo('N');
  const { data } = await wx.v3.pay.partner.transactions.native.post({
    sp_appid: m.appid,
    sp_mchid: m.mchid,
    sub_mchid: m.sub_mchids[0],
    description: 'notify',
    out_trade_no,
    notify_url: receiver.url,
    amount: { total },
    settle_info: { profit_sharing: true },
  });
  return { out_trade_no, code_url: data.code_url as string };
}

async function paid(total = 100) {
  const order = await placed(total);
  await h.tool('POST', '/wallet/pay', { code_url: order.code_url });
  return order.out_trade_no;
}

/** The sandbox records a delivery after the merchant's answer: wait (bounded) until it has. */
async function settledEntry(id: string): Promise<any> {
  for (let i = 0; i < 500; i++) {
    const list = (await h.tool('GET', `/books/notifications?sp_mchid=${m.mchid}`)).body.data;
    const entry = list.find((n: any) => n.id === id);
    if (entry && entry.status !== 'pending') return entry;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`notification ${id} never settled`);
}

const ofOrder = (outTradeNo: string) => (r: any) => r.out_trade_no === outTradeNo;

describe('notification delivery', () => {
  test('an answer other than 2xx is retried on the (scaled) schedule until the merchant acknowledges', async () => {
    receiver.script = [500, 503, 404];
    const out = await paid();
    const all = await waitForNotes(receiver, m, ofOrder(out), 4);
    expect(new Set(all.map((n) => n.json.id)).size).toBe(1); // every retry carries the same event id
    const entry = await settledEntry(all[0]!.json.id);
    expect(entry).toMatchObject({ status: 'delivered', attempts: 4, last_http_status: 204 });
  });
});

describe('fault knobs', () => {
  test('notifyDrop: a dropped notification never arrives, and is listed as dropped', async () => {
    await h.tool('PUT', '/faults', { notifyDrop: true });
    const lost = await paid();
    await h.tool('PUT', '/faults', { notifyDrop: false });
    const next = await paid();
    await waitForNotes(receiver, m, ofOrder(next));
    expect(notesMatching(receiver, m, ofOrder(lost))).toEqual([]);
    const list = (await h.tool('GET', `/books/notifications?sp_mchid=${m.mchid}&limit=2`)).body.data;
    expect(list[1].status).toBe('dropped');
    expect(list[1].attempts).toBe(0);
  });

  test('notifyDuplicate: the same notification (same id) arrives twice', async () => {
    await h.tool('PUT', '/faults', { notifyDuplicate: true });
    const out = await paid();
    const twice = await waitForNotes(receiver, m, ofOrder(out), 2);
    expect(twice[0]!.json.id).toBe(twice[1]!.json.id);
  });

  test('notifyReorder: a held notification arrives after the next one', async () => {
    await h.tool('PUT', '/faults', { notifyReorder: true });
    const first = await paid();
    await h.tool('PUT', '/faults', { notifyReorder: false });
    const second = await paid();
    await waitForNotes(receiver, m, ofOrder(first));
    const order = (
      await waitForNotes(receiver, m, (r) => r.out_trade_no === first || r.out_trade_no === second, 2)
    ).map((n) => n.resource.out_trade_no);
    expect(order).toEqual([second, first]);
  });

  test('callError5xx: selected calls answer 500 SYSTEM_ERROR without any effect; a rate of 0.5 hits every second call', async () => {
    await h.tool('PUT', '/faults', { callError5xx: 0.5 });
    const order = {
      sp_appid: m.appid,
      sp_mchid: m.mchid,
      sub_mchid: m.sub_mchids[0],
      description: 'x',
      out_trade_no: outNo('X'),
      notify_url: receiver.url,
      amount: { total: 1 },
    };
    const query = () =>
      wx.v3.pay.partner.transactions['out-trade-no']['{out_trade_no}'].get({
        out_trade_no: order.out_trade_no,
        params: { sp_mchid: m.mchid, sub_mchid: m.sub_mchids[0] },
      });
    expect(await refusal(query())).toEqual({ status: 404, code: 'ORDER_NOT_EXIST' }); // 1st call passes
    expect(await refusal(wx.v3.pay.partner.transactions.native.post(order))).toEqual({
      status: 500,
      code: 'SYSTEM_ERROR',
    }); // 2nd fails
    expect(await refusal(query())).toEqual({ status: 404, code: 'ORDER_NOT_EXIST' }); // the failed call changed nothing
  });

  test('callTimeoutMs: the call takes effect but its answer comes too late for a short client timeout', async () => {
    await h.tool('PUT', '/faults', { callTimeoutMs: 400 });
    const order = {
      sp_appid: m.appid,
      sp_mchid: m.mchid,
      sub_mchid: m.sub_mchids[0],
      description: 'x',
      out_trade_no: outNo('Y'),
      notify_url: receiver.url,
      amount: { total: 1 },
    };
    const err = await wx.v3.pay.partner.transactions.native.post(order, { timeout: 100 }).catch((e: any) => e);
    expect(err.code).toBe('ECONNABORTED');
    await h.tool('PUT', '/faults', { callTimeoutMs: 0 });
    const q = await wx.v3.pay.partner.transactions['out-trade-no']['{out_trade_no}'].get({
      out_trade_no: order.out_trade_no,
      params: { sp_mchid: m.mchid, sub_mchid: m.sub_mchids[0] },
    });
    expect(q.data.trade_state).toBe('NOTPAY');
  });

  test('refundResult: a CLOSED refund gives the money back and an ABNORMAL one keeps it out, each notified as such', async () => {
    const out = await paid(1_000);
    const sub = m.sub_mchids[0] as string;
    const tradeOf = async () =>
      (await h.tool('GET', `/books/sub-merchants/${sub}`)).body.trades.find((t: any) => t.out_trade_no === out);
    const apply = (no: string) =>
      wx.v3.ecommerce.refunds.apply.post({
        sub_mchid: sub,
        sp_appid: m.appid,
        out_trade_no: out,
        out_refund_no: no,
        notify_url: receiver.url,
        amount: { refund: 300, total: 1_000, currency: 'CNY' },
      });
    await h.tool('PUT', '/faults', { refundResult: 'CLOSED' });
    await apply('RF-CLOSED');
    expect(await tradeOf()).toMatchObject({ refunded: 0, unsplit: 994 });
    await h.tool('PUT', '/faults', { refundResult: 'ABNORMAL' });
    await apply('RF-ABNORMAL');
    expect(await tradeOf()).toMatchObject({ refunded: 300, unsplit: 994 - 300 + 2 });
    const notes = await waitForNotes(receiver, m, (r) => r.out_trade_no === out && 'refund_id' in r, 2);
    expect(notes.map((n) => [n.json.event_type, n.resource.refund_status]).sort()).toEqual([
      ['REFUND.ABNORMAL', 'ABNORMAL'],
      ['REFUND.CLOSED', 'CLOSED'],
    ]);
    await h.tool('PUT', '/faults', { refundResult: 'SUCCESS' });
  });

  test('an unknown or malformed knob is refused with 422', async () => {
    expect((await h.tool('PUT', '/faults', { notifyExplode: true })).status).toBe(422);
    expect((await h.tool('PUT', '/faults', { notifyDrop: 2 })).status).toBe(422);
  });
});
