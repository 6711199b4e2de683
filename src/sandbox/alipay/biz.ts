// Reading and checking the business fields of biz_content (the method's own JSON), with Alipay's errors.
import type { Ctx } from './context';
import type { Sql } from './db';
import { bizError, invalidArguments, invalidParameter } from './errors';
import { amountToFen, fenToYuan, yuanToFen } from './money';
import { parseBeijing, parseSettlePeriod, parseTimeoutExpress } from './clock';
import { findSubMerchant } from './store-apps';
import type { SettleInfo } from './types';

export type Biz = Record<string, unknown>;

const BIZ_CONTENT_CHARS_MAX = 200_000;
const OUT_NO_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const APPROVED_SMIDS_CACHED_MAX = 100_000;
const SETTLE_TRANS_IN_TYPES = new Set(['defaultSettle', 'cardAliasNo', 'userId', 'loginName']);

export function parseBizContent(raw: string | undefined): Biz {
  if (raw === undefined || raw === '') return {};
  if (raw.length > BIZ_CONTENT_CHARS_MAX) throw invalidArguments('isv.invalid-parameter', 'biz_content is too long');
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Biz;
  } catch {
    // answered below
  }
  throw invalidArguments('isv.invalid-parameter', 'biz_content is not a JSON object');
}

export function optionalString(biz: Biz, field: string, maxChars: number): string | null {
  const value = biz[field];
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' && typeof value !== 'number') throw invalidParameter(`${field} must be a string`);
  const text = String(value);
  if (text.length > maxChars) throw invalidParameter(`${field} is longer than ${maxChars} characters`);
  return text;
}

export function requiredString(biz: Biz, field: string, maxChars: number): string {
  const text = optionalString(biz, field, maxChars);
  if (text === null) throw invalidParameter(`${field} is required`);
  return text;
}

export function outNo(biz: Biz, field: string, required = true): string | null {
  const text = required ? requiredString(biz, field, 64) : optionalString(biz, field, 64);
  if (text !== null && !OUT_NO_PATTERN.test(text))
    throw invalidParameter(`${field} may hold only letters, digits, _ and - (at most 64)`);
  return text;
}

export function requiredAmount(biz: Biz, field: string): number {
  const value = biz[field];
  if (value === undefined || value === null || value === '') throw invalidParameter(`${field} is required`);
  const fen = amountToFen(value);
  if (fen === null) throw invalidParameter(`${field} must be a yuan amount between 0.01 and 100000000.00`);
  return fen;
}

export function objectField(biz: Biz, field: string): Biz | null {
  const value = biz[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidParameter(`${field} must be an object`);
  return value as Biz;
}

export function arrayField(biz: Biz, field: string, maxItems: number): Biz[] | null {
  const value = biz[field];
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'object' || v === null || Array.isArray(v))) {
    throw invalidParameter(`${field} must be an array of objects`);
  }
  if (value.length > maxItems) throw invalidParameter(`${field} has more than ${maxItems} items`);
  return value as Biz[];
}

/** The trade's sub-merchant: an approved smid of the calling app (直付通 trades must name one). */
export async function subMerchantOf(ctx: Ctx, sql: Sql, appId: string, biz: Biz): Promise<string> {
  const sub = objectField(biz, 'sub_merchant');
  if (!sub) throw invalidParameter('sub_merchant is required: 直付通 trades name the sub-merchant (smid)');
  const smid = requiredString(sub, 'merchant_id', 32);
  if (ctx.approvedSmids.get(smid) === appId) return smid;
  const merchant = await findSubMerchant(sql, smid);
  if (!merchant || merchant.appId !== appId)
    throw bizError('ACQ.SECONDARY_MERCHANT_STATUS_ERROR', `sub-merchant ${smid} does not exist for this app`);
  if (merchant.status !== '99')
    throw bizError('ACQ.SECONDARY_MERCHANT_STATUS_ERROR', `sub-merchant ${smid} is not approved yet`);
  if (ctx.approvedSmids.size >= APPROVED_SMIDS_CACHED_MAX) ctx.approvedSmids.clear();
  ctx.approvedSmids.set(smid, appId);
  return smid;
}

