// Against the Alipay sandbox over real HTTP: 直付通 onboarding up to an smid, escrow release (settle.confirm →
// order.settle with royalty to the platform and royalty_finish), commission returned inside a refund, and the
// trade bill. The sandbox clock is moved forward to pass its review and clearing delays.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fen } from '../../shared/money';
import { ProviderError, type EscrowTradeRef } from '../types';
import { startTestbed, type Testbed } from './testing-sandbox';
import { testApplication } from '../../onboarding/testing';

const REVIEW_DELAY_MS = 60_000;
const CLEARING_DELAY_MS = 60_000;

let tb: Testbed;
let seq = 0;

beforeAll(async () => {
  tb = await startTestbed({ applymentDelayMs: REVIEW_DELAY_MS, settleDelayMs: CLEARING_DELAY_MS });
});
afterAll(async () => {
  await tb?.close();
});

function no(prefix: string): string {
  seq += 1;
  return `${prefix}_${Date.now()}_${seq}`;
}

async function advanceClock(ms: number): Promise<void> {
  expect((await tb.admin('POST', '/clock', { advance_ms: ms })).status).toBe(200);
}

async function paidTrade(amountFen: number, subMerchantId = tb.app.smids[0]!): Promise<EscrowTradeRef> {
  const outTradeNo = no('att');
  const action = await tb.adapter.createTrade({
    scene: 'qr',
    groupOutTradeNo: outTradeNo,
    subOrders: [{ outTradeNo, subMerchantId, amountFen: fen(amountFen), description: 'tea' }],
    expiresAt: new Date(Date.now() + 15 * 60_000),
    notifyUrl: tb.notifyUrl,
    payer: { clientIp: '127.0.0.1' },
  });
  await tb.pay({ code_url: (action as { code_url: string }).code_url });
  const event = await tb.waitForEvent('trade_paid', (e) => e.subTrades[0]?.outTradeNo === outTradeNo);
  return { outTradeNo, subMerchantId, transactionId: event.subTrades[0]!.transactionId, amountFen: fen(amountFen) };
}

async function tradeBooks(ref: EscrowTradeRef) {
  const books = (await tb.admin('GET', `/books/sub-merchants/${ref.subMerchantId}`)).body;
  return books.trades.find((t: { out_trade_no: string }) => t.out_trade_no === ref.outTradeNo);
}

/** What the platform (the bound royalty receiver, its seller_id) has received in shares, per the sandbox. */
async function platformReceiverBalance(): Promise<number> {
  const receivers = (await tb.admin('GET', `/books/apps/${tb.app.app_id}`)).body.receivers as Array<{
    account: string;
    balance: number;
  }>;
  return receivers.find((r) => r.account === tb.app.seller_id)?.balance ?? 0;
}

