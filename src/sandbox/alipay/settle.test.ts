// 直付通 escrow released: settle.confirm (royalty_freeze) → order.settle with royalty_parameters and
// royalty_finish, the books moving from frozen to available and commission; refunds returning commission
// with refund_royalty_parameters.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  getJson,
  postJson,
  registerClient,
  startSandbox,
  tradeBiz,
  type Harness,
  type RegisteredClient,
} from './testkit';

let h: Harness;
let client: RegisteredClient;
let smid: string;
const opts = { validateSign: true };
const SETTLE_DELAY_MS = 60_000;

beforeAll(async () => {
  h = await startSandbox({ settleDelayMs: SETTLE_DELAY_MS });
  client = await registerClient(h, { sub_merchants: 1 });
  smid = client.smids[0]!;
  const bound = await client.sdk.exec(
    'alipay.trade.royalty.relation.bind',
    {
      bizContent: {
        out_request_no: 'BIND_1',
        receiver_list: [{ type: 'userId', account: client.sellerId, name: 'Platform' }],
      },
    },
    opts,
  );
  expect(bound).toMatchObject({ code: '10000', resultCode: 'SUCCESS' });
});
afterAll(async () => h.close());

async function paidTradeNo(outTradeNo: string, amount: string): Promise<string> {
  const pre = await client.sdk.exec('alipay.trade.precreate', { bizContent: tradeBiz(smid, outTradeNo, amount) }, opts);
  return (await postJson(`${h.base}/wallet/pay`, { code_url: pre.qrCode })).body.trades[0].trade_no;
}

const advance = (ms: number) => h.adminJson(`/clock`, { advance_ms: ms });
const exec = (method: string, biz: Record<string, unknown>) => client.sdk.exec(method, { bizContent: biz }, opts);
const confirm = (tradeNo: string, outRequestNo: string, amount: string) =>
  exec('alipay.trade.settle.confirm', {
    out_request_no: outRequestNo,
    trade_no: tradeNo,
    extend_params: { royalty_freeze: 'true' },
    settle_info: { settle_detail_infos: [{ trans_in_type: 'defaultSettle', amount }] },
  });
const share = (tradeNo: string, outRequestNo: string, amount: string | null, finish: boolean) =>
  exec('alipay.trade.order.settle', {
    out_request_no: outRequestNo,
    trade_no: tradeNo,
    ...(amount
      ? {
          royalty_parameters: [
            { royalty_type: 'transfer', trans_in_type: 'userId', trans_in: client.sellerId, amount },
          ],
        }
      : {}),
    ...(finish ? { extend_params: { royalty_finish: 'true' } } : {}),
  });
const books = () => h.adminGet(`/books/sub-merchants/${smid}`);
const tradeIn = async (outTradeNo: string) => (await books()).trades.find((t: any) => t.out_trade_no === outTradeNo);
const platformBalance = async () =>
  (await h.adminGet(`/books/apps/${client.appId}`)).receivers.find((r: any) => r.account === client.sellerId).balance;

