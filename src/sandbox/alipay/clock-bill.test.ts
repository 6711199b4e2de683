// The sandbox clock drives bills (Beijing days), unpaid-trade timeouts and settle_period_time; the trade
// bill is a zip of GBK CSV files in Alipay's format, served for today too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unzipSync } from 'fflate';
import iconv from 'iconv-lite';
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
const DAY_MS = 86_400_000;

beforeAll(async () => {
  h = await startSandbox();
  sink = await new NotifySink().start();
  client = await registerClient(h, { sub_merchants: 2, fee_rate_bp: 60 });
  // Start at 10:00 Beijing time, so no step of a test straddles midnight by accident.
  const now = (await h.adminGet(`/clock`)).now as number;
  const sinceTenBeijing = (now + 8 * 3600_000 - 10 * 3600_000) % DAY_MS;
  await advance(DAY_MS - sinceTenBeijing);
});
afterAll(async () => {
  await sink.close();
  await h.close();
});

const exec = (method: string, biz: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  client.sdk.exec(method, { ...extra, bizContent: biz }, opts);
const advance = (ms: number) => h.adminJson(`/clock`, { advance_ms: ms });
const today = async (): Promise<string> => (await h.adminGet(`/clock`)).now_beijing.slice(0, 10);

async function pay(
  smid: string,
  outTradeNo: string,
  amount: string,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const pre = await exec('alipay.trade.precreate', tradeBiz(smid, outTradeNo, amount, extra), { notifyUrl: sink.url });
  expect((await postJson(`${h.base}/wallet/pay`, { code_url: pre.qrCode })).status).toBe(200);
}

interface Bill {
  files: string[];
  rows: string[][];
  lines: string[];
  summary: string[];
}

async function downloadBill(biz: Record<string, unknown>): Promise<Bill> {
  const answer = await exec('alipay.data.dataservice.bill.downloadurl.query', biz);
  expect(answer.code).toBe('10000');
  const zip = unzipSync(new Uint8Array(await (await fetch(answer.billDownloadUrl)).arrayBuffer()));
  const files = Object.keys(zip).sort();
  const detailName = files.find((f) => f.endsWith('_业务明细.csv'))!;
  const summaryName = files.find((f) => f.endsWith('_业务明细(汇总).csv'))!;
  const lines = iconv.decode(Buffer.from(zip[detailName]!), 'gbk').split('\r\n');
  const rows = lines.filter((l) => l && !l.startsWith('#')).map((l) => l.split(',').map((c) => c.trim()));
  return { files, rows, lines, summary: iconv.decode(Buffer.from(zip[summaryName]!), 'gbk').split('\r\n') };
}

describe('trade bill', () => {
  it("lists today's payments and refunds with their fees, in GBK CSV inside a zip", async () => {
    const [a, b] = client.smids as [string, string];
    await pay(a, 'B_1', '100.00');
    await pay(b, 'B_2', '12.34');
    await exec('alipay.trade.refund', { out_trade_no: 'B_1', refund_amount: '40.00', out_request_no: 'B_1_r' });
    const day = await today();
    const bill = await downloadBill({ bill_type: 'trade', bill_date: day });
    expect(bill.files).toEqual([
      `${client.sellerId}_${day.replaceAll('-', '')}_业务明细(汇总).csv`,
      `${client.sellerId}_${day.replaceAll('-', '')}_业务明细.csv`,
    ]);
    expect(bill.lines[0]).toBe('#支付宝业务明细查询');
    expect(bill.lines[1]).toBe(`#账号：[${client.sellerId}]`);
    const [header, ...rows] = bill.rows as [string[], ...string[][]];
    expect(header.slice(0, 3)).toEqual(['支付宝交易号', '商户订单号', '业务类型']);
    const col = (name: string) => header.indexOf(name);
    const pick = (r: string[]) => [
      r[col('商户订单号')],
      r[col('业务类型')],
      r[col('订单金额（元）')],
      r[col('商家实收（元）')],
      r[col('服务费（元）')],
      r[col('退款批次号/请求号')],
    ];
    expect(rows.map(pick)).toEqual([
      ['B_1', '交易', '100.00', '100.00', '-0.60', ''],
      ['B_2', '交易', '12.34', '12.34', '-0.07', ''],
      ['B_1', '退款', '100.00', '-40.00', '0.24', 'B_1_r'],
    ]);
    expect(bill.lines).toContain('#交易合计：2笔，退款合计：1笔');
    expect(bill.summary.find((l) => l.startsWith('合计'))).toBe(
      '合计,,2,1,112.34,72.34,0.00,0.00,0.00,-0.43,0.00,71.91',
    );

    const own = await downloadBill({ bill_type: 'trade_zft_merchant', bill_date: day, smid: b });
    expect(own.rows.slice(1).map((r) => r[1])).toEqual(['B_2']);
    expect(own.lines[1]).toBe(`#账号：[${b}]`);
  });

  it('dates a payment by the Beijing day it was paid, and has no bill for a future day', async () => {
    await pay(client.smids[0]!, 'B_3', '1.00');
    const paidDay = await today();
    await advance(DAY_MS);
    const nextDay = await today();
    expect(nextDay).not.toBe(paidDay);
    expect((await downloadBill({ bill_type: 'trade', bill_date: paidDay })).rows.map((r) => r[1])).toContain('B_3');
    expect((await downloadBill({ bill_type: 'trade', bill_date: nextDay })).rows.map((r) => r[1])).not.toContain('B_3');
    const future = await exec('alipay.data.dataservice.bill.downloadurl.query', {
      bill_type: 'trade',
      bill_date: '2999-01-01',
    });
    expect(future.subCode).toBe('isp.bill_not_exist');
    const malformed = await exec('alipay.data.dataservice.bill.downloadurl.query', {
      bill_type: 'trade',
      bill_date: '01/02/2026',
    });
    expect(malformed.subCode).toBe('isv.invalid-parameter');
  });
});

describe('timeouts on the sandbox clock', () => {
  it('closes a scanned, unpaid trade at timeout_express and notifies TRADE_CLOSED', async () => {
    const pre = await exec(
      'alipay.trade.precreate',
      tradeBiz(client.smids[0]!, 'TO_1', '9.00', { timeout_express: '15m' }),
      { notifyUrl: sink.url },
    );
    await fetch(pre.qrCode); // the buyer scans and walks away
    expect((await exec('alipay.trade.query', { out_trade_no: 'TO_1' })).tradeStatus).toBe('WAIT_BUYER_PAY');
    await advance(14 * 60_000);
    expect((await exec('alipay.trade.query', { out_trade_no: 'TO_1' })).tradeStatus).toBe('WAIT_BUYER_PAY');
    await advance(2 * 60_000);
    expect((await exec('alipay.trade.query', { out_trade_no: 'TO_1' })).tradeStatus).toBe('TRADE_CLOSED');
    expect((await postJson(`${h.base}/wallet/pay`, { code_url: pre.qrCode })).body.error.code).toBe('trade_closed');
    await sink.waitFor(() => sink.of('TO_1').some((n) => n.trade_status === 'TRADE_CLOSED'));
    expect(client.sdk.checkNotifySignV2(sink.of('TO_1')[0]!)).toBe(true);
  });

  it('lets an unscanned QR expire silently at time_expire', async () => {
    const now = (await h.adminGet(`/clock`)).now as number;
    const expire = new Date(now + 8 * 3600_000 + 10 * 60_000).toISOString().slice(0, 19).replace('T', ' ');
    const pre = await exec(
      'alipay.trade.precreate',
      tradeBiz(client.smids[0]!, 'TO_2', '9.00', { time_expire: expire }),
    );
    await advance(11 * 60_000);
    expect((await postJson(`${h.base}/wallet/pay`, { code_url: pre.qrCode })).body.error.code).toBe('trade_closed');
    expect((await exec('alipay.trade.query', { out_trade_no: 'TO_2' })).subCode).toBe('ACQ.TRADE_NOT_EXIST');
  });

  it('settles automatically when settle_period_time runs out', async () => {
    const smid = client.smids[1]!;
    const before = await h.adminGet(`/books/sub-merchants/${smid}`);
    await pay(smid, 'AS_1', '7.00', {
      settle_info: {
        settle_detail_infos: [{ trans_in_type: 'defaultSettle', amount: '7.00' }],
        settle_period_time: '2d',
      },
    });
    await advance(DAY_MS);
    expect((await h.adminGet(`/books/sub-merchants/${smid}`)).available).toBe(before.available);
    await advance(DAY_MS);
    const after = await h.adminGet(`/books/sub-merchants/${smid}`);
    expect(after.available).toBe(before.available + 700);
    expect(after.trades.find((t: any) => t.out_trade_no === 'AS_1')).toMatchObject({
      unsettled: 0,
      released: 700,
      settlements: [expect.objectContaining({ out_request_no: 'AUTO_SETTLE' })],
    });
  });

  it('only moves forward', async () => {
    expect((await h.adminJson(`/clock`, { advance_ms: -1 })).body.error.code).toBe('invalid_advance_ms');
  });
});
