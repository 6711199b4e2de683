// The profile's wire shape: the TypeBox schema built from the field catalogue (nested by group), the flattening of
// a body into a patch, and the answer with sensitive values masked.
import { Type, type TSchema } from 'typebox';
import type { ProviderName } from '../providers/types';
import { IMAGE_KINDS, PROFILE_FIELDS, PROFILE_FIELD_NAMES, isSensitive, masked, type ProfileField } from './profile';
import type { Profile, ProfilePatch } from './profiles';

function fieldSchema(field: ProfileField): TSchema {
  const spec = PROFILE_FIELDS[field];
  const description = `${spec.description}${spec.sensitive ? ' Sensitive: sealed at rest, masked in answers, never logged.' : ''} null clears it.`;
  return Type.Optional(
    Type.Union([Type.String({ minLength: 1, maxLength: spec.maxLength, pattern: spec.pattern }), Type.Null()], {
      description,
    }),
  );
}

/** `{ subject_type, licence: {…}, legal_person: {…}, settlement: {…}, contact: {…}, store: {…} }`, every field optional. */
export function profileBodySchema(): TSchema {
  const groups = new Map<string, Record<string, TSchema>>();
  const top: Record<string, TSchema> = {};
  for (const field of PROFILE_FIELD_NAMES) {
    const { group } = PROFILE_FIELDS[field];
    if (!group) {
      top[field] = fieldSchema(field);
      continue;
    }
    const props = groups.get(group) ?? {};
    props[field.slice(group.length + 1)] = fieldSchema(field);
    groups.set(group, props);
  }
  for (const [group, props] of groups) top[group] = Type.Optional(Type.Object(props, { additionalProperties: false }));
  return Type.Object(top, {
    additionalProperties: false,
    description:
      'Onboarding profile: what the providers’ sub-merchant applications need. Fields given replace the stored ones; null clears one; absent ones stay.',
  });
}

export type ProfileBody = Record<string, string | null | Record<string, string | null>>;

export function patchFromBody(body: ProfileBody): ProfilePatch {
  const patch: ProfilePatch = {};
  for (const [key, value] of Object.entries(body)) {
    if (value !== null && typeof value === 'object') {
      for (const [sub, v] of Object.entries(value)) patch[`${key}.${sub}` as ProfileField] = v;
    } else {
      patch[key as ProfileField] = value;
    }
  }
  return patch;
}

export function profileJson(profile: Profile, missing: Partial<Record<ProviderName, string[]>>) {
  const out: Record<string, unknown> = { merchant_id: profile.merchantId };
  for (const field of PROFILE_FIELD_NAMES) {
    const value = profile.values[field];
    if (value === undefined) continue;
    const shown = isSensitive(field) ? masked(field, value) : value;
    const { group } = PROFILE_FIELDS[field];
    if (!group) out[field] = shown;
    else out[group] = { ...(out[group] as object | undefined), [field.slice(group.length + 1)]: shown };
  }
  out.images = Object.fromEntries(
    IMAGE_KINDS.filter((k) => profile.images[k]).map((k) => {
      const image = profile.images[k]!;
      return [k, { sha256: image.sha256, uploaded_at: image.uploadedAt, providers: Object.keys(image.mediaIds) }];
    }),
  );
  out.onboarding = Object.fromEntries(
    Object.entries(missing).map(([provider, fields]) => [provider, { ready: fields.length === 0, missing: fields }]),
  );
  out.updated_at = profile.updatedAt?.toISOString() ?? null;
  return out;
}
