// The merchant and operations consoles, and the buyer's order pages, in headless Chromium against a real Hutong:
// products, shipping, confirming receipt, a refund request approved, balances and entries, the payment-method
// catalogue, the audit log and the ledger's trial balance. Screenshots go to test-artifacts/web/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { TestHutong } from '../../test/helpers/hutong';
import { buyer, until } from '../../test/helpers/market';
import { launchBrowser, newContext, screenshot, startWebHutong } from './testing';
import { orderStatus, paidCheckout, shop, type TestShop } from './market';

let h: TestHutong;
let browser: Browser;
let silk: TestShop;
let tea: TestShop;

beforeAll(async () => {
  h = await startWebHutong();
  browser = await launchBrowser();
  silk = await shop(
    h,
    'Jiangnan Silk',
    [
      ['Silk scarf', 29900],
      ['Silk eye mask', 8900],
    ],
    { wechatpay: true },
  );
  tea = await shop(h, 'Yunnan Tea', [['Pu-erh cake', 16800]]);
});

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

async function openConsole(
  path: '/merchant' | '/ops',
  key: string,
  locale: 'zh-CN' | 'en-US' = 'en-US',
  client: 'desktop' | 'mobile' = 'desktop',
): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await newContext(browser, client, locale);
  const page = await ctx.newPage();
  page.on('dialog', (d) => void d.accept().catch(() => undefined));
  await page.goto(h.url + path);
  await page.fill('input[name="api_key"]', key);
  await page.click('button[type="submit"]');
  await page.waitForSelector('header.top nav');
  return { ctx, page };
}

async function buyerContext(b: { id: string; key: string }): Promise<BrowserContext> {
  const ctx = await newContext(browser, 'desktop', 'zh-CN');
  // The storefront keeps its guest buyer in localStorage; this buyer's orders were made through the API.
  await ctx.addInitScript({ content: `localStorage.setItem('hutong.buyer', ${JSON.stringify(JSON.stringify(b))});` });
  return ctx;
}

