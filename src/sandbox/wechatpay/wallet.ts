// The simulated buyer's wallet: pays a Native code_url, a JSAPI prepay_id or an H5 URL, as scanning would.
import type { Ctx, Merchant } from './context';
import { autoUnfreezeMs } from './context';
import { rsaVerify } from './crypto';
import { one, type Tx } from './db';
import { ToolError } from './errors';
import { ids } from './ids';
import { findMerchant } from './merchants';
import { feeOf } from './money';
import { enqueueNotification } from './notify';
import { rfc3339 } from './time';
import {
  closeExpired,
  combineJson,
  isPaid,
  partnerTransactionJson,
  payableById,
  tradesOfPayable,
  type PayableRow,
  type TradeRow,
} from './trades';

export const CODE_URL_PREFIX = 'weixin://wxpay/bizpayurl?pr=';

export interface JsapiParams {
  appId: string;
  timeStamp: string;
  nonceStr: string;
  package: string;
  signType: string;
  paySign: string;
}

export interface WalletPayInput {
  code_url?: string;
  prepay_id?: string;
  url?: string;
  buyer?: string | { openid?: string };
  /** Pays as a failed payment (trade_state PAYERROR, no notification). */
  fail?: boolean;
  /** The bridge parameters of a JSAPI payment; when given, paySign is checked with the merchant's key. */
  jsapi_params?: JsapiParams;
}

/** Finds the payable a code_url, prepay_id or URL (H5 URL, wallet page URL) points at. */
export async function resolvePayable(
  tx: Tx,
  input: Pick<WalletPayInput, 'code_url' | 'prepay_id' | 'url'>,
): Promise<PayableRow> {
  let prepayId = input.prepay_id;
  let token: string | undefined;
  if (input.code_url) {
    if (!input.code_url.startsWith(CODE_URL_PREFIX))
      throw new ToolError(400, 'invalid_code_url', 'code_url is weixin://wxpay/bizpayurl?pr=…');
    token = input.code_url.slice(CODE_URL_PREFIX.length);
  } else if (input.url) {
    let url: URL;
    try {
      url = new URL(input.url);
    } catch {
      throw new ToolError(400, 'invalid_url', 'url is not a URL');
    }
    const nested = url.searchParams.get('code_url');
    if (nested) return resolvePayable(tx, { code_url: nested });
    prepayId = url.searchParams.get('prepay_id') ?? undefined;
    token = url.searchParams.get('pr') ?? undefined;
  }
  if (!prepayId && !token) throw new ToolError(400, 'invalid_request', 'give one of code_url, prepay_id or url');
  const payable = prepayId
    ? await payableById(tx, prepayId)
    : await one<PayableRow>(tx, `select * from wx_payables where code_token = $1`, [token]);
  if (!payable) throw new ToolError(404, 'unknown_payable', 'no order behind this code_url / prepay_id / url');
  return payable;
}

function checkJsapiParams(payable: PayableRow, merchant: Merchant, params: JsapiParams): void {
  const message = `${params.appId}\n${params.timeStamp}\n${params.nonceStr}\n${params.package}\n`;
  if (params.package !== `prepay_id=${payable.prepay_id}` || params.signType !== 'RSA') {
    throw new ToolError(400, 'invalid_jsapi_params', 'package must be prepay_id=<prepay_id> and signType RSA');
  }
  if (params.appId !== payable.appid) throw new ToolError(400, 'invalid_jsapi_params', 'appId is not the order appid');
  if (!rsaVerify(message, params.paySign, merchant.publicKey)) {
    throw new ToolError(400, 'invalid_pay_sign', 'paySign does not verify with the merchant key');
  }
}

function buyerOpenid(input: WalletPayInput, payable: PayableRow): string {
  if (typeof input.buyer === 'string' && input.buyer) return input.buyer;
  if (typeof input.buyer === 'object' && input.buyer.openid) return input.buyer.openid;
  return payable.payer_openid ?? ids.openid();
}

