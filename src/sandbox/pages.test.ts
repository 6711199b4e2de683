// The sandbox wallet and cashier pages in headless Chromium with the injection payloads of a hostile caller:
// `javascript:` return/redirect URLs and script in redirect_url, url, return_url and the order's own text. Every
// payload sets a page-level flag (or opens a dialog) if it runs; none may, and no page navigates to javascript:.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../web/testing';
import { clientFor, outNo, startHarness, type Harness as WxHarness, type Registered } from './wechatpay/testkit';
import {
  registerClient,
  startSandbox,
  tradeBiz,
  type Harness as AliHarness,
  type RegisteredClient,
} from './alipay/testkit';

const FLAG_SCRIPT = `window.__pwned=1;alert('pwned')`;
const SCRIPT_PAYLOAD = `"</script><script>${FLAG_SCRIPT}</script><img src=x onerror="${FLAG_SCRIPT}">'`;

let browser: Browser;
let ali: AliHarness;
let wx: WxHarness;
let client: RegisteredClient;
let merchant: Registered;
/** The merchant's own site on loopback, where a buyer legitimately lands after paying. */
let shop: Server;
let shopOrigin: string;

beforeAll(async () => {
  [ali, wx, browser] = await Promise.all([startSandbox(), startHarness(), launchBrowser()]);
  [client, merchant] = await Promise.all([
    registerClient(ali, { sub_merchants: 1 }),
    wx.register({ sub_merchants: 1 }),
  ]);
  shop = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><h1 id="back">back at the shop</h1>'),
  );
  await new Promise<void>((resolve) => shop.listen(0, '127.0.0.1', resolve));
  shopOrigin = `http://127.0.0.1:${(shop.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await browser?.close();
  shop?.closeAllConnections();
  await new Promise<void>((resolve) => (shop ? shop.close(() => resolve()) : resolve()));
  await Promise.all([ali?.close(), wx?.close()]);
});

interface Watched {
  page: Page;
  dialogs: string[];
  navigations: string[];
  /** Console errors and uncaught exceptions: a blocked or broken script shows here. */
  errors: string[];
  close(): Promise<void>;
}

async function watchedPage(): Promise<Watched> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const dialogs: string[] = [];
  const navigations: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss().catch(() => undefined);
  });
  const errors: string[] = [];
  page.on('framenavigated', (f) => navigations.push(f.url()));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return { page, dialogs, navigations, errors, close: () => context.close() };
}

/** The flag every payload sets when it runs. */
const pwned = (page: Page) => page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned ?? null);

function expectInert(w: Watched): void {
  expect(w.dialogs).toEqual([]);
  expect(w.navigations.filter((u) => !/^https?:/.test(u))).toEqual([]);
  // Escaping, not only the Content-Security-Policy, keeps payloads inert: nothing was even blocked, and the page's
  // own script ran without error.
  expect(w.errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
}

async function h5Order(description = 'h5 order'): Promise<string> {
  const api = clientFor(wx, merchant);
  const { data } = await api.v3.pay.partner.transactions.h5.post({
    sp_appid: merchant.appid,
    sp_mchid: merchant.mchid,
    sub_mchid: merchant.sub_mchids[0],
    description,
    out_trade_no: outNo('H'),
    notify_url: `${shopOrigin}/notify`,
    amount: { total: 500, currency: 'CNY' },
    scene_info: { payer_client_ip: '127.0.0.1', h5_info: { type: 'Wap' } },
  });
  return data.h5_url as string;
}

describe('WeChat Pay wallet page', () => {
  it('refuses redirect_url=javascript: with an error page that runs nothing', async () => {
    const h5 = await h5Order();
    const w = await watchedPage();
    const res = await w.page.goto(`${h5}&redirect_url=${encodeURIComponent(`javascript:${FLAG_SCRIPT}`)}`);
    expect(res!.status()).toBe(400);
    expect(await w.page.textContent('body')).toContain('invalid_redirect_url');
    expect(await w.page.locator('button').count()).toBe(0);
    expect(await pwned(w.page)).toBeNull();
    expectInert(w);
    await w.close();
  });

  it('keeps script in url and redirect_url inert, pays, and returns the buyer to the shop', async () => {
    const h5 = await h5Order(`tea ${SCRIPT_PAYLOAD}`);
    const hostileUrl = `${h5}&x=${encodeURIComponent(SCRIPT_PAYLOAD)}`;
    const redirect = `${shopOrigin}/back?q=${encodeURIComponent(SCRIPT_PAYLOAD)}`;
    const w = await watchedPage();
    const res = await w.page.goto(
      `${wx.base}/wallet?url=${encodeURIComponent(hostileUrl)}&redirect_url=${encodeURIComponent(redirect)}`,
    );
    expect(res!.status()).toBe(200);
    await w.page.waitForSelector('#pay');
    expect(await w.page.locator('img').count()).toBe(0);
    expect(await w.page.locator('script:not([type="application/json"])').count()).toBe(1);
    expect(await w.page.textContent('main')).toContain('</script>'); // the description shows as text
    expect(await pwned(w.page)).toBeNull();
    await w.page.click('#pay');
    await w.page
      .waitForURL((u) => u.origin === shopOrigin && u.pathname === '/back')
      .catch((err: Error) => {
        throw new Error(`${err.message}; page errors: ${JSON.stringify(w.errors)}; at ${w.page.url()}`);
      });
    expect(new URL(w.page.url()).searchParams.get('q')).toBe(SCRIPT_PAYLOAD);
    expect(await w.page.textContent('#back')).toBe('back at the shop');
    expect(await pwned(w.page)).toBeNull();
    expectInert(w);
    await w.close();
  });
});

describe('Alipay cashier', () => {
  const pageUrl = (returnUrl: string, subject = 'silk scarf') =>
    client.sdk.pageExec('alipay.trade.page.pay', 'GET', {
      returnUrl,
      notifyUrl: `${shopOrigin}/notify`,
      bizContent: {
        ...tradeBiz(client.smids[0]!, outNo('PG'), '9.90'),
        subject,
        product_code: 'FAST_INSTANT_TRADE_PAY',
      },
    });

  it('does not follow return_url=javascript:: the cashier is an error page that runs nothing', async () => {
    for (const returnUrl of [
      `javascript:${FLAG_SCRIPT}`,
      ` JAVASCRIPT:${FLAG_SCRIPT}`,
      `data:text/html,<script>${FLAG_SCRIPT}</script>`,
    ]) {
      const w = await watchedPage();
      const res = await w.page.goto(pageUrl(returnUrl));
      expect(res!.status(), returnUrl).toBe(400);
      expect(await w.page.textContent('body')).toContain('return_url');
      expect(await w.page.locator('#pay').count()).toBe(0);
      expect(await pwned(w.page)).toBeNull();
      expectInert(w);
      await w.close();
    }
  });

  it('keeps script in the subject and return_url inert, pays, and returns the buyer to the shop', async () => {
    const returnUrl = `${shopOrigin}/return?q=${encodeURIComponent(SCRIPT_PAYLOAD)}`;
    const w = await watchedPage();
    const res = await w.page.goto(pageUrl(returnUrl, `scarf ${SCRIPT_PAYLOAD}`));
    expect(res!.status()).toBe(200);
    await w.page.waitForSelector('#pay');
    expect(await w.page.locator('img').count()).toBe(0);
    expect(await w.page.textContent('table')).toContain('</script>');
    expect(await pwned(w.page)).toBeNull();
    await w.page.click('#pay');
    await w.page
      .waitForURL((u) => u.origin === shopOrigin && u.pathname === '/return')
      .catch((err: Error) => {
        throw new Error(`${err.message}; page errors: ${JSON.stringify(w.errors)}; at ${w.page.url()}`);
      });
    const back = new URL(w.page.url()).searchParams;
    expect(back.get('q')).toBe(SCRIPT_PAYLOAD);
    expect(back.get('method')).toBe('alipay.trade.page.pay.return');
    expect(await pwned(w.page)).toBeNull();
    expectInert(w);
    await w.close();
  });
});
