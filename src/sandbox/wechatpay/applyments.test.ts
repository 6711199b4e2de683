// Onboarding: applications with RSA-OAEP encrypted sensitive fields move through their states on their own and
// end with a sub-merchant that can take payments.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHash } from 'node:crypto';
import { Multipart, Rsa } from 'wechatpay-axios-plugin';
import { SANDBOX_TEST_IMAGE } from '../test-identities';
import { clientFor, outNo, refusal, startHarness, type Harness, type Registered } from './testkit';

// Each state lasts a third of this: long enough that the first read after submitting, on a loaded machine, still
// sees the first state (at 300 ms a slow first read already saw FINISH).
const DELAY_MS = 3000;
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ applymentDelayMs: DELAY_MS });
});

afterAll(async () => {
  await h.close();
});

const enc = (m: Registered, text: string) => Rsa.encrypt(text, Rsa.from(m.wechatpay_public_key, Rsa.KEY_TYPE_PUBLIC));

function ecommerceApplication(m: Registered, shortname = 'Hutong Teahouse') {
  return {
    out_request_no: outNo('APP'),
    organization_type: '2401',
    merchant_shortname: shortname,
    id_card_info: { id_card_name: enc(m, '张三'), id_card_number: enc(m, '110101199003071234') },
    account_info: {
      bank_account_type: '75',
      account_bank: '工商银行',
      account_name: enc(m, '张三'),
      account_number: enc(m, '6222000000000000'),
    },
    contact_info: {
      contact_type: '65',
      contact_name: enc(m, '张三'),
      mobile_phone: enc(m, '13800000000'),
      contact_email: enc(m, 'a@example.com'),
    },
    sales_scene_info: { store_name: 'Hutong Teahouse', store_url: 'https://example.com' },
  };
}

/** Polls the state until `final` (or fails after a bound), returning every state seen. */
async function statesUntil(
  read: () => Promise<any>,
  final: string,
  stateOf: (d: any) => string,
): Promise<{ seen: string[]; last: any }> {
  const seen: string[] = [];
  for (let i = 0; i < 400; i++) {
    const data = await read();
    const state = stateOf(data);
    if (seen.at(-1) !== state) seen.push(state);
    if (state === final) return { seen, last: data };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`never reached ${final}; saw ${seen.join(' → ')}`);
}

