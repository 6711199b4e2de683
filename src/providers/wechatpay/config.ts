// The adapter's configuration, validated once at construction (a bad key fails at start, not at the first payment).
import { KeyConfigError } from './sign';

export type WechatpayMerchantType = 'ecommerce_platform' | 'service_provider';

export interface WechatpayConfig {
  /** 平台收付通 (default in Hutong) or 普通服务商: payments are the same, the money APIs afterwards are not. */
  merchantType: WechatpayMerchantType;
  spMchid: string;
  spAppid: string;
  /** Serial of the merchant API certificate, sent in `Authorization`. */
  merchantSerialNo: string;
  merchantPrivateKeyPem: string;
  /** 32 bytes; decrypts notifications. */
  apiv3Key: string;
  /** WeChat Pay public key mode: `PUB_KEY_ID_…` and its PEM. */
  wechatpayPublicKeyId: string;
  wechatpayPublicKeyPem: string;
  /** Certificate mode: serial → certificate (or public key) PEM. Both modes verify during a migration. */
  platformCertificates?: Record<string, string>;
  /** e.g. https://api.mch.weixin.qq.com, or http://127.0.0.1:3000/sandbox/wechatpay */
  baseUrl: string;
  /** Where commission is shared to (defaults to spMchid). */
  platformReceiverMchid?: string;
  /** Per HTTP call; the library's default is no timeout at all, which a money path cannot afford. */
  timeoutMs?: number;
  /** Test seam for notification timestamps and `time_expire`; defaults to the system clock. */
  now?: () => Date;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
const TIMEOUT_MS_MAX = 120_000;

export function validateConfig(config: WechatpayConfig): void {
  const required: Array<keyof WechatpayConfig> = ['spMchid', 'spAppid', 'merchantSerialNo', 'baseUrl'];
  for (const key of required) {
    if (typeof config[key] !== 'string' || (config[key] as string).length === 0) {
      throw new KeyConfigError('config_missing', `wechatpay config: ${key} is required`);
    }
  }
  if (config.merchantType !== 'ecommerce_platform' && config.merchantType !== 'service_provider') {
    throw new KeyConfigError(
      'config_invalid',
      'wechatpay config: merchantType must be ecommerce_platform or service_provider',
    );
  }
  if (!/^https?:\/\//.test(config.baseUrl))
    throw new KeyConfigError('config_invalid', 'wechatpay config: baseUrl must be an http(s) URL');
  const t = config.timeoutMs;
  if (t !== undefined && (!Number.isSafeInteger(t) || t <= 0 || t > TIMEOUT_MS_MAX)) {
    throw new KeyConfigError('config_invalid', `wechatpay config: timeoutMs must be 1..${TIMEOUT_MS_MAX}`);
  }
}
