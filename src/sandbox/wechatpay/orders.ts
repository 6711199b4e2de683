// Placing partner orders and combined orders: validation, out_trade_no re-use rules, the payable handle.
import type { Ctx, Merchant } from './context';
import { one, type Tx } from './db';
import { wx } from './errors';
import { ids } from './ids';
import { requireSubMerchant } from './merchants';
import { parseRfc3339 } from './time';
import {
  DEFAULT_EXPIRE_MS,
  OUT_TRADE_NO_PATTERN,
  checkReuse,
  isPaid,
  tradeByOutNo,
  tradesOfPayable,
  type PayableRow,
  type TradeType,
} from './trades';
import { CODE_URL_PREFIX } from './wallet';

export interface SubOrderInput {
  subMchid: string;
  subAppid?: string;
  outTradeNo: string;
  description: string;
  attach?: string;
  total: number;
  profitSharing: boolean;
}

export interface OrderInput {
  tradeType: TradeType;
  appid: string;
  notifyUrl: string;
  timeExpire?: string;
  payerOpenid?: string;
  sceneInfo?: Record<string, unknown>;
  combineOutTradeNo?: string;
  subOrders: SubOrderInput[];
}

/** An absolute http(s) URL to loopback or a host in HUTONG_SANDBOX_NOTIFY_HOSTS: the sandbox POSTs nowhere else. */
export function checkNotifyUrl(ctx: Ctx, url: string): void {
  if (!/^https?:\/\/[^\s]+$/.test(url)) throw wx.param('notify_url 格式错误 (an absolute http(s) URL)');
  const problem = ctx.hosts.notifyUrlProblem(url);
  if (problem) throw wx.param(`notify_url 不合法: ${problem}`);
}

function checkOrderInput(ctx: Ctx, input: OrderInput): number {
  checkNotifyUrl(ctx, input.notifyUrl);
  const seen = new Set<string>();
  for (const sub of input.subOrders) {
    if (!OUT_TRADE_NO_PATTERN.test(sub.outTradeNo))
      throw wx.param('out_trade_no 只能是数字、大小写字母_-|* 且长度为6-32');
    const key = `${sub.subMchid}/${sub.outTradeNo}`;
    if (seen.has(key)) throw wx.param('子单商户订单号重复');
    seen.add(key);
  }
  if (input.timeExpire === undefined) return ctx.clock.now() + DEFAULT_EXPIRE_MS;
  const expire = parseRfc3339(input.timeExpire);
  if (expire === undefined) throw wx.param('time_expire 格式错误 (RFC 3339, e.g. 2024-11-24T10:00:00+08:00)');
  return expire;
}

