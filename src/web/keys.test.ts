// API keys in the consoles (headless Chromium against a real Hutong): a merchant lists its keys without secrets,
// rotates one (the new key shown once) and revokes one; ops makes a storefront's publishable key. The storefront
// browses with the server's publishable key and makes its guest buyer only when the cart is first saved.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { TestHutong } from '../../test/helpers/hutong';
import { merchant, product, until, type TestMerchant } from '../../test/helpers/market';
import { launchBrowser, newContext, screenshot, startWebHutong } from './testing';

let h: TestHutong;
let browser: Browser;
let m: TestMerchant;

beforeAll(async () => {
  h = await startWebHutong({ sandboxes: false });
  browser = await launchBrowser();
  m = await merchant(h, 'Key shop');
});

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

async function logIn(path: '/merchant' | '/ops', key: string): Promise<Page> {
  const ctx = await newContext(browser, 'desktop', 'en-US');
  const page = await ctx.newPage();
  page.on('dialog', (d) => void d.accept().catch(() => undefined));
  await page.goto(h.url + path);
  await page.fill('input[name="api_key"]', key);
  await page.click('button[type="submit"]');
  await page.waitForSelector('header.top nav');
  return page;
}

const buyerCount = async () => (await h.db.query<{ n: number }>('SELECT count(*)::int AS n FROM buyers')).rows[0]!.n;

describe('consoles', () => {
  it('a merchant lists its keys by prefix, rotates one and revokes the new one', async () => {
    const spare = await h.call('POST', `/v1/merchants/${m.id}/api-keys`, { key: h.opsKey, body: { label: 'till 1' } });
    const page = await logIn('/merchant', m.key);
    await page.click('nav a[href="/merchant/keys"]');
    const row = page.locator(`tr[data-key-id="${spare.body.id}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain(spare.body.prefix);
    expect(await page.content()).not.toContain(spare.body.key);
    await row.locator('button:text("Rotate")').click();
    const secret = (await page.locator('[data-testid="new-key"] pre').textContent())!.trim();
    expect(secret).toMatch(/^hk_merchant_/);
    expect((await h.call('GET', '/v1/orders', { key: secret })).status).toBe(200);
    expect((await h.call('GET', '/v1/orders', { key: spare.body.key })).status).toBe(200); // the overlap
    await screenshot(page, 'merchant-keys');
    const rotated = (await h.call('GET', `/v1/merchants/${m.id}/api-keys`, { key: m.key })).body.data.find(
      (k: { replaced_by: string | null; id: string }) => k.id === spare.body.id,
    ).replaced_by as string;
    await page.locator(`tr[data-key-id="${rotated}"] button:text("Revoke")`).click();
    await page.locator(`tr[data-key-id="${rotated}"] :text("Revoked")`).waitFor();
    expect((await h.call('GET', '/v1/orders', { key: secret })).status).toBe(401);
    await page.context().close();
  });

  it('ops makes a storefront publishable key and sees it listed', async () => {
    const page = await logIn('/ops', h.opsKey);
    await page.click('nav a[href="/ops/keys"]');
    await page.fill('input[name="key-label"]', 'night market');
    await page.locator('form button[type="submit"]').first().click();
    const secret = (await page.locator('[data-testid="new-key"] pre').textContent())!.trim();
    expect(secret).toMatch(/^pk_/);
    await page.locator('td:text("night market")').first().waitFor();
    expect((await h.call('GET', '/v1/products', { key: secret })).status).toBe(200);
    expect((await h.call('GET', '/v1/orders', { key: secret })).status).toBe(403);
    await screenshot(page, 'ops-keys');
    await page.context().close();
  });
});

describe('storefront', () => {
  it('browsing makes no buyer; the first saved cart makes one', async () => {
    const p = await product(h, m, { name: 'Lantern' });
    const before = await buyerCount();
    const ctx = await newContext(browser, 'desktop', 'en-US');
    const page = await ctx.newPage();
    await page.goto(`${h.url}/shop`);
    await page.click(`.shop-card[data-merchant-id="${m.id}"] a`);
    await page.waitForSelector(`[data-product-id="${p.id}"] button`);
    expect(await buyerCount()).toBe(before);
    await page.click(`[data-product-id="${p.id}"] button`);
    await until(h, async () => (await buyerCount()) === before + 1, 'the guest buyer made when the cart is saved');
    expect(await page.evaluate('localStorage.getItem("hutong.buyer")')).toContain('hk_buyer_');
    await ctx.close();
  });
});
