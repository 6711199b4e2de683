// A merchant's onboarding profile: the fields the providers' sub-merchant applications need, their validation,
// which are sensitive (sealed at rest, masked in answers, never logged), and what each provider still misses.
// Fields are named by their dotted path in the API body (`legal_person.id_number`); those names are also what
// `onboarding_incomplete` lists.
import type { ProviderName, SubjectType } from '../providers/types';

export interface FieldSpec {
  group: string;
  sensitive: boolean;
  pattern: string;
  maxLength: number;
  description: string;
}

const TEXT = '^[^\\u0000-\\u001f]+$';
const DATE = '^\\d{4}-\\d{2}-\\d{2}$';
const EMAIL = '^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$';

export const PROFILE_FIELDS = {
  subject_type: {
    group: '',
    sensitive: false,
    pattern: '^(micro|individual_business|enterprise)$',
    maxLength: 20,
    description: 'micro (小微/个人, no licence), individual_business (个体工商户) or enterprise (企业).',
  },
  'licence.number': {
    group: 'licence',
    sensitive: false,
    pattern: '^([0-9A-Z]{15}|[0-9A-Z]{18})$',
    maxLength: 18,
    description: 'Business licence number (统一社会信用代码).',
  },
  'licence.name': {
    group: 'licence',
    sensitive: false,
    pattern: TEXT,
    maxLength: 128,
    description: 'Name on the licence.',
  },
  'licence.address': {
    group: 'licence',
    sensitive: false,
    pattern: TEXT,
    maxLength: 256,
    description: 'Registered address.',
  },
  'legal_person.name': {
    group: 'legal_person',
    sensitive: true,
    pattern: TEXT,
    maxLength: 100,
    description: 'Legal person / operator, as on the ID card.',
  },
  'legal_person.id_number': {
    group: 'legal_person',
    sensitive: true,
    pattern: '^\\d{17}[\\dX]$',
    maxLength: 18,
    description: 'Mainland resident ID card number (check digit verified).',
  },
  'legal_person.id_valid_from': {
    group: 'legal_person',
    sensitive: false,
    pattern: DATE,
    maxLength: 10,
    description: 'ID card valid from (YYYY-MM-DD).',
  },
  'legal_person.id_valid_to': {
    group: 'legal_person',
    sensitive: false,
    pattern: `${DATE}|^long$`,
    maxLength: 10,
    description: 'ID card valid until (YYYY-MM-DD, or long for 长期).',
  },
  'settlement.account_type': {
    group: 'settlement',
    sensitive: false,
    pattern: '^(personal|corporate)$',
    maxLength: 10,
    description: 'personal (对私) or corporate (对公) bank account.',
  },
  'settlement.account_name': {
    group: 'settlement',
    sensitive: true,
    pattern: TEXT,
    maxLength: 100,
    description: 'Account holder.',
  },
  'settlement.account_number': {
    group: 'settlement',
    sensitive: true,
    pattern: '^\\d{8,30}$',
    maxLength: 30,
    description: 'Bank account number (WeChat Pay settles to it).',
  },
  'settlement.bank_name': {
    group: 'settlement',
    sensitive: false,
    pattern: TEXT,
    maxLength: 128,
    description: 'Bank (开户银行).',
  },
  'settlement.bank_region_code': {
    group: 'settlement',
    sensitive: false,
    pattern: '^\\d{6}$',
    maxLength: 6,
    description: 'Province/city code of the bank (WeChat Pay bank_address_code).',
  },
  'settlement.alipay_logon_id': {
    group: 'settlement',
    sensitive: true,
    pattern: `${EMAIL}|^1\\d{10}$`,
    maxLength: 100,
    description: 'Real-name Alipay account (email or mobile) that 直付通 settles to.',
  },
  'contact.name': {
    group: 'contact',
    sensitive: true,
    pattern: TEXT,
    maxLength: 100,
    description: 'Contact (超级管理员) name.',
  },
  'contact.phone': {
    group: 'contact',
    sensitive: true,
    pattern: '^1\\d{10}$',
    maxLength: 11,
    description: 'Contact mobile number.',
  },
  'contact.email': { group: 'contact', sensitive: true, pattern: EMAIL, maxLength: 100, description: 'Contact email.' },
  'store.name': {
    group: 'store',
    sensitive: false,
    pattern: TEXT,
    maxLength: 64,
    description: 'Short name shown to buyers by the provider (default: the merchant name).',
  },
  'store.url': {
    group: 'store',
    sensitive: false,
    pattern: '^https?://[^\\s]+$',
    maxLength: 256,
    description: 'The shop’s web page (default: its page on this marketplace).',
  },
} as const satisfies Record<string, FieldSpec>;

