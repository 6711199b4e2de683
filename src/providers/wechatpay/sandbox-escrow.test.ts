// Goal: escrow on 平台收付通 works end to end against the sandbox: the money stays frozen, sharing waits for
// settlement, share-and-release and release-only unfreeze it, the refund saga (return the share → unfreeze →
// refund) gets a refund larger than the unsplit amount through, and balances and bills agree with the sandbox's
// books. The settlement delay is an hour of sandbox time, moved forward with its test clock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Wechatpay } from 'wechatpay-axios-plugin';
import { fen } from '../../shared/money';
import { ProviderError, type CreateTradeInput, type EscrowTradeRef, type ProviderEvent } from '../types';
import { beijingDate } from './format';
import { startSandboxWorld, type SandboxWorld } from './sandbox-kit';
import { testApplication } from '../../onboarding/testing';

const SETTLE_DELAY_MS = 3_600_000;
let world: SandboxWorld;
let seq = 0;
const no = (prefix: string) => `${prefix}${Date.now().toString(36)}${(seq++).toString().padStart(4, '0')}`;

interface Books {
  frozen: number;
  available: number;
  trades: Array<{ out_trade_no: string; unsplit: number; shared: number; fee: number; sharing_finished: boolean }>;
}
const books = (subMchid: string) => world.tool<Books>('GET', `/books/sub-merchants/${subMchid}`);

let startedAt: Date;
beforeAll(async () => {
  world = await startSandboxWorld({ subMerchants: 4, settleDelayMs: SETTLE_DELAY_MS, applymentDelayMs: 3_000 });
  startedAt = await world.sandboxNow();
});

/** Bills are cut on Beijing days, and the sandbox clock moves hours forward here: read every day it crossed. */
async function billDays(): Promise<string[]> {
  const days = new Set<string>();
  const end = (await world.sandboxNow()).getTime();
  for (let at = startedAt.getTime(); at < end + 86_400_000; at += 86_400_000)
    days.add(beijingDate(new Date(Math.min(at, end))));
  return [...days];
}
afterAll(async () => {
  await world?.close();
});

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

/** Pays one partner order of `amountFen` to sub-merchant number `which` and returns its escrow reference. */
async function paidTrade(which: number, amountFen: number): Promise<EscrowTradeRef> {
  const sub = {
    outTradeNo: no('ord_'),
    subMerchantId: world.registration.sub_mchids[which]!,
    amountFen: fen(amountFen),
    description: 'goods',
  };
  const input: CreateTradeInput = {
    scene: 'qr',
    groupOutTradeNo: no('pay_'),
    subOrders: [sub],
    expiresAt: new Date((await world.sandboxNow()).getTime() + 15 * 60_000),
    notifyUrl: world.notifyUrl,
    payer: { clientIp: '203.0.113.7' },
  };
  const action = await world.adapter.createTrade(input);
  if (action.type !== 'qr') throw new Error('expected a QR');
  await world.walletPay({ code_url: action.code_url });
  const event = await world.waitForEvent(
    (e: ProviderEvent) => e.kind === 'trade_paid' && e.subTrades[0]?.outTradeNo === sub.outTradeNo,
  );
  if (event.kind !== 'trade_paid') throw new Error('expected trade_paid');
  return {
    outTradeNo: sub.outTradeNo,
    subMerchantId: sub.subMerchantId,
    transactionId: event.subTrades[0]!.transactionId,
    amountFen: sub.amountFen,
  };
}

