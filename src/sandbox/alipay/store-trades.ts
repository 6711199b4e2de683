// SQL for trades, refunds, settlements and royalties. A state change is one conditional UPDATE.
import { many, one, type Sql } from './db';
import { camelRow, type Refund, type Trade, type TradeStatus } from './types';

/** What a new trade is created with: the trade's own fields that exist before anything happens to it. */
export type NewTrade = Pick<
  Trade,
  | 'appId'
  | 'outTradeNo'
  | 'kind'
  | 'qrToken'
  | 'preOrderNo'
  | 'smid'
  | 'subject'
  | 'body'
  | 'totalFen'
  | 'visible'
  | 'notifyUrl'
  | 'returnUrl'
  | 'passbackParams'
  | 'settleInfo'
  | 'settlePeriodMs'
  | 'createdAt'
  | 'expireAt'
> & { tradeNoPrefix: string };

const toTrade = (row: Record<string, unknown>) => camelRow<Trade>(row);

/** Inserts the trade; undefined when this app already has the out_trade_no. */
export async function insertTrade(sql: Sql, t: NewTrade): Promise<Trade | undefined> {
  const row = await one<Record<string, unknown>>(
    sql,
    `insert into trades (trade_no, app_id, out_trade_no, kind, qr_token, pre_order_no, smid, subject, body, total_fen,
       status, visible, notify_url, return_url, passback_params, settle_info, settle_period_ms, created_at, scanned_at, expire_at)
     values ($1 || lpad(nextval('trade_seq')::text, 20, '0'), $2, $3, $4, $5, $6, $7, $8, $9, $10,
       'WAIT_BUYER_PAY', $11, $12, $13, $14, $15::jsonb, $16, $17, case when $11 then $17::bigint end, $18)
     on conflict (app_id, out_trade_no) do nothing
     returning *`,
    [
      t.tradeNoPrefix,
      t.appId,
      t.outTradeNo,
      t.kind,
      t.qrToken,
      t.preOrderNo,
      t.smid,
      t.subject,
      t.body,
      t.totalFen,
      t.visible,
      t.notifyUrl,
      t.returnUrl,
      t.passbackParams,
      JSON.stringify(t.settleInfo),
      t.settlePeriodMs,
      t.createdAt,
      t.expireAt,
    ],
  );
  return row ? toTrade(row) : undefined;
}

export async function findTradeByOutTradeNo(
  sql: Sql,
  appId: string,
  outTradeNo: string,
  lock = false,
): Promise<Trade | undefined> {
  const row = await one<Record<string, unknown>>(
    sql,
    `select * from trades where app_id = $1 and out_trade_no = $2${lock ? ' for update' : ''}`,
    [appId, outTradeNo],
  );
  return row ? toTrade(row) : undefined;
}

export async function findTradeByNo(sql: Sql, tradeNo: string, lock = false): Promise<Trade | undefined> {
  const row = await one<Record<string, unknown>>(
    sql,
    `select * from trades where trade_no = $1${lock ? ' for update' : ''}`,
    [tradeNo],
  );
  return row ? toTrade(row) : undefined;
}

export async function findTradeByQrToken(sql: Sql, token: string): Promise<Trade | undefined> {
  const row = await one<Record<string, unknown>>(sql, 'select * from trades where qr_token = $1', [token]);
  return row ? toTrade(row) : undefined;
}

export async function listTradesOfMerge(sql: Sql, preOrderNo: string): Promise<Trade[]> {
  const rows = await many<Record<string, unknown>>(
    sql,
    'select * from trades where pre_order_no = $1 order by trade_no',
    [preOrderNo],
  );
  return rows.map(toTrade);
}

export async function listVisibleTradesOfSmid(sql: Sql, smid: string): Promise<Trade[]> {
  const rows = await many<Record<string, unknown>>(
    sql,
    'select * from trades where smid = $1 and visible order by created_at, trade_no',
    [smid],
  );
  return rows.map(toTrade);
}

const COLUMN_OF: Record<string, string> = {};
function column(field: string): string {
  return (COLUMN_OF[field] ??= field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));
}

