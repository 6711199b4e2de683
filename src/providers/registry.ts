// The adapters Hutong talks to, by provider name. Filled at start from configuration (real gateways) or from the
// credentials Hutong got by registering with its own sandboxes.
import type { EscrowOperations, ProviderAdapter, ProviderName } from './types';
import { HutongError } from '../shared/errors';

export type FullAdapter = ProviderAdapter & { escrow: EscrowOperations };

export interface ProviderIdentity {
  /** Alipay app_id / WeChat Pay sp_appid. */
  appId: string;
  /** Alipay seller_id / WeChat Pay sp_mchid. */
  platformMerchantId: string;
  /** The provider's fee rate in basis points, the same the provider (sandbox) charges; the ledger books with it. */
  feeRateBp: number;
  /**
   * The gateway is a sandbox (Hutong's own, in-process or as its own process): onboarding may fill missing details
   * from the sandbox's published test identities. Never true for a real gateway.
   */
  sandbox: boolean;
}

export class ProviderRegistry {
  private readonly adapters = new Map<ProviderName, { adapter: FullAdapter; identity: ProviderIdentity }>();

  set(name: ProviderName, adapter: FullAdapter, identity: ProviderIdentity): void {
    this.adapters.set(name, { adapter, identity });
  }

  has(name: ProviderName): boolean {
    return this.adapters.has(name);
  }

  get(name: ProviderName): FullAdapter {
    const entry = this.adapters.get(name);
    if (!entry) throw new HutongError('provider_unavailable', `Provider ${name} is not configured.`);
    return entry.adapter;
  }

  identity(name: ProviderName): ProviderIdentity {
    const entry = this.adapters.get(name);
    if (!entry) throw new HutongError('provider_unavailable', `Provider ${name} is not configured.`);
    return entry.identity;
  }
}
