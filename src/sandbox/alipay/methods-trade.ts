// alipay.trade.precreate, alipay.trade.query and alipay.trade.close.
import { findVisibleTrade, newToken, type ApiMethod } from './call';
import { readTradeDraft } from './biz';
import { bizError } from './errors';
import { formatBeijing } from './clock';
import { fenToYuan } from './money';
import { closeTrade, createOrReuseTrade } from './trades';

/** A precreated QR stays payable this long unless the request says otherwise. */
const PRECREATE_TIMEOUT_MS = 2 * 3600_000;

/** Lazy, as at the real gateway: the trade exists only once a buyer scans the QR. */
export const precreate: ApiMethod = async ({ ctx, app, params, biz, baseUrl }) =>
  ctx.db.transaction(async (tx) => {
    const draft = await readTradeDraft(ctx, tx, app.appId, biz, PRECREATE_TIMEOUT_MS);
    const trade = await createOrReuseTrade(ctx, tx, app.appId, draft, {
      kind: 'precreate',
      visible: false,
      qrToken: newToken(),
      preOrderNo: null,
      notifyUrl: params.notify_url || null,
      returnUrl: null,
    });
    return { out_trade_no: trade.outTradeNo, qr_code: `${baseUrl}/qr/${trade.qrToken}` };
  });

export const query: ApiMethod = async ({ ctx, app, biz }) => {
  const trade = await findVisibleTrade(ctx.db, app, biz);
  const paid = trade.paidAt !== null;
  const paidAmount = fenToYuan(paid ? trade.totalFen : 0);
  return {
    trade_no: trade.tradeNo,
    out_trade_no: trade.outTradeNo,
    buyer_logon_id: trade.buyerLogonId ?? undefined,
    buyer_user_id: trade.buyerId ?? undefined,
    trade_status: trade.status,
    total_amount: fenToYuan(trade.totalFen),
    buyer_pay_amount: paidAmount,
    receipt_amount: paidAmount,
    invoice_amount: paidAmount,
    point_amount: '0.00',
    send_pay_date: paid ? formatBeijing(trade.paidAt!) : undefined,
    subject: trade.subject,
    // 该笔交易针对收款方的收费金额 (the fee), as Alipay reports it to platforms.
    charge_amount: paid ? fenToYuan(trade.feeFen) : undefined,
  };
};

/** Only a WAIT_BUYER_PAY trade closes; an unscanned precreate does not exist, so close cannot stop a later scan. */
export const close: ApiMethod = async ({ ctx, app, biz }) =>
  ctx.db.transaction(async (tx) => {
    const trade = await findVisibleTrade(tx, app, biz, true);
    if (trade.status !== 'WAIT_BUYER_PAY' || !(await closeTrade(ctx, tx, trade))) {
      throw bizError('ACQ.TRADE_STATUS_ERROR', `交易状态不合法 (${trade.status}): only WAIT_BUYER_PAY can be closed`, {
        trade_no: trade.tradeNo,
        out_trade_no: trade.outTradeNo,
      });
    }
    return { trade_no: trade.tradeNo, out_trade_no: trade.outTradeNo };
  });
