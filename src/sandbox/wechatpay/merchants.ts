// Registered merchants (platforms and service providers) and their sub-merchants.
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import type { Ctx, Merchant, MerchantType, SigningMode } from './context';
import { parsePublicKey } from './crypto';
import { one, type Tx } from './db';
import { ToolError, wx } from './errors';
import { ids } from './ids';

export const SUB_MERCHANTS_MAX = 20;
export const DEFAULT_FEE_RATE_BP = 60;

export interface RegistrationInput {
  type?: MerchantType;
  merchant_public_key?: string;
  sub_merchants?: number;
  fee_rate_bp?: number;
  signing?: SigningMode;
}

export interface Registration {
  mchid: string;
  type: MerchantType;
  serial_no: string;
  apiv3_key: string;
  merchant_private_key?: string;
  appid: string;
  fee_rate_bp: number;
  signing: SigningMode;
  wechatpay_public_key_id: string;
  wechatpay_public_key: string;
  platform_certificate_serial_no: string;
  sub_mchids: string[];
}

function checkRegistration(input: RegistrationInput): void {
  if (input.type !== undefined && input.type !== 'ecommerce_platform' && input.type !== 'service_provider') {
    throw new ToolError(422, 'invalid_merchant_type', 'type is ecommerce_platform or service_provider');
  }
  const subs = input.sub_merchants ?? 0;
  if (!Number.isSafeInteger(subs) || subs < 0 || subs > SUB_MERCHANTS_MAX) {
    throw new ToolError(422, 'invalid_sub_merchants', `sub_merchants is an integer from 0 to ${SUB_MERCHANTS_MAX}`);
  }
  if (input.signing !== undefined && input.signing !== 'public_key' && input.signing !== 'platform_certificate') {
    throw new ToolError(422, 'invalid_signing', 'signing is public_key or platform_certificate');
  }
  const rate = input.fee_rate_bp ?? DEFAULT_FEE_RATE_BP;
  if (!Number.isSafeInteger(rate) || rate < 0 || rate > 1000) {
    throw new ToolError(422, 'invalid_fee_rate', 'fee_rate_bp is an integer from 0 to 1000');
  }
}

export async function registerMerchant(ctx: Ctx, input: RegistrationInput): Promise<Registration> {
  checkRegistration(input);
  let publicKeyPem: string;
  let privateKeyPem: string | undefined;
  if (input.merchant_public_key) {
    try {
      publicKeyPem = parsePublicKey(input.merchant_public_key).export({ type: 'spki', format: 'pem' }).toString();
    } catch {
      throw new ToolError(422, 'invalid_public_key', 'merchant_public_key is not a PEM or base64 RSA public key');
    }
  } else {
    const pair = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
    publicKeyPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    privateKeyPem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  }
  const type = input.type ?? 'ecommerce_platform';
  const row = {
    mchid: ids.mchid(),
    serialNo: ids.serialNo(),
    apiv3Key: ids.apiv3Key(),
    appid: ids.appid(),
    feeRateBp: input.fee_rate_bp ?? DEFAULT_FEE_RATE_BP,
    signing: input.signing ?? 'public_key',
  };
  const subMchids = await ctx.db.transaction(async (tx) => {
    await tx.query(
      `insert into wx_merchants (mchid, type, serial_no, public_key_pem, apiv3_key, appid, fee_rate_bp, signing, created_ms)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        row.mchid,
        type,
        row.serialNo,
        publicKeyPem,
        row.apiv3Key,
        row.appid,
        row.feeRateBp,
        row.signing,
        ctx.clock.now(),
      ],
    );
    const subs: string[] = [];
    for (let i = 0; i < (input.sub_merchants ?? 0); i++) {
      subs.push(
        await createSubMerchant(tx, ctx.clock.now(), row.mchid, `Sandbox sub-merchant ${i + 1}`, 'registration'),
      );
    }
    return subs;
  });
  return {
    mchid: row.mchid,
    type,
    serial_no: row.serialNo,
    apiv3_key: row.apiv3Key,
    ...(privateKeyPem ? { merchant_private_key: privateKeyPem } : {}),
    appid: row.appid,
    fee_rate_bp: row.feeRateBp,
    signing: row.signing,
    wechatpay_public_key_id: ctx.keys.wechatpayPublicKey.serial,
    wechatpay_public_key: ctx.keys.wechatpayPublicKey.publicKeyPem,
    platform_certificate_serial_no: ctx.keys.platformCert.serial,
    sub_mchids: subMchids,
  };
}

export async function createSubMerchant(
  tx: Tx,
  nowMs: number,
  spMchid: string,
  name: string,
  origin: string,
): Promise<string> {
  const subMchid = ids.subMchid();
  await tx.query(
    `insert into wx_sub_merchants (sub_mchid, sp_mchid, name, origin, created_ms) values ($1, $2, $3, $4, $5)`,
    [subMchid, spMchid, name, origin, nowMs],
  );
  return subMchid;
}

interface MerchantRow {
  mchid: string;
  type: MerchantType;
  serial_no: string;
  public_key_pem: string;
  apiv3_key: string;
  appid: string;
  fee_rate_bp: number;
  signing: SigningMode;
}

export async function findMerchant(ctx: Ctx, mchid: string): Promise<Merchant | undefined> {
  const cached = ctx.merchants.get(mchid);
  if (cached) return cached;
  const row = await one<MerchantRow>(ctx.db, `select * from wx_merchants where mchid = $1`, [mchid]);
  if (!row) return undefined;
  const merchant: Merchant = {
    mchid: row.mchid,
    type: row.type,
    serialNo: row.serial_no,
    publicKey: parsePublicKey(row.public_key_pem),
    apiv3Key: row.apiv3_key,
    appid: row.appid,
    feeRateBp: row.fee_rate_bp,
    signing: row.signing,
  };
  ctx.merchants.set(mchid, merchant);
  return merchant;
}

/** Refuses a sub_mchid that is not a sub-merchant of the calling platform / service provider. */
export async function requireSubMerchant(tx: Tx, spMchid: string, subMchid: unknown): Promise<string> {
  if (typeof subMchid !== 'string' || subMchid === '') throw wx.param('缺少参数 sub_mchid');
  const row = await one<{ sp_mchid: string }>(tx, `select sp_mchid from wx_sub_merchants where sub_mchid = $1`, [
    subMchid,
  ]);
  if (!row || row.sp_mchid !== spMchid) throw wx.invalid('服务商和子商户不存在受理关系');
  return subMchid;
}
