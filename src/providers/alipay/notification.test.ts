// Offline: notifications signed here the way Alipay signs them, with a key pair made for the test, go through the
// adapter's parseNotification (the official SDK's checkNotifySignV2 underneath). No gateway call is involved.
import { beforeAll, describe, expect, it } from 'vitest';
import { NotificationRejected } from '../types';
import { createAlipayAdapter, type AlipayAdapter } from './index';
import { formEncode, generateTestKeyPair, signNotification, type TestKeyPair } from './testing';

const APP_ID = '2021000000000001';
const SELLER_ID = '2088000000000001';

let alipayKeys: TestKeyPair;
let otherKeys: TestKeyPair;
let adapter: AlipayAdapter;

beforeAll(() => {
  alipayKeys = generateTestKeyPair();
  otherKeys = generateTestKeyPair();
  adapter = createAlipayAdapter({
    appId: APP_ID,
    sellerId: SELLER_ID,
    appPrivateKeyPem: generateTestKeyPair().privatePkcs1Pem,
    alipayPublicKeyPem: alipayKeys.publicSpkiPem,
    gatewayUrl: 'http://127.0.0.1:9/gateway.do',
    settlePeriod: '365d',
  });
});

function paidFields(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    notify_time: '2026-11-25 10:00:09',
    notify_type: 'trade_status_sync',
    notify_id: 'ntf_0001',
    app_id: APP_ID,
    charset: 'utf-8',
    version: '1.0',
    trade_no: '2026112522001400000000000001',
    out_trade_no: 'att_0001',
    trade_status: 'TRADE_SUCCESS',
    total_amount: '88.88',
    receipt_amount: '88.88',
    buyer_pay_amount: '88.88',
    gmt_create: '2026-11-25 10:00:00',
    gmt_payment: '2026-11-25 10:00:08',
    seller_id: SELLER_ID,
    buyer_id: '2088000000009999',
    subject: '手工茶具 100% 纯+铜',
    ...overrides,
  };
}

function rawBody(fields: Record<string, string>, key = alipayKeys): string {
  return formEncode(signNotification(fields, key.privateKey));
}

async function rejection(body: string): Promise<string> {
  const error = await adapter.parseNotification({ headers: {}, rawBody: body }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(NotificationRejected);
  return (error as NotificationRejected).reason;
}

describe('Alipay notifications', () => {
  it('turns a verified TRADE_SUCCESS into trade_paid with the amount in fen and the payment time', async () => {
    const event = await adapter.parseNotification({ headers: {}, rawBody: rawBody(paidFields()) });
    expect(event).toEqual({
      kind: 'trade_paid',
      eventId: 'ntf_0001',
      appId: APP_ID,
      platformMerchantId: SELLER_ID,
      subTrades: [
        {
          outTradeNo: 'att_0001',
          subMerchantId: '',
          transactionId: '2026112522001400000000000001',
          amountFen: 8888,
          paidAt: new Date('2026-11-25T02:00:08Z'),
        },
      ],
    });
  });

  it('verifies values holding %, + and Chinese text exactly as sent (checkNotifySignV2, no second decoding)', async () => {
    const event = await adapter.parseNotification({
      headers: {},
      rawBody: rawBody(paidFields({ body: '50%+off 满减 a=b&c' })),
    });
    expect(event.kind).toBe('trade_paid');
  });

  it('reads TRADE_FINISHED as paid too', async () => {
    const event = await adapter.parseNotification({
      headers: {},
      rawBody: rawBody(paidFields({ trade_status: 'TRADE_FINISHED' })),
    });
    expect(event.kind).toBe('trade_paid');
  });

  it('turns TRADE_CLOSED into trade_closed and ignores WAIT_BUYER_PAY', async () => {
    const closed = await adapter.parseNotification({
      headers: {},
      rawBody: rawBody(paidFields({ trade_status: 'TRADE_CLOSED' })),
    });
    expect(closed).toEqual({ kind: 'trade_closed', eventId: 'ntf_0001', outTradeNos: ['att_0001'] });
    const waiting = await adapter.parseNotification({
      headers: {},
      rawBody: rawBody(paidFields({ trade_status: 'WAIT_BUYER_PAY' })),
    });
    expect(waiting).toEqual({ kind: 'ignored', eventId: 'ntf_0001', reason: 'trade_created' });
  });

  it('rejects a notification signed with another key', async () => {
    expect(await rejection(rawBody(paidFields(), otherKeys))).toBe('bad_signature');
  });

  it('rejects a tampered amount', async () => {
    const body = rawBody(paidFields()).replace('total_amount=88.88', 'total_amount=0.01');
    expect(body).toContain('total_amount=0.01');
    expect(await rejection(body)).toBe('bad_signature');
  });

  it('rejects a field appended after signing, even one the signature rule would skip', async () => {
    expect(await rejection(`${rawBody(paidFields())}&total_amount=0.01`)).toBe('malformed');
    expect(await rejection(`${rawBody(paidFields())}&extra=1`)).toBe('bad_signature');
  });

  it('rejects an unsigned notification and one claiming RSA (SHA1)', async () => {
    const fields = signNotification(paidFields(), alipayKeys.privateKey);
    const { sign: _sign, ...unsigned } = fields;
    expect(await rejection(formEncode(unsigned))).toBe('bad_signature');
    expect(await rejection(formEncode({ ...fields, sign_type: 'RSA' }))).toBe('bad_signature');
  });

  it('rejects a correctly signed notification for another app', async () => {
    expect(await rejection(rawBody(paidFields({ app_id: '2021000000000002' })))).toBe('unknown_app');
  });

  it('rejects a signed notification whose amount or time is not readable', async () => {
    expect(await rejection(rawBody(paidFields({ total_amount: '88.888' })))).toBe('malformed');
    expect(await rejection(rawBody(paidFields({ gmt_payment: 'yesterday', notify_time: 'today' })))).toBe('malformed');
    const { notify_id: _id, ...withoutId } = paidFields();
    expect(await rejection(rawBody(withoutId))).toBe('malformed');
  });

  it('answers Alipay with the plain body success, and fail to be retried', () => {
    expect(adapter.acknowledge({ ok: true })).toEqual({ statusCode: 200, contentType: 'text/plain', body: 'success' });
    expect(adapter.acknowledge({ ok: false, message: 'db down' })).toEqual({
      statusCode: 200,
      contentType: 'text/plain',
      body: 'fail',
    });
  });
});
