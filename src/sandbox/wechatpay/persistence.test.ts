// The sandbox keeps its keys and books in its own PGlite directory: a restart loses nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { clientFor, outNo, startHarness } from './testkit';

const dataDir = mkdtempSync(join(tmpdir(), 'wechatpay-sandbox-'));

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

test('keys, merchants, books and the test clock survive a restart from the same data directory', async () => {
  const first = await startHarness({ dataDir });
  const m = await first.register({ sub_merchants: 1 });
  const sub = m.sub_mchids[0] as string;
  const out_trade_no = outNo('D');
  const { data } = await clientFor(first, m).v3.pay.partner.transactions.native.post({
    sp_appid: m.appid,
    sp_mchid: m.mchid,
    sub_mchid: sub,
    description: 'durable',
    out_trade_no,
    notify_url: 'http://127.0.0.1:9/notify',
    amount: { total: 1_000 },
    settle_info: { profit_sharing: true },
  });
  await first.tool('POST', '/wallet/pay', { code_url: data.code_url });
  await first.tool('POST', '/clock', { advance_ms: 3_600_000 });
  const booksBefore = (await first.tool('GET', `/books/sub-merchants/${sub}`)).body;
  await first.close();

  const second = await startHarness({ dataDir });
  try {
    expect((await second.tool('GET', '/keys')).body.wechatpay_public_key_id).toBe(m.wechatpay_public_key_id);
    expect((await second.tool('GET', '/clock')).body.offset_ms).toBe(3_600_000);
    expect((await second.tool('GET', `/books/sub-merchants/${sub}`)).body).toEqual(booksBefore);
    const q = await clientFor(second, m).v3.pay.partner.transactions['out-trade-no']['{out_trade_no}'].get({
      out_trade_no,
      params: { sp_mchid: m.mchid, sub_mchid: sub },
    });
    expect(q.data).toMatchObject({ trade_state: 'SUCCESS', amount: { total: 1_000 } });
  } finally {
    await second.close();
  }
});
