// What `hutong serve` refuses to start with: each problem is one line naming the variable (exit code 2). Production
// runs on PostgreSQL, seals data with HUTONG_DATA_KEY, is reached over https, and runs each provider on its real
// gateway or not at all (a half-configured provider is refused by loadConfig itself).
import { ConfigError, loadConfig, type Config } from '../config';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export interface ProductionConfig {
  config: Config;
  /** Lines to print at start (never a secret). */
  notes: string[];
}

function publicUrl(raw: string | undefined, local: boolean): { url: string; note?: string } {
  if (!raw)
    throw new ConfigError(
      'HUTONG_PUBLIC_URL is not set: the https origin where providers send notifications and buyers return',
    );
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`HUTONG_PUBLIC_URL is not a URL: "${raw}"`);
  }
  if (url.protocol === 'https:') return { url: raw };
  if (local && url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) {
    return {
      url: raw,
      note: `--local: accepting HUTONG_PUBLIC_URL ${url.origin} over plain http on a loopback address (for tests on one machine only)`,
    };
  }
  throw new ConfigError(
    `HUTONG_PUBLIC_URL must be an https URL, got ${url.protocol}//${url.host} (serve --local accepts http on a loopback address, for tests on one machine)`,
  );
}

/** Reads and checks the production configuration; throws ConfigError with the first problem. */
export function productionConfig(env: NodeJS.ProcessEnv, opts: { local: boolean }): ProductionConfig {
  const config = loadConfig(env);
  const notes: string[] = [];
  if (!config.databaseUrl)
    throw new ConfigError(
      'DATABASE_URL is not set: hutong serve runs on PostgreSQL (postgres://user:password@host:5432/hutong)',
    );
  if (!config.dataKey)
    throw new ConfigError(
      'HUTONG_DATA_KEY is not set: 32 random bytes, base64 (openssl rand -base64 32); it seals onboarding data at rest',
    );
  const checked = publicUrl(env.HUTONG_PUBLIC_URL, opts.local);
  if (checked.note) notes.push(checked.note);
  if (config.testClock && !opts.local)
    throw new ConfigError(
      'HUTONG_TEST_CLOCK moves the business clock through the API: it is for tests (serve --local) only',
    );
  return { config, notes };
}

/** "alipay: on (openapi.alipay.com)" — where each provider runs, for the start-up lines; hosts only, no credentials. */
export function providerLines(config: Config): string[] {
  const host = (url: string) => {
    try {
      return new URL(url).host;
    } catch {
      return 'configured gateway';
    }
  };
  return [
    config.alipay
      ? `alipay: on (${host(config.alipay.gatewayUrl)}${config.alipay.isSandbox ? ', a sandbox' : ''})`
      : 'alipay: off (no HUTONG_ALIPAY_* gateway configured; method_disabled)',
    config.wechatpay
      ? `wechatpay: on (${host(config.wechatpay.baseUrl)}${config.wechatpay.isSandbox ? ', a sandbox' : ''})`
      : 'wechatpay: off (no HUTONG_WECHATPAY_* gateway configured; method_disabled)',
  ];
}

/** postgres://user:secret@db.internal:5432/hutong → "db.internal:5432/hutong": never the password. */
export function databaseLabel(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    return `${url.host}${url.pathname}`;
  } catch {
    return 'PostgreSQL';
  }
}
