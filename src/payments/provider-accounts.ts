// Merchants' accounts at the providers: linking an existing sub-merchant, or applying for one and following the
// application until the provider gives a sub-merchant id. Applications are driven by the worker (runDue), so a
// crash or a provider outage only delays them.
import type { ModuleContext } from '../shared/context';
import { SweepClaims } from '../ops/claims';
import { HutongError } from '../shared/errors';
import { ProviderError, type OnboardingInput, type ProviderName } from '../providers/types';
import type { AuditActor, AuditService } from '../audit/service';
import type { ProviderRegistry } from '../providers/registry';
import type { CatalogService } from '../catalog/service';
import { providerAccountStore as store, type ProviderAccountRow } from './provider-account-store';

/** First look at an application, doubling per look while it is under review, up to the maximum. */
const CHECK_INTERVAL_MS = 500;
const CHECK_INTERVAL_MAX_MS = 10 * 60_000;
/** After an error the claim's back-off decides when to try again; the row itself waits only this long. */
const RETRY_AFTER_ERROR_MS = 1_000;
const SWEEP_SIZE_MAX = 50;

export type AccountListener = (account: ProviderAccountRow) => void;

/**
 * Builds a merchant's complete application from its profile (src/onboarding): against a sandbox gaps are filled
 * from its test identities (named in testIdentityFields); against a real gateway it throws onboarding_incomplete.
 */
export type ApplicationSource = (
  merchantId: string,
  provider: ProviderName,
  outRequestNo: string,
) => Promise<{ input: OnboardingInput; testIdentityFields: string[] }>;

export class ProviderAccounts {
  private readonly listeners: AccountListener[] = [];
  applicationSource: ApplicationSource = async (merchantId) => {
    throw new HutongError('onboarding_incomplete', `No application source for ${merchantId}.`);
  };

  constructor(
    private readonly ctx: ModuleContext,
    private readonly providers: ProviderRegistry,
    private readonly catalog: CatalogService,
    private readonly audit: AuditService,
  ) {
    this.claims = new SweepClaims(ctx);
  }

  private readonly claims: SweepClaims;

  /** Polls back off: `baseMs` doubled per look already made, capped, so a slow review is not asked every tick. */
  private nextCheck(row: ProviderAccountRow, baseMs: number): Date {
    return new Date(this.ctx.clock.now().getTime() + Math.min(baseMs * 2 ** row.check_count, CHECK_INTERVAL_MAX_MS));
  }

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

  /** Re-points a merchant at an existing sub-merchant: privileged (money follows it), so audited in its transaction. */
  async link(
    actor: AuditActor,
    merchantId: string,
    provider: ProviderName,
    subMerchantId: string,
  ): Promise<ProviderAccountRow> {
    if (!(await this.catalog.merchantById(merchantId)))
      throw new HutongError('not_found', `No merchant ${merchantId}.`);
    const taken = await store.bySubMerchant(this.ctx.db, provider, subMerchantId);
    if (taken && taken.merchant_id !== merchantId) {
      throw new HutongError('validation_failed', `That ${provider} sub-merchant is linked to another merchant.`);
    }
    const row = await this.ctx.db.tx(async (q) => {
      const before = await store.get(q, merchantId, provider);
      const linked = await store.link(q, merchantId, provider, subMerchantId, this.ctx.clock.now());
      await this.audit.record(q, actor, {
        action: 'provider_account.linked',
        subject: `merchant:${merchantId}`,
        before: before ? { provider, status: before.status, sub_merchant_id: before.sub_merchant_id } : null,
        after: { provider, status: linked.status, sub_merchant_id: linked.sub_merchant_id },
      });
      return linked;
    });
    this.emit(row);
    return row;
  }

  /** An application parked for want of profile fields is tried again (after the profile changed). */
  async wake(merchantId: string, provider: ProviderName): Promise<void> {
    const row = await store.get(this.ctx.db, merchantId, provider);
    if (row?.status !== 'applying' || row.application_id !== null || row.next_check_at !== null) return;
    await store.update(this.ctx.db, merchantId, provider, {
      next_check_at: this.ctx.clock.now(),
      updated_at: this.ctx.clock.now(),
    });
  }

  /** Records an application (once per merchant and provider); the worker submits and follows it. */
  async apply(merchantId: string, provider: ProviderName): Promise<ProviderAccountRow> {
    const outRequestNo = `onb${provider === 'alipay' ? 'A' : 'W'}${merchantId.replace(/^mch_/, '')}`;
    return store.startApplication(this.ctx.db, merchantId, provider, outRequestNo, this.ctx.clock.now());
  }

