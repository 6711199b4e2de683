// Merchant profiles: validated, sealed per field (bound to merchant and field), masked in answers, audited by field
// name only; images uploaded through each configured provider's media API; and the provider application built from
// them — against a sandbox with the gaps filled from its published test identities, against a real gateway never.
import { createHash } from 'node:crypto';
import type { ModuleContext } from '../shared/context';
import type { Queryable } from '../shared/db';
import { HutongError } from '../shared/errors';
import type { Sealer } from '../shared/seal';
import type { AuditActor, AuditService } from '../audit/service';
import type { ProviderRegistry } from '../providers/registry';
import { PROVIDER_NAMES, ProviderError, type OnboardingInput, type ProviderName } from '../providers/types';
import type { MerchantRow } from '../catalog/store';
import { SANDBOX_TEST_IDENTITY, SANDBOX_TEST_IMAGE } from '../sandbox/test-identities';
import {
  PROFILE_FIELDS,
  PROFILE_FIELD_NAMES,
  idNumberCheckDigitValid,
  isSensitive,
  missingFields,
  subjectTypeOf,
  type ImageKind,
  type ProfileField,
  type ProfileImages,
  type ProfileValues,
} from './profile';
import { profileStore as store } from './store';

/** A change: a value sets the field, null clears it, an absent field stays as it is. */
export type ProfilePatch = Partial<Record<ProfileField, string | null>>;

export interface Profile {
  merchantId: string;
  values: ProfileValues;
  images: ProfileImages;
  updatedAt: Date | null;
}

export interface ApplicationDetails {
  input: OnboardingInput;
  /** Fields taken from the sandbox's test identities (empty against a real gateway, always). */
  testIdentityFields: string[];
}

const sealContext = (merchantId: string, field: string) => `merchant_profile:${merchantId}:${field}`;
const IMAGE_BYTES_MAX = 2 * 1024 * 1024;

export class MerchantProfiles {
  /** Media ids of the sandbox's test image, per provider (uploaded once per process). */
  private readonly testImageIds = new Map<ProviderName, Promise<string>>();

  constructor(
    private readonly ctx: ModuleContext,
    private readonly sealer: Sealer,
    private readonly audit: AuditService,
    private readonly providers: ProviderRegistry,
  ) {}

  async get(merchantId: string, q: Queryable = this.ctx.db, forUpdate = false): Promise<Profile> {
    const row = await store.get(q, merchantId, forUpdate);
    if (!row) return { merchantId, values: {}, images: {}, updatedAt: null };
    const values: ProfileValues = {};
    for (const [field, value] of Object.entries(row.plain)) values[field as ProfileField] = value;
    for (const [field, sealed] of Object.entries(row.sealed))
      values[field as ProfileField] = this.sealer.open<string>(sealed, sealContext(merchantId, field));
    return { merchantId, values, images: row.images, updatedAt: row.updated_at };
  }

  /** Refuses what the schema cannot say: the ID number's check digit, a validity period that ends before it starts. */
  validate(patch: ProfilePatch): void {
    for (const [field, value] of Object.entries(patch) as Array<[ProfileField, string | null]>) {
      const spec = PROFILE_FIELDS[field];
      if (!spec) throw new HutongError('validation_failed', `Unknown profile field ${field}.`, { field });
      if (value === null) continue;
      if (value.length > spec.maxLength || !new RegExp(spec.pattern, 'u').test(value))
        throw new HutongError('validation_failed', `${field}: ${spec.description}`, { field });
    }
    const id = patch['legal_person.id_number'];
    if (id && !idNumberCheckDigitValid(id))
      throw new HutongError('validation_failed', 'legal_person.id_number: the check digit does not match.', {
        field: 'legal_person.id_number',
      });
    const from = patch['legal_person.id_valid_from'];
    const to = patch['legal_person.id_valid_to'];
    if (from && to && to !== 'long' && to <= from)
      throw new HutongError('validation_failed', 'legal_person.id_valid_to must be after id_valid_from.', {
        field: 'legal_person.id_valid_to',
      });
  }