async function markPaid(
  tx: Tx,
  ctx: Ctx,
  merchant: Merchant,
  trade: TradeRow,
  openid: string,
  nowMs: number,
): Promise<TradeRow> {
  const fee = feeOf(trade.total, trade.fee_rate_bp);
  const net = trade.total - fee;
  const { rows } = await tx.query<TradeRow>(
    `update wx_trades set state = 'SUCCESS', fee = $2, unsplit = $3, payer_openid = $4, success_ms = $5,
            settle_ms = $6, unfreeze_ms = $7 where transaction_id = $1 returning *`,
    [
      trade.transaction_id,
      fee,
      trade.profit_sharing ? net : 0,
      openid,
      nowMs,
      nowMs + ctx.settings.settleDelayMs,
      trade.profit_sharing ? nowMs + autoUnfreezeMs(merchant.type) : null,
    ],
  );
  // Without profit_sharing the money is the sub-merchant's at once.
  if (!trade.profit_sharing) {
    await tx.query(`update wx_sub_merchants set available = available + $2 where sub_mchid = $1`, [
      trade.sub_mchid,
      net,
    ]);
  }
  return rows[0] as TradeRow;
}

export interface WalletPayResult {
  prepay_id: string;
  combine_out_trade_no: string | null;
  trade_state: string;
  paid: {
    sp_mchid: string;
    sub_mchid: string;
    out_trade_no: string;
    transaction_id: string;
    amount: number;
    success_time: string;
  }[];
}

export async function walletPay(ctx: Ctx, input: WalletPayInput): Promise<WalletPayResult> {
  const found = await resolvePayable(ctx.db, input);
  const merchant = await findMerchant(ctx, found.sp_mchid);
  if (!merchant) throw new ToolError(404, 'unknown_payable', 'merchant of this order is gone');
  if (input.jsapi_params) checkJsapiParams(found, merchant, input.jsapi_params);
  const result = await ctx.db.transaction(async (tx) => {
    const now = ctx.clock.now();
    if (found.time_expire_ms <= now) await closeExpired(tx, now, found.prepay_id);
    const trades = await tradesOfPayable(tx, found.prepay_id);
    if (trades.some((t) => isPaid(t.state)))
      throw new ToolError(409, 'trade_already_paid', 'this order is already paid');
    if (trades.some((t) => t.state === 'CLOSED')) throw new ToolError(409, 'trade_closed', 'this order is closed');
    if (input.fail) {
      await tx.query(`update wx_trades set state = 'PAYERROR' where prepay_id = $1`, [found.prepay_id]);
      return { trades: [], state: 'PAYERROR' };
    }
    const openid = buyerOpenid(input, found);
    const paid: TradeRow[] = [];
    for (const trade of trades) paid.push(await markPaid(tx, ctx, merchant, trade, openid, now));
    await enqueueNotification(tx, ctx, {
      spMchid: found.sp_mchid,
      apiv3Key: merchant.apiv3Key,
      url: found.notify_url,
      eventType: 'TRANSACTION.SUCCESS',
      summary: '支付成功',
      originalType: 'transaction',
      resource: found.kind === 'combine' ? combineJson(found, paid) : partnerTransactionJson(paid[0] as TradeRow),
    });
    return { trades: paid, state: 'SUCCESS' };
  });
  ctx.wakeNotifier();
  return {
    prepay_id: found.prepay_id,
    combine_out_trade_no: found.combine_out_trade_no,
    trade_state: result.state,
    paid: result.trades.map((t) => ({
      sp_mchid: t.sp_mchid,
      sub_mchid: t.sub_mchid,
      out_trade_no: t.out_trade_no,
      transaction_id: t.transaction_id,
      amount: t.total,
      success_time: rfc3339(t.success_ms ?? 0),
    })),
  };
}
