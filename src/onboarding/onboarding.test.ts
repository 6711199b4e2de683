// Issue 15, real onboarding data and auditing: merchant profiles sealed per merchant and field, images through both
// providers' media APIs, applications that start once the profile is complete — with the sandbox's test identities
// only against a sandbox — and an audit row for every privileged change. Against the in-process sandboxes (the
// `npm start` configuration) and against a second Hutong that treats a separately served sandbox as a real gateway,
// whose received requests the test reads to prove nothing was invented.
import Fastify, { type FastifyInstance } from 'fastify';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHutong, type TestHutong } from '../../test/helpers/hutong';
import { buyer, merchant, until } from '../../test/helpers/market';
import { paidCheckout, sandboxSubMchid, shop } from '../web/market';
import { createAlipaySandbox, type AlipaySandbox } from '../sandbox/alipay';
import { createWechatpaySandbox, type WechatpaySandbox } from '../sandbox/wechatpay';
import { SANDBOX_TEST_IDENTITY, SANDBOX_TEST_IMAGE } from '../sandbox/test-identities';
import { SealOpenError, Sealer } from '../shared/seal';
import { randomBytes } from 'node:crypto';

/** A resident ID number with a valid GB 11643 check digit, unique to this run. */
function idNumber(): string {
  const body = `3201021985${String(Date.now() % 10_000_000).padStart(7, '0')}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = weights.reduce((acc, w, i) => acc + w * Number(body[i]), 0);
  return body + '10X98765432'[sum % 11];
}

const PERSON = {
  idNumber: idNumber(),
  bankAccount: `62170${String(Date.now()).slice(-12)}`,
  phone: `139${String(Date.now()).slice(-8)}`,
  email: `owner${randomBytes(3).toString('hex')}@example.org`,
  alipay: `owner${randomBytes(3).toString('hex')}@alipay.example.org`,
};
const SECRETS = [PERSON.idNumber, PERSON.bankAccount, PERSON.phone, PERSON.email, PERSON.alipay];

function completeProfile(name: string) {
  return {
    subject_type: 'micro',
    legal_person: {
      name: '王小明',
      id_number: PERSON.idNumber,
      id_valid_from: '2019-05-01',
      id_valid_to: '2039-05-01',
    },
    settlement: {
      account_type: 'personal',
      account_name: '王小明',
      account_number: PERSON.bankAccount,
      bank_name: '招商银行',
      bank_region_code: '320100',
      alipay_logon_id: PERSON.alipay,
    },
    contact: { name: '王小明', phone: PERSON.phone, email: PERSON.email },
    store: { name },
  };
}

const image = { filename: 'id.png', content_base64: SANDBOX_TEST_IMAGE.content.toString('base64') };
const logs: string[] = [];
function logStream() {
  const stream = new PassThrough();
  stream.on('data', (chunk) => logs.push(String(chunk)));
  return stream;
}

describe('against the in-process sandboxes (npm start)', () => {
  let h: TestHutong;
  beforeAll(async () => {
    h = await startHutong({ logLevel: 'debug', logStream: logStream() });
  });
  afterAll(async () => {
    await h?.close();
  });
  const ops = (method: string, path: string, body?: unknown) => h.call(method, path, { key: h.opsKey, body });

  test('a merchant without a profile is live on Alipay within seconds, its application marked as using the sandbox’s test identities', async () => {
    const m = await merchant(h, 'No Profile Tea');
    await until(
      h,
      async () =>
        (await ops('GET', `/v1/merchants/${m.id}/provider-accounts`)).body.data.some(
          (a: { status: string }) => a.status === 'active',
        ),
      'alipay active',
    );
    const [account] = (await ops('GET', `/v1/merchants/${m.id}/provider-accounts`)).body.data;
    expect(account).toMatchObject({ provider: 'alipay', status: 'active' });
    expect(account.test_identity_fields).toEqual(
      expect.arrayContaining(['legal_person.id_number', 'settlement.alipay_logon_id', 'images.id_front']),
    );
    const profile = await ops('GET', `/v1/merchants/${m.id}/profile`);
    expect(profile.body.onboarding.alipay.ready).toBe(false); // the test identities never enter the merchant's profile
  });

  test('a profile given at creation is sealed per field, masked in answers, completed by the merchant itself, and audited by field name', async () => {
    const created = await ops('POST', '/v1/merchants', {
      name: 'Profile Silk',
      contact_phone: PERSON.phone,
      profile: { subject_type: 'micro', legal_person: { name: '王小明', id_number: PERSON.idNumber } },
    });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    const key = (await ops('POST', `/v1/merchants/${id}/api-keys`)).body.key as string;
    const other = await merchant(h, 'Other');

    const first = await h.call('GET', `/v1/merchants/${id}/profile`, { key });
    expect(first.body.legal_person).toEqual({ name: '王**', id_number: `**************${PERSON.idNumber.slice(-4)}` });
    expect(first.body.contact.phone).toBe(`*******${PERSON.phone.slice(-4)}`);
    expect(first.body.onboarding.alipay.missing).toEqual(
      expect.arrayContaining(['contact.email', 'settlement.alipay_logon_id', 'images.id_front', 'images.id_back']),
    );

    const updated = await h.call('PUT', `/v1/merchants/${id}/profile`, { key, body: completeProfile('Profile Silk') });
    expect(updated.status).toBe(200);
    for (const kind of ['id_front', 'id_back']) {
      const uploaded = await h.call('PUT', `/v1/merchants/${id}/profile/images/${kind}`, { key, body: image });
      expect(uploaded.status).toBe(200);
      expect(uploaded.body.images[kind].providers.sort()).toEqual(['alipay', 'wechatpay']);
    }
    const done = await h.call('GET', `/v1/merchants/${id}/profile`, { key });
    expect(done.body.onboarding).toEqual({
      alipay: { ready: true, missing: [] },
      wechatpay: { ready: true, missing: [] },
    });

    expect(
      (await h.call('PUT', `/v1/merchants/${id}/profile`, { key: other.key, body: { store: { name: 'Mine now' } } }))
        .body.error.code,
    ).toBe('forbidden_resource');
    expect(
      (
        await h.call('PUT', `/v1/merchants/${id}/profile`, {
          key,
          body: { legal_person: { id_number: '11010519491231002Y' } },
        })
      ).body.error.code,
    ).toBe('validation_failed');
    const badDigit = await h.call('PUT', `/v1/merchants/${id}/profile`, {
      key,
      body: { legal_person: { id_number: '110105194912310021' } },
    });
    expect(badDigit.body.error).toMatchObject({
      code: 'validation_failed',
      details: { field: 'legal_person.id_number' },
    });
    expect(
      (
        await h.call('PUT', `/v1/merchants/${id}/profile/images/id_front`, {
          key,
          body: { filename: 'id.jpg', content_base64: image.content_base64 },
        })
      ).body.error.code,
    ).toBe('image_invalid');

    // At rest: no plaintext anywhere in the row.
    const row = JSON.stringify(
      (await h.db.query('SELECT * FROM merchant_profiles WHERE merchant_id = $1', [id])).rows[0],
    );
    for (const secret of SECRETS) expect(row).not.toContain(secret);
    expect((await h.db.query('SELECT contact_phone FROM merchants WHERE id = $1', [id])).rows[0]).toEqual({
      contact_phone: null,
    });

    const audit = (await ops('GET', `/v1/audit-log?subject=merchant:${id}`)).body.data as Array<{
      actor: string;
      action: string;
      before: any;
      after: any;
    }>;
    expect(audit.map((a) => a.action)).toEqual([
      'merchant.created',
      'merchant.profile_updated',
      'merchant.profile_updated',
      'merchant.profile_image_uploaded',
      'merchant.profile_image_uploaded',
    ]);
    expect(audit[0]!.actor).toMatch(/^ops:/);
    expect(audit[2]!.actor).toMatch(new RegExp(`^merchant:${id}:key_`));
    expect(audit[2]!.after).toMatchObject({
      'settlement.account_number': '[sealed]',
      'settlement.bank_name': '招商银行',
      'contact.email': '[sealed]',
    });
    expect(JSON.stringify(audit)).not.toMatch(new RegExp(SECRETS.join('|')));
  });

  test('a sealed value moved to another merchant or into another field fails to open', async () => {
    const a = (await ops('POST', '/v1/merchants', { name: 'Seal A', profile: completeProfile('Seal A') })).body
      .id as string;
    const b = (await ops('POST', '/v1/merchants', { name: 'Seal B', profile: { contact: { phone: '13700000000' } } }))
      .body.id as string;
    const profiles = h.onboarding.profiles;
    expect((await profiles.get(a)).values['legal_person.id_number']).toBe(PERSON.idNumber);
    const sealedA = (
      await h.db.query<{ sealed: Record<string, string> }>(
        'SELECT sealed FROM merchant_profiles WHERE merchant_id = $1',
        [a],
      )
    ).rows[0]!.sealed;

    await h.db.query(
      `UPDATE merchant_profiles SET sealed = jsonb_set(sealed, '{contact.phone}', to_jsonb($2::text)) WHERE merchant_id = $1`,
      [b, sealedA['contact.phone']],
    );
    await expect(profiles.get(b)).rejects.toBeInstanceOf(SealOpenError);

    await h.db.query(
      `UPDATE merchant_profiles SET sealed = jsonb_set(sealed, '{legal_person.id_number}', to_jsonb($2::text)) WHERE merchant_id = $1`,
      [a, sealedA['contact.phone']],
    );
    await expect(profiles.get(a)).rejects.toBeInstanceOf(SealOpenError);

    const sealer = new Sealer(randomBytes(32));
    const sealed = sealer.seal(PERSON.idNumber, 'merchant_profile:mch_1:legal_person.id_number');
    expect(sealer.open(sealed, 'merchant_profile:mch_1:legal_person.id_number')).toBe(PERSON.idNumber);
    expect(() => sealer.open(sealed, 'merchant_profile:mch_2:legal_person.id_number')).toThrow(SealOpenError);
    expect(() => sealer.open(sealed, 'merchant_profile:mch_1:contact.phone')).toThrow(SealOpenError);
  });

  test('every privileged action leaves an audit row: keys, links, commission rates, refunds and their approval or decline, rejected notifications', async () => {
    const s = await shop(h, 'Audit Shop', [['Tea', 3000]]);
    const b = await buyer(h);
    const [orderId] = await paidCheckout(h, b.key, [{ product_id: s.products[0]!.id, quantity: 1 }]);

    const extra = await ops('POST', `/v1/merchants/${s.id}/api-keys`, { label: 'till' });
    expect(
      (await h.call('POST', `/v1/api-keys/${extra.body.id}/rotate`, { key: s.key, body: { overlap_seconds: 60 } }))
        .status,
    ).toBe(201);
    expect((await h.call('DELETE', `/v1/api-keys/${extra.body.id}`, { key: h.opsKey })).status).toBe(200);
    const keys = (await ops('GET', '/v1/audit-log?action=api_key.&limit=500')).body.data as Array<{
      actor: string;
      action: string;
      subject: string;
      before: any;
      after: any;
    }>;
    const ofExtra = keys.filter((k) => k.subject === `api_key:${extra.body.id}`);
    expect(ofExtra.map((k) => [k.action, k.actor.split(':')[0]])).toEqual([
      ['api_key.created', 'ops'],
      ['api_key.rotated', 'merchant'],
      ['api_key.revoked', 'ops'],
    ]);
    expect(ofExtra[0]!.after).toMatchObject({
      role: 'merchant',
      merchant_id: s.id,
      label: 'till',
      prefix: expect.stringMatching(/^hk_merchant_/),
    });
    expect(ofExtra[2]!.before.revoked_at).toBeNull();
    expect(ofExtra[2]!.after.revoked_at).toEqual(expect.any(String));
    expect(JSON.stringify(keys)).not.toContain(extra.body.key);
    expect(JSON.stringify(keys)).not.toMatch(/hk_merchant_[A-Za-z0-9]{20,}/);

    const sub = await sandboxSubMchid(h, 'Audit Shop');
    expect((await ops('PUT', `/v1/merchants/${s.id}/provider-accounts/wechatpay`, { sub_mchid: sub })).status).toBe(
      200,
    );
    expect(
      (
        await ops('POST', '/v1/commission-rates', {
          category: 'audit_tea',
          rate_bp: 450,
          effective_from: new Date().toISOString(),
        })
      ).status,
    ).toBe(201);

    const refund = await h.call('POST', `/v1/orders/${orderId}/refunds`, {
      key: s.key,
      body: { amount: 500, reason: 'scratched' },
    });
    expect(refund.status).toBe(201);
    const asked = await h.call('POST', `/v1/orders/${orderId}/refund-requests`, {
      key: b.key,
      body: { amount: 700, reason: 'late' },
    });
    expect((await h.call('POST', `/v1/refund-requests/${asked.body.id}/approve`, { key: s.key })).status).toBe(200);
    const again = await h.call('POST', `/v1/orders/${orderId}/refund-requests`, {
      key: b.key,
      body: { amount: 100, reason: 'more' },
    });
    expect(
      (await h.call('POST', `/v1/refund-requests/${again.body.id}/decline`, { key: s.key, body: { reason: 'no' } }))
        .status,
    ).toBe(200);
    expect(
      (
        await h.call('POST', '/notify/alipay', {
          rawBody: 'trade_status=TRADE_SUCCESS&sign=forged',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        })
      ).status,
    ).toBeGreaterThanOrEqual(400);

    const log = (await ops('GET', '/v1/audit-log?limit=500')).body.data as Array<{
      actor: string;
      action: string;
      subject: string;
      before: any;
      after: any;
    }>;
    const find = (action: string, subject?: string) =>
      log.filter((r) => r.action === action && (!subject || r.subject === subject));
    expect(find('provider_account.linked', `merchant:${s.id}`)[0]).toMatchObject({
      after: { provider: 'wechatpay', sub_merchant_id: sub, status: 'active' },
    });
    expect(find('commission_rate.set', 'commission_rate:audit_tea')[0]).toMatchObject({
      actor: expect.stringMatching(/^ops:/),
      after: { rate_bp: 450 },
    });
    const refunds = find('refund.created', `order:${orderId}`);
    expect(refunds.map((r) => [r.actor.split(':')[0], r.after.amount])).toEqual([
      ['merchant', 500],
      ['merchant', 700],
    ]);
    expect(find('refund_request.approved', `order:${orderId}`)[0]).toMatchObject({
      before: { status: 'open' },
      after: { status: 'approved', refund_id: expect.any(String) },
    });
    expect(find('refund_request.declined', `order:${orderId}`)[0]).toMatchObject({
      after: { status: 'declined', decline_reason: 'no' },
    });
    expect(find('notification.rejected', 'notify:alipay')[0]).toMatchObject({
      actor: 'provider:alipay',
      after: { reason: expect.any(String) },
    });
    expect((await h.call('GET', '/v1/audit-log', { key: s.key })).body.error.code).toBe('forbidden_role');
  });
});

/** A sandbox served on its own (as `hutong sandbox` would), remembering every request body it received. */
async function standaloneSandboxes() {
  const alipay: AlipaySandbox = await createAlipaySandbox({
    applymentDelayMs: 300,
    settleDelayMs: 200,
    notifyTimeScale: 0.0001,
  });
  const wechatpay: WechatpaySandbox = await createWechatpaySandbox({
    applymentDelayMs: 300,
    settleDelayMs: 200,
    notifyTimeScale: 0.0001,
  });
  const server: FastifyInstance = Fastify();
  const received: Array<{ url: string; body: string }> = [];
  server.addHook('preHandler', async (req) => {
    const body = Buffer.isBuffer(req.body)
      ? req.body.toString('latin1')
      : typeof req.body === 'string'
        ? req.body
        : JSON.stringify(req.body ?? '');
    received.push({ url: req.url, body });
  });
  await server.register(alipay.plugin, { prefix: '/sandbox/alipay' });
  await server.register(wechatpay.plugin, { prefix: '/sandbox/wechatpay' });
  await server.listen({ port: 0, host: '127.0.0.1' });
  const address = server.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const post = async (path: string, body: unknown) =>
    (
      await fetch(base + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    ).json() as Promise<Record<string, string>>;
  const a = await post('/sandbox/alipay/apps', {});
  const w = await post('/sandbox/wechatpay/merchants', { type: 'ecommerce_platform' });
  return {
    received,
    alipayConfig: {
      gatewayUrl: `${base}/sandbox/alipay/gateway.do`,
      appId: a.app_id!,
      sellerId: a.seller_id!,
      appPrivateKeyPem: a.app_private_key!,
      alipayPublicKeyPem: a.alipay_public_key!,
    },
    wechatpayConfig: {
      baseUrl: `${base}/sandbox/wechatpay`,
      merchantType: 'ecommerce_platform' as const,
      spMchid: w.mchid!,
      spAppid: w.appid!,
      merchantSerialNo: w.serial_no!,
      merchantPrivateKeyPem: w.merchant_private_key!,
      apiv3Key: w.apiv3_key!,
      wechatpayPublicKeyId: w.wechatpay_public_key_id!,
      wechatpayPublicKeyPem: w.wechatpay_public_key!,
    },
    async close() {
      await server.close();
      await alipay.close();
      await wechatpay.close();
    },
  };
}

describe('against a gateway configured as real', () => {
  let h: TestHutong;
  let sandbox: Awaited<ReturnType<typeof standaloneSandboxes>>;
  beforeAll(async () => {
    sandbox = await standaloneSandboxes();
    h = await startHutong({
      sandboxes: false,
      logLevel: 'debug',
      logStream: logStream(),
      config: { alipay: sandbox.alipayConfig, wechatpay: sandbox.wechatpayConfig },
    });
  });
  afterAll(async () => {
    await h?.close();
    await sandbox?.close();
  });
  const ops = (method: string, path: string, body?: unknown) => h.call(method, path, { key: h.opsKey, body });
  const INVENTED = [
    ...Object.values(SANDBOX_TEST_IDENTITY).filter((v) => v.length >= 10),
    '110101199003070000',
    'SANDBOX-PLACEHOLDER',
    '13800000000',
  ];

  test('nothing is invented: no application without a complete profile, onboarding_incomplete names the fields, and the gateway receives the profile’s own values', async () => {
    expect(h.sandboxes).toBeUndefined();
    const m = await merchant(h, 'Real Gateway Shop');
    for (let i = 0; i < 5; i++) await h.worker.runOnce();
    expect((await ops('GET', `/v1/merchants/${m.id}/provider-accounts`)).body.data).toEqual([]);
    await expect(h.providers.get('alipay').queryOnboarding(`onbA${m.id.replace(/^mch_/, '')}`)).rejects.toMatchObject({
      code: 'onboarding_not_found',
    });

    expect((await ops('PATCH', '/v1/payment-methods/wechatpay', { enabled: true })).status).toBe(200);
    const wave = await ops('POST', '/v1/rollout-waves', { method: 'wechatpay', name: 'real', merchant_ids: [m.id] });
    await ops('POST', `/v1/rollout-waves/${wave.body.id}/invite`);
    const refused = await h.call('POST', `/v1/merchants/${m.id}/payment-methods/wechatpay/accept`, {
      key: m.key,
      body: { agreement_version: '2026-11', onboarding: { contact_phone: PERSON.phone } },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('onboarding_incomplete');
    expect(refused.body.error.details.provider).toBe('wechatpay');
    expect(refused.body.error.details.missing).toEqual(
      expect.arrayContaining([
        'legal_person.id_number',
        'settlement.account_number',
        'images.id_front',
        'images.id_back',
      ]),
    );
    expect(refused.body.error.details.missing).not.toContain('contact.phone');
    expect(sandbox.received.some((r) => r.url.includes('applyments') || r.body.includes('zft.create'))).toBe(false);

    expect(
      (await h.call('PUT', `/v1/merchants/${m.id}/profile`, { key: m.key, body: completeProfile('Real Gateway Shop') }))
        .status,
    ).toBe(200);
    for (const kind of ['id_front', 'id_back'])
      expect(
        (await h.call('PUT', `/v1/merchants/${m.id}/profile/images/${kind}`, { key: m.key, body: image })).status,
      ).toBe(200);
    const accepted = await h.call('POST', `/v1/merchants/${m.id}/payment-methods/wechatpay/accept`, {
      key: m.key,
      body: { agreement_version: '2026-11' },
    });
    expect(accepted.status).toBe(200);
    await until(
      h,
      async () =>
        ((await ops('GET', `/v1/merchants/${m.id}/provider-accounts`)).body.data as Array<{ status: string }>).filter(
          (a) => a.status === 'active',
        ).length === 2,
      'both applications finished',
    );
    const accounts = (await ops('GET', `/v1/merchants/${m.id}/provider-accounts`)).body.data as Array<{
      test_identity_fields: string[];
    }>;
    expect(accounts.map((a) => a.test_identity_fields)).toEqual([[], []]);

    const zft = sandbox.received
      .filter((r) => r.url.includes('ant.merchant.expand.indirect.zft.create'))
      .map((r) => new URLSearchParams(r.body))[0];
    const biz = JSON.parse(zft!.get('biz_content')!);
    expect(biz).toMatchObject({
      merchant_type: '06',
      cert_no: PERSON.idNumber,
      legal_cert_no: PERSON.idNumber,
      alipay_logon_id: PERSON.alipay,
      contact_infos: [{ mobile: PERSON.phone, email: PERSON.email }],
    });
    expect(biz.legal_cert_front_image).toMatch(/\.png$/);
    const applyment = JSON.parse(sandbox.received.find((r) => r.url.endsWith('/v3/ecommerce/applyments/'))!.body);
    expect(applyment).toMatchObject({
      organization_type: '2401',
      merchant_shortname: 'Real Gateway Shop',
      account_info: { account_bank: '招商银行', bank_address_code: '320100' },
    });
    expect(applyment.id_card_info.id_card_copy).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(JSON.stringify(applyment)).not.toContain(PERSON.idNumber); // encrypted on the wire
    const everything = JSON.stringify(sandbox.received);
    for (const invented of INVENTED) expect(everything).not.toContain(invented);
  });
});

describe('the logs of both servers', () => {
  test('hold no ID number, bank account, phone number, email or request signature', () => {
    const text = logs.join('');
    expect(text.length).toBeGreaterThan(1000);
    for (const secret of [...SECRETS, SANDBOX_TEST_IDENTITY['legal_person.id_number']!])
      expect(text).not.toContain(secret);
    // Request lines are logged: the Alipay SDK's signature travels in the gateway URL and must not.
    expect(text).toContain('sign=[secret]');
    expect(text).not.toMatch(/[?&]sign=(?!\[secret\])[^&"\s]/);
  });
});
