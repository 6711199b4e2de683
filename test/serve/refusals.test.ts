// `hutong serve` refuses to start — one line naming the variable, exit code 2, nothing else printed — on each
// configuration production must not run with. The real command, compiled, in its own process.
import { beforeAll, describe, expect, test } from 'vitest';
import { ConfigError, GATEWAY_VARIABLES } from '../../src/config';
import { productionConfig } from '../../src/serve/checks';
import { dataKey, ensureBuilt, spawnServe } from '../helpers/serve';

beforeAll(ensureBuilt, 300_000);

const DATABASE_URL = 'postgres://hutong:not-used@127.0.0.1:1/hutong';
const KEY = dataKey();
const COMPLETE = { DATABASE_URL, HUTONG_DATA_KEY: KEY, HUTONG_PUBLIC_URL: 'https://shop.example.com' };

/** Every gateway variable of a provider set (the files need not exist: the missing one is named first). */
function gateway(provider: keyof typeof GATEWAY_VARIABLES): Record<string, string> {
  return Object.fromEntries(
    GATEWAY_VARIABLES[provider].required.map((name) => [
      name,
      name.endsWith('_FILE') ? '/nonexistent/key.pem' : `value-of-${name}`,
    ]),
  );
}

function without(env: Record<string, string>, name: string): Record<string, string> {
  const copy = { ...env };
  delete copy[name];
  return copy;
}

async function refusal(env: Record<string, string>, args: string[] = []): Promise<string> {
  const serve = spawnServe(['--role', 'api', ...args], env);
  const { code } = await serve.exited;
  expect(code).toBe(2);
  const lines = serve.output().trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

describe('hutong serve refuses', () => {
  test('without DATABASE_URL', async () => {
    expect(await refusal(without(COMPLETE, 'DATABASE_URL'))).toMatch(/^hutong serve: DATABASE_URL is not set/);
  });

  test('without HUTONG_DATA_KEY', async () => {
    expect(await refusal(without(COMPLETE, 'HUTONG_DATA_KEY'))).toMatch(/^hutong serve: HUTONG_DATA_KEY is not set/);
  });

  test('without HUTONG_PUBLIC_URL', async () => {
    expect(await refusal(without(COMPLETE, 'HUTONG_PUBLIC_URL'))).toMatch(
      /^hutong serve: HUTONG_PUBLIC_URL is not set/,
    );
  });

  test('with a public URL that is not https', async () => {
    expect(await refusal({ ...COMPLETE, HUTONG_PUBLIC_URL: 'http://shop.example.com' })).toMatch(
      /^hutong serve: HUTONG_PUBLIC_URL must be an https URL/,
    );
  });

  test('with plain http on a non-loopback host even with --local', async () => {
    expect(await refusal({ ...COMPLETE, HUTONG_PUBLIC_URL: 'http://shop.example.com' }, ['--local'])).toMatch(
      /^hutong serve: HUTONG_PUBLIC_URL must be an https URL/,
    );
  });

  test('with Alipay half configured', async () => {
    const line = await refusal({ ...COMPLETE, ...without(gateway('alipay'), 'HUTONG_ALIPAY_SELLER_ID') });
    expect(line).toMatch(/^hutong serve: HUTONG_ALIPAY_SELLER_ID is not set: Alipay is half configured/);
  });

  test('with WeChat Pay half configured (only its merchant type set)', async () => {
    const line = await refusal({ ...COMPLETE, HUTONG_WECHATPAY_MERCHANT_TYPE: 'ecommerce_platform' });
    expect(line).toMatch(/^hutong serve: HUTONG_WECHATPAY_BASE_URL is not set: WeChat Pay is half configured/);
  });

  test('with the test clock outside --local', async () => {
    expect(await refusal({ ...COMPLETE, HUTONG_TEST_CLOCK: '1' })).toMatch(
      /^hutong serve: HUTONG_TEST_CLOCK .* for tests/,
    );
  });

  test('without printing the database password or the data key', async () => {
    const line = await refusal(without(COMPLETE, 'HUTONG_PUBLIC_URL'));
    expect(line).not.toContain('not-used');
    expect(line).not.toContain(KEY);
  });
});

describe('every half configuration names its missing variable', () => {
  for (const provider of ['alipay', 'wechatpay'] as const) {
    for (const missing of GATEWAY_VARIABLES[provider].required) {
      test(`${provider} without ${missing}`, () => {
        const env = { ...COMPLETE, ...without(gateway(provider), missing) };
        expect(() => productionConfig(env, { local: false })).toThrow(ConfigError);
        expect(() => productionConfig(env, { local: false })).toThrow(
          new RegExp(`^${missing} is not set: .* half configured`),
        );
      });
    }
  }

  test('a provider with none of its variables is simply off', () => {
    const { config } = productionConfig(COMPLETE, { local: false });
    expect(config.alipay).toBeUndefined();
    expect(config.wechatpay).toBeUndefined();
  });

  test('--local accepts http on loopback and says so', () => {
    const { notes } = productionConfig({ ...COMPLETE, HUTONG_PUBLIC_URL: 'http://127.0.0.1:3000' }, { local: true });
    expect(notes).toEqual([
      expect.stringMatching(/^--local: accepting HUTONG_PUBLIC_URL http:\/\/127\.0\.0\.1:3000 .*tests on one machine/),
    ]);
  });
});