/**
 * Pays a trade that is still WAIT_BUYER_PAY and not past its deadline, in one conditional UPDATE;
 * undefined when it is not (the caller reads the trade again to say why).
 */
export async function markTradePaid(
  sql: Sql,
  tradeNo: string,
  now: number,
  fields: Pick<Trade, 'buyerId' | 'buyerLogonId' | 'feeFen'>,
): Promise<Trade | undefined> {
  const row = await one<Record<string, unknown>>(
    sql,
    `update trades set status = 'TRADE_SUCCESS', visible = true, scanned_at = coalesce(scanned_at, $2), paid_at = $2,
       buyer_id = $3, buyer_logon_id = $4, fee_fen = $5, unsettled_fen = total_fen
     where trade_no = $1 and status = 'WAIT_BUYER_PAY' and expire_at > $2
     returning *`,
    [tradeNo, now, fields.buyerId, fields.buyerLogonId, fields.feeFen],
  );
  return row ? toTrade(row) : undefined;
}

/** Writes the given fields when the trade is still in `fromStatus`; false when another change won the race. */
export async function updateTrade(
  sql: Sql,
  tradeNo: string,
  fromStatus: TradeStatus | TradeStatus[],
  fields: Partial<Trade>,
): Promise<boolean> {
  const entries = Object.entries(fields);
  const sets = entries.map(([field], i) => `${column(field)} = $${i + 3}`).join(', ');
  const statuses = Array.isArray(fromStatus) ? fromStatus : [fromStatus];
  const result = await sql.query(`update trades set ${sets} where trade_no = $1 and status = any($2::text[])`, [
    tradeNo,
    statuses,
    ...entries.map(([, value]) => value),
  ]);
  return (result.affectedRows ?? 0) === 1;
}

export async function listExpiredOpenTrades(sql: Sql, now: number, limit: number): Promise<Trade[]> {
  const rows = await many<Record<string, unknown>>(
    sql,
    `select * from trades where status = 'WAIT_BUYER_PAY' and expire_at <= $1 order by expire_at limit $2`,
    [now, limit],
  );
  return rows.map(toTrade);
}

export async function listDueAutoSettlements(sql: Sql, now: number, limit: number): Promise<Trade[]> {
  const rows = await many<Record<string, unknown>>(
    sql,
    `select * from trades where unsettled_fen > 0 and settle_period_ms is not null and paid_at + settle_period_ms <= $1
     order by paid_at limit $2`,
    [now, limit],
  );
  return rows.map(toTrade);
}

