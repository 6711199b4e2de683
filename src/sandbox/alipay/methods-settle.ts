// 直付通 settlement: alipay.trade.settle.confirm, alipay.trade.order.settle, alipay.trade.royalty.relation.bind
// alipay.trade.order.settle.query and alipay.trade.order.onsettle.query.
import { createHash, randomInt } from 'node:crypto';
import { findVisibleTrade, type ApiMethod } from './call';
import { arrayField, objectField, optionalString, outNo, requiredString, type Biz } from './biz';
import type { Ctx } from './context';
import type { Sql } from './db';
import { bizError, invalidParameter } from './errors';
import { beijingDay, formatBeijing } from './clock';
import { amountToFen, fenToYuan, yuanToFen } from './money';
import { addReceiverBalance, findReceiver, findSubMerchant, upsertReceiver } from './store-apps';
import {
  findRoyaltyRequest,
  findSettlement,
  insertRoyalty,
  insertRoyaltyRequest,
  listRoyaltiesOfTrade,
  listRoyaltyRequestsOfTrade,
  updateTrade,
} from './store-trades';
import { finishRoyalty, settleTrade } from './settlement';
import type { Trade } from './types';

const RECEIVERS_MAX = 20;
const ROYALTY_ITEMS_MAX = 20;
/** By default at most 30% of a trade may be shared to others. */
const SHARE_CAP_PERCENT = 30;
const RECEIVER_TYPES = new Set(['userId', 'loginName', 'openId']);

function requireTradeNo(biz: Biz): Biz {
  return { trade_no: requiredString(biz, 'trade_no', 64) };
}

/** Money becomes settleable settleDelayMs after payment; before that Alipay is still clearing it. */
function checkSettleable(ctx: Ctx, trade: Trade): void {
  if (trade.status !== 'TRADE_SUCCESS') throw bizError('ACQ.TRADE_STATUS_ERROR', `交易状态不合法 (${trade.status})`);
  if (ctx.clock.now() < trade.paidAt! + ctx.settings.settleDelayMs) {
    throw bizError('ACQ.ILLEGAL_SETTLE_STATE', '结算单状态不允许分账: the payment is still clearing; retry later');
  }
}

function settleAmountOf(biz: Biz, trade: Trade): { amountFen: number; transInType: string; transIn: string | null } {
  const info = objectField(biz, 'settle_info');
  const details = info ? arrayField(info, 'settle_detail_infos', 1) : null;
  if (!details || details.length !== 1)
    throw invalidParameter('settle_info.settle_detail_infos must hold exactly one entry');
  const detail = details[0]!;
  const transInType = requiredString(detail, 'trans_in_type', 32);
  if (!['defaultSettle', 'cardAliasNo', 'userId', 'loginName'].includes(transInType))
    throw invalidParameter(`trans_in_type ${transInType} is not supported`);
  const transIn = optionalString(detail, 'trans_in', 64);
  if (detail.actual_amount !== undefined) {
    const actual = amountToFen(detail.actual_amount);
    if (actual === null || actual > trade.unsettledFen)
      throw invalidParameter('actual_amount must be at most the unsettled amount');
    return { amountFen: actual, transInType, transIn };
  }
  const amountFen = yuanToFen(detail.amount);
  const expected = trade.totalFen - trade.refundedFen;
  if (amountFen !== expected && amountFen !== trade.unsettledFen) {
    throw invalidParameter(
      `settle_detail_infos.amount must equal the trade amount minus refunds (${fenToYuan(expected)})`,
    );
  }
  return { amountFen: trade.unsettledFen, transInType, transIn };
}

export const settleConfirm: ApiMethod = async ({ ctx, app, biz }) =>
  ctx.db.transaction(async (tx) => {
    const trade = await findVisibleTrade(tx, app, requireTradeNo(biz), true);
    const outRequestNo = outNo(biz, 'out_request_no')!;
    const answer = (amountFen: number) => ({
      trade_no: trade.tradeNo,
      out_request_no: outRequestNo,
      settle_amount: fenToYuan(amountFen),
    });
    const previous = await findSettlement(tx, trade.tradeNo, outRequestNo);
    if (previous) return answer(previous.amountFen);
    checkSettleable(ctx, trade);
    if (trade.unsettledFen === 0) throw bizError('ACQ.TRADE_STATUS_ERROR', 'nothing is left to settle on this trade');
    const { amountFen, transInType, transIn } = settleAmountOf(biz, trade);
    const merchant = (await findSubMerchant(tx, trade.smid))!;
    const toCard = transInType === 'cardAliasNo' || (transInType === 'defaultSettle' && merchant.settleToCard);
    const freeze = optionalString(objectField(biz, 'extend_params') ?? {}, 'royalty_freeze', 8) === 'true';
    const destination = toCard ? 'bank_card' : freeze ? 'royalty_frozen' : 'available';
    await settleTrade(tx, trade, {
      outRequestNo,
      amountFen,
      destination,
      transInType,
      transIn,
      createdAt: ctx.clock.now(),
    });
    return answer(amountFen);
  });

