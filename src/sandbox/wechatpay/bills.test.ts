// Daily bills from the sandbox's books, fetched and parsed with the official client (its CSV bill parser).
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Formatter } from 'wechatpay-axios-plugin';
import { clientFor, outNo, refusal, startHarness, type Harness, type Registered } from './testkit';

let h: Harness;
let m: Registered;
let wx: any;
let today: string;
const sub = () => m.sub_mchids[0] as string;
const trades: Record<string, { out_trade_no: string; transaction_id: string }> = {};
let refundNo: string;
let shareNo: string;

async function paid(total: number) {
  const out_trade_no = outNo('B');
  const { data } = await wx.v3.pay.partner.transactions.native.post({
    sp_appid: m.appid,
    sp_mchid: m.mchid,
    sub_mchid: sub(),
    description: 'tea, green',
    out_trade_no,
    notify_url: 'http://127.0.0.1:9/notify',
    amount: { total },
    settle_info: { profit_sharing: true },
    attach: 'a1',
  });
  const res = await h.tool('POST', '/wallet/pay', { code_url: data.code_url });
  return { out_trade_no, transaction_id: res.body.paid[0].transaction_id as string };
}

async function download(url: string): Promise<Buffer> {
  const token = new URL(url).searchParams.get('token');
  const res = await wx.v3.billdownload.file.get({ params: { token }, responseType: 'arraybuffer' });
  return Buffer.from(res.data);
}

beforeAll(async () => {
  h = await startHarness();
  m = await h.register({ sub_merchants: 1 });
  wx = clientFor(h, m);
  trades.a = await paid(1_000); // fee 6
  trades.b = await paid(2_345); // fee round-half-up(14.07) = 14
  refundNo = outNo('R');
  await wx.v3.ecommerce.refunds.apply.post({
    sub_mchid: sub(),
    sp_appid: m.appid,
    out_trade_no: trades.a.out_trade_no,
    out_refund_no: refundNo,
    amount: { refund: 500, total: 1_000, currency: 'CNY' },
  }); // gives back round-half-up(6 × 500 / 1000) = 3
  await h.tool('POST', '/clock', { advance_ms: 1_000 });
  shareNo = outNo('P');
  await wx.v3.ecommerce.profitsharing.orders.post({
    appid: m.appid,
    sub_mchid: sub(),
    transaction_id: trades.b.transaction_id,
    out_order_no: shareNo,
    finish: true,
    receivers: [{ type: 'MERCHANT_ID', receiver_account: m.mchid, amount: 100, description: 'commission' }],
  });
  today = (await h.tool('GET', '/clock')).body.now.slice(0, 10);
});

afterAll(async () => {
  await h.close();
});

describe('trade bill', () => {
  test("today's trade bill has one line per payment and per refund, with the fee as a column", async () => {
    const { data } = await wx.v3.bill.tradebill.get({
      params: { bill_date: today, sub_mchid: sub(), bill_type: 'ALL' },
    });
    expect(data.hash_type).toBe('SHA1');
    expect(data.download_url.startsWith(`${h.base}/v3/billdownload/file?token=`)).toBe(true);
    const file = await download(data.download_url);
    expect(createHash('sha1').update(file).digest('hex')).toBe(data.hash_value);
    expect(file.subarray(0, 3).toString('hex')).toBe('efbbbf');
    expect(file.toString('utf8').endsWith('\r\n')).toBe(true);

    const { rows, summary } = Formatter.castCsvBill(file) as {
      rows: Record<string, string>[];
      summary: Record<string, string>;
    };
    const payA = rows.find((r) => r['商户订单号'] === trades.a!.out_trade_no && r['交易状态'] === 'SUCCESS');
    const payB = rows.find((r) => r['商户订单号'] === trades.b!.out_trade_no);
    const refund = rows.find((r) => r['交易状态'] === 'REFUND');
    expect(payA).toMatchObject({
      特约商户号: sub(),
      应结订单金额: '10.00',
      手续费: '0.06',
      费率: '0.60%',
      商品名称: 'tea， green',
      交易类型: 'NATIVE',
    });
    expect(payB).toMatchObject({ 手续费: '0.14', 订单金额: '23.45', 微信订单号: trades.b!.transaction_id });
    expect(refund).toMatchObject({ 商户退款单号: refundNo, 退款金额: '5.00', 手续费: '-0.03', 退款状态: 'SUCCESS' });
    expect(summary).toMatchObject({
      总交易单数: '3',
      应结订单总金额: '33.45',
      退款总金额: '5.00',
      手续费总金额: '0.17',
    });
  });

  test('a gzip bill unpacks to the same bill; a future day has no bill', async () => {
    const { data } = await wx.v3.bill.tradebill.get({
      params: { bill_date: today, sub_mchid: sub(), tar_type: 'GZIP' },
    });
    const file = gunzipSync(await download(data.download_url));
    expect(createHash('sha1').update(file).digest('hex')).toBe(data.hash_value);
    expect(await refusal(wx.v3.bill.tradebill.get({ params: { bill_date: '2999-01-01' } }))).toEqual({
      status: 400,
      code: 'NO_STATEMENT_EXIST',
    });
  });

  test('the download needs no signature, only the token', async () => {
    const { data } = await wx.v3.bill.tradebill.get({ params: { bill_date: today, bill_type: 'REFUND' } });
    const res = await fetch(data.download_url);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain(refundNo);
    expect(text).not.toContain(`\`${trades.b!.out_trade_no}`);
  });
});

describe('profit-sharing bill', () => {
  test('has one line per share receiver and per unfreeze', async () => {
    const { data } = await wx.v3.profitsharing.bills.get({ params: { bill_date: today, sub_mchid: sub() } });
    const { rows, summary } = Formatter.castCsvBill(await download(data.download_url)) as {
      rows: Record<string, string>[];
      summary: Record<string, string>;
    };
    expect(rows.map((r) => [r['商户分账/回退单号'], r['业务类型'], r['分账金额(元)'], r['分账接收方']])).toEqual([
      [shareNo, '分账', '1.00', m.mchid],
      [shareNo, '解冻给分账方', '22.31', sub()],
    ]);
    expect(summary).toMatchObject({ 总条数: '2', '分账总金额(元)': '1.00', '解冻总金额(元)': '22.31' });
  });
});
