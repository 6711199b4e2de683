// SQL for apps, 直付通 sub-merchants and royalty receivers.
import { many, one, type Sql } from './db';
import { camelRow, type App, type SubMerchant } from './types';

export async function insertApp(sql: Sql, app: App): Promise<boolean> {
  const result = await sql.query(
    `insert into apps (app_id, seller_id, public_key_pem, fee_rate_bp, created_at) values ($1, $2, $3, $4, $5)
     on conflict do nothing`,
    [app.appId, app.sellerId, app.publicKeyPem, app.feeRateBp, app.createdAt],
  );
  return (result.affectedRows ?? 0) === 1;
}

export async function findApp(sql: Sql, appId: string): Promise<App | undefined> {
  const row = await one<Record<string, unknown>>(sql, 'select * from apps where app_id = $1', [appId]);
  return row ? camelRow<App>(row) : undefined;
}

export interface NewSubMerchant {
  appId: string;
  externalId: string;
  name: string;
  aliasName: string | null;
  merchantType: string | null;
  settleToCard: boolean;
  applyTime: number;
  approveAt: number;
  approved: boolean;
}

/** Inserts an application (or an approved sub-merchant); an existing external_id returns the existing one. */
export async function insertSubMerchant(sql: Sql, m: NewSubMerchant): Promise<SubMerchant> {
  const existing = await one<Record<string, unknown>>(
    sql,
    'select * from sub_merchants where app_id = $1 and external_id = $2',
    [m.appId, m.externalId],
  );
  if (existing) return camelRow<SubMerchant>(existing);
  const row = await one<Record<string, unknown>>(
    sql,
    `insert into sub_merchants (smid, app_id, order_id, external_id, name, alias_name, merchant_type, status,
       settle_to_card, apply_time, approve_at)
     values ('2088' || lpad((nextval('smid_seq') + 610000000000)::text, 12, '0'),
       $1, to_char(now(), 'YYYYMMDD') || lpad(nextval('order_seq')::text, 12, '0'),
       $2, $3, $4, $5, $6, $7, $8, $9)
     returning *`,
    [
      m.appId,
      m.externalId,
      m.name,
      m.aliasName,
      m.merchantType,
      m.approved ? '99' : '031',
      m.settleToCard,
      m.applyTime,
      m.approveAt,
    ],
  );
  return camelRow<SubMerchant>(row!);
}

export async function findSubMerchant(sql: Sql, smid: string): Promise<SubMerchant | undefined> {
  const row = await one<Record<string, unknown>>(sql, 'select * from sub_merchants where smid = $1', [smid]);
  return row ? camelRow<SubMerchant>(row) : undefined;
}

export async function findApplication(
  sql: Sql,
  appId: string,
  by: { orderId?: string; externalId?: string },
): Promise<SubMerchant | undefined> {
  const row = by.orderId
    ? await one<Record<string, unknown>>(sql, 'select * from sub_merchants where app_id = $1 and order_id = $2', [
        appId,
        by.orderId,
      ])
    : await one<Record<string, unknown>>(sql, 'select * from sub_merchants where app_id = $1 and external_id = $2', [
        appId,
        by.externalId,
      ]);
  return row ? camelRow<SubMerchant>(row) : undefined;
}

export async function listSmids(sql: Sql, appId: string): Promise<string[]> {
  const rows = await many<{ smid: string }>(
    sql,
    `select smid from sub_merchants where app_id = $1 and status = '99' order by smid`,
    [appId],
  );
  return rows.map((r) => r.smid);
}

/** Approves applications whose review time has come. Returns how many were approved. */
export async function approveDueApplications(sql: Sql, now: number): Promise<number> {
  const result = await sql.query(`update sub_merchants set status = '99' where status = '031' and approve_at <= $1`, [
    now,
  ]);
  return result.affectedRows ?? 0;
}

export async function addAvailable(sql: Sql, smid: string, deltaFen: number): Promise<void> {
  await sql.query('update sub_merchants set available_fen = available_fen + $2 where smid = $1', [smid, deltaFen]);
}

export async function addWithdrawn(sql: Sql, smid: string, deltaFen: number): Promise<void> {
  await sql.query('update sub_merchants set withdrawn_fen = withdrawn_fen + $2 where smid = $1', [smid, deltaFen]);
}

export interface Receiver {
  appId: string;
  account: string;
  type: string;
  name: string | null;
  balanceFen: number;
  createdAt: number;
}

export async function upsertReceiver(sql: Sql, r: Omit<Receiver, 'balanceFen'>): Promise<void> {
  await sql.query(
    `insert into receivers (app_id, account, type, name, created_at) values ($1, $2, $3, $4, $5)
     on conflict (app_id, account) do update set type = excluded.type, name = coalesce(excluded.name, receivers.name)`,
    [r.appId, r.account, r.type, r.name, r.createdAt],
  );
}

export async function findReceiver(sql: Sql, appId: string, account: string): Promise<Receiver | undefined> {
  const row = await one<Record<string, unknown>>(sql, 'select * from receivers where app_id = $1 and account = $2', [
    appId,
    account,
  ]);
  return row ? camelRow<Receiver>(row) : undefined;
}

export async function addReceiverBalance(sql: Sql, appId: string, account: string, deltaFen: number): Promise<void> {
  await sql.query('update receivers set balance_fen = balance_fen + $3 where app_id = $1 and account = $2', [
    appId,
    account,
    deltaFen,
  ]);
}

export async function listReceivers(sql: Sql, appId: string): Promise<Receiver[]> {
  const rows = await many<Record<string, unknown>>(
    sql,
    'select * from receivers where app_id = $1 order by created_at, account',
    [appId],
  );
  return rows.map((r) => camelRow<Receiver>(r));
}
