// The only place that reads process.env. Validated once at start; a bad value fails fast with a clear message.
import { resolve } from 'node:path';
import { readFileSync } from 'node:fs';

export interface Config {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  dataDir: string;
  opsApiKey: string | undefined;
  publicUrl: string;
  logLevel: string;
  unpaidTimeoutMs: number;
  autoConfirmDays: Record<FulfilmentType, number>;
  rolloutNoticeDays: number;
  sandbox: {
    applymentDelayMs: number;
    settleDelayMs: number;
    notifyTimeScale: number;
    /** Bearer token of the sandboxes' test-only controls (clock, faults, books); unset = the demo makes one. */
    adminToken: string | undefined;
    /** Hosts besides loopback the sandboxes may send notifications to. */
    notifyHosts: string[];
    /** Hosts besides loopback and the notify hosts the sandboxes may send buyers back to. */
    returnHosts: string[];
    /** App/merchant registrations per minute (each makes an RSA key pair). */
    registrationsPerMinute: number;
  };
  workerIntervalMs: number;
  /** On SIGTERM/SIGINT, in-flight requests get this long to finish before their connections are closed. */
  shutdownTimeoutMs: number;
  /** How long an Idempotency-Key's record (and its stored response) is kept before the sweep removes it. */
  idempotencyTtlHours: number;
  /** 32-byte key sealing sensitive values at rest; without it the embedded default keeps one in the data dir. */
  dataKey: Buffer | undefined;
  /** Guest buyer sign-ups per minute per client address and publishable key (POST /v1/buyers). */
  buyerSignupsPerMinute: number;
  /** Fastify's trustProxy: which proxies' X-Forwarded-For to believe for the client's address (rate limits). */
  trustProxy: boolean | number | string[];
  /** The publishable key the storefront page browses with; without it each process makes one at first need. */
  storefrontKey: string | undefined;
  /** Abuse limits a storefront needs (api.md): per buyer, per payment, per checkout. */
  limits: {
    /** Largest checkout total in fen (every order inside is smaller); past it 422 amount_too_large. */
    orderAmountMaxFen: number;
    /** Unpaid orders one buyer may hold at once; past it 409 unpaid_orders_limit. */
    buyerUnpaidOrdersMax: number;
    /** Units of stock one buyer's unpaid orders may reserve; past it 409 held_stock_limit. */
    buyerHeldUnitsMax: number;
    /** Payment attempts on one payment per minute; past it 429 too_many_attempts. */
    paymentAttemptsPerMinute: number;
  };
  /** How long a process trusts a cached API key without asking the database: a revoked key stops within this. */
  keyCacheTtlMs: number;
  testClock: boolean;
  /** Real gateways; when absent Hutong mounts its own sandboxes and registers itself with them. */
  alipay: AlipayGatewayConfig | undefined;
  wechatpay: WechatpayGatewayConfig | undefined;
  /** The providers' fee rate (basis points) Hutong books with; the sandboxes charge the same. */
  feeRateBp: { alipay: number; wechatpay: number };
  /**
   * Who bears the provider's fee. WeChat Pay nets it out of the merchant's money (frozen = paid − fee); for Alipay
   * it is set by contract — by default the platform pays it and the merchant's unsettled money is the full amount.
   */
  feeBearer: { alipay: FeeBearer; wechatpay: FeeBearer };
}

export type FeeBearer = 'merchant' | 'platform';

function feeBearerFrom(env: NodeJS.ProcessEnv, name: string, fallback: FeeBearer): FeeBearer {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw !== 'merchant' && raw !== 'platform') throw new ConfigError(`${name} must be merchant or platform`);
  return raw;
}

export interface AlipayGatewayConfig {
  gatewayUrl: string;
  /** HUTONG_ALIPAY_GATEWAY_IS_SANDBOX=1: the gateway is a Hutong sandbox run as its own process (test identities allowed). */
  isSandbox?: boolean;
  appId: string;
  sellerId: string;
  appPrivateKeyPem: string;
  alipayPublicKeyPem: string;
}

export interface WechatpayGatewayConfig {
  baseUrl: string;
  /** HUTONG_WECHATPAY_GATEWAY_IS_SANDBOX=1: the gateway is a Hutong sandbox run as its own process. */
  isSandbox?: boolean;
  merchantType: 'ecommerce_platform' | 'service_provider';
  spMchid: string;
  spAppid: string;
  merchantSerialNo: string;
  merchantPrivateKeyPem: string;
  apiv3Key: string;
  wechatpayPublicKeyId: string;
  wechatpayPublicKeyPem: string;
}

