// Test helpers for the browser tests: a real Hutong with the web pages (registered before it listens), payable
// merchants set up through the public API and the sandboxes, and headless Chromium through playwright-core.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startHutong, type StartOptions, type TestHutong } from '../../test/helpers/hutong';
import { WEB_ROOT } from './build';

export const ARTIFACTS_DIR = join(WEB_ROOT, '..', 'test-artifacts', 'web');

/** The web pages are registered by createHutong itself, so the browser tests use the ordinary test server. */
export const startWebHutong = (opts: StartOptions = {}): Promise<TestHutong> => startHutong(opts);

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchBrowser(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(`No Chromium at ${executablePath}: install Debian's chromium package or set CHROMIUM_PATH.`);
  }
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true });
}

/** User-Agents of the three clients the cashier tells apart. */
export const CLIENTS = {
  desktop: {
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
    viewport: { width: 1100, height: 800 },
  },
  mobile: {
    userAgent:
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
    viewport: { width: 390, height: 844 },
  },
  wechat: {
    userAgent:
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.50(0x18003237) NetType/WIFI Language/zh_CN',
    viewport: { width: 390, height: 844 },
  },
} as const;

export function newContext(
  browser: Browser,
  client: keyof typeof CLIENTS,
  locale: 'zh-CN' | 'en-US' = 'zh-CN',
): Promise<BrowserContext> {
  return browser.newContext({
    ...CLIENTS[client],
    locale,
    isMobile: client !== 'desktop',
    hasTouch: client !== 'desktop',
  });
}

/** Saves a full-page screenshot to test-artifacts/web/<name>.png for a person to look at. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS_DIR, `${name}.png`), fullPage: true });
}
