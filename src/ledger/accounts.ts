// Ledger account names: they mirror what each provider holds for whom (design.md "Money").
import type { ProviderName } from '../providers/types';

/** WeChat Pay holds escrow as frozen money; Alipay 直付通 as unsettled money. */
export function holdingAccount(provider: ProviderName, merchantId: string): string {
  return `provider:${provider}:merchant:${merchantId}:${provider === 'alipay' ? 'unsettled' : 'frozen'}`;
}

export function availableAccount(provider: ProviderName, merchantId: string): string {
  return `provider:${provider}:merchant:${merchantId}:available`;
}

export function commissionAccount(provider: ProviderName): string {
  return `provider:${provider}:platform:commission`;
}

export function feesAccount(provider: ProviderName): string {
  return `provider:${provider}:fees`;
}

/** The platform's own money paying a provider's fee it bears by contract (Alipay, by default). */
export function platformFeeAccount(provider: ProviderName): string {
  return `platform:fees_paid:${provider}`;
}

/** The outside world: buyers' money comes from and returns to here. */
export const BUYERS_ACCOUNT = 'buyers';
export const BANKS_ACCOUNT = 'banks';
export const SUBSIDIES_ACCOUNT = 'platform:subsidies';

export interface ParsedAccount {
  provider: ProviderName;
  merchantId: string;
  kind: 'frozen' | 'unsettled' | 'available';
}

export function parseMerchantAccount(account: string): ParsedAccount | undefined {
  const m = /^provider:(alipay|wechatpay):merchant:([^:]+):(frozen|unsettled|available)$/.exec(account);
  return m ? { provider: m[1] as ProviderName, merchantId: m[2]!, kind: m[3] as ParsedAccount['kind'] } : undefined;
}