export async function insertRefund(sql: Sql, r: Refund): Promise<void> {
  await sql.query(
    `insert into refunds (trade_no, out_request_no, amount_fen, fee_returned_fen, royalty_returned_fen, from_unsettled_fen,
       from_royalty_frozen_fen, from_available_fen, refunded_after_fen, reason, created_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [
      r.tradeNo,
      r.outRequestNo,
      r.amountFen,
      r.feeReturnedFen,
      r.royaltyReturnedFen,
      r.fromUnsettledFen,
      r.fromRoyaltyFrozenFen,
      r.fromAvailableFen,
      r.refundedAfterFen,
      r.reason,
      r.createdAt,
    ],
  );
}

export async function findRefund(sql: Sql, tradeNo: string, outRequestNo: string): Promise<Refund | undefined> {
  const row = await one<Record<string, unknown>>(
    sql,
    'select * from refunds where trade_no = $1 and out_request_no = $2',
    [tradeNo, outRequestNo],
  );
  return row ? camelRow<Refund>(row) : undefined;
}

export async function listRefundsOfTrade(sql: Sql, tradeNo: string): Promise<Refund[]> {
  const rows = await many<Record<string, unknown>>(
    sql,
    'select * from refunds where trade_no = $1 order by created_at, out_request_no',
    [tradeNo],
  );
  return rows.map((r) => camelRow<Refund>(r));
}

export interface Settlement {
  tradeNo: string;
  outRequestNo: string;
  amountFen: number;
  destination: 'available' | 'royalty_frozen' | 'bank_card';
  transInType: string | null;
  transIn: string | null;
  createdAt: number;
}

export async function insertSettlement(sql: Sql, s: Settlement): Promise<void> {
  await sql.query(
    `insert into settlements (trade_no, out_request_no, amount_fen, destination, trans_in_type, trans_in, created_at)
     values ($1, $2, $3, $4, $5, $6, $7)`,
    [s.tradeNo, s.outRequestNo, s.amountFen, s.destination, s.transInType, s.transIn, s.createdAt],
  );
}

export async function findSettlement(sql: Sql, tradeNo: string, outRequestNo: string): Promise<Settlement | undefined> {
  const row = await one<Record<string, unknown>>(
    sql,
    'select * from settlements where trade_no = $1 and out_request_no = $2',
    [tradeNo, outRequestNo],
  );
  return row ? camelRow<Settlement>(row) : undefined;
}

export async function listSettlementsOfTrade(sql: Sql, tradeNo: string): Promise<Settlement[]> {
  const rows = await many<Record<string, unknown>>(
    sql,
    'select * from settlements where trade_no = $1 order by created_at',
    [tradeNo],
  );
  return rows.map((r) => camelRow<Settlement>(r));
}

export interface Royalty {
  tradeNo: string;
  outRequestNo: string;
  kind: 'share' | 'return';
  account: string;
  amountFen: number;
  createdAt: number;
}

export async function insertRoyalty(sql: Sql, r: Royalty): Promise<void> {
  await sql.query(
    'insert into royalties (trade_no, out_request_no, kind, account, amount_fen, created_at) values ($1, $2, $3, $4, $5, $6)',
    [r.tradeNo, r.outRequestNo, r.kind, r.account, r.amountFen, r.createdAt],
  );
}

export async function listRoyaltiesOfTrade(sql: Sql, tradeNo: string): Promise<Royalty[]> {
  const rows = await many<Record<string, unknown>>(
    sql,
    'select trade_no, out_request_no, kind, account, amount_fen, created_at from royalties where trade_no = $1 order by id',
    [tradeNo],
  );
  return rows.map((r) => camelRow<Royalty>(r));
}

/** What a receiver holds from one trade: its shares minus what refunds took back. */
export async function netRoyaltyOfReceiver(sql: Sql, tradeNo: string, account: string): Promise<number> {
  const row = await one<{ net: number | null }>(
    sql,
    `select sum(case when kind = 'share' then amount_fen else -amount_fen end)::bigint as net
     from royalties where trade_no = $1 and account = $2`,
    [tradeNo, account],
  );
  return Number(row?.net ?? 0);
}

export interface RoyaltyRequest {
  tradeNo: string;
  outRequestNo: string;
  settleNo: string;
  requestHash: string;
  createdAt: number;
}

export async function findRoyaltyRequest(
  sql: Sql,
  tradeNo: string,
  outRequestNo: string,
): Promise<RoyaltyRequest | undefined> {
  const row = await one<Record<string, unknown>>(
    sql,
    'select * from royalty_requests where trade_no = $1 and out_request_no = $2',
    [tradeNo, outRequestNo],
  );
  return row ? camelRow<RoyaltyRequest>(row) : undefined;
}

export async function listRoyaltyRequestsOfTrade(sql: Sql, tradeNo: string): Promise<RoyaltyRequest[]> {
  const rows = await many<Record<string, unknown>>(
    sql,
    'select * from royalty_requests where trade_no = $1 order by created_at',
    [tradeNo],
  );
  return rows.map((r) => camelRow<RoyaltyRequest>(r));
}

export async function insertRoyaltyRequest(sql: Sql, r: RoyaltyRequest): Promise<void> {
  await sql.query(
    'insert into royalty_requests (trade_no, out_request_no, settle_no, request_hash, created_at) values ($1, $2, $3, $4, $5)',
    [r.tradeNo, r.outRequestNo, r.settleNo, r.requestHash, r.createdAt],
  );
}
