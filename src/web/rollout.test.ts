// Rolling WeChat Pay out through the pages: an operator runs a wave in the operations console, the invited
// merchant accepts in the merchant console, and the buyer's cashier follows (method appears once the merchant is
// live; an operator's pause shows its reason). Headless Chromium against a real Hutong; screenshots in
// test-artifacts/web/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { TestHutong } from '../../test/helpers/hutong';
import { until } from '../../test/helpers/market';
import { launchBrowser, newContext, screenshot, startWebHutong } from './testing';
import { enableWechatpay, shop, type TestShop } from './market';

let h: TestHutong;
let browser: Browser;
let silk: TestShop;
let buyerCtx: BrowserContext;

beforeAll(async () => {
  // No notice period, so a wave can launch within the test.
  h = await startWebHutong({ env: { HUTONG_ROLLOUT_NOTICE_DAYS: '0' } });
  browser = await launchBrowser();
  await enableWechatpay(h);
  silk = await shop(h, '江南丝绸', [['真丝围巾', 29900]], { wechatpay: true });
  buyerCtx = await newContext(browser, 'desktop', 'zh-CN');
});

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

async function openConsole(
  path: '/merchant' | '/ops',
  key: string,
  locale: 'zh-CN' | 'en-US' = 'en-US',
): Promise<Page> {
  const ctx = await newContext(browser, 'desktop', locale);
  const page = await ctx.newPage();
  page.on('dialog', (d) => void d.accept().catch(() => undefined));
  await page.goto(h.url + path);
  await page.fill('input[name="api_key"]', key);
  await page.click('button[type="submit"]');
  await page.waitForSelector('header.top nav');
  return page;
}

/** The buyer checks out one silk scarf and lands on the cashier. */
async function cashier(): Promise<Page> {
  const page = await buyerCtx.newPage();
  await page.goto(`${h.url}/shop/shops/${silk.id}`);
  await page.click(`[data-product-id="${silk.products[0]!.id}"] button`);
  await page.goto(`${h.url}/shop/cart`);
  await page.click('#checkout');
  await page.waitForSelector('.methods');
  return page;
}

async function activationStatus(): Promise<string | undefined> {
  const res = await h.call('GET', `/v1/merchants/${silk.id}/payment-methods`, { key: silk.key });
  return (res.body.data as Array<{ method: string; status: string }>).find((m) => m.method === 'wechatpay')?.status;
}

describe('rolling out WeChat Pay', () => {
  it('a merchant accepts a WeChat Pay invitation and the method then appears for a buyer', async () => {
    const ops = await openConsole('/ops', h.opsKey);
    await ops.click('nav a[href="/ops/waves"]');
    await ops.fill('.new-wave input[name="name"]', 'Silk first');
    await ops.check(`.merchant-picks input[value="${silk.id}"]`);
    await screenshot(ops, 'ops-waves-new');
    await ops.click('.new-wave button[type="submit"]');
    await ops.click('.notice.ok a');
    await ops.click('.wave-actions button.invite');
    await ops.waitForSelector(`table.activations tr[data-merchant-id="${silk.id}"][data-status="invited"]`);
    await ops.click('.wave-actions button.launch');
    await ops.waitForSelector('h1 .badge-launched');

    // A wave exists now: WeChat Pay needs the merchant live in it, which it is not yet.
    const before = await cashier();
    expect(await before.locator('[data-method="wechatpay"]').getAttribute('data-reason')).toBe('merchant_not_enabled');
    await screenshot(before, 'rollout-cashier-before-accept');

    const merchant = await openConsole('/merchant', silk.key, 'zh-CN');
    await merchant.click('nav a[href="/merchant/payment-methods"]');
    await merchant.waitForSelector('.activations [data-method="wechatpay"][data-status="invited"]');
    await screenshot(merchant, 'merchant-wechatpay-invitation');
    await merchant.check('.accept-form input[name="agreement"]');
    await merchant.click('.accept-form button[type="submit"]');
    // The linked sub-merchant account skips the application: approved at once, live when the worker sees the wave.
    await merchant.waitForSelector('.activations [data-method="wechatpay"]:not([data-status="invited"])');
    await until(h, async () => (await activationStatus()) === 'live', 'the activation going live');
    await merchant.reload();
    await merchant.waitForSelector('.activations [data-method="wechatpay"][data-status="live"]');
    await screenshot(merchant, 'merchant-wechatpay-live');

    await before.reload();
    await before.waitForSelector('[data-method="wechatpay"] button');
    expect(await before.locator('[data-method="wechatpay"]').getAttribute('data-reason')).toBe('');
    await screenshot(before, 'rollout-cashier-after-accept');

    await ops.reload();
    await ops.waitForSelector('.funnel [data-stage="live"]');
    expect(await ops.getAttribute('.funnel [data-stage="invited"]', 'data-count')).toBe('1');
    expect(await ops.getAttribute('.funnel [data-stage="accepted"]', 'data-count')).toBe('1');
    expect(await ops.getAttribute('.funnel [data-stage="live"]', 'data-count')).toBe('1');
    await screenshot(ops, 'ops-wave-funnel');
  });

  it('an operator pauses WeChat Pay and the cashier shows the reason', async () => {
    const ops = await openConsole('/ops', h.opsKey, 'zh-CN');
    const row = ops.locator('table.catalogue tr[data-method="wechatpay"]');
    await row.locator('button.pause').click();
    await ops.waitForSelector('table.catalogue tr[data-method="wechatpay"][data-paused="true"]');
    await screenshot(ops, 'ops-wechatpay-paused');

    const page = await cashier();
    const wechat = page.locator('[data-method="wechatpay"]');
    expect(await wechat.getAttribute('data-reason')).toBe('method_paused');
    expect(await wechat.textContent()).toContain('该支付方式暂停使用');
    await screenshot(page, 'cashier-wechatpay-paused');

    await row.locator('button.resume').click();
    await ops.waitForSelector('table.catalogue tr[data-method="wechatpay"][data-paused="false"]');
    await page.reload();
    await page.waitForSelector('[data-method="wechatpay"] button');
  });
});
