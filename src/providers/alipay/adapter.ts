// The Alipay 直付通 adapter: the verbs of ProviderAdapter plus the escrow release verbs, each in its own file.
// Keys are parsed once here; every gateway call goes through gateway.ts (signature verified on every answer).
import { ProviderError, type EscrowOperations, type ProviderAdapter } from '../types';
import { fetchTradeBill } from './bill';
import { createTrade } from './create';
import { createEscrow } from './escrow';
import { createGateway, createUploader } from './gateway';
import { acknowledge, parseNotification } from './notification';
import { queryOnboarding, submitOnboarding, uploadImage } from './onboarding';
import { createSdk, parseAlipayPublicKey, parseAppPrivateKey } from './sign';
import { closeTrade, queryRefund, queryTrade, refund } from './trades';

export interface AlipayConfig {
  appId: string;
  /** seller_id: the platform's own Alipay user id (2088…), the royalty receiver and the seller in notifications. */
  sellerId: string;
  /** PKCS#1 or PKCS#8, PEM or bare base64. */
  appPrivateKeyPem: string;
  /** SPKI, PEM or bare base64. */
  alipayPublicKeyPem: string;
  /** e.g. https://openapi.alipay.com/gateway.do, or the sandbox's {base}/sandbox/alipay/gateway.do */
  gatewayUrl: string;
  /** settle_info.settle_period_time ("1d"…"365d"): beyond the longest auto-confirm path. */
  settlePeriod: string;
  /** Per-call HTTP timeout. */
  timeoutMs?: number;
}

export interface AlipayAdapter extends ProviderAdapter {
  readonly escrow: EscrowOperations;
}

const TIMEOUT_MS_DEFAULT = 10_000;
const SETTLE_PERIOD_PATTERN = /^([1-9]\d{0,2})d$/;

export function createAlipayAdapter(config: AlipayConfig): AlipayAdapter {
  checkConfig(config);
  const timeoutMs = config.timeoutMs ?? TIMEOUT_MS_DEFAULT;
  const sdk = createSdk({
    appId: config.appId,
    gatewayUrl: config.gatewayUrl,
    timeoutMs,
    appPrivateKey: parseAppPrivateKey(config.appPrivateKeyPem),
    alipayPublicKey: parseAlipayPublicKey(config.alipayPublicKeyPem),
  });
  const gateway = createGateway(sdk);
  const trades = { gateway, platformUserId: config.sellerId };
  return {
    name: 'alipay',
    scenes: ['qr', 'page', 'h5'],
    createTrade: (input) =>
      createTrade({ appId: config.appId, settlePeriod: config.settlePeriod, gateway, sdk }, input),
    queryTrade: (ref) => queryTrade(trades, ref),
    closeTrade: (ref) => closeTrade(trades, ref),
    refund: (input) => refund(trades, input),
    queryRefund: (input) => queryRefund(trades, input),
    parseNotification: (req) => parseNotification({ ...trades, sdk, appId: config.appId }, req),
    acknowledge,
    fetchTradeBill: (input) => fetchTradeBill({ gateway, timeoutMs }, input),
    // 直付通's royalties (shares) are lines of the sub-merchants' trade bills; there is no separate sharing bill.
    fetchSharingBill: async () => {
      throw new ProviderError('invalid_request', 'bill_type_unsupported', 'Alipay has no separate profit-sharing bill');
    },
    submitOnboarding: (input) => submitOnboarding({ gateway }, input),
    queryOnboarding: (outRequestNo) => queryOnboarding({ gateway }, outRequestNo),
    uploadImage: (upload) => uploadImage({ upload: createUploader(sdk) }, upload),
    escrow: createEscrow({ gateway, platformUserId: config.sellerId }),
  };
}

function checkConfig(config: AlipayConfig): void {
  const period = SETTLE_PERIOD_PATTERN.exec(config.settlePeriod);
  if (!period || Number(period[1]) > 365)
    throw new RangeError('settlePeriod must be "1d" to "365d" (Alipay settle_period_time)');
  if (!config.appId || !config.sellerId) throw new RangeError('appId and sellerId are required');
  if (!/^https?:\/\//.test(config.gatewayUrl)) throw new RangeError('gatewayUrl must be an http(s) URL');
  if (config.timeoutMs !== undefined && (!Number.isSafeInteger(config.timeoutMs) || config.timeoutMs <= 0)) {
    throw new RangeError('timeoutMs must be a positive integer');
  }
}
