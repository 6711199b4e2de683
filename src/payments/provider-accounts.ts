// Merchants' accounts at the providers: linking an existing sub-merchant, or applying for one and following the
// application until the provider gives a sub-merchant id. Applications are driven by the worker (runDue), so a
// crash or a provider outage only delays them.
import type { ModuleContext } from '../shared/context';
import { HutongError } from '../shared/errors';
import { ProviderError, type OnboardingInput, type ProviderName } from '../providers/types';
import type { ProviderRegistry } from '../providers/registry';
import type { CatalogService } from '../catalog/service';
import { providerAccountStore as store, type ProviderAccountRow } from './provider-account-store';

const CHECK_INTERVAL_MS = 500;
const RETRY_AFTER_ERROR_MS = 5_000;
const SWEEP_SIZE_MAX = 50;

export type AccountListener = (account: ProviderAccountRow) => void;

/** Supplies the application details for a merchant (rollout keeps encrypted onboarding details). */
export type OnboardingDetailsSource = (merchantId: string, provider: ProviderName) => Promise<Partial<OnboardingInput>>;

export class ProviderAccounts {
  private readonly listeners: AccountListener[] = [];
  detailsSource: OnboardingDetailsSource = async () => ({});

  constructor(
    private readonly ctx: ModuleContext,
    private readonly providers: ProviderRegistry,
    private readonly catalog: CatalogService,
  ) {}

  /** Called whenever an account becomes active or rejected. */
  onChange(listener: AccountListener): void {
    this.listeners.push(listener);
  }

  async list(merchantId: string): Promise<ProviderAccountRow[]> {
    return store.ofMerchant(this.ctx.db, merchantId);
  }

  async get(merchantId: string, provider: ProviderName): Promise<ProviderAccountRow | undefined> {
    return store.get(this.ctx.db, merchantId, provider);
  }

  async link(merchantId: string, provider: ProviderName, subMerchantId: string): Promise<ProviderAccountRow> {
    if (!(await this.catalog.merchantById(merchantId))) throw new HutongError('not_found', `No merchant ${merchantId}.`);
    const taken = await store.bySubMerchant(this.ctx.db, provider, subMerchantId);
    if (taken && taken.merchant_id !== merchantId) {
      throw new HutongError('validation_failed', `That ${provider} sub-merchant is linked to another merchant.`);
    }
    const row = await store.link(this.ctx.db, merchantId, provider, subMerchantId, this.ctx.clock.now());
    this.emit(row);
    return row;
  }

  /** Records an application (once per merchant and provider); the worker submits and follows it. */
  async apply(merchantId: string, provider: ProviderName): Promise<ProviderAccountRow> {
    const outRequestNo = `onb${provider === 'alipay' ? 'A' : 'W'}${merchantId.replace(/^mch_/, '')}`;
    return store.startApplication(this.ctx.db, merchantId, provider, outRequestNo, this.ctx.clock.now());
  }

  /** Re-submits a rejected application (with corrected details from the details source). */
  async resubmit(merchantId: string, provider: ProviderName): Promise<ProviderAccountRow> {
    const row = await store.get(this.ctx.db, merchantId, provider);
    if (!row || row.status !== 'rejected') throw new HutongError('activation_state_conflict', 'Only a rejected application can be resubmitted.');
    const attempt = Number(/r(\d+)$/.exec(row.out_request_no ?? '')?.[1] ?? 0) + 1;
    const outRequestNo = `${(row.out_request_no ?? '').replace(/r\d+$/, '')}r${attempt}`;
    await store.transition(this.ctx.db, merchantId, provider, ['rejected'], 'applying', {
      out_request_no: outRequestNo, application_id: null, reject_reasons: null,
      next_check_at: this.ctx.clock.now(), updated_at: this.ctx.clock.now(),
    });
    return (await store.get(this.ctx.db, merchantId, provider))!;
  }

  async runDue(): Promise<number> {
    const due = await store.dueApplications(this.ctx.db, this.ctx.clock.now(), SWEEP_SIZE_MAX);
    for (const row of due) await this.advance(row);
    return due.length;
  }

  private async advance(row: ProviderAccountRow): Promise<void> {
    if (!this.providers.has(row.provider)) return;
    const adapter = this.providers.get(row.provider);
    const now = this.ctx.clock.now();
    try {
      const status = row.application_id === null
        ? await adapter.submitOnboarding(await this.input(row))
        : await adapter.queryOnboarding(row.out_request_no!);
      if (status.state === 'finished' && status.subMerchantId) {
        await store.transition(this.ctx.db, row.merchant_id, row.provider, ['applying'], 'active', {
          sub_merchant_id: status.subMerchantId, application_id: status.applicationId ?? row.application_id ?? 'submitted', next_check_at: null, updated_at: now,
        });
      } else if (status.state === 'rejected' || status.state === 'canceled') {
        await store.transition(this.ctx.db, row.merchant_id, row.provider, ['applying'], 'rejected', {
          reject_reasons: status.rejectReasons ?? [status.state], next_check_at: null, updated_at: now,
        });
      } else {
        await store.update(this.ctx.db, row.merchant_id, row.provider, {
          application_id: status.applicationId ?? row.application_id ?? 'submitted', next_check_at: new Date(now.getTime() + CHECK_INTERVAL_MS), updated_at: now,
        });
        return;
      }
      this.emit((await store.get(this.ctx.db, row.merchant_id, row.provider))!);
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      this.ctx.log.warn({ provider: row.provider, merchant_id: row.merchant_id, code: err.code }, 'onboarding call failed; will retry');
      await store.update(this.ctx.db, row.merchant_id, row.provider, { next_check_at: new Date(now.getTime() + RETRY_AFTER_ERROR_MS), updated_at: now });
    }
  }

  private async input(row: ProviderAccountRow): Promise<OnboardingInput> {
    const merchant = await this.catalog.merchantById(row.merchant_id);
    const details = await this.detailsSource(row.merchant_id, row.provider);
    // Against a sandbox, missing details get clearly marked placeholders (api.md); real gateways reject them.
    return {
      outRequestNo: row.out_request_no!,
      merchantName: details.merchantName ?? merchant?.name ?? row.merchant_id,
      category: details.category ?? merchant?.category ?? 'general',
      contactName: details.contactName ?? merchant?.contact_name ?? 'SANDBOX-PLACEHOLDER',
      contactPhone: details.contactPhone ?? merchant?.contact_phone ?? '13800000000',
      idCardNumber: details.idCardNumber ?? '110101199003070000',
      bankAccountNumber: details.bankAccountNumber ?? '6222000000000000000',
    };
  }

  private emit(row: ProviderAccountRow): void {
    for (const listener of this.listeners) listener(row);
  }
}
