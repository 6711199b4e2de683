// API keys: random, shown once, stored as SHA-256 hashes (high-entropy secrets need no slow hash).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Db, Queryable } from '../shared/db';
import type { Clock } from '../shared/clock';
import { newId, randomToken } from '../shared/ids';
import type { Actor, Role } from './actor';

const KEY_CACHE_MAX = 10_000;

function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

interface KeyRow {
  id: string;
  role: Role;
  merchant_id: string | null;
  buyer_id: string | null;
}

export class ApiKeys {
  private readonly cache = new Map<string, Actor>();
  private readonly opsKeyHash: Buffer | undefined;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    opsApiKey: string | undefined,
  ) {
    this.opsKeyHash = opsApiKey ? Buffer.from(hashKey(opsApiKey), 'hex') : undefined;
  }

  /** Creates a key and returns it in clear, the only time it is visible. */
  async create(q: Queryable, owner: { role: 'ops' } | { role: 'merchant'; merchantId: string } | { role: 'buyer'; buyerId: string }, label?: string): Promise<{ id: string; key: string }> {
    const id = newId('key');
    const key = `hk_${owner.role}_${randomToken(32)}`;
    await q.query(
      'INSERT INTO api_keys (id, key_hash, role, merchant_id, buyer_id, label, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7)',
      [id, hashKey(key), owner.role, owner.role === 'merchant' ? owner.merchantId : null, owner.role === 'buyer' ? owner.buyerId : null, label ?? null, this.clock.now()],
    );
    return { id, key };
  }

  async authenticate(key: string): Promise<Actor | null> {
    if (key.length < 8 || key.length > 200) return null;
    const hash = hashKey(key);
    if (this.opsKeyHash && timingSafeEqual(Buffer.from(hash, 'hex'), this.opsKeyHash)) return { role: 'ops', keyId: 'env_ops' };
    const cached = this.cache.get(hash);
    if (cached) return cached;
    const { rows } = await this.db.query<KeyRow>('SELECT id, role, merchant_id, buyer_id FROM api_keys WHERE key_hash = $1', [hash]);
    const row = rows[0];
    if (!row) return null;
    const actor: Actor =
      row.role === 'merchant' ? { role: 'merchant', keyId: row.id, merchantId: row.merchant_id as string }
      : row.role === 'buyer' ? { role: 'buyer', keyId: row.id, buyerId: row.buyer_id as string }
      : { role: 'ops', keyId: row.id };
    if (this.cache.size >= KEY_CACHE_MAX) this.cache.clear();
    this.cache.set(hash, actor);
    return actor;
  }
}
