// The sandbox's own books, in its own PGlite (never Hutong's database).
import { PGlite } from '@electric-sql/pglite';

export type Db = PGlite;
export type Tx = Pick<PGlite, 'query' | 'exec'>;

const INT8_OID = 20;

function int8ToNumber(text: string): number {
  const value = Number(text);
  // Invariant: every amount and timestamp the sandbox stores fits a safe integer.
  if (!Number.isSafeInteger(value)) throw new Error(`int8 out of safe range: ${text}`);
  return value;
}

export async function openDb(dataDir?: string): Promise<Db> {
  const db = new PGlite(dataDir, { parsers: { [INT8_OID]: int8ToNumber } });
  await db.waitReady;
  await tuneForSandbox(db, dataDir === undefined);
  await db.exec(SCHEMA);
  return db;
}

/**
 * PGlite spends most of a sandbox call flushing WAL through its emulated file system. The sandbox trades
 * power-loss durability for speed: with fsync off every commit still reaches the OS at commit time, so a crash of
 * the process loses nothing; in memory (nothing is durable anyway) commits need not wait for the WAL at all.
 */
async function tuneForSandbox(db: PGlite, inMemory: boolean): Promise<void> {
  await db.query(`alter system set fsync = off`);
  await db.query(`alter system set full_page_writes = off`);
  await db.query(`select pg_reload_conf()`);
  if (inMemory) await db.query(`set synchronous_commit = off`);
}

export async function one<T>(tx: Tx, sql: string, params: unknown[] = []): Promise<T | undefined> {
  const { rows } = await tx.query<T>(sql, params);
  return rows[0];
}

export async function all<T>(tx: Tx, sql: string, params: unknown[] = []): Promise<T[]> {
  return (await tx.query<T>(sql, params)).rows;
}

/** Runs `fn` in one transaction. PGlite has one backend, so transactions never interleave. */
export function inTx<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(fn);
}

// Money is bigint fen; times are bigint epoch milliseconds of the sandbox clock unless named *_real_ms.
const SCHEMA = `
create table if not exists wx_settings (key text primary key, value text not null);

create table if not exists wx_merchants (
  mchid text primary key, type text not null, serial_no text not null unique, public_key_pem text not null,
  apiv3_key text not null, appid text not null, fee_rate_bp integer not null, signing text not null,
  created_ms bigint not null);

create table if not exists wx_sub_merchants (
  sub_mchid text primary key, sp_mchid text not null, name text not null, origin text not null,
  available bigint not null default 0, withdrawn bigint not null default 0, created_ms bigint not null);

create table if not exists wx_payables (
  prepay_id text primary key, code_token text not null unique, sp_mchid text not null, kind text not null,
  combine_out_trade_no text, appid text not null, trade_type text not null, notify_url text not null,
  payer_openid text, scene_info jsonb, time_expire_ms bigint not null, created_ms bigint not null);
create unique index if not exists wx_payables_combine on wx_payables (sp_mchid, combine_out_trade_no)
  where combine_out_trade_no is not null;

create table if not exists wx_trades (
  transaction_id text primary key, prepay_id text not null, sp_mchid text not null, sub_mchid text not null,
  sp_appid text not null, sub_appid text, out_trade_no text not null, combine_out_trade_no text,
  trade_type text not null, description text not null, attach text, notify_url text not null,
  total bigint not null, state text not null, profit_sharing boolean not null, fee_rate_bp integer not null,
  fee bigint not null default 0, fee_returned bigint not null default 0, refunded bigint not null default 0,
  shared bigint not null default 0, returned bigint not null default 0, unfrozen bigint not null default 0,
  unsplit bigint not null default 0, sharing_finished boolean not null default false,
  share_requests integer not null default 0, payer_openid text, success_ms bigint, settle_ms bigint,
  unfreeze_ms bigint, time_expire_ms bigint not null, created_ms bigint not null, seq bigserial);
create unique index if not exists wx_trades_out on wx_trades (sub_mchid, out_trade_no);
create index if not exists wx_trades_prepay on wx_trades (prepay_id);
create index if not exists wx_trades_open on wx_trades (state, time_expire_ms);
create index if not exists wx_trades_frozen on wx_trades (unfreeze_ms) where profit_sharing and not sharing_finished;
create index if not exists wx_trades_sub on wx_trades (sub_mchid, seq);

create table if not exists wx_refunds (
  refund_id text primary key, api text not null, sp_mchid text not null, sub_mchid text not null,
  transaction_id text not null, out_trade_no text not null, out_refund_no text not null, amount bigint not null,
  total bigint not null, fee_share bigint not null, source text not null, status text not null, reason text,
  notify_url text not null, created_ms bigint not null, success_ms bigint);
create unique index if not exists wx_refunds_out on wx_refunds (sub_mchid, out_refund_no);

create table if not exists wx_share_orders (
  order_id text primary key, api text not null, kind text not null, sp_mchid text not null, sub_mchid text not null,
  transaction_id text not null, out_order_no text not null, amount bigint not null, unfrozen bigint not null,
  description text not null, created_ms bigint not null);
create unique index if not exists wx_share_orders_out on wx_share_orders (sub_mchid, out_order_no);

create table if not exists wx_share_receivers (
  order_id text not null, seq integer not null, type text not null, account text not null, amount bigint not null,
  description text not null, detail_id text not null, primary key (order_id, seq));

create table if not exists wx_returns (
  return_no text primary key, api text not null, sp_mchid text not null, sub_mchid text not null,
  order_id text not null, out_order_no text not null, out_return_no text not null, return_mchid text not null,
  amount bigint not null, description text not null, created_ms bigint not null);
create unique index if not exists wx_returns_out on wx_returns (sub_mchid, out_return_no);

create table if not exists wx_receivers (
  sp_mchid text not null, sub_mchid text not null, type text not null, account text not null, name text,
  relation_type text not null, created_ms bigint not null, primary key (sp_mchid, sub_mchid, type, account));

create table if not exists wx_applyments (
  applyment_id bigint primary key, api text not null, sp_mchid text not null, request_no text not null,
  merchant_name text not null, rejected boolean not null, sub_mchid text, created_ms bigint not null);
create unique index if not exists wx_applyments_no on wx_applyments (sp_mchid, api, request_no);

create table if not exists wx_media (
  media_id text primary key, mchid text not null, filename text not null, sha256 text not null, bytes integer not null,
  created_ms bigint not null);

create table if not exists wx_withdrawals (
  withdraw_id text primary key, sp_mchid text not null, sub_mchid text not null, out_request_no text not null,
  amount bigint not null, remark text, created_ms bigint not null);
create unique index if not exists wx_withdrawals_out on wx_withdrawals (sub_mchid, out_request_no);

create table if not exists wx_notifications (
  seq bigserial primary key, id text not null, sp_mchid text not null, url text not null, event_type text not null,
  body text not null, status text not null, attempts integer not null default 0, duplicate boolean not null,
  after_seq bigint, next_real_ms bigint not null, last_http_status integer, created_ms bigint not null);
create index if not exists wx_notifications_due on wx_notifications (next_real_ms) where status in ('pending', 'held');

create table if not exists wx_bill_files (
  token text primary key, mchid text not null, content bytea not null, gzip boolean not null,
  created_real_ms bigint not null);
`;