async function errorOf(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe('直付通 onboarding', () => {
  it('submits a sub-merchant, reads it auditing, then finished with its smid, which can take payments', async () => {
    const outRequestNo = no('onb');
    const input = { ...(await testApplication(tb.adapter, outRequestNo, '胡同茶铺')), category: 'B0001' };
    const submitted = await tb.adapter.submitOnboarding(input);
    expect(submitted.state).toBe('auditing');
    expect(submitted.applicationId).toBeTruthy();
    expect(await tb.adapter.submitOnboarding(input)).toEqual(submitted);
    expect((await tb.adapter.queryOnboarding(outRequestNo)).state).toBe('auditing');
    await advanceClock(REVIEW_DELAY_MS);
    const finished = await tb.adapter.queryOnboarding(outRequestNo);
    expect(finished).toMatchObject({ state: 'finished', applicationId: submitted.applicationId });
    const trade = await paidTrade(100, finished.subMerchantId!);
    expect((await tradeBooks(trade)).unsettled).toBe(100);
  });

  it('an unknown application is onboarding_not_found', async () => {
    expect((await errorOf(tb.adapter.queryOnboarding(no('missing')))).code).toBe('onboarding_not_found');
  });
});

describe('escrow release', () => {
  it('a share before the payment has cleared is not_settled_yet; after, it pays the commission and releases the rest', async () => {
    const trade = await paidTrade(10_000);
    const share = { ...trade, outOrderNo: no('shr'), commissionFen: fen(500), description: 'commission' };
    expect(await tb.adapter.escrow.queryUnsplit(trade)).toBe(10_000);
    expect(await tb.adapter.escrow.shareAndRelease(share)).toEqual({ state: 'not_settled_yet', sharedFen: 0 });
    await advanceClock(CLEARING_DELAY_MS);
    const platformBefore = await platformReceiverBalance();
    expect(await tb.adapter.escrow.shareAndRelease(share)).toEqual({ state: 'finished', sharedFen: 500 });
    expect(await tb.adapter.escrow.queryUnsplit(trade)).toBe(0);
    expect(await tradeBooks(trade)).toMatchObject({ frozen: 0, shared: 500, royalty_finished: true });
    expect(await platformReceiverBalance()).toBe(platformBefore + 500);
    // The same request again changes nothing and answers the same.
    expect(await tb.adapter.escrow.shareAndRelease(share)).toEqual({ state: 'finished', sharedFen: 500 });
    expect((await tradeBooks(trade)).shared).toBe(500);
  });

  it('releases without sharing when the commission is zero', async () => {
    const trade = await paidTrade(2_000);
    await advanceClock(CLEARING_DELAY_MS);
    const release = { ...trade, outOrderNo: no('rel'), description: 'release' };
    expect(await tb.adapter.escrow.releaseRemaining(release)).toEqual({ state: 'finished', sharedFen: 0 });
    expect(await tb.adapter.escrow.releaseRemaining(release)).toEqual({ state: 'finished', sharedFen: 0 });
    expect(await tradeBooks(trade)).toMatchObject({ frozen: 0, shared: 0, royalty_finished: true });
  });

  it('refuses a commission above the 30% sharing cap', async () => {
    const trade = await paidTrade(1_000);
    await advanceClock(CLEARING_DELAY_MS);
    const error = await errorOf(
      tb.adapter.escrow.shareAndRelease({
        ...trade,
        outOrderNo: no('shr'),
        commissionFen: fen(301),
        description: 'too much',
      }),
    );
    expect([error.kind, error.code]).toEqual(['declined', 'share_exceeds_limit']);
  });

  it('returns shared commission inside the refund (refund_royalty_parameters), and refuses a separate return', async () => {
    const trade = await paidTrade(10_000);
    await advanceClock(CLEARING_DELAY_MS);
    await tb.adapter.escrow.shareAndRelease({
      ...trade,
      outOrderNo: no('shr'),
      commissionFen: fen(1_000),
      description: 'commission',
    });
    const separate = await errorOf(
      tb.adapter.escrow.returnShare({ ...trade, outOrderNo: 'x', outReturnNo: no('ret'), amountFen: fen(200) }),
    );
    expect(separate.code).toBe('return_share_inside_refund');
    const outRefundNo = no('rfd');
    const refund = {
      outTradeNo: trade.outTradeNo,
      subMerchantId: trade.subMerchantId,
      outRefundNo,
      refundFen: fen(2_000),
      totalFen: fen(10_000),
      notifyUrl: tb.notifyUrl,
    };
    expect(await tb.adapter.refund({ ...refund, returnShareFen: fen(200) })).toEqual({
      state: 'succeeded',
      refundFen: 2_000,
    });
    const books = await tradeBooks(trade);
    expect(books.shared).toBe(800);
    expect(books.refunds).toContainEqual(
      expect.objectContaining({ out_request_no: outRefundNo, amount: 2_000, royalty_returned: 200 }),
    );
  });

  it('has no sub-merchant balance API on Alipay', async () => {
    expect((await errorOf(tb.adapter.escrow.balance(tb.app.smids[0]!))).code).toBe('balance_not_supported');
  });
});

describe('trade bill', () => {
  it("reads today's sub-merchant bill: payments and refunds with their fees, matching the sandbox's books", async () => {
    const smid = tb.app.smids[1]!;
    const trade = await paidTrade(8_888, smid);
    const outRefundNo = no('rfd');
    await tb.adapter.refund({
      outTradeNo: trade.outTradeNo,
      subMerchantId: smid,
      outRefundNo,
      refundFen: fen(1_000),
      totalFen: fen(8_888),
      notifyUrl: tb.notifyUrl,
    });
    const today = (await tb.admin('GET', '/clock')).body.now_beijing.slice(0, 10) as string;
    const lines = await tb.adapter.fetchTradeBill({ date: today, subMerchantId: smid });
    const books = await tradeBooks(trade);
    expect(lines.filter((l) => l.outTradeNo === trade.outTradeNo)).toEqual([
      expect.objectContaining({
        kind: 'payment',
        transactionId: trade.transactionId,
        subMerchantId: smid,
        amountFen: 8_888,
        feeFen: books.fee,
      }),
      expect.objectContaining({
        kind: 'refund',
        outRefundNo,
        amountFen: 1_000,
        feeFen: books.refunds[0].fee_returned,
        refundStatus: 'REFUND_SUCCESS',
      }),
    ]);
    const platform = await tb.adapter.fetchTradeBill({ date: today });
    expect(platform.some((l) => l.outTradeNo === trade.outTradeNo && l.kind === 'payment')).toBe(true);
  });

  it('a day whose bill does not exist yet has no bill lines', async () => {
    expect(await tb.adapter.fetchTradeBill({ date: '2099-01-01', subMerchantId: tb.app.smids[0]! })).toEqual([]);
  });
});
