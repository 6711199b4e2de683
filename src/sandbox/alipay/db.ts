// The sandbox's own books: a PGlite database (in memory, or persisted to a directory so books survive a restart).
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite, type Transaction } from '@electric-sql/pglite';

export type Db = PGlite;
export type Tx = Pick<Transaction, 'query'>;
export type Sql = Pick<PGlite, 'query'> | Tx;

const SCHEMA = `
create table if not exists meta (key text primary key, value text not null);
create sequence if not exists trade_seq;
create sequence if not exists smid_seq;
create sequence if not exists order_seq;
create table if not exists apps (
  app_id text primary key,
  seller_id text not null unique,
  public_key_pem text not null,
  fee_rate_bp integer not null,
  created_at bigint not null
);
create table if not exists sub_merchants (
  smid text primary key,
  app_id text not null references apps(app_id),
  order_id text not null unique,
  external_id text not null,
  name text not null,
  alias_name text,
  merchant_type text,
  status text not null,
  settle_to_card boolean not null default false,
  available_fen bigint not null default 0,
  withdrawn_fen bigint not null default 0,
  apply_time bigint not null,
  approve_at bigint not null,
  unique (app_id, external_id)
);
create table if not exists merges (
  pre_order_no text primary key,
  app_id text not null,
  out_merge_no text,
  notify_url text,
  request_hash text not null,
  expire_at bigint not null,
  created_at bigint not null
);
create unique index if not exists merges_out_merge_no on merges (app_id, out_merge_no);
create table if not exists trades (
  trade_no text primary key,
  app_id text not null,
  out_trade_no text not null,
  kind text not null,
  qr_token text unique,
  pre_order_no text,
  smid text not null,
  subject text not null,
  body text,
  total_fen bigint not null,
  status text not null,
  visible boolean not null default false,
  notify_url text,
  return_url text,
  passback_params text,
  settle_info jsonb not null,
  settle_period_ms bigint,
  buyer_id text,
  buyer_logon_id text,
  created_at bigint not null,
  scanned_at bigint,
  paid_at bigint,
  closed_at bigint,
  expire_at bigint not null,
  fee_fen bigint not null default 0,
  fee_returned_fen bigint not null default 0,
  refunded_fen bigint not null default 0,
  unsettled_fen bigint not null default 0,
  royalty_frozen_fen bigint not null default 0,
  settled_fen bigint not null default 0,
  shared_fen bigint not null default 0,
  released_fen bigint not null default 0,
  royalty_finished boolean not null default false,
  unique (app_id, out_trade_no)
);
create index if not exists trades_open on trades (status, expire_at);
create index if not exists trades_smid on trades (smid);
create index if not exists trades_paid on trades (app_id, paid_at);
create index if not exists trades_pre_order on trades (pre_order_no);
create index if not exists trades_auto_settle on trades ((paid_at + settle_period_ms)) where unsettled_fen > 0;
create table if not exists refunds (
  trade_no text not null,
  out_request_no text not null,
  amount_fen bigint not null,
  fee_returned_fen bigint not null,
  royalty_returned_fen bigint not null,
  from_unsettled_fen bigint not null,
  from_royalty_frozen_fen bigint not null,
  from_available_fen bigint not null,
  refunded_after_fen bigint not null,
  reason text,
  created_at bigint not null,
  primary key (trade_no, out_request_no)
);
create index if not exists refunds_created on refunds (created_at);
create table if not exists settlements (
  trade_no text not null,
  out_request_no text not null,
  amount_fen bigint not null,
  destination text not null,
  trans_in_type text,
  trans_in text,
  created_at bigint not null,
  primary key (trade_no, out_request_no)
);
create table if not exists royalty_requests (
  trade_no text not null,
  out_request_no text not null,
  settle_no text not null,
  request_hash text not null,
  created_at bigint not null,
  primary key (trade_no, out_request_no)
);
create table if not exists royalties (
  id serial primary key,
  trade_no text not null,
  out_request_no text not null,
  kind text not null,
  account text not null,
  amount_fen bigint not null,
  created_at bigint not null
);
create index if not exists royalties_trade on royalties (trade_no);
create table if not exists receivers (
  app_id text not null,
  account text not null,
  type text not null,
  name text,
  balance_fen bigint not null default 0,
  created_at bigint not null,
  primary key (app_id, account)
);
create table if not exists notifications (
  id serial primary key,
  notify_id text not null,
  trade_no text not null,
  url text not null,
  body text not null,
  status text not null,
  attempts integer not null default 0,
  next_at bigint not null,
  held boolean not null default false,
  after_id integer,
  created_at bigint not null,
  last_result text
);
create index if not exists notifications_due on notifications (status, next_at);
create index if not exists notifications_held on notifications (id) where held;
create index if not exists notifications_trade on notifications (trade_no);
create table if not exists images (
  image_id text primary key,
  app_id text not null,
  image_type text not null,
  sha256 text not null,
  bytes integer not null,
  created_at bigint not null
);
create table if not exists bill_links (
  token text primary key,
  app_id text not null,
  bill_type text not null,
  bill_date text not null,
  smid text,
  created_at bigint not null
);
`;

/** Identifies the template: the schema and the installed PGlite build (a dump only loads into its own build). */
function templateVersion(): string {
  const hash = createHash('sha256').update(SCHEMA);
  try {
    const entry = statSync(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
    hash.update(`${entry.size}:${entry.mtimeMs}`);
  } catch {
    hash.update(String(Math.random())); // unknown build: never share a template
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * In-memory sandboxes (tests, benchmarks) start from a dump of the initialised schema, cached in the OS temp
 * directory across processes: initdb takes seconds, loading the dump a fraction of that. The template holds
 * no data — each sandbox still makes its own keys.
 */
async function openInMemory(): Promise<Db> {
  const templatePath = join(tmpdir(), `hutong-alipay-sandbox-${templateVersion()}.tar.gz`);
  try {
    const db = await PGlite.create({ loadDataDir: new Blob([readFileSync(templatePath)]) });
    await db.exec(SCHEMA);
    return db;
  } catch {
    // no usable template yet: build one below
  }
  const db = await PGlite.create();
  await db.exec(SCHEMA);
  try {
    const dump = Buffer.from(await (await db.dumpDataDir('gzip')).arrayBuffer());
    const partial = `${templatePath}.${process.pid}`;
    writeFileSync(partial, dump);
    renameSync(partial, templatePath); // atomic: readers never see half a template
  } catch {
    // the cache is an optimisation only
  }
  return db;
}

export async function openDb(dataDir?: string): Promise<Db> {
  if (!dataDir) return openInMemory();
  // PGlite creates only the last directory of the path; hosts pass nested paths (HUTONG_DATA_DIR/sandbox/alipay).
  mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir);
  await db.exec(SCHEMA);
  return db;
}

export async function one<T>(sql: Sql, text: string, params: unknown[] = []): Promise<T | undefined> {
  const result = await sql.query<T>(text, params);
  return result.rows[0];
}

export async function many<T>(sql: Sql, text: string, params: unknown[] = []): Promise<T[]> {
  const result = await sql.query<T>(text, params);
  return result.rows;
}

export async function getMeta(sql: Sql, key: string): Promise<string | undefined> {
  return (await one<{ value: string }>(sql, 'select value from meta where key = $1', [key]))?.value;
}

export async function setMeta(sql: Sql, key: string, value: string): Promise<void> {
  await sql.query(
    'insert into meta (key, value) values ($1, $2) on conflict (key) do update set value = excluded.value',
    [key, value],
  );
}
