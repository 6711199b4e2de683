// Identifiers in the shapes WeChat Pay hands out (lengths and prefixes as seen in its docs).
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { idStamp } from './time';

export function digits(n: number): string {
  let out = '';
  while (out.length < n) out += String(randomInt(0, 1_000_000_000)).padStart(9, '0');
  return out.slice(0, n);
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function alnum(n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += ALNUM[randomInt(0, ALNUM.length)];
  return out;
}

export const ids = {
  mchid: () => `19${digits(8)}`,
  subMchid: () => `16${digits(8)}`,
  appid: () => `wx${randomBytes(8).toString('hex')}`,
  serialNo: () => randomBytes(20).toString('hex').toUpperCase(),
  apiv3Key: () => alnum(32),
  publicKeyId: () => `PUB_KEY_ID_01${digits(10)}${digits(10)}`,
  // 28 digits: 4200 + 6 digits + yyyyMMdd + 10 digits
  transactionId: (nowMs: number) => `4200${digits(6)}${idStamp(nowMs).slice(0, 8)}${digits(10)}`,
  // 29 digits: 50 + …
  refundId: (nowMs: number) => `50${digits(5)}${idStamp(nowMs).slice(0, 8)}${digits(14)}`,
  shareOrderId: (nowMs: number) => `30${digits(6)}${idStamp(nowMs).slice(0, 8)}${digits(14)}`,
  detailId: (nowMs: number) => `36${digits(6)}${idStamp(nowMs).slice(0, 8)}${digits(14)}`,
  returnNo: (nowMs: number) => `40${digits(6)}${idStamp(nowMs).slice(0, 8)}${digits(14)}`,
  withdrawId: (nowMs: number) => `10${digits(6)}${idStamp(nowMs).slice(0, 8)}${digits(14)}`,
  prepayId: (nowMs: number) => `wx${idStamp(nowMs)}${randomBytes(11).toString('hex')}`.slice(0, 36),
  codeToken: () => alnum(10),
  openid: () => `o${alnum(27)}`,
  eventId: () => randomUUID(),
  applymentId: () => Number(`2000${digits(11)}`),
  billToken: () => alnum(48),
  // media ids look like base64url text of about 80 characters
  mediaId: () => randomBytes(60).toString('base64url'),
};
