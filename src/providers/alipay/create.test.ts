// Offline: page and H5 payments are signed URLs, built without a gateway call. Each URL is checked the way the
// gateway checks it: every parameter but `sign`, sorted, verified with the app's public key.
import { describe, expect, it } from 'vitest';
import { fen } from '../../shared/money';
import { ProviderError, type CreateTradeInput, type EscrowOperations, type ProviderAdapter } from '../types';
import { AlipayConfigError, createAlipayAdapter } from './index';
import { bareBase64, generateTestKeyPair, verifyRequestSignature } from './testing';
import { parseBeijingTime } from './time';

const appKeys = generateTestKeyPair();
const alipayKeys = generateTestKeyPair();

function adapterWith(appPrivateKeyPem: string, alipayPublicKeyPem = alipayKeys.publicSpkiPem) {
  return createAlipayAdapter({
    appId: '2021000000000001',
    sellerId: '2088000000000001',
    appPrivateKeyPem,
    alipayPublicKeyPem,
    gatewayUrl: 'http://127.0.0.1:9/sandbox/alipay/gateway.do',
    settlePeriod: '90d',
  });
}

const input: CreateTradeInput = {
  scene: 'page',
  groupOutTradeNo: 'grp_1',
  subOrders: [
    { outTradeNo: 'att_1', subMerchantId: '2088000000000077', amountFen: fen(1230), description: '青花瓷 tea set' },
  ],
  expiresAt: new Date('2026-11-25T02:15:00Z'),
  notifyUrl: 'http://127.0.0.1:8080/notify/alipay',
  returnUrl: 'http://127.0.0.1:8080/pay/done?x=1&y=2',
  payer: { clientIp: '127.0.0.1' },
};

function paramsOf(url: string): Record<string, string> {
  return Object.fromEntries(new URL(url).searchParams);
}

describe('page and H5 payment URLs', () => {
  it('builds a signed page.pay URL naming the smid, asking for settlement later and expiring in Beijing time', async () => {
    const before = Math.floor(Date.now() / 1000) * 1000;
    const action = await adapterWith(appKeys.privatePkcs1Pem).createTrade(input);
    const after = Date.now();
    expect(action.type).toBe('redirect');
    const url = (action as { url: string }).url;
    expect(url.startsWith('http://127.0.0.1:9/sandbox/alipay/gateway.do?')).toBe(true);
    const params = paramsOf(url);
    expect(params).toMatchObject({
      app_id: '2021000000000001',
      method: 'alipay.trade.page.pay',
      charset: 'utf-8',
      sign_type: 'RSA2',
      version: '1.0',
      notify_url: input.notifyUrl,
      return_url: input.returnUrl,
    });
    expect(verifyRequestSignature(params, appKeys.publicKey)).toBe(true);
    // The request time is Beijing time whatever the process's time zone (the SDK alone would use the local zone).
    const sentAt = parseBeijingTime(params.timestamp as string)!.getTime();
    expect(sentAt).toBeGreaterThanOrEqual(before);
    expect(sentAt).toBeLessThanOrEqual(after);
    expect(JSON.parse(params.biz_content as string)).toEqual({
      out_trade_no: 'att_1',
      total_amount: '12.30',
      subject: '青花瓷 tea set',
      product_code: 'FAST_INSTANT_TRADE_PAY',
      time_expire: '2026-11-25 10:15:00',
      sub_merchant: { merchant_id: '2088000000000077' },
      settle_info: {
        settle_detail_infos: [{ trans_in_type: 'defaultSettle', amount: '12.30' }],
        settle_period_time: '90d',
      },
    });
  });

  it('builds a signed wap.pay URL for the h5 scene', async () => {
    const action = await adapterWith(appKeys.privatePkcs8Pem).createTrade({ ...input, scene: 'h5' });
    const params = paramsOf((action as { url: string }).url);
    expect(params.method).toBe('alipay.trade.wap.pay');
    expect(JSON.parse(params.biz_content as string).product_code).toBe('QUICK_WAP_WAY');
    expect(verifyRequestSignature(params, appKeys.publicKey)).toBe(true);
  });

  it('signs alike with PKCS#1 or PKCS#8 keys, as PEM or bare base64', async () => {
    for (const key of [
      appKeys.privatePkcs1Pem,
      appKeys.privatePkcs8Pem,
      bareBase64(appKeys.privatePkcs1Pem),
      bareBase64(appKeys.privatePkcs8Pem),
    ]) {
      const action = await adapterWith(key, bareBase64(alipayKeys.publicSpkiPem)).createTrade(input);
      expect(verifyRequestSignature(paramsOf((action as { url: string }).url), appKeys.publicKey)).toBe(true);
    }
  });

  it('refuses keys that are not RSA keys of the right kind, without echoing them', () => {
    const attempt = (priv: string, pub: string) => {
      try {
        adapterWith(priv, pub);
        return undefined;
      } catch (error) {
        expect(error).toBeInstanceOf(AlipayConfigError);
        for (const secret of [priv, pub])
          if (secret.length > 80) expect((error as Error).message).not.toContain(secret.slice(40, 80));
        return (error as AlipayConfigError).code;
      }
    };
    expect(attempt('not a key', alipayKeys.publicSpkiPem)).toBe('invalid_app_private_key');
    expect(attempt(appKeys.privatePkcs1Pem, appKeys.privatePkcs8Pem.slice(0, 200))).toBe('invalid_alipay_public_key');
  });

  it('is a ProviderAdapter with escrow verbs, offering the qr, page and h5 scenes', () => {
    const adapter: ProviderAdapter & { escrow: EscrowOperations } = adapterWith(appKeys.privatePkcs1Pem);
    expect(adapter.name).toBe('alipay');
    expect(adapter.scenes).toEqual(['qr', 'page', 'h5']);
  });

  it('has no jsapi scene', async () => {
    const error = await adapterWith(appKeys.privatePkcs1Pem)
      .createTrade({ ...input, scene: 'jsapi' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).code).toBe('scene_not_supported');
  });

  it('refuses amounts Alipay cannot take and order numbers it would reject', async () => {
    const adapter = adapterWith(appKeys.privatePkcs1Pem);
    const codeOf = (i: CreateTradeInput) => adapter.createTrade(i).catch((e: ProviderError) => e.code);
    const order = input.subOrders[0]!;
    expect(await codeOf({ ...input, subOrders: [{ ...order, amountFen: fen(0) }] })).toBe('amount_out_of_range');
    expect(await codeOf({ ...input, subOrders: [{ ...order, amountFen: fen(10_000_000_001) }] })).toBe(
      'amount_out_of_range',
    );
    expect(await codeOf({ ...input, subOrders: [{ ...order, outTradeNo: 'att-1' }] })).toBe('invalid_out_trade_no');
    expect(await codeOf({ ...input, subOrders: [] })).toBe('no_sub_orders');
  });

  it('refuses a settle period Alipay does not accept', () => {
    expect(() =>
      createAlipayAdapter({
        appId: 'a',
        sellerId: 's',
        appPrivateKeyPem: appKeys.privatePkcs1Pem,
        alipayPublicKeyPem: alipayKeys.publicSpkiPem,
        gatewayUrl: 'http://127.0.0.1:9/gateway.do',
        settlePeriod: '366d',
      }),
    ).toThrow(RangeError);
  });
});
