// Opening a page/wap/merged-payment URL, as the buyer's browser does: the trades come into existence here.
import type { Ctx } from './context';
import { optionalString, readTradeDraft, requiredString, type Biz } from './biz';
import { bizError, invalidParameter } from './errors';
import { one } from './db';
import type { Params } from './gateway-auth';
import { findTradeByNo, listTradesOfMerge } from './store-trades';
import { createOrReuseTrade, scanTrade } from './trades';
import type { App, Trade } from './types';

export const PAGE_METHODS = new Set(['alipay.trade.page.pay', 'alipay.trade.wap.pay', 'alipay.trade.wap.merge.pay']);

const PRODUCT_CODES: Record<string, string> = {
  'alipay.trade.page.pay': 'FAST_INSTANT_TRADE_PAY',
  'alipay.trade.wap.pay': 'QUICK_WAP_WAY',
};
/** A page/wap trade is payable this long unless the request says otherwise. */
const PAGE_TIMEOUT_MS = 15 * 86_400_000;

export interface Checkout {
  method: string;
  trades: Trade[];
  returnUrl: string | null;
  preOrderNo: string | null;
}

/** Creates (or finds) the trades a signed page/wap/merge-pay request describes and makes them visible. */
export async function openCheckout(ctx: Ctx, app: App, params: Params, biz: Biz): Promise<Checkout> {
  const method = params.method!;
  const returnUrl = params.return_url || null;
  if (method === 'alipay.trade.wap.merge.pay') return openMergedCheckout(ctx, app, biz, returnUrl);
  const productCode = optionalString(biz, 'product_code', 64);
  if (productCode !== null && productCode !== PRODUCT_CODES[method]) {
    throw invalidParameter(`product_code must be ${PRODUCT_CODES[method]} for ${method}`);
  }
  const tradeNo = await ctx.db.transaction(async (tx) => {
    const draft = await readTradeDraft(ctx, tx, app.appId, biz, PAGE_TIMEOUT_MS);
    const trade = await createOrReuseTrade(ctx, tx, app.appId, draft, {
      kind: method === 'alipay.trade.page.pay' ? 'page' : 'wap',
      visible: true,
      qrToken: null,
      preOrderNo: null,
      notifyUrl: params.notify_url || null,
      returnUrl,
    });
    return trade.tradeNo;
  });
  return { method, trades: [(await findTradeByNo(ctx.db, tradeNo))!], returnUrl, preOrderNo: null };
}

async function openMergedCheckout(ctx: Ctx, app: App, biz: Biz, returnUrl: string | null): Promise<Checkout> {
  const preOrderNo = requiredString(biz, 'pre_order_no', 64);
  const merge = await one<{ expire_at: number }>(
    ctx.db,
    'select expire_at from merges where pre_order_no = $1 and app_id = $2',
    [preOrderNo, app.appId],
  );
  if (!merge) throw bizError('ACQ.TRADE_NOT_EXIST', `pre_order_no ${preOrderNo} does not exist`);
  if (ctx.clock.now() >= Number(merge.expire_at)) throw bizError('ACQ.TRADE_HAS_CLOSE', 'the merged order has expired');
  await ctx.db.transaction(async (tx) => {
    for (const trade of await listTradesOfMerge(tx, preOrderNo)) await scanTrade(ctx, tx, trade);
  });
  return {
    method: 'alipay.trade.wap.merge.pay',
    trades: await listTradesOfMerge(ctx.db, preOrderNo),
    returnUrl,
    preOrderNo,
  };
}