export const FULFILMENT_TYPES = ['express', 'mail', 'virtual', 'same_city', 'pickup'] as const;
export type FulfilmentType = (typeof FULFILMENT_TYPES)[number];

export class ConfigError extends Error {}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new ConfigError(`${name} must be an integer ≥ ${min}, got "${raw}"`);
  return n;
}

/** A comma-separated list of bare host names (no scheme, port or path), lower-cased. */
function hostsFrom(env: NodeJS.ProcessEnv, name: string): string[] {
  const hosts = (env[name] ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h.length > 0);
  const bad = hosts.find((h) => !/^[a-z0-9.-]+$|^\[[0-9a-f:.]+\]$/.test(h));
  if (bad !== undefined)
    throw new ConfigError(`${name} lists host names separated by commas (no scheme, port or path), got "${bad}"`);
  return hosts;
}

function sandboxAdminTokenFrom(env: NodeJS.ProcessEnv): string | undefined {
  const token = env.HUTONG_SANDBOX_ADMIN_TOKEN;
  if (token === undefined || token === '') return undefined;
  if (token.length < 16 || /\s/.test(token))
    throw new ConfigError('HUTONG_SANDBOX_ADMIN_TOKEN must be at least 16 characters without spaces');
  return token;
}

function numberFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`${name} must be a positive number, got "${raw}"`);
  return n;
}

function fileFrom(env: NodeJS.ProcessEnv, name: string): string {
  const path = env[name];
  if (!path) throw new ConfigError(`${name} is required when the provider's gateway is configured`);
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    throw new ConfigError(`${name}: cannot read ${path}`);
  }
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new ConfigError(`${name} is required when the provider's gateway is configured`);
  return value;
}

function flagFrom(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '' || raw === '0') return false;
  if (raw !== '1') throw new ConfigError(`${name} must be 1 or 0`);
  return true;
}

/** The variables that together configure a provider's gateway: all of them, or none (the provider is then off). */
export const GATEWAY_VARIABLES = {
  alipay: {
    required: [
      'HUTONG_ALIPAY_GATEWAY',
      'HUTONG_ALIPAY_APP_ID',
      'HUTONG_ALIPAY_SELLER_ID',
      'HUTONG_ALIPAY_APP_PRIVATE_KEY_FILE',
      'HUTONG_ALIPAY_PUBLIC_KEY_FILE',
    ],
    optional: ['HUTONG_ALIPAY_GATEWAY_IS_SANDBOX'],
  },
  wechatpay: {
    required: [
      'HUTONG_WECHATPAY_BASE_URL',
      'HUTONG_WECHATPAY_SP_MCHID',
      'HUTONG_WECHATPAY_SP_APPID',
      'HUTONG_WECHATPAY_SERIAL_NO',
      'HUTONG_WECHATPAY_PRIVATE_KEY_FILE',
      'HUTONG_WECHATPAY_APIV3_KEY_FILE',
      'HUTONG_WECHATPAY_PUBLIC_KEY_ID',
      'HUTONG_WECHATPAY_PUBLIC_KEY_FILE',
    ],
    optional: ['HUTONG_WECHATPAY_MERCHANT_TYPE', 'HUTONG_WECHATPAY_GATEWAY_IS_SANDBOX'],
  },
} as const;

/**
 * Whether a provider's gateway is configured. Some of its variables without the others is an error naming the first
 * missing one: a half-configured provider must never run as if it were off (or on its sandbox).
 */
export function gatewayConfigured(env: NodeJS.ProcessEnv, provider: keyof typeof GATEWAY_VARIABLES): boolean {
  const { required, optional } = GATEWAY_VARIABLES[provider];
  const set = [...required, ...optional].filter((name) => env[name]);
  if (set.length === 0) return false;
  const missing = required.find((name) => !env[name]);
  if (missing) {
    const label = provider === 'alipay' ? 'Alipay' : 'WeChat Pay';
    throw new ConfigError(
      `${missing} is not set: ${label} is half configured (${set.join(', ')} set); set all ${required.length} of its gateway variables, or none to leave it off`,
    );
  }
  return true;
}

