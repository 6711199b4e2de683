// Issue "Rolling WeChat Pay out to merchants in waves": every transition and refusal, against the sandboxes.
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHutong, type TestHutong } from '../../test/helpers/hutong';
import {
  buyer,
  checkout,
  merchant,
  payableMerchant,
  product,
  until,
  untilPaymentStatus,
  walletPay,
  type TestMerchant,
} from '../../test/helpers/market';

const DAY = 86_400_000;
let h: TestHutong;
const logs: string[] = [];
beforeAll(async () => {
  const stream = new PassThrough();
  stream.on('data', (chunk) => logs.push(String(chunk)));
  h = await startHutong({ env: { HUTONG_ROLLOUT_NOTICE_DAYS: '7' }, logLevel: 'debug', logStream: stream });
});
afterAll(async () => {
  await h?.close();
});

const ops = (method: string, path: string, body?: unknown) => h.call(method, path, { key: h.opsKey, body });

describe('payment-method catalogue', () => {
  test('Alipay is live once its sub-merchant exists; WeChat Pay starts off; changes are audited', async () => {
    const list = await ops('GET', '/v1/payment-methods');
    expect(list.body.data.map((m: { method: string; enabled: boolean }) => [m.method, m.enabled])).toEqual([
      ['wechatpay', false],
      ['alipay', true],
    ]);
    const enabled = await ops('PATCH', '/v1/payment-methods/wechatpay', { enabled: true });
    expect(enabled.body.enabled).toBe(true);
    const audit = await ops('GET', '/v1/audit-log?subject=method:wechatpay');
    expect(audit.body.data.at(-1)).toMatchObject({
      action: 'payment_method.updated',
      before: { enabled: false },
      after: { enabled: true },
    });
    const m = await merchant(h);
    expect((await h.call('GET', '/v1/audit-log', { key: m.key })).body.error.code).toBe('forbidden_role');
    expect((await ops('PATCH', '/v1/payment-methods/unionpay', { enabled: true })).body.error.code).toBe(
      'unknown_method',
    );
  });
});