describe('sharing and release', () => {
  it('a share before settlement is not_settled_yet; after the clock passes settlement it shares and releases the rest', async () => {
    const trade = await paidTrade(0, 10000);
    expect(await world.adapter.escrow.queryUnsplit(trade)).toBe(9940); // 0.6% fee netted out at payment
    const share = { ...trade, outOrderNo: no('shr_'), commissionFen: fen(500), description: 'commission' };
    expect(await world.adapter.escrow.shareAndRelease(share)).toEqual({ state: 'not_settled_yet', sharedFen: 0 });
    const before = await world.adapter.escrow.balance(trade.subMerchantId);
    await world.advanceClock(SETTLE_DELAY_MS);
    expect(await world.adapter.escrow.shareAndRelease(share)).toEqual({ state: 'finished', sharedFen: 500 });
    expect(await world.adapter.escrow.queryShare(share)).toEqual({ state: 'finished', sharedFen: 500 });
    expect(await world.adapter.escrow.shareAndRelease(share)).toEqual({ state: 'finished', sharedFen: 500 }); // same out_order_no: same share
    expect(await world.adapter.escrow.queryUnsplit(trade)).toBe(0);
    const after = await world.adapter.escrow.balance(trade.subMerchantId);
    expect(after).toEqual({ frozenFen: before.frozenFen - 9940, availableFen: before.availableFen + 9440 });
    const book = await books(trade.subMerchantId);
    expect({ frozenFen: book.frozen, availableFen: book.available }).toEqual(after);
  });

  it('a zero commission only releases (finish-order), and sharing more than 30% is share_exceeds_limit', async () => {
    const released = await paidTrade(1, 2000);
    const greedy = await paidTrade(1, 2000);
    await world.advanceClock(SETTLE_DELAY_MS);
    const status = await world.adapter.escrow.shareAndRelease({
      ...released,
      outOrderNo: no('shr_'),
      commissionFen: fen(0),
      description: 'release',
    });
    expect(status).toEqual({ state: 'finished', sharedFen: 0 });
    expect(
      (await books(released.subMerchantId)).trades.find((t) => t.out_trade_no === released.outTradeNo),
    ).toMatchObject({ unsplit: 0, shared: 0, sharing_finished: true });
    const err = await failure(
      world.adapter.escrow.shareAndRelease({
        ...greedy,
        outOrderNo: no('shr_'),
        commissionFen: fen(601),
        description: 'too much',
      }),
    );
    expect([err.kind, err.code]).toEqual(['declined', 'share_exceeds_limit']);
  });

  it('adds profit-sharing receivers, a merchant by plain name and a person by encrypted name', async () => {
    await expect(
      world.adapter.addReceiver({
        type: 'MERCHANT_ID',
        account: '1900009999',
        relationType: 'SERVICE_PROVIDER',
        name: '示例商户全称',
      }),
    ).resolves.toBeUndefined();
    await expect(
      world.adapter.addReceiver({
        type: 'PERSONAL_OPENID',
        account: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
        relationType: 'DISTRIBUTOR',
        name: '张三',
      }),
    ).resolves.toBeUndefined();
  });
});

describe('the refund saga for a refund larger than the unsplit amount', () => {
  it('refund_needs_unfreeze, then release, then insufficient_funds while the share is out, then return, then refund', async () => {
    const trade = await paidTrade(2, 10000);
    await world.advanceClock(SETTLE_DELAY_MS);
    // An earlier partial share without finish, made with the official client library straight at the sandbox.
    const outOrderNo = no('shr_');
    const official = new Wechatpay({
      mchid: world.config.spMchid,
      serial: world.config.merchantSerialNo,
      privateKey: world.config.merchantPrivateKeyPem,
      certs: { [world.config.wechatpayPublicKeyId]: world.config.wechatpayPublicKeyPem },
      baseURL: `${world.config.baseUrl}/`,
    });
    await official.chain('v3/ecommerce/profitsharing/orders').post({
      appid: world.config.spAppid,
      sub_mchid: trade.subMerchantId,
      transaction_id: trade.transactionId,
      out_order_no: outOrderNo,
      receivers: [
        { type: 'MERCHANT_ID', receiver_account: world.config.spMchid, amount: 2000, description: 'commission' },
      ],
      finish: false,
    });
    expect(await world.adapter.escrow.queryUnsplit(trade)).toBe(7940);

    const refund = {
      outTradeNo: trade.outTradeNo,
      subMerchantId: trade.subMerchantId,
      outRefundNo: no('rfd_'),
      refundFen: fen(9000),
      totalFen: trade.amountFen,
      notifyUrl: world.notifyUrl,
    };
    expect((await failure(world.adapter.refund(refund))).code).toBe('refund_needs_unfreeze');

    const released = await world.adapter.escrow.releaseRemaining({
      ...trade,
      outOrderNo: no('fin_'),
      description: 'unfreeze for refund',
    });
    expect(released.state).toBe('finished');
    expect(await world.adapter.escrow.queryUnsplit(trade)).toBe(0);
    // 7940 available, the refund takes 9000 − 54 (its fee share): the shared 2000 must come back first.
    expect((await failure(world.adapter.refund(refund))).code).toBe('insufficient_funds');

    const outReturnNo = no('ret_');
    const returned = await world.adapter.escrow.returnShare({
      ...trade,
      outOrderNo,
      outReturnNo,
      amountFen: fen(2000),
    });
    expect(['processing', 'succeeded']).toContain(returned.state);
    expect(
      await world.adapter.queryReturnShare({ subMerchantId: trade.subMerchantId, outOrderNo, outReturnNo }),
    ).toEqual({ state: 'succeeded', amountFen: 2000 });
    expect(
      (
        await failure(
          world.adapter.escrow.returnShare({ ...trade, outOrderNo, outReturnNo: no('ret_'), amountFen: fen(1) }),
        )
      ).code,
    ).toBe('return_exceeds_shared');

    const done = await world.adapter.refund(refund);
    expect(['processing', 'succeeded']).toContain(done.state);
    await world.waitForEvent(
      (e) => e.kind === 'refund_finished' && e.outRefundNo === refund.outRefundNo && e.state === 'succeeded',
    );
    expect((await world.adapter.escrow.balance(trade.subMerchantId)).availableFen).toBe(7940 + 2000 - (9000 - 54));
  });
});