  /** Re-submits a rejected application (with corrected details from the details source). */
  async resubmit(merchantId: string, provider: ProviderName): Promise<ProviderAccountRow> {
    const row = await store.get(this.ctx.db, merchantId, provider);
    if (!row || row.status !== 'rejected')
      throw new HutongError('activation_state_conflict', 'Only a rejected application can be resubmitted.');
    const attempt = Number(/r(\d+)$/.exec(row.out_request_no ?? '')?.[1] ?? 0) + 1;
    const outRequestNo = `${(row.out_request_no ?? '').replace(/r\d+$/, '')}r${attempt}`;
    await store.transition(this.ctx.db, merchantId, provider, ['rejected'], 'applying', {
      out_request_no: outRequestNo,
      application_id: null,
      reject_reasons: null,
      next_check_at: this.ctx.clock.now(),
      check_count: 0,
      updated_at: this.ctx.clock.now(),
    });
    return (await store.get(this.ctx.db, merchantId, provider))!;
  }

  async runDue(): Promise<number> {
    const due = await store.dueApplications(this.ctx.db, this.ctx.clock.now(), SWEEP_SIZE_MAX);
    await this.claims.driveEach(
      'onboarding',
      due,
      (r) => `${r.merchant_id}:${r.provider}`,
      async (r) => {
        const row = await store.get(this.ctx.db, r.merchant_id, r.provider); // read again now that it is ours
        if (row?.status !== 'applying') return;
        try {
          await this.advance(row);
        } catch (err) {
          // One merchant's broken application (a profile that no longer opens, a bug) must not stall everyone's:
          // the claim counts the failure and backs off; the row itself is due again soon after.
          await store.update(this.ctx.db, row.merchant_id, row.provider, {
            next_check_at: new Date(this.ctx.clock.now().getTime() + RETRY_AFTER_ERROR_MS),
            updated_at: this.ctx.clock.now(),
          });
          throw err;
        }
      },
    );
    return due.length;
  }

  private async advance(row: ProviderAccountRow): Promise<void> {
    if (!this.providers.has(row.provider)) return;
    const adapter = this.providers.get(row.provider);
    const now = this.ctx.clock.now();
    try {
      const status =
        row.application_id === null
          ? await this.submit(row, adapter)
          : await adapter.queryOnboarding(row.out_request_no!);
      if (status === undefined) return;
      if (status.state === 'finished' && status.subMerchantId) {
        await store.transition(this.ctx.db, row.merchant_id, row.provider, ['applying'], 'active', {
          sub_merchant_id: status.subMerchantId,
          application_id: status.applicationId ?? row.application_id ?? 'submitted',
          next_check_at: null,
          check_count: 0,
          updated_at: now,
        });
      } else if (status.state === 'rejected' || status.state === 'canceled') {
        await store.transition(this.ctx.db, row.merchant_id, row.provider, ['applying'], 'rejected', {
          reject_reasons: status.rejectReasons ?? [status.state],
          next_check_at: null,
          check_count: 0,
          updated_at: now,
        });
      } else {
        await store.update(this.ctx.db, row.merchant_id, row.provider, {
          application_id: status.applicationId ?? row.application_id ?? 'submitted',
          next_check_at: this.nextCheck(row, CHECK_INTERVAL_MS),
          check_count: row.check_count + 1,
          updated_at: now,
        });
        return;
      }
      this.emit((await store.get(this.ctx.db, row.merchant_id, row.provider))!);
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      this.ctx.log.warn(
        { provider: row.provider, merchant_id: row.merchant_id, code: err.code },
        'onboarding call failed; will retry',
      );
      await store.update(this.ctx.db, row.merchant_id, row.provider, {
        next_check_at: new Date(now.getTime() + RETRY_AFTER_ERROR_MS),
        updated_at: now,
      });
      throw err; // counted on the claim: an application that keeps failing ends in the stuck list
    }
  }

  /**
   * Submits the application built from the merchant's profile. Against a real gateway an incomplete profile parks
   * the application (no next check) until the profile changes: nothing is invented.
   */
  private async submit(row: ProviderAccountRow, adapter: ReturnType<ProviderRegistry['get']>) {
    let details: Awaited<ReturnType<ApplicationSource>>;
    try {
      details = await this.applicationSource(row.merchant_id, row.provider, row.out_request_no!);
    } catch (err) {
      if (!(err instanceof HutongError) || err.code !== 'onboarding_incomplete') throw err;
      this.ctx.log.info(
        { provider: row.provider, merchant_id: row.merchant_id, missing: err.details?.missing },
        'onboarding waits for the merchant profile',
      );
      await store.update(this.ctx.db, row.merchant_id, row.provider, {
        next_check_at: null,
        updated_at: this.ctx.clock.now(),
      });
      return undefined;
    }
    if (details.testIdentityFields.length > 0) {
      await store.update(this.ctx.db, row.merchant_id, row.provider, {
        test_identity_fields: details.testIdentityFields,
        updated_at: this.ctx.clock.now(),
      });
    }
    return adapter.submitOnboarding(details.input);
  }

  private emit(row: ProviderAccountRow): void {
    for (const listener of this.listeners) listener(row);
  }
}