export type ProfileField = keyof typeof PROFILE_FIELDS;
export const PROFILE_FIELD_NAMES = Object.keys(PROFILE_FIELDS) as ProfileField[];
export const isSensitive = (field: ProfileField): boolean => PROFILE_FIELDS[field].sensitive;

export const IMAGE_KINDS = ['licence', 'id_front', 'id_back'] as const;
export type ImageKind = (typeof IMAGE_KINDS)[number];

export type ProfileValues = Partial<Record<ProfileField, string>>;

/** An uploaded image: the id each provider gave it (media ids are per provider), and its digest. */
export interface ProfileImage {
  mediaIds: Partial<Record<ProviderName, string>>;
  sha256: string;
  uploadedAt: string;
}
export type ProfileImages = Partial<Record<ImageKind, ProfileImage>>;

const PERSON: ProfileField[] = [
  'subject_type',
  'legal_person.name',
  'legal_person.id_number',
  'legal_person.id_valid_from',
  'legal_person.id_valid_to',
  'contact.name',
  'contact.phone',
  'contact.email',
];
const LICENCE: ProfileField[] = ['licence.number', 'licence.name'];
const SETTLEMENT: Record<ProviderName, ProfileField[]> = {
  alipay: ['settlement.alipay_logon_id'],
  wechatpay: [
    'settlement.account_type',
    'settlement.account_name',
    'settlement.account_number',
    'settlement.bank_name',
    'settlement.bank_region_code',
  ],
};

export function subjectTypeOf(values: ProfileValues): SubjectType | undefined {
  const t = values.subject_type;
  return t === 'micro' || t === 'individual_business' || t === 'enterprise' ? t : undefined;
}

/** What the provider's application still needs, as API field names (images as `images.<kind>`). */
export function missingFields(values: ProfileValues, images: ProfileImages, provider: ProviderName): string[] {
  const needsLicence = subjectTypeOf(values) !== undefined && subjectTypeOf(values) !== 'micro';
  const fields = [...PERSON, ...(needsLicence ? LICENCE : []), ...SETTLEMENT[provider]];
  const kinds: ImageKind[] = needsLicence ? ['licence', 'id_front', 'id_back'] : ['id_front', 'id_back'];
  return [
    ...fields.filter((f) => !values[f]),
    ...kinds.filter((k) => !images[k]?.mediaIds[provider]).map((k) => `images.${k}`),
  ];
}

/** GB 11643: the 18th character of a resident ID number is a check digit over the first 17. */
export function idNumberCheckDigitValid(id: string): boolean {
  if (!/^\d{17}[\dX]$/.test(id)) return false;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = weights.reduce((acc, w, i) => acc + w * Number(id[i]), 0);
  return '10X98765432'[sum % 11] === id[17];
}

/** What an answer shows of a sensitive value: enough to recognise it, never enough to use it. */
export function masked(field: ProfileField, value: string): string {
  if (field === 'contact.email' || (field === 'settlement.alipay_logon_id' && value.includes('@'))) {
    const [user, domain] = value.split('@');
    return `${user!.slice(0, 1)}***@${domain}`;
  }
  if (field.endsWith('.name')) return `${value.slice(0, 1)}${'*'.repeat(Math.max(1, [...value].length - 1))}`;
  return `${'*'.repeat(Math.max(0, value.length - 4))}${value.slice(-4)}`;
}
