// API keys: random, shown once, stored as SHA-256 hashes (high-entropy secrets need no slow hash). A key can be
// listed (by its prefix), expire, be revoked and be rotated with an overlap. Authentication caches a key's actor for
// a few seconds only, so a key revoked by any process stops everywhere within that time.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Db, Queryable } from '../shared/db';
import type { Clock } from '../shared/clock';
import { newId, randomToken } from '../shared/ids';
import { HutongError } from '../shared/errors';
import { writeOnce } from '../shared/door';
import { afterClause, afterParams, type Page } from '../shared/pagination';
import type { Actor, Role } from './actor';
import type { AuditActor, AuditService } from '../audit/service';

const KEY_CACHE_MAX = 10_000;
/** Default time a cached key is trusted without asking the database (a revocation elsewhere waits at most this). */
export const KEY_CACHE_TTL_MS_DEFAULT = 5_000;
/** last_used_at is written at most this often per key (a write per request would cost more than it tells). */
const LAST_USED_RESOLUTION_MS = 60_000;
/** Random characters of a key shown in lists after its type prefix: enough to tell keys apart, useless to guess with. */
const SHOWN_RANDOM_CHARS = 6;
/** The longest a rotated key keeps working next to its replacement. */
export const ROTATION_OVERLAP_MS_MAX = 7 * 24 * 3600_000;

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export type KeyOwner =
  | { role: 'ops' }
  | { role: 'merchant'; merchantId: string }
  | { role: 'buyer'; buyerId: string }
  | { role: 'publishable' };

export interface KeyRow {
  id: string;
  role: Role;
  merchant_id: string | null;
  buyer_id: string | null;
  label: string | null;
  prefix: string | null;
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date | null;
  revoked_at: Date | null;
  revoked_by: string | null;
  replaced_by: string | null;
}

export type KeyStatus = 'active' | 'expired' | 'revoked';

export function keyStatus(row: KeyRow, now: Date): KeyStatus {
  if (row.revoked_at) return 'revoked';
  if (row.expires_at && row.expires_at.getTime() <= now.getTime()) return 'expired';
  return 'active';
}

/** The text a key starts with: `hk_merchant_` or `pk_`. */
function typePrefix(owner: KeyOwner): string {
  return owner.role === 'publishable' ? 'pk_' : `hk_${owner.role}_`;
}

export interface KeyOptions {
  label?: string;
  expiresAt?: Date | null;
  /** Who creates it, for the audit log (default: the system itself). */
  actor?: AuditActor;
}

/** What the audit log keeps of a key: never the key or its hash. */
function auditedKey(row: KeyRow) {
  return {
    role: row.role,
    merchant_id: row.merchant_id,
    label: row.label,
    prefix: row.prefix,
    expires_at: row.expires_at?.toISOString() ?? null,
    revoked_at: row.revoked_at?.toISOString() ?? null,
    replaced_by: row.replaced_by,
  };
}

interface CachedKey {
  actor: Actor;
  expiresAt: number | null;
  cachedAt: number;
}

const COLUMNS =
  'id, role, merchant_id, buyer_id, label, prefix, created_at, last_used_at, expires_at, revoked_at, revoked_by, replaced_by';

