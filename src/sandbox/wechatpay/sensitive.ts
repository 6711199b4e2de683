// Sensitive request fields (names, ID numbers, bank accounts, phones) arrive RSA-OAEP encrypted with the WeChat
// Pay public key or the platform certificate named by the request's Wechatpay-Serial header. The sandbox checks
// they decrypt, then forgets the plaintext (it never stores or logs it).
import type { FastifyRequest } from 'fastify';
import type { Ctx } from './context';
import { oaepDecrypt } from './crypto';
import { wx } from './errors';
import type { SigningKey } from './keys';

function keyOf(ctx: Ctx, req: FastifyRequest): SigningKey {
  const serial = req.headers['wechatpay-serial'];
  if (typeof serial !== 'string' || serial === '')
    throw wx.param('加密敏感信息时须在 Wechatpay-Serial 请求头中指明所用的微信支付公钥ID或平台证书序列号');
  const key = ctx.keys.bySerial(serial);
  if (!key) throw wx.param('Wechatpay-Serial 不是有效的微信支付公钥ID或平台证书序列号');
  return key;
}

/** Checks that each named field present in `source` decrypts; returns how many were checked. */
export function checkEncryptedFields(
  ctx: Ctx,
  req: FastifyRequest,
  source: unknown,
  fields: string[],
  path: string,
): number {
  if (typeof source !== 'object' || source === null) return 0;
  const record = source as Record<string, unknown>;
  let checked = 0;
  for (const field of fields) {
    const value = record[field];
    if (value === undefined || value === '') continue;
    if (typeof value !== 'string') throw wx.param(`${path}.${field} 应为加密后的字符串`);
    const key = keyOf(ctx, req);
    try {
      oaepDecrypt(value, key.privateKey);
    } catch {
      throw wx.param(`${path}.${field} 解密失败：请用微信支付公钥（RSA-OAEP）加密`);
    }
    checked++;
  }
  return checked;
}

/** Checks that a field decrypts and that it is present. */
export function requireEncryptedField(
  ctx: Ctx,
  req: FastifyRequest,
  source: unknown,
  field: string,
  path: string,
): void {
  const value = typeof source === 'object' && source !== null ? (source as Record<string, unknown>)[field] : undefined;
  if (typeof value !== 'string' || value === '') throw wx.param(`缺少参数 ${path}.${field}`);
  checkEncryptedFields(ctx, req, source, [field], path);
}
