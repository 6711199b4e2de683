// alipay.trade.merge.precreate: one buyer payment over several sub-merchants' trades (merged payment).
import { createHash, randomInt } from 'node:crypto';
import type { ApiMethod } from './call';
import { arrayField, expireAtOf, outNo, readTradeDraft, type TradeDraft } from './biz';
import { bizError, invalidParameter } from './errors';
import { beijingDay } from './clock';
import { one, type Sql } from './db';
import { createOrReuseTrade } from './trades';

const ORDER_DETAILS_MAX = 10;
/** Alipay's default for a merged order: payable for 15 days. */
const MERGE_TIMEOUT_MS = 15 * 86_400_000;

interface MergeRow {
  pre_order_no: string;
  request_hash: string;
}

function requestHash(drafts: TradeDraft[]): string {
  const terms = drafts.map((d) => [d.outTradeNo, d.totalFen, d.smid]);
  return createHash('sha256').update(JSON.stringify(terms)).digest('hex');
}

function newPreOrderNo(now: number): string {
  const digits = Array.from({ length: 18 }, () => randomInt(10)).join('');
  return `${beijingDay(now).replaceAll('-', '')}${digits}`;
}

async function findMergeByOutMergeNo(sql: Sql, appId: string, outMergeNo: string): Promise<MergeRow | undefined> {
  return one<MergeRow>(sql, 'select pre_order_no, request_hash from merges where app_id = $1 and out_merge_no = $2', [
    appId,
    outMergeNo,
  ]);
}

/** Sub-orders stay invisible (ACQ.TRADE_NOT_EXIST) until the buyer opens the wap.merge.pay page. */
export const mergePrecreate: ApiMethod = async ({ ctx, app, params, biz }) =>
  ctx.db.transaction(async (tx) => {
    const details = arrayField(biz, 'order_details', ORDER_DETAILS_MAX);
    if (!details || details.length === 0) throw invalidParameter('order_details must hold 1 … 10 sub-orders');
    const outMergeNo = outNo(biz, 'out_merge_no', false);
    const now = ctx.clock.now();
    const expireAt = expireAtOf(biz, now, MERGE_TIMEOUT_MS);
    const drafts: TradeDraft[] = [];
    for (const detail of details) {
      if (detail.app_id !== undefined && detail.app_id !== app.appId)
        throw invalidParameter('order_details.app_id must be the calling app');
      const draft = await readTradeDraft(
        ctx,
        tx,
        app.appId,
        { ...detail, time_expire: undefined, timeout_express: undefined },
        MERGE_TIMEOUT_MS,
      );
      if (drafts.some((d) => d.outTradeNo === draft.outTradeNo))
        throw invalidParameter(`out_trade_no ${draft.outTradeNo} appears twice`);
      drafts.push({ ...draft, expireAt });
    }
    const hash = requestHash(drafts);
    const results = drafts.map((d) => ({
      app_id: app.appId,
      out_trade_no: d.outTradeNo,
      success: true,
      result_code: 'SUCCESS',
    }));
    const previous = outMergeNo ? await findMergeByOutMergeNo(tx, app.appId, outMergeNo) : undefined;
    if (previous) {
      if (previous.request_hash !== hash)
        throw bizError('ACQ.DISCORDANT_REPEAT_REQUEST', `out_merge_no ${outMergeNo} was used with other sub-orders`);
      return { pre_order_no: previous.pre_order_no, out_merge_no: outMergeNo, order_detail_results: results };
    }
    const preOrderNo = newPreOrderNo(now);
    await tx.query(
      `insert into merges (pre_order_no, app_id, out_merge_no, notify_url, request_hash, expire_at, created_at)
       values ($1, $2, $3, $4, $5, $6, $7)`,
      [preOrderNo, app.appId, outMergeNo, params.notify_url || null, hash, expireAt, now],
    );
    for (const draft of drafts) {
      await createOrReuseTrade(ctx, tx, app.appId, draft, {
        kind: 'merge',
        visible: false,
        qrToken: null,
        preOrderNo,
        notifyUrl: params.notify_url || null,
        returnUrl: null,
      });
    }
    return {
      pre_order_no: preOrderNo,
      ...(outMergeNo ? { out_merge_no: outMergeNo } : {}),
      order_detail_results: results,
    };
  });