describe('bills', () => {
  it('the trade bill lists each payment with its fee and each refund with its returned fee share', async () => {
    const trade = await paidTrade(3, 10000);
    const outRefundNo = no('rfd_');
    await world.adapter.refund({
      outTradeNo: trade.outTradeNo,
      subMerchantId: trade.subMerchantId,
      outRefundNo,
      refundFen: fen(3000),
      totalFen: trade.amountFen,
      notifyUrl: world.notifyUrl,
    });
    const lines = [];
    for (const date of await billDays())
      lines.push(...(await world.adapter.fetchTradeBill({ date, subMerchantId: trade.subMerchantId })));
    expect(lines.filter((l) => l.outTradeNo === trade.outTradeNo)).toEqual([
      expect.objectContaining({
        kind: 'payment',
        transactionId: trade.transactionId,
        subMerchantId: trade.subMerchantId,
        amountFen: 10000,
        feeFen: 60,
      }),
      expect.objectContaining({ kind: 'refund', outRefundNo, amountFen: 3000, feeFen: 18 }),
    ]);
  });

  it('the profit-sharing bill lists shares, unfreezes and returns by out_order_no and receiver', async () => {
    const lines = [];
    for (const date of await billDays()) lines.push(...(await world.adapter.profitSharingBill({ date })));
    const kinds = new Set(lines.map((l) => l.kind));
    expect(kinds).toEqual(new Set(['share', 'unfreeze', 'return']));
    const share = lines.find((l) => l.kind === 'share' && l.amountFen === 500);
    expect(share).toMatchObject({ receiverAccount: world.config.spMchid, status: 'SUCCESS' });
    expect(lines.find((l) => l.kind === 'return')).toMatchObject({
      amountFen: 2000,
      receiverAccount: world.config.spMchid,
    });
  });

  it('a day without trades has an empty bill', async () => {
    expect(await world.adapter.fetchTradeBill({ date: '2001-01-01' })).toEqual([]);
  });
});

describe('onboarding a 二级商户', () => {
  it('moves from checking to finished with a sub_mchid that can then be paid', async () => {
    const outRequestNo = no('app_');
    const submitted = await world.adapter.submitOnboarding(
      await testApplication(world.adapter, outRequestNo, '胡同小铺'),
    );
    expect(submitted).toMatchObject({ state: 'checking', applicationId: expect.any(String) });
    expect((await world.adapter.queryOnboarding(outRequestNo)).state).toBe('checking');
    let status = await world.adapter.queryOnboarding(outRequestNo);
    for (let step = 0; step < 4 && status.state !== 'finished'; step++) {
      await world.advanceClock(1_000);
      status = await world.adapter.queryOnboarding(outRequestNo);
      if (status.state === 'need_sign') expect(status.signUrl).toMatch(/^http/);
    }
    expect(status).toMatchObject({ state: 'finished', subMerchantId: expect.stringMatching(/^\d+$/) });
    expect((await books(status.subMerchantId!)).available).toBe(0);
  });

  it('a rejected application carries its reasons; an unknown one is applyment_not_found', async () => {
    const outRequestNo = no('app_');
    await world.adapter.submitOnboarding(await testApplication(world.adapter, outRequestNo, 'REJECT me'));
    await world.advanceClock(5_000);
    const status = await world.adapter.queryOnboarding(outRequestNo);
    expect(status.state).toBe('rejected');
    expect(status.rejectReasons?.length).toBeGreaterThan(0);
    expect((await failure(world.adapter.queryOnboarding(no('app_')))).code).toBe('applyment_not_found');
  });
});
