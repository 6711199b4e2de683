import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Base62 random string; 20 chars ≈ 119 bits. */
export function randomToken(length = 20): string {
  const bytes = randomBytes(length * 2);
  let out = '';
  for (let i = 0; out.length < length && i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b < 248) out += ALPHABET[b % 62];
  }
  return out.length === length ? out : out + randomToken(length - out.length);
}

export type IdPrefix =
  | 'mch'
  | 'prd'
  | 'ord'
  | 'pay'
  | 'att'
  | 'rfd'
  | 'rrq'
  | 'wav'
  | 'lnk'
  | 'buy'
  | 'key'
  | 'lvr'
  | 'evt'
  | 'rec'
  | 'act'
  | 'jnl';

/** Ids are `<prefix>_<20 base62>`: 24 chars, inside WeChat Pay's 6–32 `out_trade_no` rule. */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomToken(20)}`;
}
