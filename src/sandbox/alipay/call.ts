// What a gateway method handler receives, and the lookup every trade method shares.
import { randomBytes } from 'node:crypto';
import type { Ctx } from './context';
import type { Sql } from './db';
import type { Biz } from './biz';
import { optionalString } from './biz';
import { bizError, invalidParameter } from './errors';
import type { Params } from './gateway-auth';
import { findTradeByNo, findTradeByOutTradeNo } from './store-trades';
import type { App, Trade } from './types';

export interface Call {
  ctx: Ctx;
  app: App;
  params: Params;
  biz: Biz;
  /** protocol://host/prefix of the request, for QR contents and download links. */
  baseUrl: string;
  /** File parts of a multipart/form-data request (image uploads), by field name; never signed. */
  files: Map<string, Buffer>;
}

export type ApiMethod = (call: Call) => Promise<Record<string, unknown>>;

/** A random token for QR codes and download links (20 characters of [a-z0-9]). */
export function newToken(): string {
  return BigInt(`0x${randomBytes(16).toString('hex')}`)
    .toString(36)
    .slice(0, 20)
    .padStart(20, '0');
}

/**
 * The trade named by trade_no or out_trade_no, as the gateway sees it: a precreated trade nobody has scanned
 * yet does not exist (ACQ.TRADE_NOT_EXIST), exactly like the real gateway.
 */
export async function findVisibleTrade(sql: Sql, app: App, biz: Biz, lock = false): Promise<Trade> {
  const tradeNo = optionalString(biz, 'trade_no', 64);
  const outTradeNo = optionalString(biz, 'out_trade_no', 64);
  if (!tradeNo && !outTradeNo) throw invalidParameter('out_trade_no or trade_no is required');
  const trade = tradeNo
    ? await findTradeByNo(sql, tradeNo, lock)
    : await findTradeByOutTradeNo(sql, app.appId, outTradeNo!, lock);
  if (
    !trade ||
    trade.appId !== app.appId ||
    !trade.visible ||
    (tradeNo && outTradeNo && trade.outTradeNo !== outTradeNo)
  ) {
    throw bizError('ACQ.TRADE_NOT_EXIST', '交易不存在', {
      ...(outTradeNo ? { out_trade_no: outTradeNo } : {}),
      ...(tradeNo ? { trade_no: tradeNo } : {}),
    });
  }
  return trade;
}