describe('merchant console', () => {
  it('a merchant logs in with its key, creates a product and changes a price', async () => {
    const ctx = await newContext(browser, 'desktop', 'en-US');
    const page = await ctx.newPage();
    await page.goto(`${h.url}/merchant`);
    await page.waitForSelector('input[name="api_key"]');
    await screenshot(page, 'merchant-login');
    await page.fill('input[name="api_key"]', silk.key);
    await page.click('button[type="submit"]');
    await page.waitForSelector('table.products');

    await page.fill('.new-product input[name="name"]', 'Silk pillowcase');
    await page.fill('.new-product input[name="price"]', '128.5');
    await page.fill('.new-product input[name="stock"]', '7');
    await page.click('.new-product button[type="submit"]');
    await page.waitForSelector('td:text("Silk pillowcase")');

    const mask = page.locator(`tr[data-product-id="${silk.products[1]!.id}"]`);
    await mask.locator('input[name="price"]').fill('79.90');
    await mask.locator('button').click();
    await mask.locator('small:text("Saved")').waitFor();
    await screenshot(page, 'merchant-products');

    const products = (await h.call('GET', `/v1/products?merchant_id=${silk.id}`, { key: silk.key })).body
      .data as Array<{ id: string; name: string; price: number; stock: number }>;
    expect(products.find((p) => p.name === 'Silk pillowcase')).toMatchObject({ price: 12850, stock: 7 });
    expect(products.find((p) => p.id === silk.products[1]!.id)?.price).toBe(7990);
    await ctx.close();
  });

  it('a paid order is shipped by the merchant and its receipt confirmed by the buyer on the order page', async () => {
    const b = await buyer(h);
    const [orderId] = await paidCheckout(h, b.key, [{ product_id: silk.products[0]!.id, quantity: 1 }]);

    const { ctx, page } = await openConsole('/merchant', silk.key);
    await page.click('nav a[href="/merchant/orders"]');
    await page.click(`tr[data-order-id="${orderId}"] a`);
    await page.click('#ship');
    await page.waitForSelector('h1 .badge-shipped');
    await screenshot(page, 'merchant-order-shipped');
    expect(await orderStatus(h, orderId!)).toBe('shipped');
    await ctx.close();

    const buyerCtx = await buyerContext(b);
    const shopPage = await buyerCtx.newPage();
    shopPage.on('dialog', (d) => void d.accept().catch(() => undefined));
    await shopPage.goto(`${h.url}/shop/orders`);
    await shopPage.click(`tr[data-order-id="${orderId}"] a`);
    await shopPage.click('#confirm-receipt');
    await shopPage.waitForSelector('h1 .badge-completed');
    await screenshot(shopPage, 'shop-order-completed');
    expect(await orderStatus(h, orderId!)).toBe('completed');
    await buyerCtx.close();
  });

  it('a buyer asks for a refund on the order page and the merchant approves it in the console', async () => {
    const b = await buyer(h);
    const [orderId] = await paidCheckout(h, b.key, [{ product_id: tea.products[0]!.id, quantity: 2 }]);

    const buyerCtx = await buyerContext(b);
    const shopPage = await buyerCtx.newPage();
    await shopPage.goto(`${h.url}/shop/orders/${orderId}`);
    await shopPage.fill('.refund-request input[name="reason"]', '茶饼受潮');
    await shopPage.click('.refund-request button[type="submit"]');
    await shopPage.waitForSelector('.refund-requests li[data-status="open"]');
    await screenshot(shopPage, 'shop-refund-requested');

    // On a phone: the console must work there too.
    const { ctx, page } = await openConsole('/merchant', tea.key, 'zh-CN', 'mobile');
    await page.goto(`${h.url}/merchant/orders/${orderId}`);
    await page.click('.refund-requests button.approve');
    await page.waitForSelector('.refund-requests li[data-status="approved"]');
    await page.waitForSelector('.refunds li');
    await screenshot(page, 'mobile-merchant-refund-approved');
    const refunds = await h.call('GET', `/v1/orders/${orderId}/refunds`, { key: tea.key });
    expect(refunds.body.data).toHaveLength(1);
    expect(refunds.body.data[0].amount).toBe(2 * 16800);
    await ctx.close();
    await buyerCtx.close();
  });

  it('the balance page shows what the ledger says the providers hold for the merchant, and its entries', async () => {
    const b = await buyer(h);
    await paidCheckout(h, b.key, [{ product_id: silk.products[1]!.id, quantity: 1 }]);
    // The ledger posts from the payments outbox in the background.
    await until(
      h,
      async () =>
        (await h.call('GET', `/v1/merchants/${silk.id}/balance`, { key: silk.key })).body.balances.some(
          (x: { frozen: number }) => x.frozen > 0,
        ),
      'ledger postings',
    );
    const balance = (await h.call('GET', `/v1/merchants/${silk.id}/balance`, { key: silk.key })).body
      .balances as Array<{ provider: string; frozen: number; available: number }>;
    const alipay = balance.find((x) => x.provider === 'alipay')!;

    const { ctx, page } = await openConsole('/merchant', silk.key);
    await page.click('nav a[href="/merchant/balance"]');
    const card = page.locator('.balances [data-provider="alipay"]');
    await card.waitFor();
    const yuan = (fen: number) => `¥${Math.trunc(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
    expect(await card.textContent()).toContain(`Frozen: ${yuan(alipay.frozen)}`);
    expect(await card.textContent()).toContain(`Available: ${yuan(alipay.available)}`);
    await page.waitForSelector('table.entries tbody tr');
    await screenshot(page, 'merchant-balance');

    await page.click('nav a[href="/merchant/payment-methods"]');
    await page.waitForSelector('table.provider-accounts tr[data-provider="wechatpay"][data-status="active"]');
    await page.waitForSelector('table.provider-accounts tr[data-provider="alipay"][data-status="active"]');
    await screenshot(page, 'merchant-payment-methods');
    await ctx.close();
  });
});

describe('operations console', () => {
  it('an operator enables WeChat Pay in the catalogue and sees the change in the audit log', async () => {
    const { ctx, page } = await openConsole('/ops', h.opsKey);
    const row = page.locator('table.catalogue tr[data-method="wechatpay"]');
    await row.waitFor();
    expect(await row.getAttribute('data-enabled')).toBe('false');
    await row.locator('button:text("Enable")').click();
    await page.waitForSelector('table.catalogue tr[data-method="wechatpay"][data-enabled="true"]');
    await screenshot(page, 'ops-payment-methods');
    const methods = (await h.call('GET', '/v1/payment-methods', { key: h.opsKey })).body.data as Array<{
      method: string;
      enabled: boolean;
    }>;
    expect(methods.find((m) => m.method === 'wechatpay')?.enabled).toBe(true);

    await page.click('nav a[href="/ops/audit"]');
    await page.waitForSelector('table.audit tbody tr');
    expect(await page.locator('table.audit tbody').textContent()).toContain('wechatpay');
    await screenshot(page, 'ops-audit-log');
    await ctx.close();
  });

  it('the trial balance page shows every account and that the ledger balances', async () => {
    const { ctx, page } = await openConsole('/ops', h.opsKey, 'zh-CN');
    await page.click('nav a[href="/ops/ledger"]');
    await page.waitForSelector('.trial-balance-state');
    expect(await page.getAttribute('.trial-balance-state', 'data-balanced')).toBe('true');
    const accounts = (await h.call('GET', '/v1/ledger/trial-balance', { key: h.opsKey })).body.accounts as unknown[];
    expect(accounts.length).toBeGreaterThan(0);
    expect(await page.locator('table.trial-balance tbody tr').count()).toBe(accounts.length);
    await screenshot(page, 'ops-trial-balance');
    await ctx.close();
  });

  it('the reconciliation page runs a bill day and shows the run as the API reports it', async () => {
    const { ctx, page } = await openConsole('/ops', h.opsKey);
    await page.click('nav a[href="/ops/reconciliations"]');
    await page.selectOption('.recon-form select[name="provider"]', 'alipay');
    // Today's bill day in Asia/Shanghai: the day these tests paid on.
    await page.fill(
      '.recon-form input[name="date"]',
      new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date()),
    );
    await page.click('.recon-form button[type="submit"]');
    const run = page.locator('.recon-run:not([data-status="running"])');
    await run.waitFor();
    const api = (await h.call('GET', `/v1/reconciliations/${await run.getAttribute('data-run-id')}`, { key: h.opsKey }))
      .body;
    expect(api.status).toBe('completed');
    expect(await run.getAttribute('data-status')).toBe('completed');
    expect(await run.locator('.matched').textContent()).toBe(String(api.matched));
    expect(await run.locator('.mismatch-count').textContent()).toBe(String(api.mismatches.length));
    await screenshot(page, 'ops-reconciliation');
    await ctx.close();
  });
});
