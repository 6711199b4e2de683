// The sandbox's books, keys, apps and clock live in its PGlite directory and survive a restart.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getJson, postJson, registerClient, startSandbox, tradeBiz } from './testkit';

const root = mkdtempSync(join(tmpdir(), 'alipay-sandbox-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('persistence', () => {
  it('keeps apps, the Alipay key, books and the clock across a restart', async () => {
    const dataDir = join(root, 'nested', 'alipay');
    const first = await startSandbox({ dataDir });
    const client = await registerClient(first, { sub_merchants: 1 });
    const pre = await client.sdk.exec(
      'alipay.trade.precreate',
      { bizContent: tradeBiz(client.smids[0]!, 'P_1', '6.66') },
      { validateSign: true },
    );
    await postJson(`${first.base}/wallet/pay`, { code_url: pre.qrCode });
    const clockBefore = (await first.adminJson(`/clock`, { advance_ms: 3_600_000 })).body.offset_ms;
    const booksBefore = await first.adminGet(`/books/sub-merchants/${client.smids[0]}`);
    await first.close();

    const second = await startSandbox({ dataDir });
    try {
      expect((await getJson(`${second.base}/apps/${client.appId}`)).alipay_public_key).toBe(client.alipayPublicKey);
      expect((await second.adminGet(`/clock`)).offset_ms).toBe(clockBefore);
      expect(await second.adminGet(`/books/sub-merchants/${client.smids[0]}`)).toEqual(booksBefore);
      const { AlipaySdk } = await import('alipay-sdk');
      const sdk = new AlipaySdk({
        appId: client.appId,
        privateKey: client.privateKey,
        alipayPublicKey: client.alipayPublicKey,
        gateway: second.gateway,
      });
      const q = await sdk.exec('alipay.trade.query', { bizContent: { out_trade_no: 'P_1' } }, { validateSign: true });
      expect(q).toMatchObject({ tradeStatus: 'TRADE_SUCCESS', totalAmount: '6.66' });
    } finally {
      await second.close();
    }
  });
});