  /** Applies a patch inside the caller's transaction and writes its audit row there (field names, no secrets). */
  async update(q: Queryable, actor: AuditActor, merchantId: string, patch: ProfilePatch): Promise<Profile> {
    this.validate(patch);
    const current = await this.get(merchantId, q, true);
    const values: ProfileValues = { ...current.values };
    const before: Record<string, string | null> = {};
    const after: Record<string, string | null> = {};
    for (const field of PROFILE_FIELD_NAMES) {
      if (!(field in patch) || (patch[field] ?? undefined) === values[field]) continue;
      const shown = (v: string | undefined) => (v === undefined ? null : isSensitive(field) ? '[sealed]' : v);
      before[field] = shown(values[field]);
      const next = patch[field];
      if (next === null || next === undefined) delete values[field];
      else values[field] = next;
      after[field] = shown(values[field]);
    }
    const now = this.ctx.clock.now();
    await this.write(q, merchantId, values, current.images, now);
    if (Object.keys(after).length > 0) {
      await this.audit.record(q, actor, {
        action: 'merchant.profile_updated',
        subject: `merchant:${merchantId}`,
        before,
        after,
      });
    }
    return { merchantId, values, images: current.images, updatedAt: now };
  }

  private async write(
    q: Queryable,
    merchantId: string,
    values: ProfileValues,
    images: ProfileImages,
    now: Date,
  ): Promise<void> {
    const plain: Record<string, string> = {};
    const sealed: Record<string, string> = {};
    for (const [field, value] of Object.entries(values) as Array<[ProfileField, string]>) {
      if (isSensitive(field)) sealed[field] = this.sealer.seal(value, sealContext(merchantId, field));
      else plain[field] = value;
    }
    await store.put(q, { merchant_id: merchantId, plain, sealed, images, updated_at: now });
  }

  /**
   * Uploads an image through every configured provider's media API (their ids differ) and records the ids. Nothing
   * is kept of the image itself but its SHA-256.
   */
  async uploadImage(
    actor: AuditActor,
    merchantId: string,
    kind: ImageKind,
    filename: string,
    content: Buffer,
  ): Promise<Profile> {
    if (content.length === 0 || content.length > IMAGE_BYTES_MAX || !imageFormatMatches(filename, content))
      throw new HutongError('image_invalid');
    const mediaIds: Partial<Record<ProviderName, string>> = {};
    for (const provider of PROVIDER_NAMES) {
      if (!this.providers.has(provider)) continue;
      mediaIds[provider] = await this.providerUpload(provider, filename, content);
    }
    const sha256 = createHash('sha256').update(content).digest('hex');
    return this.ctx.db.tx(async (q) => {
      const current = await this.get(merchantId, q, true);
      const images: ProfileImages = {
        ...current.images,
        [kind]: { mediaIds, sha256, uploadedAt: this.ctx.clock.now().toISOString() },
      };
      const now = this.ctx.clock.now();
      await this.write(q, merchantId, current.values, images, now);
      await this.audit.record(q, actor, {
        action: 'merchant.profile_image_uploaded',
        subject: `merchant:${merchantId}`,
        before: current.images[kind] ? { kind, sha256: current.images[kind]!.sha256 } : null,
        after: { kind, sha256, providers: Object.keys(mediaIds) },
      });
      return { merchantId, values: current.values, images, updatedAt: now };
    });
  }

  private async providerUpload(provider: ProviderName, filename: string, content: Buffer): Promise<string> {
    try {
      return (await this.providers.get(provider).uploadImage({ filename, content })).mediaId;
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      if (err.kind === 'invalid_request' || err.kind === 'declined')
        throw new HutongError('image_invalid', `${provider}: ${err.message}`);
      throw new HutongError('provider_unavailable', `${provider} media upload failed; retry later.`);
    }
  }

  /** What each configured provider's application still misses. */
  async missing(merchantId: string): Promise<Partial<Record<ProviderName, string[]>>> {
    const profile = await this.get(merchantId);
    const out: Partial<Record<ProviderName, string[]>> = {};
    for (const p of PROVIDER_NAMES)
      if (this.providers.has(p)) out[p] = missingFields(profile.values, profile.images, p);
    return out;
  }

  isSandbox(provider: ProviderName): boolean {
    return this.providers.has(provider) && this.providers.identity(provider).sandbox;
  }

  /** Throws onboarding_incomplete when a real gateway's application would lack fields. */
  async ensureComplete(merchantId: string, provider: ProviderName): Promise<void> {
    if (this.isSandbox(provider)) return;
    const profile = await this.get(merchantId);
    const missing = missingFields(profile.values, profile.images, provider);
    if (missing.length > 0) throw new HutongError('onboarding_incomplete', undefined, { provider, missing });
  }

