// The storefront and cashier in headless Chromium against a real Hutong and its in-process sandboxes: a buyer
// browses, checks out across shops and pays with each wallet the way each client does (desktop QR, mobile H5,
// JSAPI inside WeChat). Screenshots of each page go to test-artifacts/web/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { TestHutong } from '../../test/helpers/hutong';
import { launchBrowser, newContext, screenshot, startWebHutong } from './testing';
import { enableWechatpay, orderStatus, shop, type TestShop } from './market';

let h: TestHutong;
let browser: Browser;
let silk: TestShop;
let tea: TestShop;
let books: TestShop;

beforeAll(async () => {
  h = await startWebHutong();
  browser = await launchBrowser();
  await enableWechatpay(h);
  [silk, tea, books] = [
    await shop(
      h,
      '江南丝绸',
      [
        ['真丝围巾', 29900],
        ['桑蚕丝眼罩', 8900],
      ],
      { wechatpay: true },
    ),
    await shop(h, '云南茶园', [['普洱茶饼', 16800]], { wechatpay: true }),
    await shop(h, '旧书店', [['线装书', 5000]]),
  ];
});

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

async function addFromShop(page: Page, s: TestShop, productIndex = 0): Promise<void> {
  await page.goto(`${h.url}/shop`);
  await page.click(`.shop-card[data-merchant-id="${s.id}"] a`);
  await page.click(`[data-product-id="${s.products[productIndex]!.id}"] button`);
}

/** Browses two shops, checks out, and lands on the cashier; returns the payment id. */
async function checkout(page: Page, shops: TestShop[], shotName?: string): Promise<string> {
  for (const s of shops) await addFromShop(page, s);
  await page.goto(`${h.url}/shop/cart`);
  if (shotName) await screenshot(page, `${shotName}-cart`);
  await page.click('#checkout');
  await page.waitForURL(/\/shop\/payments\/pay_/);
  await page.waitForSelector('.methods');
  return new URL(page.url()).pathname.split('/').pop()!;
}

async function paidOrderIds(page: Page): Promise<string[]> {
  await page.waitForSelector('.paid .paid-orders li', { timeout: 30_000 });
  return page.locator('.paid-orders li').evaluateAll((els) => els.map((e) => e.getAttribute('data-order-id') ?? ''));
}

describe('storefront', () => {
  it('follows the browser’s language and remembers the buyer’s switch', async () => {
    const ctx = await newContext(browser, 'desktop', 'en-US');
    const page = await ctx.newPage();
    await page.goto(`${h.url}/shop`);
    await page.waitForSelector('.shop-card');
    expect(await page.textContent('header.top nav')).toContain('My orders');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await screenshot(page, 'shop-home-en');
    await page.click('button.lang');
    expect(await page.textContent('header.top nav')).toContain('我的订单');
    await page.reload();
    await page.waitForSelector('.shop-card');
    expect(await page.textContent('header.top nav')).toContain('我的订单');
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    await ctx.close();
  });

  it('a live room shows its host and featured products, which go into the cart', async () => {
    const room = await h.call('POST', '/v1/live-rooms', { key: silk.key, body: { title: '丝绸直播间' } });
    expect(room.status).toBe(201);
    const now = Date.now();
    const session = await h.call('POST', `/v1/live-rooms/${room.body.id}/sessions`, {
      key: silk.key,
      body: {
        host: '小丝',
        starts_at: new Date(now - 60_000).toISOString(),
        ends_at: new Date(now + 3_600_000).toISOString(),
        featured_product_ids: [silk.products[1]!.id],
      },
    });
    expect(session.status).toBe(201);
    const ctx = await newContext(browser, 'desktop');
    const page = await ctx.newPage();
    await page.goto(`${h.url}/shop`);
    await page.click(`a[href="/shop/live/${room.body.id}"]`);
    await page.waitForSelector(`[data-product-id="${silk.products[1]!.id}"]`);
    expect(await page.textContent('main')).toContain('小丝');
    await page.click(`[data-product-id="${silk.products[1]!.id}"] button`);
    await screenshot(page, 'shop-live-room');
    await page.click('a[href="/shop/cart"]');
    await page.waitForSelector(`tr[data-product-id="${silk.products[1]!.id}"]`);
    await ctx.close();
  });
});

