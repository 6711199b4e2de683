// SQL for merchants' accounts at the providers (Alipay smid, WeChat Pay sub_mchid) and their onboarding.
import type { Queryable } from '../shared/db';
import { unclaimed } from '../ops/claims';
import type { ProviderName } from '../providers/types';
import { transition, withoutStatus } from '../shared/machine';
import { PROVIDER_ACCOUNT_MACHINE, type ProviderAccountStatus } from './states';

export interface ProviderAccountRow {
  merchant_id: string;
  provider: ProviderName;
  status: ProviderAccountStatus;
  sub_merchant_id: string | null;
  out_request_no: string | null;
  application_id: string | null;
  reject_reasons: string[] | null;
  linked: boolean;
  /** Application fields taken from a sandbox's published test identities (null: none). */
  test_identity_fields: string[] | null;
  next_check_at: Date | null;
  /** Status queries since the last change: the poll backs off with it. */
  check_count: number;
  created_at: Date;
  updated_at: Date;
}

export const providerAccountStore = {
  async get(q: Queryable, merchantId: string, provider: ProviderName): Promise<ProviderAccountRow | undefined> {
    return (
      await q.query<ProviderAccountRow>('SELECT * FROM provider_accounts WHERE merchant_id = $1 AND provider = $2', [
        merchantId,
        provider,
      ])
    ).rows[0];
  },
  async ofMerchant(q: Queryable, merchantId: string): Promise<ProviderAccountRow[]> {
    return (
      await q.query<ProviderAccountRow>('SELECT * FROM provider_accounts WHERE merchant_id = $1 ORDER BY provider', [
        merchantId,
      ])
    ).rows;
  },
  async bySubMerchant(
    q: Queryable,
    provider: ProviderName,
    subMerchantId: string,
  ): Promise<ProviderAccountRow | undefined> {
    return (
      await q.query<ProviderAccountRow>(
        'SELECT * FROM provider_accounts WHERE provider = $1 AND sub_merchant_id = $2',
        [provider, subMerchantId],
      )
    ).rows[0];
  },
  async activeProviders(q: Queryable, merchantIds: string[]): Promise<Map<string, Set<ProviderName>>> {
    const { rows } = await q.query<{ merchant_id: string; provider: ProviderName }>(
      `SELECT merchant_id, provider FROM provider_accounts WHERE merchant_id = ANY($1::text[]) AND status = 'active'`,
      [merchantIds],
    );
    const map = new Map<string, Set<ProviderName>>();
    for (const r of rows) map.set(r.merchant_id, (map.get(r.merchant_id) ?? new Set()).add(r.provider));
    return map;
  },
  /** The active sub-merchant id of each merchant at one provider. */
  async subMerchantIds(q: Queryable, merchantIds: string[], provider: ProviderName): Promise<Map<string, string>> {
    const { rows } = await q.query<{ merchant_id: string; sub_merchant_id: string }>(
      `SELECT merchant_id, sub_merchant_id FROM provider_accounts WHERE merchant_id = ANY($1::text[]) AND provider = $2 AND status = 'active'`,
      [merchantIds, provider],
    );
    return new Map(rows.map((r) => [r.merchant_id, r.sub_merchant_id]));
  },
  /** Links an account that already exists at the provider: active at once. */
  async link(
    q: Queryable,
    merchantId: string,
    provider: ProviderName,
    subMerchantId: string,
    now: Date,
  ): Promise<ProviderAccountRow> {
    const { rows } = await q.query<ProviderAccountRow>(
      `INSERT INTO provider_accounts (merchant_id, provider, status, sub_merchant_id, linked, created_at, updated_at)
       VALUES ($1,$2,'active',$3,true,$4,$4) ON CONFLICT (merchant_id, provider) DO NOTHING RETURNING *`,
      [merchantId, provider, subMerchantId, now],
    );
    if (rows[0]) return rows[0];
    const set = { sub_merchant_id: subMerchantId, linked: true, next_check_at: null, updated_at: now };
    const moved = await providerAccountStore.transition(
      q,
      merchantId,
      provider,
      ['applying', 'rejected'],
      'active',
      set,
    );
    if (moved) return moved;
    await providerAccountStore.update(q, merchantId, provider, set); // already active: the linked account replaces it
    return (await providerAccountStore.get(q, merchantId, provider))!;
  },
  /** Starts an application unless one exists; returns the row either way. */
  async startApplication(
    q: Queryable,
    merchantId: string,
    provider: ProviderName,
    outRequestNo: string,
    now: Date,
  ): Promise<ProviderAccountRow> {
    await q.query(
      `INSERT INTO provider_accounts (merchant_id, provider, status, out_request_no, next_check_at, created_at, updated_at)
       VALUES ($1,$2,'applying',$3,$4,$4,$4) ON CONFLICT (merchant_id, provider) DO NOTHING`,
      [merchantId, provider, outRequestNo, now],
    );
    return (await providerAccountStore.get(q, merchantId, provider))!;
  },
  async transition(
    q: Queryable,
    merchantId: string,
    provider: ProviderName,
    from: ProviderAccountStatus[],
    to: ProviderAccountStatus,
    set: Partial<Omit<ProviderAccountRow, 'merchant_id' | 'provider' | 'status'>>,
  ): Promise<ProviderAccountRow | undefined> {
    return transition<ProviderAccountStatus, ProviderAccountRow>(
      q,
      PROVIDER_ACCOUNT_MACHINE,
      [merchantId, provider],
      from,
      to,
      set,
    );
  },
  async update(
    q: Queryable,
    merchantId: string,
    provider: ProviderName,
    set: Partial<Omit<ProviderAccountRow, 'merchant_id' | 'provider' | 'status'>>,
  ): Promise<void> {
    const cols = Object.keys(withoutStatus(set));
    await q.query(
      `UPDATE provider_accounts SET ${cols.map((c, i) => `${c} = $${i + 3}`).join(', ')} WHERE merchant_id = $1 AND provider = $2`,
      [merchantId, provider, ...cols.map((c) => (set as Record<string, unknown>)[c])],
    );
  },
  async dueApplications(q: Queryable, now: Date, limit: number): Promise<ProviderAccountRow[]> {
    return (
      await q.query<ProviderAccountRow>(
        `SELECT * FROM provider_accounts p WHERE status = 'applying' AND next_check_at <= $1
         AND ${unclaimed('onboarding', "p.merchant_id || ':' || p.provider", '$1')} ORDER BY next_check_at LIMIT $2`,
        [now, limit],
      )
    ).rows;
  },
};