describe('with WeChat Pay enabled', () => {
  beforeAll(async () => {
    await ops('PATCH', '/v1/payment-methods/wechatpay', { enabled: true });
  });

  async function status(m: TestMerchant, method = 'wechatpay'): Promise<string> {
    const res = await h.call('GET', `/v1/merchants/${m.id}/payment-methods`, { key: m.key });
    return res.body.data.find((x: { method: string }) => x.method === method).status;
  }

  async function liveWave(merchants: TestMerchant[], name = 'wave') {
    const wave = await ops('POST', '/v1/rollout-waves', {
      method: 'wechatpay',
      name,
      merchant_ids: merchants.map((m) => m.id),
    });
    expect(wave.status).toBe(201);
    await ops('POST', `/v1/rollout-waves/${wave.body.id}/invite`);
    await ops('POST', `/v1/rollout-waves/${wave.body.id}/launch`);
    await h.advance(7 * DAY + 1000); // past the notice period
    return wave.body as { id: string };
  }

  async function acceptAndGoLive(m: TestMerchant, onboarding?: Record<string, string>) {
    const res = await h.call('POST', `/v1/merchants/${m.id}/payment-methods/wechatpay/accept`, {
      key: m.key,
      body: { agreement_version: '2026-11', ...(onboarding ? { onboarding } : {}) },
    });
    expect(res.status).toBe(200);
    await until(h, async () => (await status(m)) === 'live', `${m.id} live`);
  }

  describe('waves', () => {
    test('a launch time inside the notice period is refused; a past or omitted one means as soon as allowed', async () => {
      const m = await merchant(h);
      const soon = new Date(h.clock.now().getTime() + 2 * DAY).toISOString();
      const early = await ops('POST', '/v1/rollout-waves', {
        method: 'wechatpay',
        name: 'early',
        merchant_ids: [m.id],
        launch_at: soon,
      });
      expect([early.status, early.body.error.code]).toEqual([422, 'notice_period_not_elapsed']);
      const past = await ops('POST', '/v1/rollout-waves', {
        method: 'wechatpay',
        name: 'past',
        merchant_ids: [m.id],
        launch_at: '2020-01-01T00:00:00Z',
      });
      expect(new Date(past.body.effective_at).getTime()).toBeGreaterThanOrEqual(
        h.clock.now().getTime() + 7 * DAY - 5000,
      );
      const later = new Date(h.clock.now().getTime() + 9 * DAY).toISOString();
      expect(
        (
          await ops('POST', '/v1/rollout-waves', {
            method: 'wechatpay',
            name: 'later',
            merchant_ids: [m.id],
            launch_at: later,
          })
        ).body.effective_at,
      ).toBe(later);
    });

    test('inviting is idempotent and a random percentage is drawn once', async () => {
      const ms = await Promise.all(
        Array.from({ length: 6 }, (_, i) => merchant(h, `Pct${i}`, { category: 'pct_test' })),
      );
      const wave = await ops('POST', '/v1/rollout-waves', {
        method: 'wechatpay',
        name: 'half',
        filter: { category: 'pct_test', percent: 50 },
      });
      const picked = wave.body.merchant_ids as string[];
      expect(picked.every((id) => ms.some((m) => m.id === id))).toBe(true);
      const first = await ops('POST', `/v1/rollout-waves/${wave.body.id}/invite`);
      const second = await ops('POST', `/v1/rollout-waves/${wave.body.id}/invite`);
      expect(first.body.invited.sort()).toEqual([...picked].sort());
      expect(second.body).toMatchObject({ invited: [], already_invited: expect.arrayContaining(picked) });
      expect((await ops('GET', `/v1/rollout-waves/${wave.body.id}`)).body.merchant_ids.sort()).toEqual(
        [...picked].sort(),
      );
    });

    test('invited → applying → approved → live; the cashier then offers WeChat Pay, and the funnel counts it', async () => {
      const m = await payableMerchant(h, 'Wave shop');
      expect(await status(m)).toBe('not_invited');
      const wave = await liveWave([m]);
      expect(await status(m)).toBe('invited');
      const p = await product(h, m, { price: 2000 });
      const b = await buyer(h);
      const before = await checkout(h, b.key, [{ product_id: p.id, quantity: 1 }]);
      expect(before.payment.methods.find((x) => x.method === 'wechatpay')).toEqual({
        method: 'wechatpay',
        available: false,
        reason: 'merchant_not_enabled',
      });
      const accepted = await h.call('POST', `/v1/merchants/${m.id}/payment-methods/wechatpay/accept`, {
        key: m.key,
        body: { agreement_version: '2026-11' },
      });
      expect(accepted.body).toMatchObject({
        status: 'applying',
        agreement_version: '2026-11',
        accepted_by: `merchant:${m.id}`,
      });
      await until(h, async () => (await status(m)) === 'live', 'live');
      const co = await checkout(h, b.key, [{ product_id: p.id, quantity: 1 }]);
      expect(co.payment.methods.find((x) => x.method === 'wechatpay')).toEqual({
        method: 'wechatpay',
        available: true,
      });
      const att = await h.call('POST', `/v1/payments/${co.payment.id}/attempts`, {
        key: b.key,
        body: { method: 'wechatpay', scene: 'qr' },
      });
      await walletPay(h, 'wechatpay', att.body.action);
      await untilPaymentStatus(h, b.key, co.payment.id, 'succeeded');
      const funnel = await ops('GET', `/v1/rollout-waves/${wave.id}/funnel`);
      expect(funnel.body).toMatchObject({
        invited: 1,
        accepted: 1,
        applying: 1,
        live: 1,
        first_payment: 1,
        gmv_method: 2000,
      });
      const history = await ops('GET', `/v1/audit-log?subject=activation:${m.id}:wechatpay`);
      expect(history.body.data.map((e: { action: string }) => e.action)).toEqual([
        'activation.invited',
        'activation.applying',
        'activation.approved',
        'activation.live',
      ]);
    });

    test('a merchant with a linked account goes straight to approved', async () => {
      const donor = await payableMerchant(h, 'Donor', { wechatpay: true });
      const donorAccount = (await ops('GET', `/v1/merchants/${donor.id}/provider-accounts`)).body.data.find(
        (a: { provider: string }) => a.provider === 'wechatpay',
      );
      const m = await merchant(h, 'Migrated');
      // The donor merchant's sub-merchant id moves to the migrated merchant (a marketplace migrating an existing account).
      await h.db.query(`DELETE FROM provider_accounts WHERE merchant_id = $1 AND provider = 'wechatpay'`, [donor.id]);
      expect(
        (
          await ops('PUT', `/v1/merchants/${m.id}/provider-accounts/wechatpay`, {
            sub_mchid: donorAccount.sub_merchant_id,
          })
        ).status,
      ).toBe(200);
      await ops('POST', '/v1/rollout-waves', { method: 'wechatpay', name: 'linked', merchant_ids: [m.id] }).then((w) =>
        ops('POST', `/v1/rollout-waves/${w.body.id}/invite`),
      );
      const accepted = await h.call('POST', `/v1/merchants/${m.id}/payment-methods/wechatpay/accept`, {
        key: m.key,
        body: { agreement_version: '2026-11' },
      });
      expect(accepted.body.status).toBe('approved');
    });

    test('a rejected application is resubmitted with corrections and then goes live', async () => {
      const m = await payableMerchant(h, 'Reject me');
      await liveWave([m], 'rejects');
      await h.call('POST', `/v1/merchants/${m.id}/payment-methods/wechatpay/accept`, {
        key: m.key,
        body: { agreement_version: '2026-11', onboarding: { merchant_name: 'REJECT bad name' } },
      });
      await until(h, async () => (await status(m)) === 'rejected', 'rejected');
      const view = await h.call('GET', `/v1/merchants/${m.id}/payment-methods`, { key: m.key });
      expect(
        view.body.data.find((x: { method: string }) => x.method === 'wechatpay').reject_reasons.length,
      ).toBeGreaterThan(0);
      const again = await h.call('POST', `/v1/merchants/${m.id}/payment-methods/wechatpay/accept`, {
        key: m.key,
        body: { agreement_version: '2026-11', onboarding: { merchant_name: 'Good Name Tea' } },
      });
      expect(again.body.status).toBe('applying');
      await until(h, async () => (await status(m)) === 'live', 'live after resubmission');
    });

    test('pausing hides the method for new attempts and drains the attempt in flight; resuming brings it back', async () => {
      const m = await payableMerchant(h, 'Pausable');
      const wave = await liveWave([m], 'pausable');
      await acceptAndGoLive(m);
      const p = await product(h, m);
      const b = await buyer(h);
      const co = await checkout(h, b.key, [{ product_id: p.id, quantity: 1 }]);
      const inFlight = await h.call('POST', `/v1/payments/${co.payment.id}/attempts`, {
        key: b.key,
        body: { method: 'wechatpay', scene: 'qr' },
      });
      expect((await ops('POST', `/v1/rollout-waves/${wave.id}/pause`)).body.status).toBe('paused');
      expect(await status(m)).toBe('paused');
      const co2 = await checkout(h, b.key, [{ product_id: p.id, quantity: 1 }]);
      const refused = await h.call('POST', `/v1/payments/${co2.payment.id}/attempts`, {
        key: b.key,
        body: { method: 'wechatpay', scene: 'qr' },
      });
      expect([refused.status, refused.body.error.code, refused.body.error.details.reason]).toEqual([
        409,
        'method_unavailable',
        'merchant_not_enabled',
      ]);
      await walletPay(h, 'wechatpay', inFlight.body.action);
      await untilPaymentStatus(h, b.key, co.payment.id, 'succeeded');
      expect((await ops('POST', `/v1/rollout-waves/${wave.id}/pause`)).body.error.code).toBe('wave_state_conflict');
      await ops('POST', `/v1/rollout-waves/${wave.id}/resume`);
      expect(await status(m)).toBe('live');
      const methodPause = await ops('PATCH', '/v1/payment-methods/wechatpay', { paused: true });
      expect(methodPause.body.paused).toBe(true);
      const view = await h.call('GET', `/v1/payments/${co2.payment.id}`, { key: b.key });
      expect(view.body.methods.find((x: { method: string }) => x.method === 'wechatpay')).toEqual({
        method: 'wechatpay',
        available: false,
        reason: 'method_paused',
      });
      await ops('PATCH', '/v1/payment-methods/wechatpay', { paused: false });
    });

    test('in a two-merchant cart where one merchant is not live, WeChat Pay is hidden with merchant_not_enabled', async () => {
      const live = await payableMerchant(h, 'Live one');
      const other = await payableMerchant(h, 'Not yet');
      await liveWave([live], 'one of two');
      await acceptAndGoLive(live);
      const b = await buyer(h);
      const co = await checkout(h, b.key, [
        { product_id: (await product(h, live)).id, quantity: 1 },
        { product_id: (await product(h, other)).id, quantity: 1 },
      ]);
      expect(co.payment.methods).toEqual([
        { method: 'wechatpay', available: false, reason: 'merchant_not_enabled' },
        { method: 'alipay', available: true },
      ]);
    });
  });

  describe('buyers and clients', () => {
    test('buyer cohorts are sticky across restarts; a minimum client version hides the method from older apps', async () => {
      const m = await payableMerchant(h, 'Cohorts');
      await liveWave([m], 'cohorts');
      await acceptAndGoLive(m);
      await ops('PATCH', '/v1/payment-methods/wechatpay', { exposure_percent: 50 });
      const p = await product(h, m, { stock: 1000 });
      const buyers = await Promise.all(Array.from({ length: 16 }, () => buyer(h)));
      const seen = async (target: TestHutong) =>
        Promise.all(
          buyers.map(
            async (b) =>
              (
                await target.call('POST', '/v1/orders', {
                  key: b.key,
                  body: { items: [{ product_id: p.id, quantity: 1 }] },
                })
              ).body.payment.methods[0],
          ),
        );
      const first = await seen(h);
      expect(new Set(first.map((x: { reason?: string }) => x.reason ?? 'ok'))).toEqual(
        new Set(['ok', 'buyer_not_in_rollout']),
      );
      const restarted = await startHutong({ databaseUrl: h.databaseUrl, env: { HUTONG_OPS_API_KEY: h.opsKey } });
      restarted.clock.advance(Math.max(0, h.clock.now().getTime() - restarted.clock.now().getTime())); // the same moment after the restart
      try {
        await restarted.call('PATCH', '/v1/payment-methods/wechatpay', {
          key: h.opsKey,
          body: { exposure_percent: 100 },
        });
        const second = await seen(restarted);
        expect(second.map((x: { available: boolean }) => x.available)).toEqual(
          first.map((x: { available: boolean }) => x.available),
        );
      } finally {
        await restarted.close();
      }
      await ops('PATCH', '/v1/payment-methods/wechatpay', {
        exposure_percent: 100,
        min_client: { app: 'hutong', version: '2.0.0' },
      });
      const b = await buyer(h);
      const co = await checkout(h, b.key, [{ product_id: p.id, quantity: 1 }], { 'x-hutong-client': 'hutong/1.9.9' });
      expect(co.payment.methods[0]).toEqual({ method: 'wechatpay', available: false, reason: 'client_unsupported' });
      const newer = await h.call('GET', `/v1/payments/${co.payment.id}`, {
        key: b.key,
        headers: { 'x-hutong-client': 'hutong/2.1.0' },
      });
      expect(newer.body.methods[0].reason).not.toBe('client_unsupported');
      await ops('PATCH', '/v1/payment-methods/wechatpay', { min_client: null });
    });

    test('no sensitive onboarding field ever reaches the logs', async () => {
      const m = await payableMerchant(h, 'Private');
      await liveWave([m], 'private');
      await acceptAndGoLive(m, {
        id_card_number: '110101199003076632',
        bank_account_number: '6222020200112233445',
        contact_phone: '13912345678',
        contact_name: 'Wang Fang',
      });
      // The details land in the merchant's profile, sealed field by field.
      const stored = JSON.stringify(
        (await h.db.query(`SELECT * FROM merchant_profiles WHERE merchant_id = $1`, [m.id])).rows[0],
      );
      expect(stored).toContain('legal_person.id_number');
      for (const secret of ['110101199003076632', '6222020200112233445', '13912345678'])
        expect(stored).not.toContain(secret);
      const all = logs.join('');
      expect(all.length).toBeGreaterThan(1000);
      for (const secret of [
        '110101199003076632',
        '6222020200112233445',
        '13912345678',
        'BEGIN PRIVATE KEY',
        'BEGIN RSA PRIVATE KEY',
        h.opsKey,
      ]) {
        expect(all.includes(secret), secret).toBe(false);
      }
    });
  });
});
