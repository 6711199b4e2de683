// The sandboxes' published test identities, like a card network's test card numbers: values that are valid in
// form (the ID number's GB 11643 check digit, a unified social credit code's shape) but belong to nobody. Against a
// sandbox, Hutong fills the details a merchant has not given yet from here and marks the application as using
// them; against a real gateway it never does (onboarding_incomplete names what is missing). Listed in the README.

/** Profile field → test value, keyed by Hutong's profile field names. */
export const SANDBOX_TEST_IDENTITY: Readonly<Record<string, string>> = {
  subject_type: 'micro',
  'legal_person.name': '测试用户（沙箱）',
  'legal_person.id_number': '11010519491231002X',
  'legal_person.id_valid_from': '2020-01-01',
  'legal_person.id_valid_to': 'long',
  'settlement.account_type': 'personal',
  'settlement.account_name': '测试用户（沙箱）',
  'settlement.account_number': '6222000000000000000',
  'settlement.bank_name': '沙箱测试银行',
  'settlement.bank_region_code': '110000',
  'settlement.alipay_logon_id': 'sandbox-test@example.com',
  'contact.name': '测试用户（沙箱）',
  'contact.phone': '13800138000',
  'contact.email': 'sandbox-test@example.com',
  'licence.number': '91110000000000000X',
  'licence.name': '沙箱测试商户',
};

/** The published test image (a 1×1 PNG) uploaded through the media APIs for licence and ID card sides. */
export const SANDBOX_TEST_IMAGE = {
  filename: 'sandbox-test.png',
  content: Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP4z8DwHwAFAAIBrE3F0wAAAABJRU5ErkJggg==',
    'base64',
  ),
};