/** Places a partner order (one sub-order) or a combined order; re-placing the same order returns its handle. */
export async function placeOrder(ctx: Ctx, merchant: Merchant, input: OrderInput): Promise<PayableRow> {
  const expireMs = checkOrderInput(ctx, input);
  return ctx.db.transaction(async (tx) => {
    const again = await samePlacedOrder(tx, merchant, input);
    if (again) return again;
    const now = ctx.clock.now();
    const payable: PayableRow = {
      prepay_id: ids.prepayId(now),
      code_token: ids.codeToken(),
      sp_mchid: merchant.mchid,
      kind: input.combineOutTradeNo ? 'combine' : 'single',
      combine_out_trade_no: input.combineOutTradeNo ?? null,
      appid: input.appid,
      trade_type: input.tradeType,
      notify_url: input.notifyUrl,
      payer_openid: input.payerOpenid ?? null,
      scene_info: input.sceneInfo ?? null,
      time_expire_ms: expireMs,
      created_ms: now,
    };
    await tx.query(
      `insert into wx_payables (prepay_id, code_token, sp_mchid, kind, combine_out_trade_no, appid, trade_type,
         notify_url, payer_openid, scene_info, time_expire_ms, created_ms)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        payable.prepay_id,
        payable.code_token,
        payable.sp_mchid,
        payable.kind,
        payable.combine_out_trade_no,
        payable.appid,
        payable.trade_type,
        payable.notify_url,
        payable.payer_openid,
        payable.scene_info,
        expireMs,
        now,
      ],
    );
    // A partner order's sub-merchant and out_trade_no were checked by samePlacedOrder already.
    const checked = !input.combineOutTradeNo;
    for (const sub of input.subOrders) await insertTrade(tx, merchant, payable, sub, now, checked);
    return payable;
  });
}

async function insertTrade(
  tx: Tx,
  merchant: Merchant,
  payable: PayableRow,
  sub: SubOrderInput,
  now: number,
  checked: boolean,
): Promise<void> {
  if (!checked) {
    await requireSubMerchant(tx, merchant.mchid, sub.subMchid);
    if (await tradeByOutNo(tx, sub.subMchid, sub.outTradeNo)) throw wx.outTradeNoUsed();
  }
  await tx.query(
    `insert into wx_trades (transaction_id, prepay_id, sp_mchid, sub_mchid, sp_appid, sub_appid, out_trade_no,
       combine_out_trade_no, trade_type, description, attach, notify_url, total, state, profit_sharing, fee_rate_bp,
       time_expire_ms, created_ms)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'NOTPAY', $14, $15, $16, $17)`,
    [
      ids.transactionId(now),
      payable.prepay_id,
      merchant.mchid,
      sub.subMchid,
      merchant.appid,
      sub.subAppid ?? null,
      sub.outTradeNo,
      payable.combine_out_trade_no,
      payable.trade_type,
      sub.description,
      sub.attach ?? null,
      payable.notify_url,
      sub.total,
      sub.profitSharing,
      merchant.feeRateBp,
      payable.time_expire_ms,
      now,
    ],
  );
}

/** The re-use rules: the same unpaid order placed again gets the same handle; anything else is refused. */
async function samePlacedOrder(tx: Tx, merchant: Merchant, input: OrderInput): Promise<PayableRow | undefined> {
  if (!input.combineOutTradeNo) {
    const sub = input.subOrders[0];
    if (!sub) throw wx.param('缺少订单');
    await requireSubMerchant(tx, merchant.mchid, sub.subMchid);
    const existing = await tradeByOutNo(tx, sub.subMchid, sub.outTradeNo);
    if (!existing) return undefined;
    checkReuse(existing, sub.total, input.tradeType);
    if (existing.combine_out_trade_no) throw wx.outTradeNoUsed();
    return one<PayableRow>(tx, `select * from wx_payables where prepay_id = $1`, [existing.prepay_id]);
  }
  const payable = await one<PayableRow>(
    tx,
    `select * from wx_payables where sp_mchid = $1 and combine_out_trade_no = $2`,
    [merchant.mchid, input.combineOutTradeNo],
  );
  if (!payable) return undefined;
  const trades = await tradesOfPayable(tx, payable.prepay_id);
  if (trades.some((t) => isPaid(t.state))) throw wx.orderPaid();
  if (trades.some((t) => t.state === 'CLOSED')) throw wx.orderClosed();
  const same =
    payable.trade_type === input.tradeType &&
    trades.length === input.subOrders.length &&
    input.subOrders.every((s) =>
      trades.some((t) => t.sub_mchid === s.subMchid && t.out_trade_no === s.outTradeNo && t.total === s.total),
    );
  if (!same) throw wx.outTradeNoUsed();
  return payable;
}

/** The answer of an order API for its trade type. */
export function orderAnswer(payable: PayableRow, base: string): Record<string, string> {
  if (payable.trade_type === 'NATIVE') return { code_url: `${CODE_URL_PREFIX}${payable.code_token}` };
  if (payable.trade_type === 'JSAPI') return { prepay_id: payable.prepay_id };
  return {
    h5_url: `${base}/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=${payable.prepay_id}&package=${payable.code_token}`,
  };
}

/** Refuses a body whose merchant or appid is not the caller's (the gateway checks both against the signature). */
export function checkCaller(merchant: Merchant, mchid: string, appid: string): void {
  if (mchid !== merchant.mchid) throw wx.invalid('请求中的商户号与签名商户号不一致');
  if (appid !== merchant.appid) throw wx.appidMismatch();
}