function alipayFrom(env: NodeJS.ProcessEnv): AlipayGatewayConfig | undefined {
  if (!gatewayConfigured(env, 'alipay')) return undefined;
  return {
    gatewayUrl: required(env, 'HUTONG_ALIPAY_GATEWAY'),
    isSandbox: flagFrom(env, 'HUTONG_ALIPAY_GATEWAY_IS_SANDBOX'),
    appId: required(env, 'HUTONG_ALIPAY_APP_ID'),
    sellerId: required(env, 'HUTONG_ALIPAY_SELLER_ID'),
    appPrivateKeyPem: fileFrom(env, 'HUTONG_ALIPAY_APP_PRIVATE_KEY_FILE'),
    alipayPublicKeyPem: fileFrom(env, 'HUTONG_ALIPAY_PUBLIC_KEY_FILE'),
  };
}

function wechatpayFrom(env: NodeJS.ProcessEnv): WechatpayGatewayConfig | undefined {
  if (!gatewayConfigured(env, 'wechatpay')) return undefined;
  const merchantType = env.HUTONG_WECHATPAY_MERCHANT_TYPE || 'ecommerce_platform';
  if (merchantType !== 'ecommerce_platform' && merchantType !== 'service_provider') {
    throw new ConfigError('HUTONG_WECHATPAY_MERCHANT_TYPE must be ecommerce_platform or service_provider');
  }
  const apiv3Key = fileFrom(env, 'HUTONG_WECHATPAY_APIV3_KEY_FILE');
  if (Buffer.byteLength(apiv3Key) !== 32)
    throw new ConfigError('HUTONG_WECHATPAY_APIV3_KEY_FILE: the APIv3 key must be 32 bytes');
  return {
    baseUrl: required(env, 'HUTONG_WECHATPAY_BASE_URL'),
    isSandbox: flagFrom(env, 'HUTONG_WECHATPAY_GATEWAY_IS_SANDBOX'),
    merchantType,
    spMchid: required(env, 'HUTONG_WECHATPAY_SP_MCHID'),
    spAppid: required(env, 'HUTONG_WECHATPAY_SP_APPID'),
    merchantSerialNo: required(env, 'HUTONG_WECHATPAY_SERIAL_NO'),
    merchantPrivateKeyPem: fileFrom(env, 'HUTONG_WECHATPAY_PRIVATE_KEY_FILE'),
    apiv3Key,
    wechatpayPublicKeyId: required(env, 'HUTONG_WECHATPAY_PUBLIC_KEY_ID'),
    wechatpayPublicKeyPem: fileFrom(env, 'HUTONG_WECHATPAY_PUBLIC_KEY_FILE'),
  };
}

/**
 * HUTONG_TRUST_PROXY: unset or `false` — the socket's address is the client's; `true` — believe every proxy (only
 * when nothing reaches Hutong but through your proxy); a number — that many proxy hops; otherwise a comma-separated
 * list of proxy addresses or CIDR ranges.
 */
function trustProxyFrom(env: NodeJS.ProcessEnv): boolean | number | string[] {
  const raw = env.HUTONG_TRUST_PROXY?.trim();
  if (!raw || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.some((s) => !/^[0-9a-fA-F.:/]+$/.test(s)))
    throw new ConfigError('HUTONG_TRUST_PROXY must be true, false, a hop count or comma-separated addresses/CIDRs');
  return list;
}

function storefrontKeyFrom(env: NodeJS.ProcessEnv): string | undefined {
  const key = env.HUTONG_STOREFRONT_KEY || undefined;
  if (key !== undefined && !/^pk_[0-9A-Za-z]{8,}$/.test(key))
    throw new ConfigError('HUTONG_STOREFRONT_KEY must be a publishable key (pk_…) made with POST /v1/publishable-keys');
  return key;
}

