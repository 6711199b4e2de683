// A mounted sandbox cannot be turned against the people who reach it: test-only controls need the admin token
// and JSON, notifications go only to loopback or the configured hosts, buyers return only to http(s) URLs on
// allowed hosts, and registration (an RSA key pair each) is rate-limited with bounded bodies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientFor,
  outNo,
  refusal,
  startHarness,
  type Harness as WxHarness,
  type Registered,
} from './wechatpay/testkit';
import {
  registerClient,
  startSandbox,
  tradeBiz,
  type Harness as AliHarness,
  type RegisteredClient,
} from './alipay/testkit';

const REGISTRATIONS_PER_MINUTE = 3;
const NOTIFY_HOST = 'notify.shop.test';

let ali: AliHarness;
let wx: WxHarness;
let client: RegisteredClient;
let merchant: Registered;

beforeAll(async () => {
  const safety = { notifyHosts: [NOTIFY_HOST], registrationsPerMinute: REGISTRATIONS_PER_MINUTE };
  [ali, wx] = await Promise.all([startSandbox(safety), startHarness(safety)]);
  client = await registerClient(ali, { sub_merchants: 1 });
  merchant = await wx.register({ sub_merchants: 1 });
});

afterAll(async () => {
  await Promise.all([ali?.close(), wx?.close()]);
});

async function call(url: string, init: { method?: string; token?: string; type?: string; body?: string } = {}) {
  const headers: Record<string, string> = {};
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  if (init.type) headers['content-type'] = init.type;
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text, headers: res.headers };
}

const sandboxes = () => [
  { name: 'alipay', base: ali.base, token: ali.sandbox.adminToken },
  { name: 'wechatpay', base: wx.base, token: wx.sandbox.adminToken },
];

describe('test-only controls need the sandbox admin token, as JSON', () => {
  it('a made token is long and each sandbox has its own', () => {
    for (const s of sandboxes()) expect(s.token.length).toBeGreaterThanOrEqual(32);
    expect(ali.sandbox.adminToken).not.toBe(wx.sandbox.adminToken);
  });

  it('refuses the clock, faults and books without a token or with a wrong one, however the path is spelt', async () => {
    for (const s of sandboxes()) {
      const clockBefore = (await call(`${s.base}/clock`, { token: s.token })).body.offset_ms;
      const attempts = [
        { path: '/clock', method: 'POST', body: '{"advance_ms":86400000}' },
        { path: '/%63lock', method: 'POST', body: '{"advance_ms":86400000}' },
        { path: '/faults', method: 'PUT', body: '{"callError5xx":1}' },
        { path: '/clock', method: 'GET' },
        { path: '/faults', method: 'GET' },
        {
          path: s.name === 'alipay' ? `/books/apps/${client.appId}` : `/books/sub-merchants/${merchant.sub_mchids[0]}`,
          method: 'GET',
        },
      ];
      for (const a of attempts) {
        for (const token of [undefined, 'wrong-token-of-enough-length', `${s.token}x`]) {
          const res = await call(`${s.base}${a.path}`, {
            method: a.method,
            token,
            ...(a.body ? { type: 'application/json', body: a.body } : {}),
          });
          expect(res.status, `${s.name} ${a.method} ${a.path} with ${token ?? 'no token'}`).toBe(401);
          expect(res.body.error.code).toBe(token === undefined ? 'admin_token_required' : 'admin_token_invalid');
          expect(res.headers.get('www-authenticate')).toContain('Bearer');
        }
      }
      expect((await call(`${s.base}/clock`, { token: s.token })).body.offset_ms).toBe(clockBefore);
      expect((await call(`${s.base}/faults`, { token: s.token })).body.callError5xx).toBe(0);
    }
  });

  it('refuses text/plain and form bodies even with the token (what any web page can send)', async () => {
    for (const s of sandboxes()) {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
        const res = await call(`${s.base}/clock`, {
          method: 'POST',
          token: s.token,
          type,
          body: '{"advance_ms":86400000}',
        });
        expect(res.status, `${s.name} ${type}`).toBe(415);
        expect(res.body.error.code).toBe('unsupported_media_type');
      }
      const faults = await call(`${s.base}/faults`, {
        method: 'PUT',
        token: s.token,
        type: 'text/plain',
        body: '{"callError5xx":1}',
      });
      expect(faults.status).toBe(415);
      expect((await call(`${s.base}/clock`, { token: s.token })).body.offset_ms).toBe(0);
    }
  });

  it('moves the clock with the token and a JSON body', async () => {
    for (const s of sandboxes()) {
      const moved = await call(`${s.base}/clock`, {
        method: 'POST',
        token: s.token,
        type: 'application/json',
        body: '{"advance_ms":1000}',
      });
      expect(moved.status).toBe(200);
      expect(moved.body.offset_ms).toBe(1000);
    }
  });

  it('keeps the real API and the wallet open to clients without the token', async () => {
    const pre = await client.sdk.exec('alipay.trade.precreate', {
      notifyUrl: 'http://127.0.0.1:9/notify',
      bizContent: tradeBiz(client.smids[0]!, outNo('OPEN'), '1.00'),
    });
    expect(pre.code).toBe('10000');
    const paid = await call(`${ali.base}/wallet/pay`, {
      method: 'POST',
      type: 'application/json',
      body: JSON.stringify({ code_url: pre.qrCode }),
    });
    expect(paid.status).toBe(200);
  });

  it('refuses a configured token that is too short', async () => {
    await expect(startSandbox({ adminToken: 'short' })).rejects.toThrow(/at least 16 characters/);
  });
});