/** settle_info for a 直付通 trade: one settle detail whose amount equals the trade amount. */
export function settleInfoOf(biz: Biz, totalFen: number): { settleInfo: SettleInfo; settlePeriodMs: number | null } {
  const info = objectField(biz, 'settle_info');
  if (!info) throw invalidParameter('settle_info is required: 直付通 trades ask for later settlement');
  const details = arrayField(info, 'settle_detail_infos', 1);
  if (!details || details.length !== 1)
    throw invalidParameter('settle_info.settle_detail_infos must hold exactly one entry');
  const detail = details[0]!;
  const transInType = requiredString(detail, 'trans_in_type', 32);
  if (!SETTLE_TRANS_IN_TYPES.has(transInType))
    throw invalidParameter(`settle_detail_infos.trans_in_type "${transInType}" is not supported`);
  const transIn = optionalString(detail, 'trans_in', 64);
  if (transInType !== 'defaultSettle' && !transIn)
    throw invalidParameter('settle_detail_infos.trans_in is required unless trans_in_type is defaultSettle');
  const amountFen = yuanToFen(detail.amount);
  if (amountFen !== totalFen)
    throw invalidParameter(`settle_detail_infos.amount must equal total_amount (${fenToYuan(totalFen)})`);
  const periodText = optionalString(info, 'settle_period_time', 8);
  const settlePeriodMs = periodText === null ? null : parseSettlePeriod(periodText);
  if (periodText !== null && settlePeriodMs === null)
    throw invalidParameter('settle_info.settle_period_time must be 1d … 365d');
  const settleInfo: SettleInfo = {
    settle_detail_infos: [
      { trans_in_type: transInType, ...(transIn ? { trans_in: transIn } : {}), amount_fen: totalFen },
    ],
    ...(periodText ? { settle_period_time: periodText } : {}),
  };
  return { settleInfo, settlePeriodMs };
}

/** The payment deadline: time_expire wins over timeout_express; otherwise the method's default. */
export function expireAtOf(biz: Biz, now: number, defaultTimeoutMs: number): number {
  const timeExpire = optionalString(biz, 'time_expire', 32);
  if (timeExpire !== null) {
    const at = parseBeijing(timeExpire);
    if (at === null) throw invalidParameter('time_expire must be yyyy-MM-dd HH:mm:ss');
    if (at <= now) throw invalidParameter('time_expire is in the past');
    return at;
  }
  const timeout = optionalString(biz, 'timeout_express', 8);
  if (timeout !== null) {
    const at = parseTimeoutExpress(timeout, now);
    if (at === null) throw invalidParameter('timeout_express must be 1m … 15d (m, h, d) or 1c');
    return at;
  }
  return now + defaultTimeoutMs;
}

export interface TradeDraft {
  outTradeNo: string;
  totalFen: number;
  subject: string;
  body: string | null;
  smid: string;
  settleInfo: SettleInfo;
  settlePeriodMs: number | null;
  passbackParams: string | null;
  expireAt: number;
}

/** The fields every 直付通 trade carries, checked. */
export async function readTradeDraft(
  ctx: Ctx,
  sql: Sql,
  appId: string,
  biz: Biz,
  defaultTimeoutMs: number,
): Promise<TradeDraft> {
  const outTradeNo = outNo(biz, 'out_trade_no')!;
  const totalFen = requiredAmount(biz, 'total_amount');
  const subject = requiredString(biz, 'subject', 256);
  const body = optionalString(biz, 'body', 128);
  const smid = await subMerchantOf(ctx, sql, appId, biz);
  const { settleInfo, settlePeriodMs } = settleInfoOf(biz, totalFen);
  const passbackParams = optionalString(biz, 'passback_params', 512);
  const expireAt = expireAtOf(biz, ctx.clock.now(), defaultTimeoutMs);
  return { outTradeNo, totalFen, subject, body, smid, settleInfo, settlePeriodMs, passbackParams, expireAt };
}
