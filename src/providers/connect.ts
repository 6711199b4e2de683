// Builds the provider adapters: in production from the configured gateways only; in the demo by registering Hutong
// with its own sandboxes (POST /sandbox/alipay/apps, /sandbox/wechatpay/merchants), credentials kept in the data
// directory. The two never mix: a provider without a gateway is off in production, not on its sandbox.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { request } from 'undici';
import type { AlipayGatewayConfig, Config, WechatpayGatewayConfig } from '../config';
import { createAlipayAdapter } from './alipay';
import { createWechatpayAdapter } from './wechatpay';
import type { ProviderRegistry } from './registry';
import type { Clock } from '../shared/clock';

/** Beyond the longest auto-confirm path (mail 30 days + extension + refund pauses), inside Alipay's 365d. */
const ALIPAY_SETTLE_PERIOD = '90d';

export interface SandboxCredentials {
  baseUrl: string;
  alipay: { app_id: string; seller_id: string; alipay_public_key: string; app_private_key: string };
  wechatpay: {
    mchid: string;
    appid: string;
    serial_no: string;
    merchant_private_key: string;
    apiv3_key: string;
    wechatpay_public_key_id: string;
    wechatpay_public_key: string;
  };
}

async function postJson<T>(url: string, body: unknown): Promise<T> {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
  });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`sandbox registration at ${url} failed with ${res.statusCode}`);
  return JSON.parse(text) as T;
}

export async function registerWithSandboxes(
  sandboxBaseUrl: string,
  feeRateBp: Config['feeRateBp'],
): Promise<SandboxCredentials> {
  const [alipay, wechatpay] = await Promise.all([
    postJson<SandboxCredentials['alipay']>(`${sandboxBaseUrl}/sandbox/alipay/apps`, { fee_rate_bp: feeRateBp.alipay }),
    postJson<SandboxCredentials['wechatpay']>(`${sandboxBaseUrl}/sandbox/wechatpay/merchants`, {
      type: 'ecommerce_platform',
      fee_rate_bp: feeRateBp.wechatpay,
    }),
  ]);
  return { baseUrl: sandboxBaseUrl, alipay, wechatpay };
}

/** Reads saved sandbox credentials, or registers anew; saved with mode 0600 when a file is given. */
export async function sandboxCredentials(
  sandboxBaseUrl: string,
  config: Config,
  file: string | undefined,
): Promise<SandboxCredentials> {
  if (file && existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as SandboxCredentials;
    if (saved.baseUrl === sandboxBaseUrl) return saved;
  }
  const fresh = await registerWithSandboxes(sandboxBaseUrl, config.feeRateBp);
  if (file) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(fresh), { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return fresh;
}

/**
 * Production: each provider whose gateway is configured, and only those. A provider not configured stays off (its
 * method is unavailable, `method_disabled`): it is never replaced by a sandbox.
 */
export function connectConfiguredProviders(registry: ProviderRegistry, config: Config, clock: Clock): void {
  // A configured gateway is real unless its *_GATEWAY_IS_SANDBOX flag says it is a sandbox (tests, staging).
  if (config.alipay) connectAlipay(registry, config, config.alipay, config.alipay.isSandbox === true);
  if (config.wechatpay)
    connectWechatpay(registry, config, config.wechatpay, config.wechatpay.isSandbox === true, clock);
}

/** The demo: both providers on the sandboxes Hutong registered with. */
export function connectSandboxProviders(
  registry: ProviderRegistry,
  config: Config,
  sandbox: SandboxCredentials,
  clock: Clock,
): void {
  connectAlipay(
    registry,
    config,
    {
      gatewayUrl: `${sandbox.baseUrl}/sandbox/alipay/gateway.do`,
      appId: sandbox.alipay.app_id,
      sellerId: sandbox.alipay.seller_id,
      appPrivateKeyPem: sandbox.alipay.app_private_key,
      alipayPublicKeyPem: sandbox.alipay.alipay_public_key,
    },
    true,
  );
  connectWechatpay(
    registry,
    config,
    {
      baseUrl: `${sandbox.baseUrl}/sandbox/wechatpay`,
      merchantType: 'ecommerce_platform',
      spMchid: sandbox.wechatpay.mchid,
      spAppid: sandbox.wechatpay.appid,
      merchantSerialNo: sandbox.wechatpay.serial_no,
      merchantPrivateKeyPem: sandbox.wechatpay.merchant_private_key,
      apiv3Key: sandbox.wechatpay.apiv3_key,
      wechatpayPublicKeyId: sandbox.wechatpay.wechatpay_public_key_id,
      wechatpayPublicKeyPem: sandbox.wechatpay.wechatpay_public_key,
    },
    true,
    clock,
  );
}

function connectAlipay(
  registry: ProviderRegistry,
  config: Config,
  alipay: Omit<AlipayGatewayConfig, 'isSandbox'>,
  sandbox: boolean,
): void {
  registry.set('alipay', createAlipayAdapter({ ...alipay, settlePeriod: ALIPAY_SETTLE_PERIOD }), {
    appId: alipay.appId,
    platformMerchantId: alipay.sellerId,
    feeRateBp: config.feeRateBp.alipay,
    sandbox,
  });
}

function connectWechatpay(
  registry: ProviderRegistry,
  config: Config,
  wechatpay: Omit<WechatpayGatewayConfig, 'isSandbox'>,
  sandbox: boolean,
  clock: Clock,
): void {
  // Notification timestamps are judged by wall-clock time (tests may skew it), not by the business clock.
  registry.set('wechatpay', createWechatpayAdapter({ ...wechatpay, now: () => clock.now() }), {
    appId: wechatpay.spAppid,
    platformMerchantId: wechatpay.spMchid,
    feeRateBp: config.feeRateBp.wechatpay,
    sandbox,
  });
}
