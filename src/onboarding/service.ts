// Onboarding: merchants are created with or without a profile, the profile is completed later, and a provider
// application starts once it is complete — at once against a sandbox (gaps from its test identities), never with
// invented data against a real gateway. Applications themselves are driven by ProviderAccounts' worker.
import type { ModuleContext } from '../shared/context';
import { writeOnce } from '../shared/door';
import { HutongError } from '../shared/errors';
import { ensureOwner, type Actor } from '../auth/actor';
import type { AuditActor } from '../audit/service';
import type { CatalogService, NewMerchant } from '../catalog/service';
import type { MerchantRow } from '../catalog/store';
import type { ProviderAccounts } from '../payments/provider-accounts';
import type { ProviderName } from '../providers/types';
import type { MerchantProfiles, Profile, ProfilePatch } from './profiles';
import type { ImageKind } from './profile';

/** Alipay 直付通 is every merchant's first method: its application starts by itself once it can. */
const AUTO_ONBOARDED: ProviderName = 'alipay';

export class OnboardingService {
  constructor(
    private readonly ctx: ModuleContext,
    private readonly catalog: CatalogService,
    readonly profiles: MerchantProfiles,
    private readonly accounts: ProviderAccounts,
  ) {
    accounts.applicationSource = async (merchantId, provider, outRequestNo) => {
      const merchant = await catalog.merchantById(merchantId);
      if (!merchant) throw new HutongError('not_found', `No merchant ${merchantId}.`);
      return profiles.application(merchant, provider, outRequestNo);
    };
  }

  /** The merchant, its profile and its audit row commit together; onboarding is considered after the commit. */
  async createMerchant(actor: AuditActor, input: NewMerchant, profile: ProfilePatch | undefined): Promise<MerchantRow> {
    if (profile) this.profiles.validate(profile);
    const merchant = await writeOnce(this.ctx.db, async (q) => {
      const row = await this.catalog.insertMerchant(q, { ...input, contactPhone: undefined });
      await this.ctx.audit.record(q, actor, {
        action: 'merchant.created',
        subject: `merchant:${row.id}`,
        after: {
          name: row.name,
          category: row.category,
          tier: row.tier,
          profile_fields: Object.keys(profile ?? {}).sort(),
        },
      });
      if (profile && Object.keys(profile).length > 0) await this.profiles.update(q, actor, row.id, profile);
      return row;
    });
    this.catalog.merchantCreated(merchant);
    await this.startIfReady(merchant.id, AUTO_ONBOARDED);
    return merchant;
  }

  async profile(actor: Actor, merchantId: string): Promise<Profile> {
    await this.catalog.merchant(actor, merchantId);
    return this.profiles.get(merchantId);
  }

  /** Ops, or the merchant itself (it knows its own licence and account best); both are audited. */
  async updateProfile(actor: Actor, merchantId: string, patch: ProfilePatch): Promise<Profile> {
    await this.catalog.merchant(actor, merchantId);
    ensureOwner(actor, { merchantId });
    const profile = await this.ctx.db.tx((q) => this.profiles.update(q, actor, merchantId, patch));
    await this.afterProfileChange(merchantId);
    return profile;
  }

  async uploadImage(
    actor: Actor,
    merchantId: string,
    kind: ImageKind,
    filename: string,
    content: Buffer,
  ): Promise<Profile> {
    await this.catalog.merchant(actor, merchantId);
    const profile = await this.profiles.uploadImage(actor, merchantId, kind, filename, content);
    await this.afterProfileChange(merchantId);
    return profile;
  }

  async missing(merchantId: string) {
    return this.profiles.missing(merchantId);
  }

  /** Against a real gateway, refuses with onboarding_incomplete (naming the fields) when the profile is not enough. */
  async ensureComplete(merchantId: string, provider: ProviderName): Promise<void> {
    await this.profiles.ensureComplete(merchantId, provider);
  }

  private async afterProfileChange(merchantId: string): Promise<void> {
    await this.startIfReady(merchantId, AUTO_ONBOARDED);
    for (const provider of ['alipay', 'wechatpay'] as const) await this.accounts.wake(merchantId, provider);
  }

  /** Starts the application once the profile is complete, or at once against a sandbox. */
  private async startIfReady(merchantId: string, provider: ProviderName): Promise<void> {
    if (await this.accounts.get(merchantId, provider)) return;
    const missing = (await this.profiles.missing(merchantId))[provider];
    if (missing === undefined) return; // the provider is not configured (yet): nothing to apply to
    if (missing.length > 0 && !this.profiles.isSandbox(provider)) return;
    await this.accounts.apply(merchantId, provider);
  }
}
