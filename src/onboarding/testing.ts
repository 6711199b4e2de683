// For adapter and sandbox tests: a complete application made of the sandbox's published test identities, with the
// test image uploaded through the adapter's own media verb (so every application carries real media ids).
import type { OnboardingInput, ProviderAdapter } from '../providers/types';
import { SANDBOX_TEST_IDENTITY as T, SANDBOX_TEST_IMAGE } from '../sandbox/test-identities';

export async function testApplication(
  adapter: Pick<ProviderAdapter, 'uploadImage'>,
  outRequestNo: string,
  merchantName: string,
): Promise<OnboardingInput> {
  const { mediaId } = await adapter.uploadImage(SANDBOX_TEST_IMAGE);
  const v = (field: string) => T[field]!;
  return {
    outRequestNo,
    merchantName,
    category: 'general',
    subjectType: 'micro',
    legalPerson: {
      name: v('legal_person.name'),
      idNumber: v('legal_person.id_number'),
      idValidFrom: v('legal_person.id_valid_from'),
      idValidTo: v('legal_person.id_valid_to'),
      idFrontImageId: mediaId,
      idBackImageId: mediaId,
    },
    settlement: {
      alipayLogonId: v('settlement.alipay_logon_id'),
      bank: {
        accountType: 'personal',
        accountName: v('settlement.account_name'),
        accountNumber: v('settlement.account_number'),
        bankName: v('settlement.bank_name'),
        regionCode: v('settlement.bank_region_code'),
      },
    },
    contact: { name: v('contact.name'), phone: v('contact.phone'), email: v('contact.email') },
    store: { name: merchantName.slice(0, 64), url: 'https://shop.example.com/' },
  };
}
