// SQL for the audit log: one append-only table of privileged changes (who, what, when, before/after).
import type { Queryable } from '../shared/db';

export interface AuditRow {
  id: number;
  actor: string;
  action: string;
  subject: string;
  before: unknown;
  after: unknown;
  at: Date;
}

export interface AuditFilter {
  subject?: string;
  /** Exact action (`refund.created`) or a family (`refund.`: every action starting with it). */
  action?: string;
  actor?: string;
  afterId: number;
  limit: number;
}

const json = (value: unknown) => (value === undefined || value === null ? null : JSON.stringify(value));

export const auditStore = {
  async insert(q: Queryable, row: Omit<AuditRow, 'id'>): Promise<void> {
    await q.query('INSERT INTO audit_log (actor, action, subject, before, after, at) VALUES ($1,$2,$3,$4,$5,$6)', [
      row.actor,
      row.action,
      row.subject,
      json(row.before),
      json(row.after),
      row.at,
    ]);
  },
  async list(q: Queryable, f: AuditFilter): Promise<AuditRow[]> {
    const family = f.action?.endsWith('.') ? `${f.action.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
    return (
      await q.query<AuditRow>(
        `SELECT id::int AS id, actor, action, subject, before, after, at FROM audit_log
       WHERE ($1::text IS NULL OR subject = $1)
         AND ($2::text IS NULL OR action = $2) AND ($3::text IS NULL OR action LIKE $3)
         AND ($4::text IS NULL OR actor = $4) AND id > $5
       ORDER BY id LIMIT $6`,
        [f.subject ?? null, family ? null : (f.action ?? null), family, f.actor ?? null, f.afterId, f.limit],
      )
    ).rows;
  },
};
