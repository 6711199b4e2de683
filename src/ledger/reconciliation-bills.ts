// Which bills a provider's day has and how to download them. WeChat Pay: the platform's trade bill (every
// sub-merchant's lines, 特约商户号 naming each) and its profit-sharing bill. Alipay 直付通: one trade bill per
// sub-merchant (trade_zft_merchant), since the platform's own bill does not say whose a line is.
import type { ProviderName } from '../providers/types';
import type { FullAdapter } from '../providers/registry';
import type { BillType, ProviderLine } from './reconciliation-match';
import { fromSharingBill, fromTradeBill } from './reconciliation-lines';

export interface BillSource {
  bill: BillType;
  /** Omitted: the platform-wide bill. */
  subMerchantId?: string;
}

/** A platform has a bounded number of sub-merchants per provider; past this a run refuses rather than crawls. */
export const BILL_SOURCES_MAX = 100_000;

export function billSources(provider: ProviderName, subMerchantIds: string[]): BillSource[] {
  if (provider === 'wechatpay') return [{ bill: 'trade' }, { bill: 'profit_sharing' }];
  if (subMerchantIds.length > BILL_SOURCES_MAX)
    throw new Error(`more than ${BILL_SOURCES_MAX} sub-merchants to fetch bills for`);
  return subMerchantIds.map((subMerchantId) => ({ bill: 'trade', subMerchantId }));
}

async function fetchOne(adapter: FullAdapter, date: string, source: BillSource): Promise<ProviderLine[]> {
  const input = { date, ...(source.subMerchantId ? { subMerchantId: source.subMerchantId } : {}) };
  if (source.bill === 'trade') return (await adapter.fetchTradeBill(input)).map(fromTradeBill);
  return (await adapter.fetchSharingBill(input)).map(fromSharingBill);
}

/** Downloads the bills one after another (a provider rate-limits bill downloads), reporting each. */
export async function fetchBills(
  adapter: FullAdapter,
  date: string,
  sources: BillSource[],
  onFetched: () => void = () => {},
): Promise<ProviderLine[]> {
  const lines: ProviderLine[] = [];
  for (const source of sources) {
    lines.push(...(await fetchOne(adapter, date, source)));
    onFetched();
  }
  return lines;
}
