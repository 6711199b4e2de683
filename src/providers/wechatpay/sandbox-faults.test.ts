// Goal: when the gateway misbehaves the adapter says what the caller should do next, and what it said holds:
// after outcome_unknown a query shows whether the money moved, and a retry with the same number is safe.
// Method: the sandbox's fault knobs (5xx, answers held past our timeout, duplicate notifications, refund results).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fen } from '../../shared/money';
import { ProviderError, type CreateTradeInput, type ProviderEvent, type RefundInput } from '../types';
import { createWechatpayAdapter } from './adapter';
import { startSandboxWorld, type SandboxWorld } from './sandbox-kit';
import type { WechatpayFaults } from '../../sandbox/wechatpay/index';

let world: SandboxWorld;
let seq = 0;
const no = (prefix: string) => `${prefix}${Date.now().toString(36)}${(seq++).toString().padStart(4, '0')}`;

beforeAll(async () => {
  world = await startSandboxWorld({ subMerchants: 1 });
});
afterAll(async () => {
  await world?.close();
});

const setFaults = (faults: Partial<WechatpayFaults>) => world.tool('PUT', '/faults', faults);

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

async function paidOrder(amountFen: number): Promise<{ outTradeNo: string; subMerchantId: string; amountFen: number }> {
  const sub = {
    outTradeNo: no('ord_'),
    subMerchantId: world.registration.sub_mchids[0]!,
    amountFen: fen(amountFen),
    description: 'goods',
  };
  const input: CreateTradeInput = {
    scene: 'qr',
    groupOutTradeNo: no('pay_'),
    subOrders: [sub],
    expiresAt: new Date(Date.now() + 600_000),
    notifyUrl: world.notifyUrl,
    payer: { clientIp: '203.0.113.7' },
  };
  const action = await world.adapter.createTrade(input);
  if (action.type !== 'qr') throw new Error('expected a QR');
  await world.walletPay({ code_url: action.code_url });
  await world.waitForEvent(
    (e: ProviderEvent) => e.kind === 'trade_paid' && e.subTrades[0]?.outTradeNo === sub.outTradeNo,
  );
  return sub;
}

const refundOf = (
  sub: { outTradeNo: string; subMerchantId: string; amountFen: number },
  refundFen: number,
): RefundInput => ({
  outTradeNo: sub.outTradeNo,
  subMerchantId: sub.subMerchantId,
  outRefundNo: no('rfd_'),
  refundFen: fen(refundFen),
  totalFen: fen(sub.amountFen),
  notifyUrl: world.notifyUrl,
});

describe('gateway failures', () => {
  it('a 500 on a refund is outcome_unknown; the query then shows nothing happened and the same number succeeds', async () => {
    const sub = await paidOrder(1000);
    const refund = refundOf(sub, 100);
    await setFaults({ callError5xx: true });
    try {
      const err = await failure(world.adapter.refund(refund));
      expect([err.kind, err.providerCode]).toEqual(['outcome_unknown', 'SYSTEM_ERROR']);
      expect(
        (
          await failure(
            world.adapter.queryTrade({ groupOutTradeNo: 'g', subOrders: [{ ...sub, amountFen: fen(sub.amountFen) }] }),
          )
        ).kind,
      ).toBe('unavailable');
    } finally {
      await setFaults({ callError5xx: false });
    }
    expect((await world.adapter.queryRefund(refund)).state).toBe('not_found');
    expect(['processing', 'succeeded']).toContain((await world.adapter.refund(refund)).state);
  });

  it('an answer held past our timeout is outcome_unknown, and the query shows the refund did happen', async () => {
    const sub = await paidOrder(1000);
    const refund = refundOf(sub, 200);
    const impatient = createWechatpayAdapter({ ...world.config, timeoutMs: 300 });
    await setFaults({ callTimeoutMs: 1_500 });
    try {
      const err = await failure(impatient.refund(refund));
      expect([err.kind, err.code]).toEqual(['outcome_unknown', 'provider_timeout']);
    } finally {
      await setFaults({ callTimeoutMs: 0 });
    }
    expect(await world.adapter.queryRefund(refund)).toMatchObject({ state: 'succeeded', refundFen: 200 });
  });
});

describe('notification faults', () => {
  it('a duplicated notification is parsed twice with the same event id and acknowledged both times', async () => {
    await setFaults({ notifyDuplicate: true });
    let sub;
    try {
      sub = await paidOrder(500);
      await world.waitForEvent(
        (e) => e.kind === 'trade_paid' && e.subTrades[0]?.outTradeNo === sub!.outTradeNo && countOf(e.eventId) === 2,
      );
    } finally {
      await setFaults({ notifyDuplicate: false });
    }
    const copies = world.received.filter(
      (r) => r.event?.kind === 'trade_paid' && r.event.subTrades[0]?.outTradeNo === sub.outTradeNo,
    );
    expect(copies.map((c) => c.status)).toEqual([204, 204]);
    expect(copies[0]!.event).toEqual(copies[1]!.event);
  });

  it('a refund that ends ABNORMAL is notified as refund_finished abnormal', async () => {
    const sub = await paidOrder(800);
    const refund = refundOf(sub, 300);
    await setFaults({ refundResult: 'ABNORMAL' });
    try {
      await world.adapter.refund(refund);
    } finally {
      await setFaults({ refundResult: 'SUCCESS' });
    }
    const event = await world.waitForEvent((e) => e.kind === 'refund_finished' && e.outRefundNo === refund.outRefundNo);
    expect(event).toMatchObject({ state: 'abnormal', refundFen: 300 });
    expect((await world.adapter.queryRefund(refund)).state).toBe('abnormal');
  });
});

function countOf(eventId: string): number {
  return world.received.filter((r) => r.event?.eventId === eventId).length;
}