interface RoyaltyItem {
  account: string;
  amountFen: number;
}

async function readRoyaltyItems(tx: Sql, appId: string, biz: Biz): Promise<RoyaltyItem[]> {
  const items: RoyaltyItem[] = [];
  for (const item of arrayField(biz, 'royalty_parameters', ROYALTY_ITEMS_MAX) ?? []) {
    const royaltyType = optionalString(item, 'royalty_type', 16) ?? 'transfer';
    if (royaltyType !== 'transfer') throw invalidParameter('royalty_type must be transfer');
    const transInType = optionalString(item, 'trans_in_type', 16) ?? 'userId';
    if (!RECEIVER_TYPES.has(transInType))
      throw invalidParameter(`trans_in_type ${transInType} is not supported for royalty`);
    const account = requiredString(item, 'trans_in', 64);
    const amountFen = amountToFen(item.amount);
    if (amountFen === null) throw invalidParameter('royalty_parameters.amount must be a yuan amount');
    if (!(await findReceiver(tx, appId, account)))
      throw bizError('ACQ.ROYALTY_RECEIVER_INVALID', `收入方不在分账关系内: bind ${account} first`);
    items.push({ account, amountFen });
  }
  return items;
}

function newSettleNo(now: number): string {
  return `${beijingDay(now).replaceAll('-', '')}${Array.from({ length: 18 }, () => randomInt(10)).join('')}`;
}

/** Shares commission from royalty-frozen money; extend_params.royalty_finish releases the rest. */
export const orderSettle: ApiMethod = async ({ ctx, app, biz }) =>
  ctx.db.transaction(async (tx) => {
    const trade = await findVisibleTrade(tx, app, requireTradeNo(biz), true);
    const outRequestNo = outNo(biz, 'out_request_no')!;
    const items = await readRoyaltyItems(tx, app.appId, biz);
    const finish = optionalString(objectField(biz, 'extend_params') ?? {}, 'royalty_finish', 8) === 'true';
    const hash = createHash('sha256')
      .update(JSON.stringify([items, finish]))
      .digest('hex');
    const previous = await findRoyaltyRequest(tx, trade.tradeNo, outRequestNo);
    if (previous) {
      if (previous.requestHash !== hash)
        throw bizError(
          'ACQ.DISCORDANT_REPEAT_REQUEST',
          `out_request_no ${outRequestNo} was used with other royalty terms`,
        );
      return { trade_no: trade.tradeNo, settle_no: previous.settleNo };
    }
    if (items.length === 0 && !finish)
      throw invalidParameter('royalty_parameters is required unless royalty_finish is true');
    checkSettleable(ctx, trade);
    if (trade.royaltyFinished)
      throw bizError('ACQ.TRADE_SETTLE_ERROR', '交易结算异常: royalty of this trade is already finished');
    const sumFen = items.reduce((sum, i) => sum + i.amountFen, 0);
    if (sumFen > 0 && trade.royaltyFrozenFen === 0) {
      throw bizError('ACQ.ILLEGAL_SETTLE_STATE', '结算单状态不允许分账: confirm settlement with royalty_freeze first');
    }
    if (sumFen > trade.royaltyFrozenFen)
      throw bizError('ACQ.ALLOC_AMOUNT_VALIDATE_ERROR', '分账金额超过最大可分账金额');
    if ((trade.sharedFen + sumFen) * 100 > trade.totalFen * SHARE_CAP_PERCENT) {
      throw bizError(
        'ACQ.ALLOC_AMOUNT_VALIDATE_ERROR',
        `分账金额超过最大可分账金额 (at most ${SHARE_CAP_PERCENT}% of the trade)`,
      );
    }
    const now = ctx.clock.now();
    for (const item of items) {
      await addReceiverBalance(tx, app.appId, item.account, item.amountFen);
      await insertRoyalty(tx, {
        tradeNo: trade.tradeNo,
        outRequestNo,
        kind: 'share',
        account: item.account,
        amountFen: item.amountFen,
        createdAt: now,
      });
    }
    const afterShare: Trade = {
      ...trade,
      sharedFen: trade.sharedFen + sumFen,
      royaltyFrozenFen: trade.royaltyFrozenFen - sumFen,
    };
    const fields: Partial<Trade> = {
      sharedFen: afterShare.sharedFen,
      royaltyFrozenFen: afterShare.royaltyFrozenFen,
      ...(finish ? await finishRoyalty(tx, afterShare) : {}),
    };
    await updateTrade(tx, trade.tradeNo, 'TRADE_SUCCESS', fields);
    const settleNo = newSettleNo(now);
    await insertRoyaltyRequest(tx, {
      tradeNo: trade.tradeNo,
      outRequestNo,
      settleNo,
      requestHash: hash,
      createdAt: now,
    });
    return { trade_no: trade.tradeNo, settle_no: settleNo };
  });

