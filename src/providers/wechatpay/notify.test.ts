// Goal: a notification is accepted only when WeChat Pay provably sent it recently, and is mapped to the right event.
// Method: build notifications the way the gateway does, with the client library's AES-GCM and RSA helpers and keys
// we generate, then forge, tamper, replay and age them.
import { beforeAll, describe, expect, it } from 'vitest';
import { NotificationRejected, type ProviderEvent } from '../types';
import { createWechatpayAdapter, type WechatpayAdapter } from './adapter';
import { rejectionReply } from './notify';
import {
  buildNotification,
  offlineWorld,
  platformCertificate,
  rsaKeyPair,
  signed,
  PUBLIC_KEY_ID,
  type OfflineWorld,
} from './test-kit';

const CERT_SERIAL = '5157F09EFDC096DE15EBE81A47057A7232F1B8E1';
let world: OfflineWorld;
let adapter: WechatpayAdapter;
let certPrivateKeyPem: string;
const now = new Date();

const partnerPaid = {
  sp_appid: 'wx8888888888888888',
  sp_mchid: '1900000100',
  sub_mchid: '1900000109',
  out_trade_no: 'ord_20240601_0001',
  transaction_id: '4200000000202406010000000001',
  trade_type: 'NATIVE',
  trade_state: 'SUCCESS',
  trade_state_desc: '支付成功',
  success_time: '2024-06-01T12:00:05+08:00',
  payer: { sp_openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
  amount: { total: 8888, payer_total: 8888, currency: 'CNY', payer_currency: 'CNY' },
};

const combinedPaid = {
  combine_appid: 'wx8888888888888888',
  combine_mchid: '1900000100',
  combine_out_trade_no: 'pay_20240601_0001',
  combine_payer_info: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
  sub_orders: [
    {
      mchid: '1900000100',
      sub_mchid: '1900000109',
      trade_type: 'NATIVE',
      trade_state: 'SUCCESS',
      attach: 'pay_20240601_0001',
      transaction_id: '4200000000202406010000000002',
      out_trade_no: 'ord_a_0001',
      success_time: '2024-06-01T12:00:05+08:00',
      amount: { total_amount: 100, payer_amount: 100, currency: 'CNY', payer_currency: 'CNY' },
    },
    {
      mchid: '1900000100',
      sub_mchid: '1900000110',
      trade_type: 'NATIVE',
      trade_state: 'SUCCESS',
      attach: 'pay_20240601_0001',
      transaction_id: '4200000000202406010000000003',
      out_trade_no: 'ord_b_0001',
      success_time: '2024-06-01T12:00:05+08:00',
      amount: { total_amount: 250, payer_amount: 250, currency: 'CNY', payer_currency: 'CNY' },
    },
  ],
};

const refundNotice = (status: string) => ({
  sp_mchid: '1900000100',
  sub_mchid: '1900000109',
  out_trade_no: 'ord_20240601_0001',
  transaction_id: '4200000000202406010000000001',
  out_refund_no: 'rfd_0001',
  refund_id: '50000000382019052709732678859',
  refund_status: status,
  success_time: '2024-06-02T10:00:00+08:00',
  user_received_account: '招商银行信用卡0403',
  amount: { total: 8888, refund: 888, payer_total: 8888, payer_refund: 888 },
});

beforeAll(async () => {
  const cert = await platformCertificate(CERT_SERIAL);
  certPrivateKeyPem = cert.privateKeyPem;
  world = offlineWorld({ platformCertificates: { [CERT_SERIAL]: cert.certificatePem }, now: () => now });
  adapter = createWechatpayAdapter(world.config);
});

const parse = (n: { headers: Record<string, string>; rawBody: string }) => adapter.parseNotification(n);
const genuine = (eventType: string, resource: object, extra: Partial<Parameters<typeof buildNotification>[0]> = {}) =>
  buildNotification({
    eventType,
    resource,
    signingKeyPem: world.wechatpay.privateKeyPem,
    serial: PUBLIC_KEY_ID,
    ...extra,
  });

async function rejection(promise: Promise<ProviderEvent>): Promise<NotificationRejected> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(NotificationRejected);
  return err as NotificationRejected;
}