  /** The application for a provider from the profile; against a sandbox the gaps come from its test identities. */
  async application(merchant: MerchantRow, provider: ProviderName, outRequestNo: string): Promise<ApplicationDetails> {
    const profile = await this.get(merchant.id);
    const values: ProfileValues = { ...profile.values };
    const images: ProfileImages = { ...profile.images };
    const testIdentityFields: string[] = [];
    const missing = missingFields(values, images, provider);
    if (missing.length > 0 && !this.isSandbox(provider))
      throw new HutongError('onboarding_incomplete', undefined, { provider, missing });
    // Twice: filling subject_type can change which fields are needed (a licence for a business).
    for (let round = 0; round < 2; round++) {
      for (const field of missingFields(values, images, provider)) {
        if (field.startsWith('images.')) {
          const kind = field.slice('images.'.length) as ImageKind;
          images[kind] = { mediaIds: { [provider]: await this.testImageId(provider) }, sha256: '', uploadedAt: '' };
        } else {
          values[field as ProfileField] = SANDBOX_TEST_IDENTITY[field];
        }
        testIdentityFields.push(field);
      }
    }
    return {
      input: applicationInput(merchant, provider, outRequestNo, values, images, this.shopUrl(merchant.id)),
      testIdentityFields,
    };
  }

  private shopUrl(merchantId: string): string {
    return `${this.ctx.config.publicUrl}/shop.html?merchant=${encodeURIComponent(merchantId)}`;
  }

  private testImageId(provider: ProviderName): Promise<string> {
    let id = this.testImageIds.get(provider);
    if (!id) {
      id = this.providerUpload(provider, SANDBOX_TEST_IMAGE.filename, SANDBOX_TEST_IMAGE.content);
      id.catch(() => this.testImageIds.delete(provider));
      this.testImageIds.set(provider, id);
    }
    return id;
  }
}

/** JPEG, PNG or BMP by their magic bytes, with a matching extension. */
function imageFormatMatches(filename: string, content: Buffer): boolean {
  const ext = /\.([A-Za-z]+)$/.exec(filename)?.[1]?.toLowerCase();
  if (ext === 'png')
    return content.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  if (ext === 'jpg' || ext === 'jpeg') return content[0] === 0xff && content[1] === 0xd8;
  if (ext === 'bmp') return content[0] === 0x42 && content[1] === 0x4d;
  return false;
}

/** A complete profile (missingFields is empty for this provider) in the adapters' terms. */
function applicationInput(
  merchant: MerchantRow,
  provider: ProviderName,
  outRequestNo: string,
  v: ProfileValues,
  images: ProfileImages,
  shopUrl: string,
): OnboardingInput {
  const need = (field: ProfileField): string => {
    const value = v[field];
    if (value === undefined) throw new HutongError('onboarding_incomplete', undefined, { provider, missing: [field] });
    return value;
  };
  const image = (kind: ImageKind): string => images[kind]?.mediaIds[provider] ?? need(`images.${kind}` as ProfileField);
  const subjectType = subjectTypeOf(v) ?? 'micro';
  const input: OnboardingInput = {
    outRequestNo,
    merchantName: merchant.name,
    category: merchant.category,
    subjectType,
    legalPerson: {
      name: need('legal_person.name'),
      idNumber: need('legal_person.id_number'),
      idValidFrom: need('legal_person.id_valid_from'),
      idValidTo: need('legal_person.id_valid_to'),
      idFrontImageId: image('id_front'),
      idBackImageId: image('id_back'),
    },
    settlement: {},
    contact: { name: need('contact.name'), phone: need('contact.phone'), email: need('contact.email') },
    store: { name: v['store.name'] ?? merchant.name.slice(0, 64), url: v['store.url'] ?? shopUrl },
  };
  if (subjectType !== 'micro') {
    input.licence = {
      number: need('licence.number'),
      name: need('licence.name'),
      imageId: image('licence'),
      ...(v['licence.address'] ? { address: v['licence.address'] } : {}),
    };
  }
  if (v['settlement.alipay_logon_id']) input.settlement.alipayLogonId = v['settlement.alipay_logon_id'];
  if (v['settlement.account_number']) {
    input.settlement.bank = {
      accountType: v['settlement.account_type'] === 'corporate' ? 'corporate' : 'personal',
      accountName: need('settlement.account_name'),
      accountNumber: need('settlement.account_number'),
      bankName: need('settlement.bank_name'),
      ...(v['settlement.bank_region_code'] ? { regionCode: v['settlement.bank_region_code'] } : {}),
    };
  }
  return input;
}