export const royaltyRelationBind: ApiMethod = async ({ ctx, app, biz }) =>
  ctx.db.transaction(async (tx) => {
    outNo(biz, 'out_request_no');
    const receivers = arrayField(biz, 'receiver_list', RECEIVERS_MAX);
    if (!receivers || receivers.length === 0) throw bizError('ACQ.RECEIVER_LIST_EMPTY', '分账收款方列表为空');
    for (const receiver of receivers) {
      const type = requiredString(receiver, 'type', 16);
      if (!RECEIVER_TYPES.has(type)) throw bizError('ACQ.INVALID_RECEIVER_TYPE', `分账收款方类型参数非法: ${type}`);
      const account = requiredString(receiver, 'account', 64);
      await upsertReceiver(tx, {
        appId: app.appId,
        account,
        type,
        name: optionalString(receiver, 'name', 64),
        createdAt: ctx.clock.now(),
      });
    }
    return { result_code: 'SUCCESS' };
  });

/**
 * What the trade still holds at Alipay: unsettled plus royalty-frozen money (with royalty_source
 * "unsettled", only the unsettled part).
 */
export const onsettleQuery: ApiMethod = async ({ ctx, app, biz }) => {
  const trade = await findVisibleTrade(ctx.db, app, requireTradeNo(biz));
  const unsettledOnly = optionalString(biz, 'royalty_source', 16) === 'unsettled';
  const heldFen = trade.unsettledFen + (unsettledOnly ? 0 : trade.royaltyFrozenFen);
  return { unsettled_amount: fenToYuan(heldFen) };
};

/**
 * alipay.trade.order.settle.query: what became of one settle request, by its out_request_no (or settle_no) on a
 * trade — each royalty paid by it, with its state. A caller unsure whether its settle went through asks this first.
 */
export const orderSettleQuery: ApiMethod = async ({ ctx, app, biz }) => {
  const trade = await findVisibleTrade(ctx.db, app, requireTradeNo(biz));
  const outRequestNo = optionalString(biz, 'out_request_no', 64);
  const settleNo = optionalString(biz, 'settle_no', 64);
  if (!outRequestNo && !settleNo) throw invalidParameter('out_request_no or settle_no is required');
  const request = outRequestNo ? await findRoyaltyRequest(ctx.db, trade.tradeNo, outRequestNo) : undefined;
  const found =
    request ??
    (settleNo
      ? (await listRoyaltyRequestsOfTrade(ctx.db, trade.tradeNo)).find((r) => r.settleNo === settleNo)
      : undefined);
  if (!found || (settleNo && found.settleNo !== settleNo))
    throw bizError('ACQ.TRADE_SETTLE_NOT_EXIST', '分账请求不存在');
  const shares = (await listRoyaltiesOfTrade(ctx.db, trade.tradeNo)).filter(
    (r) => r.kind === 'share' && r.outRequestNo === found.outRequestNo,
  );
  return {
    out_request_no: found.outRequestNo,
    operation_dt: formatBeijing(found.createdAt),
    royalty_detail_list: shares.map((r) => ({
      operation_type: 'transfer',
      execute_dt: formatBeijing(r.createdAt),
      trans_in: r.account,
      trans_in_type: 'userId',
      amount: fenToYuan(r.amountFen),
      state: 'SUCCESS',
    })),
  };
};