describe('genuine notifications become events', () => {
  it('a partner TRANSACTION.SUCCESS is trade_paid with the notification id, sp_appid and sp_mchid', async () => {
    const event = await parse(genuine('TRANSACTION.SUCCESS', partnerPaid, { id: 'EV-2018-0001' }));
    expect(event).toEqual({
      kind: 'trade_paid',
      eventId: 'EV-2018-0001',
      appId: 'wx8888888888888888',
      platformMerchantId: '1900000100',
      subTrades: [
        {
          outTradeNo: 'ord_20240601_0001',
          subMerchantId: '1900000109',
          transactionId: '4200000000202406010000000001',
          amountFen: 8888,
          paidAt: new Date('2024-06-01T04:00:05Z'),
        },
      ],
    });
  });

  it('a combined-payment TRANSACTION.SUCCESS lists every paid sub-order under combine_appid and combine_mchid', async () => {
    const event = await parse(genuine('TRANSACTION.SUCCESS', combinedPaid, { id: 'EV-2018-0002' }));
    expect(event.kind).toBe('trade_paid');
    if (event.kind !== 'trade_paid') return;
    expect(event).toMatchObject({
      eventId: 'EV-2018-0002',
      appId: 'wx8888888888888888',
      platformMerchantId: '1900000100',
      groupOutTradeNo: 'pay_20240601_0001',
    });
    expect(event.subTrades.map((s) => [s.outTradeNo, s.subMerchantId, s.amountFen])).toEqual([
      ['ord_a_0001', '1900000109', 100],
      ['ord_b_0001', '1900000110', 250],
    ]);
  });

  it.each([
    ['REFUND.SUCCESS', 'SUCCESS', 'succeeded'],
    ['REFUND.ABNORMAL', 'ABNORMAL', 'abnormal'],
    ['REFUND.CLOSED', 'CLOSED', 'closed'],
  ])('%s is refund_finished %s', async (eventType, status, state) => {
    const event = await parse(genuine(eventType, refundNotice(status), { id: 'EV-R-1' }));
    expect(event).toEqual({
      kind: 'refund_finished',
      eventId: 'EV-R-1',
      outTradeNo: 'ord_20240601_0001',
      outRefundNo: 'rfd_0001',
      subMerchantId: '1900000109',
      state,
      refundFen: 888,
    });
  });

  it('an event type Hutong does not handle is ignored, not refused', async () => {
    const event = await parse(genuine('MCHTRANSFER.BILL.FINISHED', { out_bill_no: 'x' }, { id: 'EV-X' }));
    expect(event).toMatchObject({ kind: 'ignored', eventId: 'EV-X' });
  });

  it('verifies a notification signed with a platform certificate named by its serial', async () => {
    const n = buildNotification({
      eventType: 'TRANSACTION.SUCCESS',
      resource: partnerPaid,
      signingKeyPem: certPrivateKeyPem,
      serial: CERT_SERIAL,
    });
    expect((await parse(n)).kind).toBe('trade_paid');
  });

  it('accepts header names in any case and a 299-second-old timestamp', async () => {
    const n = genuine('TRANSACTION.SUCCESS', partnerPaid, { timestamp: Math.floor(now.getTime() / 1000) - 299 });
    const headers = Object.fromEntries(
      Object.entries(n.headers).map(([k, v]) => [k.replace(/(^|-)w/g, (m) => m.toUpperCase()), v]),
    );
    expect((await parse({ headers, rawBody: n.rawBody })).kind).toBe('trade_paid');
  });
});