describe('notifications go only to loopback or HUTONG_SANDBOX_NOTIFY_HOSTS', () => {
  it('Alipay refuses a notify_url elsewhere at order creation with ACQ.INVALID_PARAMETER', async () => {
    for (const notifyUrl of [
      'http://169.254.169.254/latest/meta-data',
      'http://10.0.0.8/notify',
      'https://attacker.example/collect',
      'ftp://127.0.0.1/x',
      'http://user:pw@127.0.0.1/n',
    ]) {
      const res = await client.sdk.exec('alipay.trade.precreate', {
        notifyUrl,
        bizContent: tradeBiz(client.smids[0]!, outNo('NU'), '1.00'),
      });
      expect(res, notifyUrl).toMatchObject({ code: '40004', subCode: 'ACQ.INVALID_PARAMETER' });
      expect(res.subMsg).toContain('notify_url');
    }
    for (const notifyUrl of [
      'http://127.0.0.1:9/notify',
      'http://localhost:9/n',
      'http://[::1]:9/n',
      `https://${NOTIFY_HOST}/alipay`,
    ]) {
      const res = await client.sdk.exec('alipay.trade.precreate', {
        notifyUrl,
        bizContent: tradeBiz(client.smids[0]!, outNo('NO'), '1.00'),
      });
      expect(res.code, notifyUrl).toBe('10000');
    }
  });

  it('WeChat Pay refuses a notify_url elsewhere at order creation with 400 PARAM_ERROR', async () => {
    const api = clientFor(wx, merchant);
    const order = (notify_url: string) => ({
      sp_appid: merchant.appid,
      sp_mchid: merchant.mchid,
      sub_mchid: merchant.sub_mchids[0],
      description: 'notify check',
      out_trade_no: outNo('N'),
      notify_url,
      amount: { total: 100, currency: 'CNY' },
    });
    for (const url of [
      'http://169.254.169.254/latest/meta-data',
      'https://attacker.example/collect',
      'http://192.168.1.1/n',
    ]) {
      const refused = await refusal(api.v3.pay.partner.transactions.native.post(order(url)));
      expect(refused, url).toEqual({ status: 400, code: 'PARAM_ERROR' });
    }
    for (const url of ['http://127.0.0.1:9/n', `https://${NOTIFY_HOST}/wechatpay`]) {
      const { status } = await api.v3.pay.partner.transactions.native.post(order(url));
      expect(status, url).toBe(200);
    }
  });
});

