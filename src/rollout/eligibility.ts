// Cashier eligibility with rollout rules: the first reason in api.md's order hides a method.
import { randomInt } from 'node:crypto';
import semver from 'semver';
import type { Db } from '../shared/db';
import type { Clock } from '../shared/clock';
import type { ProviderName } from '../providers/types';
import type { ProviderRegistry } from '../providers/registry';
import { clientSupports, type ClientInfo } from '../payments/client';
import type { EligibilityInput, EligibilityPolicy, MethodAvailability } from '../payments/eligibility';
import { providerAccountStore } from '../payments/provider-account-store';
import { rolloutStore as store, type MethodRow } from './store';

function clientMeets(method: MethodRow, client: ClientInfo): boolean {
  if (!method.min_client_version) return true;
  if (method.min_client_app && client.app !== method.min_client_app) return false;
  return client.version !== undefined && semver.gte(client.version, method.min_client_version);
}

/**
 * How long the method catalogue and "has this method waves" are reused: this process drops them at once on a change
 * (invalidate), other API processes see it within this time.
 */
const CATALOGUE_CACHE_MS = 1000;

export class RolloutEligibility implements EligibilityPolicy {
  private catalogue: { methods: MethodRow[]; withWaves: Set<string>; readAt: number } | undefined;

  constructor(
    private readonly db: Db,
    private readonly providers: ProviderRegistry,
    private readonly clock: Clock,
  ) {}

  invalidate(): void {
    this.catalogue = undefined;
  }

  private async readCatalogue(): Promise<{ methods: MethodRow[]; withWaves: Set<string> }> {
    if (this.catalogue && Date.now() - this.catalogue.readAt < CATALOGUE_CACHE_MS) return this.catalogue;
    const methods = await store.methods(this.db);
    const withWaves = new Set<string>();
    for (const m of methods) if (await store.hasWaves(this.db, m.method)) withWaves.add(m.method);
    this.catalogue = { methods, withWaves, readAt: Date.now() };
    return this.catalogue;
  }

  async evaluate(input: EligibilityInput): Promise<MethodAvailability[]> {
    const { methods, withWaves } = await this.readCatalogue();
    const result: MethodAvailability[] = [];
    for (const m of methods) {
      const method = m.method as ProviderName;
      const reason = await this.firstReason(m, method, input, withWaves.has(m.method));
      result.push(reason ? { method, available: false, reason } : { method, available: true });
    }
    return result;
  }

  private async firstReason(
    m: MethodRow,
    method: ProviderName,
    input: EligibilityInput,
    hasWaves: boolean,
  ): Promise<MethodAvailability['reason']> {
    if (!m.enabled || !this.providers.has(method)) return 'method_disabled';
    if (m.paused) return 'method_paused';
    if (!clientSupports(method, input.client) || !clientMeets(m, input.client)) return 'client_unsupported';
    if (!(await this.everyMerchantLive(method, input.merchantIds, hasWaves))) return 'merchant_not_enabled';
    if (!(await this.buyerExposed(m, input.buyerId))) return 'buyer_not_in_rollout';
    return undefined;
  }

  /** A method rolled out in waves needs a live activation; otherwise (Alipay) an active sub-merchant account. */
  private async everyMerchantLive(method: ProviderName, merchantIds: string[], hasWaves: boolean): Promise<boolean> {
    if (hasWaves) {
      const live = await store.liveMerchants(this.db, method, merchantIds, this.clock.now());
      return merchantIds.every((id) => live.has(id));
    }
    const active = await providerAccountStore.activeProviders(this.db, merchantIds);
    return merchantIds.every((id) => active.get(id)?.has(method));
  }

  /** Sticky cohorts: a buyer's first draw is stored and kept, whatever the percentage does later. */
  private async buyerExposed(m: MethodRow, buyerId: string): Promise<boolean> {
    const known = await store.exposure(this.db, buyerId, m.method);
    if (known !== undefined) return known;
    return store.assignExposure(
      this.db,
      buyerId,
      m.method,
      randomInt(100) < m.exposure_percent,
      'cohort',
      this.clock.now(),
    );
  }
}
