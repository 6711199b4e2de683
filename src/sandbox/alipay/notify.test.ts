// Notifications under faults: dropped, duplicated, reordered, delayed and retried on Alipay's (scaled)
// schedule until the merchant answers `success`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

beforeAll(async () => {
  h = await startSandbox();
  sink = await new NotifySink().start();
  client = await registerClient(h, { sub_merchants: 1 });
});
afterAll(async () => {
  await sink.close();
  await h.close();
});

async function pay(outTradeNo: string): Promise<string> {
  const pre = await client.sdk.exec(
    'alipay.trade.precreate',
    { notifyUrl: sink.url, bizContent: tradeBiz(client.smids[0]!, outTradeNo, '1.00') },
    opts,
  );
  return (await postJson(`${h.base}/wallet/pay`, { code_url: pre.qrCode })).body.trades[0].trade_no;
}

async function notificationsOf(tradeNo: string): Promise<any[]> {
  return (await h.adminGet(`/notifications?trade_no=${tradeNo}`)).data;
}

async function waitForStatus(tradeNo: string, status: string): Promise<any> {
  for (;;) {
    const [row] = await notificationsOf(tradeNo);
    if (row?.status === status) return row;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const setFaults = (faults: Record<string, number>) => h.adminJson(`/faults`, faults, 'PUT');

describe('notification faults', () => {
  it('drops the next N notifications for good, then delivers again', async () => {
    await setFaults({ notifyDrop: 1 });
    const dropped = await pay('N_DROP');
    const delivered = await pay('N_AFTER_DROP');
    await sink.waitFor(() => sink.of('N_AFTER_DROP').length > 0);
    expect((await waitForStatus(dropped, 'dropped')).attempts).toBe(0);
    expect(sink.of('N_DROP')).toHaveLength(0);
    expect((await notificationsOf(delivered))[0].status).toBe('delivered');
    expect(
      (await client.sdk.exec('alipay.trade.query', { bizContent: { out_trade_no: 'N_DROP' } }, opts)).tradeStatus,
    ).toBe('TRADE_SUCCESS');
  });

  it('delivers a duplicated notification twice, identical and validly signed', async () => {
    await setFaults({ notifyDuplicate: 1 });
    await pay('N_DUP');
    await sink.waitFor(() => sink.of('N_DUP').length === 2);
    const [a, b] = sink.of('N_DUP') as [Record<string, string>, Record<string, string>];
    expect(b).toEqual(a);
    expect(client.sdk.checkNotifySignV2(a)).toBe(true);
  });

  it('reorders: a held notification arrives after the one queued after it', async () => {
    await setFaults({ notifyReorder: 1 });
    await pay('N_FIRST');
    await pay('N_SECOND');
    await sink.waitFor(() => sink.of('N_FIRST').length > 0 && sink.of('N_SECOND').length > 0);
    const order = sink.received.map((n) => n.out_trade_no).filter((o) => o === 'N_FIRST' || o === 'N_SECOND');
    expect(order).toEqual(['N_SECOND', 'N_FIRST']);
  });

  it('retries with the same notify_id until the merchant answers success', async () => {
    let failures = 2;
    sink.answer = (p) => (p.out_trade_no === 'N_RETRY' && failures-- > 0 ? 'fail' : 'success');
    const tradeNo = await pay('N_RETRY');
    await sink.waitFor(() => sink.of('N_RETRY').length === 3);
    expect(new Set(sink.of('N_RETRY').map((n) => n.notify_id)).size).toBe(1);
    expect(await waitForStatus(tradeNo, 'delivered')).toMatchObject({ attempts: 3 });
    sink.answer = () => 'success';
  });

  it('delays notifications on the sandbox clock', async () => {
    await setFaults({ notifyDelayMs: 3_600_000 });
    const tradeNo = await pay('N_LATE');
    expect((await notificationsOf(tradeNo))[0]).toMatchObject({ status: 'pending', attempts: 0 });
    await setFaults({ notifyDelayMs: 0 });
    await h.adminJson(`/clock`, { advance_ms: 3_600_000 });
    await sink.waitFor(() => sink.of('N_LATE').length > 0);
  });

  it('gives up after 8 notifications when the merchant never answers success', async () => {
    sink.answer = (p) => (p.out_trade_no === 'N_NEVER' ? 'fail' : 'success');
    const tradeNo = await pay('N_NEVER');
    let seen = 0;
    while ((await notificationsOf(tradeNo))[0].status === 'pending') {
      const [row] = await notificationsOf(tradeNo);
      if (row.attempts > seen) {
        seen = row.attempts;
        await h.adminJson(`/clock`, { advance_ms: 16 * 3_600_000 }); // beyond the longest retry interval
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect((await notificationsOf(tradeNo))[0]).toMatchObject({ status: 'failed', attempts: 8 });
    expect(sink.of('N_NEVER')).toHaveLength(8);
  });
});