export class ApiKeys {
  private readonly cache = new Map<string, CachedKey>();
  private readonly lastTouched = new Map<string, number>();
  private readonly opsKeyHash: Buffer | undefined;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    opsApiKey: string | undefined,
    private readonly cacheTtlMs: number = KEY_CACHE_TTL_MS_DEFAULT,
    private readonly audit?: AuditService,
  ) {
    this.opsKeyHash = opsApiKey ? Buffer.from(hashKey(opsApiKey), 'hex') : undefined;
  }

  /**
   * Creates a key and returns it in clear, the only time it is visible. Ops, merchant and publishable keys are
   * audited in the same transaction (`q`), by prefix, never the key; a guest buyer's key grants nothing privileged.
   */
  async create(q: Queryable, owner: KeyOwner, opts: KeyOptions = {}): Promise<{ key: string; row: KeyRow }> {
    const id = newId('key');
    const key = `${typePrefix(owner)}${randomToken(32)}`;
    const prefix = key.slice(0, typePrefix(owner).length + SHOWN_RANDOM_CHARS);
    const { rows } = await q.query<KeyRow>(
      `INSERT INTO api_keys (id, key_hash, role, merchant_id, buyer_id, label, prefix, created_at, expires_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) RETURNING ${COLUMNS}`,
      [
        id,
        hashKey(key),
        owner.role,
        owner.role === 'merchant' ? owner.merchantId : null,
        owner.role === 'buyer' ? owner.buyerId : null,
        opts.label ?? null,
        prefix,
        this.clock.now(),
        opts.expiresAt ?? null,
      ],
    );
    const row = rows[0] as KeyRow;
    if (owner.role !== 'buyer') {
      await this.audit?.record(q, opts.actor ?? 'system', {
        action: 'api_key.created',
        subject: `api_key:${row.id}`,
        after: auditedKey(row),
      });
    }
    return { key, row };
  }

  /** create() in a transaction of its own, through the idempotent door (the door seals the new key at rest). */
  issue(owner: KeyOwner, opts: KeyOptions = {}): Promise<{ key: string; row: KeyRow }> {
    return writeOnce(this.db, (q) => this.create(q, owner, opts));
  }

  async authenticate(key: string): Promise<Actor | null> {
    if (key.length < 8 || key.length > 200) return null;
    const hash = hashKey(key);
    if (this.opsKeyHash && timingSafeEqual(Buffer.from(hash, 'hex'), this.opsKeyHash))
      return { role: 'ops', keyId: 'env_ops' };
    const now = this.clock.now().getTime();
    const cached = this.cache.get(hash);
    if (
      cached &&
      Date.now() - cached.cachedAt < this.cacheTtlMs &&
      (cached.expiresAt === null || cached.expiresAt > now)
    ) {
      await this.touch(cached.actor.keyId);
      return cached.actor;
    }
    this.cache.delete(hash);
    const { rows } = await this.db.query<KeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE key_hash = $1`, [hash]);
    const row = rows[0];
    if (!row || keyStatus(row, new Date(now)) !== 'active') return null;
    const actor: Actor =
      row.role === 'merchant'
        ? { role: 'merchant', keyId: row.id, merchantId: row.merchant_id as string }
        : row.role === 'buyer'
          ? { role: 'buyer', keyId: row.id, buyerId: row.buyer_id as string }
          : row.role === 'publishable'
            ? { role: 'publishable', keyId: row.id }
            : { role: 'ops', keyId: row.id };
    if (this.cache.size >= KEY_CACHE_MAX) this.cache.clear();
    this.cache.set(hash, { actor, expiresAt: row.expires_at?.getTime() ?? null, cachedAt: Date.now() });
    await this.touch(row.id);
    return actor;
  }

  /** Records a use, at most once per LAST_USED_RESOLUTION_MS per key and process. */
  private async touch(keyId: string): Promise<void> {
    const last = this.lastTouched.get(keyId);
    if (last !== undefined && Date.now() - last < LAST_USED_RESOLUTION_MS) return;
    if (this.lastTouched.size >= KEY_CACHE_MAX) this.lastTouched.clear();
    this.lastTouched.set(keyId, Date.now());
    await this.db.query('UPDATE api_keys SET last_used_at = $2 WHERE id = $1', [keyId, this.clock.now()]);
  }

  async get(id: string): Promise<KeyRow> {
    const { rows } = await this.db.query<KeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE id = $1`, [id]);
    if (!rows[0]) throw new HutongError('not_found', `No API key ${id}.`);
    return rows[0];
  }

  /** Keys of one merchant, or of one role, oldest first (keyset pages; call with limit + 1). */
  async list(filter: { merchantId?: string; role?: Role }, page: Page): Promise<KeyRow[]> {
    const { rows } = await this.db.query<KeyRow>(
      `SELECT ${COLUMNS} FROM api_keys
       WHERE ($1::text IS NULL OR merchant_id = $1) AND ($2::text IS NULL OR role = $2) AND ${afterClause(3)}
       ORDER BY created_at, id LIMIT $5`,
      [filter.merchantId ?? null, filter.role ?? null, ...afterParams(page), page.limit + 1],
    );
    return rows;
  }

  /**
   * Revokes a key now (idempotent: revoking a revoked key keeps the first revocation). The first revocation is
   * audited in its transaction.
   */
  async revoke(id: string, by: string, actor: AuditActor = 'system'): Promise<KeyRow> {
    const row = await this.db.tx(async (q) => {
      const before = (await q.query<KeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE id = $1 FOR UPDATE`, [id])).rows[0];
      if (!before) throw new HutongError('not_found', `No API key ${id}.`);
      const { rows } = await q.query<KeyRow & { key_hash: string }>(
        `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2), revoked_by = COALESCE(revoked_by, $3) WHERE id = $1 RETURNING key_hash, ${COLUMNS}`,
        [id, this.clock.now(), by],
      );
      const after = rows[0]!;
      if (!before.revoked_at) {
        await this.audit?.record(q, actor, {
          action: 'api_key.revoked',
          subject: `api_key:${id}`,
          before: auditedKey(before),
          after: auditedKey(after),
        });
      }
      return after;
    });
    this.cache.delete(row.key_hash); // this process stops at once; the others within the cache's TTL
    const { key_hash: _hash, ...rest } = row;
    return rest;
  }

  /**
   * Rotation: a new key for the same owner; the old one keeps working for the overlap (then expires), so clients
   * can switch without a failed request.
   */
  async rotate(
    id: string,
    overlapMs: number,
    actor: AuditActor = 'system',
  ): Promise<{ key: string; row: KeyRow; previous: KeyRow }> {
    return writeOnce(this.db, async (q) => {
      const { rows } = await q.query<KeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE id = $1 FOR UPDATE`, [id]);
      const old = rows[0];
      if (!old) throw new HutongError('not_found', `No API key ${id}.`);
      if (keyStatus(old, this.clock.now()) !== 'active')
        throw new HutongError('key_not_active', `API key ${id} is ${keyStatus(old, this.clock.now())}.`);
      if (old.replaced_by)
        throw new HutongError('key_not_active', `API key ${id} was already rotated (to ${old.replaced_by}).`);
      const owner: KeyOwner =
        old.role === 'merchant'
          ? { role: 'merchant', merchantId: old.merchant_id as string }
          : old.role === 'buyer'
            ? { role: 'buyer', buyerId: old.buyer_id as string }
            : old.role === 'publishable'
              ? { role: 'publishable' }
              : { role: 'ops' };
      const created = await this.create(q, owner, { label: old.label ?? undefined, expiresAt: old.expires_at, actor });
      const overlapEnd = new Date(this.clock.now().getTime() + overlapMs);
      const expires = old.expires_at && old.expires_at < overlapEnd ? old.expires_at : overlapEnd;
      const updated = await q.query<KeyRow>(
        `UPDATE api_keys SET expires_at = $2, replaced_by = $3 WHERE id = $1 RETURNING ${COLUMNS}`,
        [id, expires, created.row.id],
      );
      await this.audit?.record(q, actor, {
        action: 'api_key.rotated',
        subject: `api_key:${id}`,
        before: auditedKey(old),
        after: auditedKey(updated.rows[0] as KeyRow),
      });
      return { ...created, previous: updated.rows[0] as KeyRow };
    });
  }
}