function dataKeyFrom(env: NodeJS.ProcessEnv): Buffer | undefined {
  if (!env.HUTONG_DATA_KEY) return undefined;
  const key = Buffer.from(env.HUTONG_DATA_KEY, 'base64');
  if (key.length !== 32) throw new ConfigError('HUTONG_DATA_KEY must be 32 bytes, base64-encoded');
  return key;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const port = intFrom(env, 'PORT', 3000);
  if (port > 65535) throw new ConfigError(`PORT must be ≤ 65535, got ${port}`);
  const opsApiKey = env.HUTONG_OPS_API_KEY || undefined;
  if (Number(env.HUTONG_ORDER_AMOUNT_MAX_FEN) > Number.MAX_SAFE_INTEGER)
    throw new ConfigError('HUTONG_ORDER_AMOUNT_MAX_FEN must be at most 2^53 − 1');
  if (opsApiKey !== undefined && opsApiKey.length < 16) {
    throw new ConfigError('HUTONG_OPS_API_KEY must be at least 16 characters');
  }
  const base: Config = {
    port,
    host: env.HOST || '127.0.0.1',
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: resolve(env.HUTONG_DATA_DIR || './data'),
    opsApiKey,
    publicUrl: (env.HUTONG_PUBLIC_URL || `http://127.0.0.1:${port}`).replace(/\/$/, ''),
    logLevel: env.LOG_LEVEL || 'info',
    unpaidTimeoutMs: intFrom(env, 'HUTONG_UNPAID_TIMEOUT_MS', 15 * 60_000, 1000),
    autoConfirmDays: {
      express: intFrom(env, 'HUTONG_AUTO_CONFIRM_DAYS_EXPRESS', 10, 1),
      mail: intFrom(env, 'HUTONG_AUTO_CONFIRM_DAYS_MAIL', 30, 1),
      virtual: intFrom(env, 'HUTONG_AUTO_CONFIRM_DAYS_VIRTUAL', 3, 1),
      same_city: intFrom(env, 'HUTONG_AUTO_CONFIRM_DAYS_SAME_CITY', 2, 1),
      pickup: intFrom(env, 'HUTONG_AUTO_CONFIRM_DAYS_PICKUP', 2, 1),
    },
    rolloutNoticeDays: intFrom(env, 'HUTONG_ROLLOUT_NOTICE_DAYS', 7),
    sandbox: {
      applymentDelayMs: intFrom(env, 'HUTONG_SANDBOX_APPLYMENT_DELAY_MS', 2000),
      settleDelayMs: intFrom(env, 'HUTONG_SANDBOX_SETTLE_DELAY_MS', 1000),
      notifyTimeScale: numberFrom(env, 'HUTONG_SANDBOX_NOTIFY_TIME_SCALE', 1),
      adminToken: sandboxAdminTokenFrom(env),
      notifyHosts: hostsFrom(env, 'HUTONG_SANDBOX_NOTIFY_HOSTS'),
      returnHosts: hostsFrom(env, 'HUTONG_SANDBOX_RETURN_HOSTS'),
      registrationsPerMinute: intFrom(env, 'HUTONG_SANDBOX_REGISTRATIONS_PER_MINUTE', 30, 1),
    },
    workerIntervalMs: intFrom(env, 'HUTONG_WORKER_INTERVAL_MS', 1000, 10),
    shutdownTimeoutMs: intFrom(env, 'HUTONG_SHUTDOWN_TIMEOUT_MS', 10_000, 0),
    idempotencyTtlHours: intFrom(env, 'HUTONG_IDEMPOTENCY_TTL_HOURS', 24, 1),
    dataKey: dataKeyFrom(env),
    buyerSignupsPerMinute: intFrom(env, 'HUTONG_BUYER_SIGNUPS_PER_MINUTE', 30, 1),
    keyCacheTtlMs: intFrom(env, 'HUTONG_KEY_CACHE_TTL_MS', 5_000),
    trustProxy: trustProxyFrom(env),
    limits: {
      orderAmountMaxFen: intFrom(env, 'HUTONG_ORDER_AMOUNT_MAX_FEN', 100_000_000, 1),
      buyerUnpaidOrdersMax: intFrom(env, 'HUTONG_BUYER_UNPAID_ORDERS_MAX', 20, 1),
      buyerHeldUnitsMax: intFrom(env, 'HUTONG_BUYER_HELD_UNITS_MAX', 1000, 1),
      paymentAttemptsPerMinute: intFrom(env, 'HUTONG_PAYMENT_ATTEMPTS_PER_MINUTE', 10, 1),
    },
    storefrontKey: storefrontKeyFrom(env),
    testClock: env.HUTONG_TEST_CLOCK === '1',
    alipay: alipayFrom(env),
    wechatpay: wechatpayFrom(env),
    feeRateBp: {
      alipay: intFrom(env, 'HUTONG_ALIPAY_FEE_RATE_BP', 60),
      wechatpay: intFrom(env, 'HUTONG_WECHATPAY_FEE_RATE_BP', 60),
    },
    feeBearer: {
      alipay: feeBearerFrom(env, 'HUTONG_ALIPAY_FEE_BEARER', 'platform'),
      wechatpay: 'merchant', // WeChat Pay always nets the fee out of the sub-merchant's money
    },
  };
  return { ...base, ...overrides };
}
