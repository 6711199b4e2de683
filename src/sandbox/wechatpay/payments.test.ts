// Payments through the sandbox, driven by the official client library (wechatpay-axios-plugin, unmodified):
// it signs every request the sandbox accepts and verifies every response the sandbox signs.
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

function partnerOrder(m: Registered, sub: string, total: number, extra: Record<string, unknown> = {}) {
  return {
    sp_appid: m.appid,
    sp_mchid: m.mchid,
    sub_mchid: sub,
    description: 'Hutong sandbox order',
    out_trade_no: outNo('T'),
    notify_url: receiver.url,
    amount: { total, currency: 'CNY' },
    settle_info: { profit_sharing: true },
    ...extra,
  };
}

describe.each(['ecommerce_platform', 'service_provider'] as const)('partner payments for a %s', (type) => {
  let m: Registered;
  let wx: any;

  beforeAll(async () => {
    m = await h.register({ type, sub_merchants: 2 });
    wx = clientFor(h, m);
  });

  test('a Native order paid through the wallet is notified, signed and encrypted like the real one', async () => {
    const sub = m.sub_mchids[0] as string;
    const order = partnerOrder(m, sub, 1234, { attach: 'cart-1' });
    const { data, headers } = await wx.v3.pay.partner.transactions.native.post(order);
    expect(data.code_url).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=/);
    expect(headers['wechatpay-serial']).toBe(m.wechatpay_public_key_id);

    const before = await wx.v3.pay.partner.transactions['out-trade-no']['{out_trade_no}'].get({
      out_trade_no: order.out_trade_no,
      params: { sp_mchid: m.mchid, sub_mchid: sub },
    });
    expect(before.data.trade_state).toBe('NOTPAY');
    expect(before.data.transaction_id).toBeUndefined();

    const paid = await h.tool('POST', '/wallet/pay', { code_url: data.code_url });
    expect(paid.status).toBe(200);
    expect(paid.body.paid).toHaveLength(1);

    const [note] = await waitForNotes(receiver, m, (r) => r.out_trade_no === order.out_trade_no);
    const opened = note!;
    expect(opened.verified).toBe(true);
    expect(note!.json).toMatchObject({
      event_type: 'TRANSACTION.SUCCESS',
      resource_type: 'encrypt-resource',
      summary: '支付成功',
    });
    expect(note!.json.resource).toMatchObject({
      algorithm: 'AEAD_AES_256_GCM',
      original_type: 'transaction',
      associated_data: 'transaction',
    });
    expect(opened.resource).toMatchObject({
      sp_mchid: m.mchid,
      sub_mchid: sub,
      out_trade_no: order.out_trade_no,
      trade_state: 'SUCCESS',
      trade_type: 'NATIVE',
      attach: 'cart-1',
      amount: { total: 1234, payer_total: 1234, currency: 'CNY' },
    });

    const after = await wx.v3.pay.partner.transactions['out-trade-no']['{out_trade_no}'].get({
      out_trade_no: order.out_trade_no,
      params: { sp_mchid: m.mchid, sub_mchid: sub },
    });
    expect(after.data).toMatchObject({ trade_state: 'SUCCESS', transaction_id: opened.resource.transaction_id });
    const byId = await wx.v3.pay.partner.transactions.id['{transaction_id}'].get({
      transaction_id: opened.resource.transaction_id,
      params: { sp_mchid: m.mchid, sub_mchid: sub },
    });
    expect(byId.data).toEqual(after.data);
  });

  test('a JSAPI order is paid with its prepay_id and the bridge parameters signed by the merchant', async () => {
    const sub = m.sub_mchids[0] as string;
    const order = partnerOrder(m, sub, 500, { payer: { sp_openid: 'o-buyer-openid-1' } });
    const { data } = await wx.v3.pay.partner.transactions.jsapi.post(order);
    expect(data.prepay_id).toMatch(/^wx/);
    const { Rsa, Formatter } = await import('wechatpay-axios-plugin');
    const params = {
      appId: m.appid,
      timeStamp: `${Formatter.timestamp()}`,
      nonceStr: Formatter.nonce(),
      package: `prepay_id=${data.prepay_id}`,
      signType: 'RSA',
    };
    const paySign = Rsa.sign(
      Formatter.joinedByLineFeed(params.appId, params.timeStamp, params.nonceStr, params.package),
      Rsa.from(m.merchant_private_key, Rsa.KEY_TYPE_PRIVATE),
    );
    const forgedSign = `${paySign.startsWith('A') ? 'B' : 'A'}${paySign.slice(1)}`;
    const forged = await h.tool('POST', '/wallet/pay', {
      prepay_id: data.prepay_id,
      jsapi_params: { ...params, paySign: forgedSign },
    });
    expect(forged.body.error.code).toBe('invalid_pay_sign');
    const paid = await h.tool('POST', '/wallet/pay', {
      prepay_id: data.prepay_id,
      jsapi_params: { ...params, paySign },
    });
    expect(paid.status).toBe(200);
    const q = await wx.v3.pay.partner.transactions['out-trade-no']['{out_trade_no}'].get({
      out_trade_no: order.out_trade_no,
      params: { sp_mchid: m.mchid, sub_mchid: sub },
    });
    expect(q.data).toMatchObject({
      trade_state: 'SUCCESS',
      trade_type: 'JSAPI',
      payer: { sp_openid: 'o-buyer-openid-1' },
    });
  });

  test('an H5 order is paid through its h5_url, which carries the sandbox base of the request', async () => {
    const sub = m.sub_mchids[1] as string;
    const order = partnerOrder(m, sub, 99, { scene_info: { payer_client_ip: '127.0.0.1', h5_info: { type: 'Wap' } } });
    const { data } = await wx.v3.pay.partner.transactions.h5.post(order);
    expect(data.h5_url.startsWith(`${h.base}/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=`)).toBe(true);
    const page = await fetch(`${data.h5_url}&lang=en`);
    expect(await page.text()).toContain('0.99');
    const paid = await h.tool('POST', '/wallet/pay', { url: data.h5_url });
    expect(paid.body.paid[0]).toMatchObject({ sub_mchid: sub, amount: 99 });
    const q = await wx.v3.pay.partner.transactions['out-trade-no']['{out_trade_no}'].get({
      out_trade_no: order.out_trade_no,
      params: { sp_mchid: m.mchid, sub_mchid: sub },
    });
    expect(q.data.trade_type).toBe('MWEB');
  });

  test('close: an unpaid order closes with a signed 204, a paid one answers ORDERPAID, an unknown one ORDER_NOT_EXIST', async () => {
    const sub = m.sub_mchids[0] as string;
    const open = partnerOrder(m, sub, 300);
    await wx.v3.pay.partner.transactions.native.post(open);
    const closed = await wx.v3.pay.partner.transactions['out-trade-no']['{out_trade_no}'].close.post(
      { sp_mchid: m.mchid, sub_mchid: sub },
      { out_trade_no: open.out_trade_no },
    );
    expect(closed.status).toBe(204); // the client verified the signature over the empty body
    const reopened = await refusal(wx.v3.pay.partner.transactions.native.post(open));
    expect(reopened).toEqual({ status: 400, code: 'ORDER_CLOSED' });

    const paidOrder = partnerOrder(m, sub, 301);
    const { data } = await wx.v3.pay.partner.transactions.native.post(paidOrder);
    await h.tool('POST', '/wallet/pay', { code_url: data.code_url });
    const paidClose = await refusal(
      wx.v3.pay.partner.transactions['out-trade-no']['{out_trade_no}'].close.post(
        { sp_mchid: m.mchid, sub_mchid: sub },
        { out_trade_no: paidOrder.out_trade_no },
      ),
    );
    expect(paidClose).toEqual({ status: 403, code: 'ORDERPAID' });
    const unknown = await refusal(
      wx.v3.pay.partner.transactions['out-trade-no']['{out_trade_no}'].get({
        out_trade_no: 'NOSUCHORDER1',
        params: { sp_mchid: m.mchid, sub_mchid: sub },
      }),
    );
    expect(unknown).toEqual({ status: 404, code: 'ORDER_NOT_EXIST' });
  });

  test('an out_trade_no placed again with another amount is refused; with the same amount it is the same order', async () => {
    const sub = m.sub_mchids[0] as string;
    const order = partnerOrder(m, sub, 700);
    const first = await wx.v3.pay.partner.transactions.native.post(order);
    const again = await wx.v3.pay.partner.transactions.native.post(order);
    expect(again.data.code_url).toBe(first.data.code_url);
    const other = await refusal(
      wx.v3.pay.partner.transactions.native.post({ ...order, amount: { total: 701, currency: 'CNY' } }),
    );
    expect(other).toEqual({ status: 403, code: 'OUT_TRADE_NO_USED' });
  });

  test('an unpaid order closes at its time_expire by the sandbox clock and can no longer be paid', async () => {
    const sub = m.sub_mchids[1] as string;
    const expire = new Date(Date.now() + (await h.tool('GET', '/clock')).body.offset_ms + 60_000)
      .toISOString()
      .replace('Z', '+00:00');
    const order = partnerOrder(m, sub, 800, { time_expire: expire });
    const { data } = await wx.v3.pay.partner.transactions.native.post(order);
    await h.tool('POST', '/clock', { advance_ms: 61_000 });
    const q = await wx.v3.pay.partner.transactions['out-trade-no']['{out_trade_no}'].get({
      out_trade_no: order.out_trade_no,
      params: { sp_mchid: m.mchid, sub_mchid: sub },
    });
    expect(q.data.trade_state).toBe('CLOSED');
    const late = await h.tool('POST', '/wallet/pay', { code_url: data.code_url });
    expect(late).toMatchObject({ status: 409, body: { error: { code: 'trade_closed' } } });
  });

  test('a failed payment leaves the order PAYERROR without a notification, and the buyer can pay again', async () => {
    const sub = m.sub_mchids[1] as string;
    const order = partnerOrder(m, sub, 450);
    const { data } = await wx.v3.pay.partner.transactions.native.post(order);
    const failed = await h.tool('POST', '/wallet/pay', { code_url: data.code_url, fail: true });
    expect(failed.body).toMatchObject({ trade_state: 'PAYERROR', paid: [] });
    const q = await wx.v3.pay.partner.transactions['out-trade-no']['{out_trade_no}'].get({
      out_trade_no: order.out_trade_no,
      params: { sp_mchid: m.mchid, sub_mchid: sub },
    });
    expect(q.data.trade_state).toBe('PAYERROR');
    const again = await h.tool('POST', '/wallet/pay', { code_url: data.code_url });
    expect(again.body.trade_state).toBe('SUCCESS');
  });
});

describe('the wallet', () => {
  test('shows the merchants and the amount of a code_url in Chinese, and refuses what it cannot pay', async () => {
    const m = await h.register({ sub_merchants: 1 });
    const wx = clientFor(h, m);
    const { data } = await wx.v3.pay.partner.transactions.native.post(
      partnerOrder(m, m.sub_mchids[0] as string, 12_345),
    );
    const page = await fetch(`${h.base}/wallet?code_url=${encodeURIComponent(data.code_url)}`, {
      headers: { 'accept-language': 'zh-CN' },
    });
    const html = await page.text();
    expect(html).toContain('立即支付');
    expect(html).toContain('¥123.45');
    expect(html).toContain('Sandbox sub-merchant 1');
    expect((await h.tool('POST', '/wallet/pay', {})).body.error.code).toBe('invalid_request');
    expect(
      (await h.tool('POST', '/wallet/pay', { code_url: 'weixin://wxpay/bizpayurl?pr=nothing' })).body.error.code,
    ).toBe('unknown_payable');
    await h.tool('POST', '/wallet/pay', { code_url: data.code_url });
    expect((await h.tool('POST', '/wallet/pay', { code_url: data.code_url })).body.error.code).toBe(
      'trade_already_paid',
    );
  });
});
