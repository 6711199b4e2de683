// Which methods a checkout may use, with the first reason for any that it may not (api.md "Platform" order).
import type { Queryable } from '../shared/db';
import type { ProviderName } from '../providers/types';
import type { ProviderRegistry } from '../providers/registry';
import { clientSupports, type ClientInfo } from './client';
import { providerAccountStore } from './provider-account-store';

export const UNAVAILABLE_REASONS = [
  'method_disabled',
  'method_paused',
  'client_unsupported',
  'merchant_not_enabled',
  'buyer_not_in_rollout',
] as const;
export type UnavailableReason = (typeof UNAVAILABLE_REASONS)[number];

export interface MethodAvailability {
  method: ProviderName;
  available: boolean;
  reason?: UnavailableReason;
}

export interface EligibilityInput {
  merchantIds: string[];
  buyerId: string;
  client: ClientInfo;
}

/** The rollout module replaces the default with waves, pauses and buyer cohorts. */
export interface EligibilityPolicy {
  evaluate(input: EligibilityInput): Promise<MethodAvailability[]>;
}

/** Before any rollout rules: a method works where it is configured, the client supports it and every merchant has an active account. */
export class ProviderAccountEligibility implements EligibilityPolicy {
  constructor(
    private readonly db: Queryable,
    private readonly providers: ProviderRegistry,
    private readonly order: readonly ProviderName[] = ['wechatpay', 'alipay'],
  ) {}

  async evaluate(input: EligibilityInput): Promise<MethodAvailability[]> {
    const active = await providerAccountStore.activeProviders(this.db, input.merchantIds);
    return this.order.map((method) => {
      if (!this.providers.has(method)) return { method, available: false, reason: 'method_disabled' as const };
      if (!clientSupports(method, input.client))
        return { method, available: false, reason: 'client_unsupported' as const };
      const everyMerchant = input.merchantIds.every((m) => active.get(m)?.has(method));
      if (!everyMerchant) return { method, available: false, reason: 'merchant_not_enabled' as const };
      return { method, available: true };
    });
  }
}
