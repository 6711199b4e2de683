// SQL for the payment-method catalogue, waves, activations and buyer exposure (the audit log is src/audit's).
import type { Queryable } from '../shared/db';
import { unclaimed } from '../ops/claims';
import { transition } from '../shared/machine';
import { ACTIVATION_MACHINE, WAVE_MACHINE, type ActivationStatus, type WaveStatus } from './states';

export interface MethodRow {
  method: string;
  enabled: boolean;
  paused: boolean;
  display_order: number;
  exposure_percent: number;
  min_client_app: string | null;
  min_client_version: string | null;
  updated_at: Date;
}

export interface WaveRow {
  id: string;
  method: string;
  name: string;
  status: WaveStatus;
  selection: Record<string, unknown>;
  launch_at: Date | null;
  effective_at: Date;
  notice_days: number;
  created_at: Date;
  updated_at: Date;
}

export interface ActivationRow {
  merchant_id: string;
  method: string;
  status: ActivationStatus;
  wave_id: string;
  agreement_version: string | null;
  accepted_by: string | null;
  accepted_at: Date | null;
  reject_reasons: string[] | null;
  onboarding_sealed: string | null;
  invited_at: Date;
  live_at: Date | null;
  updated_at: Date;
}

export const rolloutStore = {
  async methods(q: Queryable): Promise<MethodRow[]> {
    return (await q.query<MethodRow>('SELECT * FROM payment_methods ORDER BY display_order, method')).rows;
  },
  async method(q: Queryable, method: string, forUpdate = false): Promise<MethodRow | undefined> {
    return (
      await q.query<MethodRow>(`SELECT * FROM payment_methods WHERE method = $1${forUpdate ? ' FOR UPDATE' : ''}`, [
        method,
      ])
    ).rows[0];
  },
  async updateMethod(
    q: Queryable,
    method: string,
    set: Partial<Omit<MethodRow, 'method'>>,
  ): Promise<MethodRow | undefined> {
    const cols = Object.keys(set);
    const { rows } = await q.query<MethodRow>(
      `UPDATE payment_methods SET ${cols.map((c, i) => `${c} = $${i + 2}`).join(', ')} WHERE method = $1 RETURNING *`,
      [method, ...cols.map((c) => (set as Record<string, unknown>)[c])],
    );
    return rows[0];
  },
  async insertWave(
    q: Queryable,
    w: WaveRow,
    merchants: Array<{ merchantId: string; pickedBy: string }>,
  ): Promise<void> {
    await q.query(
      `INSERT INTO rollout_waves (id, method, name, status, selection, launch_at, effective_at, notice_days, created_at, updated_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
      [
        w.id,
        w.method,
        w.name,
        w.status,
        JSON.stringify(w.selection),
        w.launch_at,
        w.effective_at,
        w.notice_days,
        w.created_at,
        w.updated_at,
      ],
    );
    if (merchants.length) {
      await q.query(
        'INSERT INTO rollout_wave_merchants (wave_id, merchant_id, picked_by) SELECT $1, * FROM unnest($2::text[], $3::text[])',
        [w.id, merchants.map((m) => m.merchantId), merchants.map((m) => m.pickedBy)],
      );
    }
  },
  async wave(q: Queryable, id: string): Promise<WaveRow | undefined> {
    return (await q.query<WaveRow>('SELECT * FROM rollout_waves WHERE id = $1', [id])).rows[0];
  },
  async waves(q: Queryable): Promise<WaveRow[]> {
    return (await q.query<WaveRow>('SELECT * FROM rollout_waves ORDER BY created_at, id')).rows;
  },
  async hasWaves(q: Queryable, method: string): Promise<boolean> {
    return (await q.query('SELECT 1 FROM rollout_waves WHERE method = $1 LIMIT 1', [method])).rows.length > 0;
  },
  async waveMerchants(q: Queryable, waveId: string): Promise<string[]> {
    return (
      await q.query<{ merchant_id: string }>(
        'SELECT merchant_id FROM rollout_wave_merchants WHERE wave_id = $1 ORDER BY merchant_id',
        [waveId],
      )
    ).rows.map((r) => r.merchant_id);
  },
  async transitionWave(
    q: Queryable,
    id: string,
    from: WaveStatus[],
    to: WaveStatus,
    set: Partial<Omit<WaveRow, 'status'>>,
  ): Promise<WaveRow | undefined> {
    return transition<WaveStatus, WaveRow>(q, WAVE_MACHINE, id, from, to, set);
  },
  /** Idempotent: an existing activation is left as it is. Returns the merchants newly invited. */
  async invite(q: Queryable, waveId: string, method: string, merchantIds: string[], now: Date): Promise<string[]> {
    const { rows } = await q.query<{ merchant_id: string }>(
      `INSERT INTO activations (merchant_id, method, status, wave_id, invited_at, updated_at)
       SELECT m, $2, 'invited', $1, $4, $4 FROM unnest($3::text[]) AS m
       ON CONFLICT (merchant_id, method) DO NOTHING RETURNING merchant_id`,
      [waveId, method, merchantIds, now],
    );
    return rows.map((r) => r.merchant_id);
  },
  async activation(
    q: Queryable,
    merchantId: string,
    method: string,
    forUpdate = false,
  ): Promise<ActivationRow | undefined> {
    return (
      await q.query<ActivationRow>(
        `SELECT * FROM activations WHERE merchant_id = $1 AND method = $2${forUpdate ? ' FOR UPDATE' : ''}`,
        [merchantId, method],
      )
    ).rows[0];
  },
  async activationsOfMerchant(q: Queryable, merchantId: string): Promise<ActivationRow[]> {
    return (await q.query<ActivationRow>('SELECT * FROM activations WHERE merchant_id = $1', [merchantId])).rows;
  },
  async activationsOfWave(q: Queryable, waveId: string): Promise<ActivationRow[]> {
    return (await q.query<ActivationRow>('SELECT * FROM activations WHERE wave_id = $1 ORDER BY merchant_id', [waveId]))
      .rows;
  },
  async transitionActivation(
    q: Queryable,
    merchantId: string,
    method: string,
    from: ActivationStatus[],
    to: ActivationStatus,
    now: Date,
    set: Partial<ActivationRow> = {},
  ): Promise<ActivationRow | undefined> {
    return transition<ActivationStatus, ActivationRow>(q, ACTIVATION_MACHINE, [merchantId, method], from, to, {
      updated_at: now,
      ...set,
    });
  },
  async liveMerchants(q: Queryable, method: string, merchantIds: string[], now: Date): Promise<Set<string>> {
    const { rows } = await q.query<{ merchant_id: string }>(
      `SELECT a.merchant_id FROM activations a JOIN rollout_waves w ON w.id = a.wave_id
       WHERE a.method = $1 AND a.merchant_id = ANY($2::text[]) AND a.status = 'live' AND w.status <> 'paused' AND w.effective_at <= $3`,
      [method, merchantIds, now],
    );
    return new Set(rows.map((r) => r.merchant_id));
  },
  async approvedDue(q: Queryable, now: Date, limit: number): Promise<ActivationRow[]> {
    return (
      await q.query<ActivationRow>(
        `SELECT a.* FROM activations a JOIN rollout_waves w ON w.id = a.wave_id
       WHERE a.status = 'approved' AND w.status <> 'paused' AND w.effective_at <= $1
         AND ${unclaimed('activation', "a.merchant_id || ':' || a.method", '$1')} ORDER BY a.updated_at LIMIT $2`,
        [now, limit],
      )
    ).rows;
  },
  async exposure(q: Queryable, buyerId: string, method: string): Promise<boolean | undefined> {
    return (
      await q.query<{ exposed: boolean }>('SELECT exposed FROM buyer_exposures WHERE buyer_id = $1 AND method = $2', [
        buyerId,
        method,
      ])
    ).rows[0]?.exposed;
  },
  /** Sticky: the first assignment wins, even under concurrency. */
  async assignExposure(
    q: Queryable,
    buyerId: string,
    method: string,
    exposed: boolean,
    source: 'cohort' | 'allow_list',
    now: Date,
  ): Promise<boolean> {
    await q.query(
      `INSERT INTO buyer_exposures (buyer_id, method, exposed, source, assigned_at) VALUES ($1,$2,$3,$4,$5)
       ON CONFLICT (buyer_id, method) DO ${source === 'allow_list' ? 'UPDATE SET exposed = EXCLUDED.exposed, source = EXCLUDED.source' : 'NOTHING'}`,
      [buyerId, method, exposed, source, now],
    );
    return (await rolloutStore.exposure(q, buyerId, method))!;
  },
};