describe('platform sub-merchant applications (二级商户进件)', () => {
  let m: Registered;
  let wx: any;

  beforeAll(async () => {
    m = await h.register();
    wx = clientFor(h, m);
  });

  test('an application reaches FINISH by itself and its sub-merchant can take a payment', async () => {
    const application = ecommerceApplication(m);
    const { data } = await wx.v3.ecommerce.applyments._empty_.post(application, {
      empty: '',
      headers: { 'Wechatpay-Serial': m.wechatpay_public_key_id },
    });
    expect(data).toMatchObject({ out_request_no: application.out_request_no });
    expect(typeof data.applyment_id).toBe('number');

    const { seen, last } = await statesUntil(
      async () =>
        (
          await wx.v3.ecommerce.applyments['out-request-no']['{out_request_no}'].get({
            out_request_no: application.out_request_no,
          })
        ).data,
      'FINISH',
      (d) => d.applyment_state,
    );
    expect(seen[0]).toBe('CHECKING');
    expect(seen.every((s) => ['CHECKING', 'AUDITING', 'NEED_SIGN', 'FINISH'].includes(s))).toBe(true);
    expect(last).toMatchObject({ applyment_id: data.applyment_id, sign_state: 'SIGNED' });
    expect(last.sub_mchid).toMatch(/^\d{10}$/);

    const order = await wx.v3.pay.partner.transactions.native.post({
      sp_appid: m.appid,
      sp_mchid: m.mchid,
      sub_mchid: last.sub_mchid,
      description: 'first sale',
      out_trade_no: outNo('F'),
      notify_url: 'http://127.0.0.1:9/notify',
      amount: { total: 100 },
      settle_info: { profit_sharing: true },
    });
    expect(order.data.code_url).toBeDefined();
  });

  test('sensitive fields must decrypt with the key Wechatpay-Serial names (PARAM_ERROR otherwise)', async () => {
    const application = ecommerceApplication(m);
    const noSerial = await refusal(wx.v3.ecommerce.applyments._empty_.post(application, { empty: '' }));
    expect(noSerial).toEqual({ status: 400, code: 'PARAM_ERROR' });
    const plain = { ...application, contact_info: { ...application.contact_info, contact_name: '张三' } };
    const notEncrypted = await refusal(
      wx.v3.ecommerce.applyments._empty_.post(plain, {
        empty: '',
        headers: { 'Wechatpay-Serial': m.wechatpay_public_key_id },
      }),
    );
    expect(notEncrypted).toEqual({ status: 400, code: 'PARAM_ERROR' });
  });

  test('images go through /v3/merchant/media/upload (signed over meta); applications may only name media ids their merchant uploaded', async () => {
    const upload = (meta: object, file: Buffer, filename: string) => {
      const form = new Multipart().append('meta', JSON.stringify(meta)).append('file', file, filename);
      return wx.v3.merchant.media.upload.post(form, { headers: form.getHeaders() });
    };
    const sha256 = createHash('sha256').update(SANDBOX_TEST_IMAGE.content).digest('hex');
    const { data } = await upload({ filename: 'front.png', sha256 }, SANDBOX_TEST_IMAGE.content, 'front.png');
    expect(data.media_id).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(
      await refusal(upload({ filename: 'front.png', sha256: '0'.repeat(64) }, SANDBOX_TEST_IMAGE.content, 'front.png')),
    ).toEqual({ status: 400, code: 'PARAM_ERROR' });
    expect(await refusal(upload({ filename: 'front.jpg', sha256 }, SANDBOX_TEST_IMAGE.content, 'front.jpg'))).toEqual({
      status: 400,
      code: 'PARAM_ERROR',
    });

    const serial = { empty: '', headers: { 'Wechatpay-Serial': m.wechatpay_public_key_id } };
    const base = ecommerceApplication(m);
    const withImages = {
      ...base,
      id_card_info: { ...base.id_card_info, id_card_copy: data.media_id, id_card_national: data.media_id },
    };
    expect((await wx.v3.ecommerce.applyments._empty_.post(withImages, serial)).data.out_request_no).toBe(
      base.out_request_no,
    );
    const other = await h.register();
    const foreign = { ...withImages, out_request_no: outNo('APP') };
    const otherClient = clientFor(h, other);
    const reencrypted = {
      ...foreign,
      id_card_info: {
        ...foreign.id_card_info,
        id_card_name: enc(other, '张三'),
        id_card_number: enc(other, '110101199003071234'),
      },
      account_info: {
        ...foreign.account_info,
        account_name: enc(other, '张三'),
        account_number: enc(other, '6222000000000000'),
      },
      contact_info: {
        ...foreign.contact_info,
        contact_name: enc(other, '张三'),
        mobile_phone: enc(other, '13800000000'),
        contact_email: enc(other, 'a@example.com'),
      },
    };
    expect(
      await refusal(
        otherClient.v3.ecommerce.applyments._empty_.post(reencrypted, {
          empty: '',
          headers: { 'Wechatpay-Serial': other.wechatpay_public_key_id },
        }),
      ),
    ).toEqual({ status: 400, code: 'PARAM_ERROR' });
  });

  test('an application named REJECT… is rejected with an audit detail', async () => {
    const application = ecommerceApplication(m, 'REJECT me');
    await wx.v3.ecommerce.applyments._empty_.post(application, {
      empty: '',
      headers: { 'Wechatpay-Serial': m.wechatpay_public_key_id },
    });
    const { last } = await statesUntil(
      async () =>
        (
          await wx.v3.ecommerce.applyments['out-request-no']['{out_request_no}'].get({
            out_request_no: application.out_request_no,
          })
        ).data,
      'REJECTED',
      (d) => d.applyment_state,
    );
    expect(last.audit_detail[0].param_name).toBe('merchant_shortname');
  });
});

describe('service-provider applications (特约商户进件)', () => {
  test('an applyment4sub application reaches APPLYMENT_STATE_FINISHED with a sub_mchid', async () => {
    const sp = await h.register({ type: 'service_provider' });
    const wx = clientFor(h, sp);
    const business_code = outNo('BC');
    const { data } = await wx.v3.applyment4sub.applyment._empty_.post(
      {
        business_code,
        contact_info: {
          contact_type: 'LEGAL',
          contact_name: enc(sp, '李四'),
          mobile_phone: enc(sp, '13900000000'),
          contact_email: enc(sp, 'b@example.com'),
        },
        subject_info: {
          subject_type: 'SUBJECT_TYPE_INDIVIDUAL',
          identity_info: {
            id_doc_type: 'IDENTIFICATION_TYPE_IDCARD',
            id_card_info: { id_card_name: enc(sp, '李四'), id_card_number: enc(sp, '110101199003071234') },
          },
        },
        business_info: { merchant_shortname: 'Hutong Noodles', service_phone: '01000000000' },
        settlement_info: { settlement_id: '719' },
        bank_account_info: {
          bank_account_type: 'BANK_ACCOUNT_TYPE_PERSONAL',
          account_bank: '工商银行',
          account_name: enc(sp, '李四'),
          account_number: enc(sp, '6222000000000001'),
        },
      },
      { empty: '', headers: { 'Wechatpay-Serial': sp.wechatpay_public_key_id } },
    );
    expect(typeof data.applyment_id).toBe('number');
    const { seen, last } = await statesUntil(
      async () => (await wx.v3.applyment4sub.applyment.business_code['{business_code}'].get({ business_code })).data,
      'APPLYMENT_STATE_FINISHED',
      (d) => d.applyment_state,
    );
    expect(seen[0]).toBe('APPLYMENT_STATE_AUDITING');
    expect(last.sub_mchid).toMatch(/^\d{10}$/);
    expect(await refusal(wx.v3.ecommerce.applyments._empty_.post({}, { empty: '' }))).toEqual({
      status: 403,
      code: 'NO_AUTH',
    });
  });
});
