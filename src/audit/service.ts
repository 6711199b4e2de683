// The audit log every module writes to: key creation and revocation, merchants and their profiles, commission
// rates, provider-account links, refunds and their approvals, rejected notifications, rollout changes. A change
// records its row with the same transaction handle (`q`) it commits with, so the row exists exactly when the
// change does. Values that are secret (keys, ID numbers, bank accounts, phones) never reach it: callers pass field
// names or masked values.
import type { Queryable } from '../shared/db';
import type { Clock } from '../shared/clock';
import type { Actor } from '../auth/actor';
import { auditStore as store, type AuditFilter, type AuditRow } from './store';

/** Who did it: an API key's principal, the system itself (worker, seed), or a named outside party (a provider). */
export type AuditActor = Actor | 'system' | `provider:${string}`;

export function auditActorName(actor: AuditActor): string {
  if (typeof actor === 'string') return actor;
  if (actor.role === 'merchant') return `merchant:${actor.merchantId}:${actor.keyId}`;
  if (actor.role === 'buyer') return `buyer:${actor.buyerId}:${actor.keyId}`;
  return `${actor.role}:${actor.keyId}`;
}

export interface AuditEntry {
  action: string;
  subject: string;
  before?: unknown;
  after?: unknown;
}

export const AUDIT_PAGE_MAX = 500;

export class AuditService {
  constructor(
    private readonly db: Queryable,
    private readonly clock: Clock,
  ) {}

  /** Writes one row with `q`: pass the change's own transaction so both commit or neither does. */
  async record(q: Queryable, actor: AuditActor, entry: AuditEntry): Promise<void> {
    await store.insert(q, {
      actor: auditActorName(actor),
      action: entry.action,
      subject: entry.subject,
      before: entry.before ?? null,
      after: entry.after ?? null,
      at: this.clock.now(),
    });
  }

  /** For changes that have no transaction of their own to join (a provider's refusal, a notification rejected). */
  async recordAlone(actor: AuditActor, entry: AuditEntry): Promise<void> {
    await this.record(this.db, actor, entry);
  }

  async list(filter: AuditFilter): Promise<AuditRow[]> {
    return store.list(this.db, { ...filter, limit: Math.min(filter.limit, AUDIT_PAGE_MAX + 1) });
  }
}