describe('anything not provably from WeChat Pay, now, is refused', () => {
  it('a notification signed with another key is bad_signature', async () => {
    const forged = buildNotification({
      eventType: 'TRANSACTION.SUCCESS',
      resource: partnerPaid,
      signingKeyPem: rsaKeyPair().privateKeyPem,
      serial: PUBLIC_KEY_ID,
    });
    expect((await rejection(parse(forged))).reason).toBe('bad_signature');
  });

  it('a ciphertext changed after signing is bad_signature', async () => {
    const n = genuine('TRANSACTION.SUCCESS', partnerPaid);
    const body = JSON.parse(n.rawBody) as { resource: { ciphertext: string } };
    const sealed = Buffer.from(body.resource.ciphertext, 'base64');
    sealed[3] = sealed[3]! ^ 0x20;
    body.resource.ciphertext = sealed.toString('base64');
    expect((await rejection(parse({ headers: n.headers, rawBody: JSON.stringify(body) }))).reason).toBe(
      'bad_signature',
    );
  });

  it('a correctly signed body whose ciphertext does not authenticate is decrypt_failed', async () => {
    const n = genuine('TRANSACTION.SUCCESS', partnerPaid);
    const body = JSON.parse(n.rawBody) as { resource: { ciphertext: string } };
    const sealed = Buffer.from(body.resource.ciphertext, 'base64');
    sealed[sealed.length - 1] = sealed[sealed.length - 1]! ^ 1;
    body.resource.ciphertext = sealed.toString('base64');
    const resigned = signed(JSON.stringify(body), world.wechatpay.privateKeyPem, PUBLIC_KEY_ID);
    expect((await rejection(parse(resigned))).reason).toBe('decrypt_failed');
  });

  it('a resource encrypted with another APIv3 key is decrypt_failed', async () => {
    const n = genuine('TRANSACTION.SUCCESS', partnerPaid, { apiv3Key: '0123456789abcdef0123456789abcdef' });
    expect((await rejection(parse(n))).reason).toBe('decrypt_failed');
  });

  it('a genuine notification replayed 301 seconds later, or dated in the future, is stale_timestamp', async () => {
    const nowSeconds = Math.floor(now.getTime() / 1000);
    expect(
      (await rejection(parse(genuine('TRANSACTION.SUCCESS', partnerPaid, { timestamp: nowSeconds - 301 })))).reason,
    ).toBe('stale_timestamp');
    expect(
      (await rejection(parse(genuine('TRANSACTION.SUCCESS', partnerPaid, { timestamp: nowSeconds + 360 })))).reason,
    ).toBe('stale_timestamp');
  });

  it('an unknown serial or missing signature headers are bad_signature', async () => {
    const n = genuine('TRANSACTION.SUCCESS', partnerPaid);
    expect(
      (
        await rejection(
          parse({ headers: { ...n.headers, 'wechatpay-serial': 'PUB_KEY_ID_OTHER' }, rawBody: n.rawBody }),
        )
      ).reason,
    ).toBe('bad_signature');
    const { ['wechatpay-signature']: _dropped, ...unsigned } = n.headers;
    expect((await rejection(parse({ headers: unsigned, rawBody: n.rawBody }))).reason).toBe('bad_signature');
  });

  it('a signed body that is not a notification is malformed', async () => {
    expect((await rejection(parse(signed('not json', world.wechatpay.privateKeyPem, PUBLIC_KEY_ID)))).reason).toBe(
      'malformed',
    );
    const noResource = signed(
      JSON.stringify({ id: 'EV', event_type: 'TRANSACTION.SUCCESS' }),
      world.wechatpay.privateKeyPem,
      PUBLIC_KEY_ID,
    );
    expect((await rejection(parse(noResource))).reason).toBe('malformed');
  });

  it('a paid notification missing the transaction id is malformed, never half an event', async () => {
    const { transaction_id: _dropped, ...incomplete } = partnerPaid;
    expect((await rejection(parse(genuine('TRANSACTION.SUCCESS', incomplete)))).reason).toBe('malformed');
  });
});

describe('acknowledge', () => {
  it('answers a handled notification 204 with an empty body', () => {
    expect(adapter.acknowledge({ ok: true })).toEqual({ statusCode: 204, body: '' });
  });

  it('answers a signature or timestamp rejection 401 with code FAIL', () => {
    const reply = rejectionReply(new NotificationRejected('stale_timestamp', 'old'));
    expect(reply.statusCode).toBe(401);
    expect(JSON.parse(reply.body)).toEqual({ code: 'FAIL', message: 'old' });
    expect(adapter.acknowledge({ ok: false, message: 'forged', reason: 'bad_signature' }).statusCode).toBe(401);
  });

  it('answers a malformed body 400, and any other failure 500 so WeChat Pay retries', () => {
    expect(adapter.acknowledge({ ok: false, message: 'm', reason: 'malformed' }).statusCode).toBe(400);
    expect(adapter.acknowledge({ ok: false, message: 'database down' }).statusCode).toBe(500);
    expect(adapter.acknowledge({ ok: false, message: 'x', statusCode: 503 }).statusCode).toBe(503);
  });
});