describe('settlement and royalty', () => {
  it('refuses to settle while the payment is clearing, then settles, shares commission and releases the rest', async () => {
    const tradeNo = await paidTradeNo('ST_1', '100.00');
    expect((await confirm(tradeNo, 'ST_1_c', '100.00')).subCode).toBe('ACQ.ILLEGAL_SETTLE_STATE');
    await advance(SETTLE_DELAY_MS);
    expect(await exec('alipay.trade.order.onsettle.query', { trade_no: tradeNo })).toMatchObject({
      unsettledAmount: '100.00',
    });

    expect(await confirm(tradeNo, 'ST_1_c', '100.00')).toMatchObject({
      code: '10000',
      settleAmount: '100.00',
      tradeNo,
    });
    expect(await confirm(tradeNo, 'ST_1_c', '100.00')).toMatchObject({ code: '10000', settleAmount: '100.00' });
    expect(await tradeIn('ST_1')).toMatchObject({ unsettled: 0, royalty_frozen: 10000, frozen: 10000 });

    const before = await books();
    const settled = await share(tradeNo, 'ST_1_s', '10.00', true);
    expect(settled.code).toBe('10000');
    expect(settled.settleNo).toBeTruthy();
    const after = await books();
    expect(after.frozen).toBe(before.frozen - 10000);
    expect(after.available).toBe(before.available + 9000);
    expect(await tradeIn('ST_1')).toMatchObject({
      shared: 1000,
      released: 9000,
      royalty_frozen: 0,
      royalty_finished: true,
    });
    expect(await platformBalance()).toBe(1000);
    expect(await exec('alipay.trade.order.onsettle.query', { trade_no: tradeNo })).toMatchObject({
      unsettledAmount: '0.00',
    });
    expect((await share(tradeNo, 'ST_1_s', '10.00', true)).settleNo).toBe(settled.settleNo);
    expect((await share(tradeNo, 'ST_1_s', '9.00', true)).subCode).toBe('ACQ.DISCORDANT_REPEAT_REQUEST');
  });

  it('settles only what is left after refunds, and refuses shares beyond the cap, unbound receivers and unsettled money', async () => {
    const tradeNo = await paidTradeNo('ST_2', '50.00');
    await advance(SETTLE_DELAY_MS);
    expect((await share(tradeNo, 'ST_2_early', '1.00', false)).subCode).toBe('ACQ.ILLEGAL_SETTLE_STATE');
    await exec('alipay.trade.refund', { out_trade_no: 'ST_2', refund_amount: '10.00', out_request_no: 'ST_2_r' });
    expect((await confirm(tradeNo, 'ST_2_c', '50.00')).subCode).toBe('ACQ.INVALID_PARAMETER');
    expect((await confirm(tradeNo, 'ST_2_c', '40.00')).settleAmount).toBe('40.00');
    expect((await share(tradeNo, 'ST_2_cap', '15.01', false)).subCode).toBe('ACQ.ALLOC_AMOUNT_VALIDATE_ERROR');
    const stranger = await exec('alipay.trade.order.settle', {
      out_request_no: 'ST_2_x',
      trade_no: tradeNo,
      royalty_parameters: [{ trans_in_type: 'userId', trans_in: '2088999999999999', amount: '1.00' }],
    });
    expect(stranger.subCode).toBe('ACQ.ROYALTY_RECEIVER_INVALID');
    expect((await share(tradeNo, 'ST_2_s1', '2.00', false)).code).toBe('10000');
    expect((await share(tradeNo, 'ST_2_s2', '3.00', true)).code).toBe('10000');
    expect(await tradeIn('ST_2')).toMatchObject({ refunded: 1000, shared: 500, released: 3500, frozen: 0 });
  });

  it('refuses a refund the merchant cannot cover, and makes it with the commission returned by refund_royalty_parameters', async () => {
    // A fresh merchant, so its available balance is exactly what this trade released.
    const own = await registerClient(h, { sub_merchants: 1 });
    await own.sdk.exec(
      'alipay.trade.royalty.relation.bind',
      {
        bizContent: { out_request_no: 'B', receiver_list: [{ type: 'userId', account: own.sellerId }] },
      },
      opts,
    );
    const ownExec = (method: string, biz: Record<string, unknown>) => own.sdk.exec(method, { bizContent: biz }, opts);
    const pre = await ownExec('alipay.trade.precreate', tradeBiz(own.smids[0]!, 'ST_3', '100.00'));
    const tradeNo = (await postJson(`${h.base}/wallet/pay`, { code_url: pre.qrCode })).body.trades[0].trade_no;
    await advance(SETTLE_DELAY_MS);
    await ownExec('alipay.trade.settle.confirm', {
      out_request_no: 'c',
      trade_no: tradeNo,
      extend_params: { royalty_freeze: 'true' },
      settle_info: { settle_detail_infos: [{ trans_in_type: 'defaultSettle', amount: '100.00' }] },
    });
    await ownExec('alipay.trade.order.settle', {
      out_request_no: 's',
      trade_no: tradeNo,
      extend_params: { royalty_finish: 'true' },
      royalty_parameters: [{ trans_in_type: 'userId', trans_in: own.sellerId, amount: '30.00' }],
    });
    const ownBooks = () => h.adminGet(`/books/sub-merchants/${own.smids[0]}`);
    const receiver = async () => (await h.adminGet(`/books/apps/${own.appId}`)).receivers[0].balance;
    expect(await ownBooks()).toMatchObject({ available: 7000, frozen: 0 });
    expect(await receiver()).toBe(3000);

    const short = await ownExec('alipay.trade.refund', {
      out_trade_no: 'ST_3',
      refund_amount: '100.00',
      out_request_no: 'r0',
    });
    expect(short.subCode).toBe('ACQ.SELLER_BALANCE_NOT_ENOUGH');
    expect(await ownBooks()).toMatchObject({ available: 7000 });

    const greedy = await ownExec('alipay.trade.refund', {
      out_trade_no: 'ST_3',
      refund_amount: '100.00',
      out_request_no: 'r1',
      refund_royalty_parameters: [{ trans_out: own.sellerId, amount: '30.01' }],
    });
    expect(greedy.subCode).toBe('ACQ.ALLOC_AMOUNT_VALIDATE_ERROR');
    const unknown = await ownExec('alipay.trade.refund', {
      out_trade_no: 'ST_3',
      refund_amount: '1.00',
      out_request_no: 'r2',
      refund_royalty_parameters: [{ trans_out: '2088000000000000', amount: '1.00' }],
    });
    expect(unknown.subCode).toBe('ACQ.REFUND_ROYALTY_PAYEE_ACCOUNT_NOT_EXIST');

    const half = await ownExec('alipay.trade.refund', {
      out_trade_no: 'ST_3',
      refund_amount: '50.00',
      out_request_no: 'r3',
      refund_royalty_parameters: [{ royalty_type: 'transfer', trans_out: own.sellerId, amount: '15.00' }],
    });
    expect(half).toMatchObject({ code: '10000', fundChange: 'Y', refundFee: '50.00' });
    expect(await receiver()).toBe(1500);
    const after = await ownBooks();
    expect(after).toMatchObject({ available: 7000 + 1500 - 5000, frozen: 0 });
    expect(after.trades[0]).toMatchObject({ shared: 1500, refunded: 5000 });
    expect(after.trades[0].refunds[0]).toMatchObject({ amount: 5000, royalty_returned: 1500, from_available: 5000 });
    const q = await ownExec('alipay.trade.fastpay.refund.query', { out_trade_no: 'ST_3', out_request_no: 'r3' });
    expect(q.refundRoyaltys).toEqual([expect.objectContaining({ refundAmount: '15.00', transOut: own.sellerId })]);
  });

  it("settles to the merchant's available balance directly without royalty_freeze", async () => {
    const tradeNo = await paidTradeNo('ST_4', '8.00');
    await advance(SETTLE_DELAY_MS);
    const before = await books();
    const answer = await exec('alipay.trade.settle.confirm', {
      out_request_no: 'ST_4_c',
      trade_no: tradeNo,
      settle_info: { settle_detail_infos: [{ trans_in_type: 'defaultSettle', amount: '8.00' }] },
    });
    expect(answer.settleAmount).toBe('8.00');
    expect((await books()).available).toBe(before.available + 800);
    expect((await share(tradeNo, 'ST_4_s', '1.00', false)).subCode).toBe('ACQ.ILLEGAL_SETTLE_STATE');
  });
});