describe('buyers return only to http(s) URLs on allowed hosts', () => {
  it('the Alipay gateway refuses return_url=javascript: and foreign hosts (API and cashier page)', async () => {
    for (const returnUrl of [
      'javascript:alert(document.cookie)',
      'JaVaScRiPt:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'https://phish.example/back',
    ]) {
      const url = client.sdk.pageExec('alipay.trade.page.pay', 'GET', {
        returnUrl,
        bizContent: { ...tradeBiz(client.smids[0]!, outNo('RU'), '2.00'), product_code: 'FAST_INSTANT_TRADE_PAY' },
      });
      const page = await call(url);
      expect(page.status, returnUrl).toBe(400);
      expect(page.body).toContain('return_url');
      expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
      const paid = await call(`${ali.base}/wallet/pay`, {
        method: 'POST',
        type: 'application/json',
        body: JSON.stringify({ url }),
      });
      expect(paid.status).toBe(400);
      expect(paid.body.error.message).toContain('return_url');
    }
  });

  it('the WeChat wallet page refuses a javascript: or foreign redirect_url with an error page', async () => {
    const api = clientFor(wx, merchant);
    const { data } = await api.v3.pay.partner.transactions.h5.post({
      sp_appid: merchant.appid,
      sp_mchid: merchant.mchid,
      sub_mchid: merchant.sub_mchids[0],
      description: 'h5',
      out_trade_no: outNo('H'),
      notify_url: 'http://127.0.0.1:9/n',
      amount: { total: 100, currency: 'CNY' },
      scene_info: { payer_client_ip: '127.0.0.1', h5_info: { type: 'Wap' } },
    });
    for (const redirect of ['javascript:alert(1)', 'vbscript:x', 'https://phish.example/']) {
      const page = await call(`${data.h5_url}&redirect_url=${encodeURIComponent(redirect)}`);
      expect(page.status, redirect).toBe(400);
      expect(page.body).toContain('invalid_redirect_url');
      expect(page.body).not.toContain(redirect.replace(/</g, ''));
      expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    }
    const ok = await call(`${data.h5_url}&redirect_url=${encodeURIComponent('http://127.0.0.1:9/back')}`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-security-policy')).toMatch(/script-src 'nonce-[^']+'/);
  });
});

describe('registration is rate-limited and bounded', () => {
  it('answers 429 with a JSON error once the minute’s registrations are spent', async () => {
    // More registrations at once than a whole minute's budget: the budget is taken as each request arrives (before
    // any key is generated), so however slowly the keys come, some of the burst are refused.
    const burst = REGISTRATIONS_PER_MINUTE + 3;
    for (const s of [
      { url: `${ali.base}/apps`, ok: 200 },
      { url: `${wx.base}/merchants`, ok: 201 },
    ]) {
      const answers = await Promise.all(
        Array.from({ length: burst }, () => call(s.url, { method: 'POST', type: 'application/json', body: '{}' })),
      );
      const refused = answers.filter((a) => a.status === 429);
      const passed = answers.filter((a) => a.status === s.ok);
      expect(refused.length + passed.length, s.url).toBe(burst);
      expect(refused.length).toBeGreaterThan(0);
      for (const r of refused) {
        expect(r.body.error.code).toBe('too_many_registrations');
        expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
      }
    }
  });

  it('refuses an oversized registration or control body with 413', async () => {
    const big = JSON.stringify({ padding: 'x'.repeat(64 * 1024) });
    for (const url of [`${ali.base}/apps`, `${wx.base}/merchants`]) {
      // The size is checked before the budget: an oversized body neither reaches key generation nor spends a turn.
      const res = await call(url, { method: 'POST', type: 'application/json', body: big });
      expect(res.status, url).toBe(413);
      expect(res.body.error.code).toBe('body_too_large');
    }
    for (const s of sandboxes()) {
      const res = await call(`${s.base}/faults`, {
        method: 'PUT',
        token: s.token,
        type: 'application/json',
        body: big,
      });
      expect(res.status).toBe(413);
      expect(res.body.error.code).toBe('body_too_large');
    }
  });
});