describe('cashier on a desktop browser', () => {
  let ctx: BrowserContext;
  beforeAll(async () => {
    ctx = await newContext(browser, 'desktop');
  });
  afterAll(async () => ctx?.close());

  it('a buyer pays a two-merchant checkout with WeChat Pay by scanning the QR with the sandbox wallet and sees both orders paid', async () => {
    const page = await ctx.newPage();
    await page.goto(`${h.url}/shop`);
    await page.waitForSelector('.shop-card');
    await screenshot(page, 'shop-home');
    await addFromShop(page, silk);
    await screenshot(page, 'shop-products');
    await addFromShop(page, tea);
    await page.goto(`${h.url}/shop/cart`);
    await screenshot(page, 'shop-cart');
    await page.click('#checkout');
    await page.waitForURL(/\/shop\/payments\/pay_/);
    await page.waitForSelector('.methods');
    await screenshot(page, 'cashier-methods');
    expect(await page.locator('[data-method="wechatpay"] button').isEnabled()).toBe(true);

    await page.click('[data-method="wechatpay"] button');
    const qr = page.locator('img.qr');
    await qr.waitFor();
    expect(await qr.getAttribute('data-qr-text')).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=/);
    await screenshot(page, 'cashier-wechatpay-qr');

    const [wallet] = await Promise.all([ctx.waitForEvent('page'), page.click('a.simulate-scan')]);
    await wallet.waitForSelector('#pay');
    expect(await wallet.textContent('body')).toContain('¥467.00'); // 299.00 + 168.00, both merchants on one page
    await screenshot(wallet, 'sandbox-wechatpay-wallet');
    await wallet.click('#pay');
    await wallet.waitForSelector('#result:not(:empty)');
    await wallet.close();

    const orderIds = await paidOrderIds(page);
    await screenshot(page, 'cashier-paid');
    expect(orderIds).toHaveLength(2);
    for (const id of orderIds) expect(await orderStatus(h, id)).toBe('paid');
  });

  it('a buyer pays a two-merchant checkout with Alipay by opening the merged payment in the sandbox wallet and sees both orders paid', async () => {
    const page = await ctx.newPage();
    await checkout(page, [silk, books]);
    await page.click('[data-method="alipay"] button');
    const qr = page.locator('img.qr');
    await qr.waitFor();
    // Alipay has no desktop merge: the QR carries the merged H5 payment URL.
    expect(await qr.getAttribute('data-qr-text')).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/sandbox\/alipay\/gateway\.do\?.*alipay\.trade\.wap\.merge\.pay/,
    );
    await screenshot(page, 'cashier-alipay-qr');

    const [wallet] = await Promise.all([ctx.waitForEvent('page'), page.click('a.simulate-scan')]);
    await wallet.waitForSelector('#pay');
    await screenshot(wallet, 'sandbox-alipay-cashier');
    await wallet.click('#pay');
    // After paying, the wallet returns the buyer to the storefront's payment page.
    await wallet.waitForURL(/\/shop\/payments\/pay_/);
    await wallet.close();

    const orderIds = await paidOrderIds(page);
    expect(orderIds).toHaveLength(2);
    for (const id of orderIds) expect(await orderStatus(h, id)).toBe('paid');
  });

  it('a method a merchant in the checkout lacks is shown unavailable with its reason (merchant_not_enabled)', async () => {
    const page = await ctx.newPage();
    await checkout(page, [silk, books]);
    const wechat = page.locator('[data-method="wechatpay"]');
    expect(await wechat.getAttribute('data-reason')).toBe('merchant_not_enabled');
    expect(await wechat.locator('button').count()).toBe(0);
    expect(await wechat.textContent()).toContain('有商家尚未开通该支付方式');
    await screenshot(page, 'cashier-wechatpay-unavailable');
  });
});

describe('cashier on a phone', () => {
  it('a mobile buyer is sent to the WeChat Pay H5 page, pays there, and comes back to see the order paid', async () => {
    const ctx = await newContext(browser, 'mobile', 'en-US');
    const page = await ctx.newPage();
    await checkout(page, [tea]);
    await screenshot(page, 'mobile-cashier-en');
    await page.click('[data-method="wechatpay"] button');
    await page.waitForURL(/\/sandbox\/wechatpay\//);
    await page.waitForSelector('#pay');
    await screenshot(page, 'mobile-sandbox-wechatpay-h5');
    await page.click('#pay');
    await page.waitForURL(/\/shop\/payments\/pay_/);
    const orderIds = await paidOrderIds(page);
    await screenshot(page, 'mobile-paid-en');
    expect(orderIds).toHaveLength(1);
    expect(await orderStatus(h, orderIds[0]!)).toBe('paid');
    await ctx.close();
  });

  it('inside WeChat the cashier hides Alipay (client_unsupported) and pays WeChat Pay through the JSAPI bridge', async () => {
    const ctx = await newContext(browser, 'wechat');
    // Stands in for WeChat's in-app bridge: pays the prepay_id at the sandbox wallet with the page's JSAPI
    // parameters, which the sandbox checks (paySign with the platform's key) as WeChat would.
    await ctx.addInitScript(() => {
      const w = globalThis as unknown as Record<string, unknown>;
      w.WeixinJSBridge = {
        invoke(_name: string, params: Record<string, string>, done: (res: { err_msg: string }) => void) {
          const prepayId = params.package!.replace('prepay_id=', '');
          fetch('/sandbox/wechatpay/wallet/pay', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ prepay_id: prepayId, jsapi_params: params }),
          }).then(
            (r) => done({ err_msg: r.ok ? 'get_brand_wcpay_request:ok' : 'get_brand_wcpay_request:fail' }),
            () => done({ err_msg: 'get_brand_wcpay_request:fail' }),
          );
        },
      };
    });
    const page = await ctx.newPage();
    await checkout(page, [silk, tea]);
    expect(await page.locator('[data-method="alipay"]').getAttribute('data-reason')).toBe('client_unsupported');
    await screenshot(page, 'wechat-cashier');
    await page.click('[data-method="wechatpay"] button');
    const orderIds = await paidOrderIds(page);
    await screenshot(page, 'wechat-paid');
    expect(orderIds).toHaveLength(2);
    for (const id of orderIds) expect(await orderStatus(h, id)).toBe('paid');
    await ctx.close();
  });
});
