// SQL for merchants, products, live rooms and buyers. snake_case rows ↔ camelCase records mapped here only.
import type { Queryable } from '../shared/db';
import { fen, type Fen } from '../shared/money';
import { afterClause, afterParams, type Page } from '../shared/pagination';
import type { FulfilmentType } from '../config';

export interface MerchantRow {
  id: string;
  name: string;
  category: string;
  tier: string;
  contact_name: string | null;
  contact_phone: string | null;
  created_at: Date;
}

export interface ProductRow {
  id: string;
  merchant_id: string;
  name: string;
  price: number;
  stock: number;
  fulfilment_type: FulfilmentType;
  created_at: Date;
}

export interface LiveRoomRow {
  id: string;
  merchant_id: string;
  title: string;
  created_at: Date;
}

export interface LiveSessionRow {
  id: string;
  live_room_id: string;
  host: string;
  starts_at: Date;
  ends_at: Date;
  featured_product_ids: string[];
  created_at: Date;
}

export interface BuyerRow {
  id: string;
  name: string;
  wechat_openid: string;
  created_at: Date;
}

export const catalogStore = {
  async insertMerchant(q: Queryable, m: MerchantRow): Promise<void> {
    await q.query(
      'INSERT INTO merchants (id, name, category, tier, contact_name, contact_phone, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7)',
      [m.id, m.name, m.category, m.tier, m.contact_name, m.contact_phone, m.created_at],
    );
  },
  async merchant(q: Queryable, id: string): Promise<MerchantRow | undefined> {
    return (await q.query<MerchantRow>('SELECT * FROM merchants WHERE id = $1', [id])).rows[0];
  },
  async merchantsByIds(q: Queryable, ids: string[]): Promise<MerchantRow[]> {
    return (await q.query<MerchantRow>('SELECT * FROM merchants WHERE id = ANY($1::text[])', [ids])).rows;
  },
  async merchants(q: Queryable, onlyId: string | null, page: Page): Promise<MerchantRow[]> {
    const { rows } = await q.query<MerchantRow>(
      `SELECT * FROM merchants WHERE ($1::text IS NULL OR id = $1) AND ${afterClause(2)} ORDER BY created_at, id LIMIT $4`,
      [onlyId, ...afterParams(page), page.limit + 1],
    );
    return rows;
  },
  async merchantIdsWhere(q: Queryable, filter: { category?: string; tier?: string }): Promise<string[]> {
    const { rows } = await q.query<{ id: string }>(
      'SELECT id FROM merchants WHERE ($1::text IS NULL OR category = $1) AND ($2::text IS NULL OR tier = $2) ORDER BY created_at, id',
      [filter.category ?? null, filter.tier ?? null],
    );
    return rows.map((r) => r.id);
  },
  async insertProduct(q: Queryable, p: ProductRow): Promise<void> {
    await q.query(
      'INSERT INTO products (id, merchant_id, name, price, stock, fulfilment_type, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7)',
      [p.id, p.merchant_id, p.name, p.price, p.stock, p.fulfilment_type, p.created_at],
    );
  },
  async product(q: Queryable, id: string): Promise<ProductRow | undefined> {
    return (await q.query<ProductRow>('SELECT * FROM products WHERE id = $1', [id])).rows[0];
  },
  async productsByIds(q: Queryable, ids: string[]): Promise<ProductRow[]> {
    return (await q.query<ProductRow>('SELECT * FROM products WHERE id = ANY($1::text[])', [ids])).rows;
  },
  async products(q: Queryable, merchantId: string | null, page: Page): Promise<ProductRow[]> {
    const { rows } = await q.query<ProductRow>(
      `SELECT * FROM products WHERE ($1::text IS NULL OR merchant_id = $1) AND ${afterClause(2)} ORDER BY created_at, id LIMIT $4`,
      [merchantId, ...afterParams(page), page.limit + 1],
    );
    return rows;
  },
  async updateProduct(
    q: Queryable,
    id: string,
    patch: { name?: string; price?: Fen; stock?: number },
  ): Promise<ProductRow | undefined> {
    const { rows } = await q.query<ProductRow>(
      `UPDATE products SET name = COALESCE($2, name), price = COALESCE($3, price), stock = COALESCE($4, stock)
       WHERE id = $1 RETURNING *`,
      [id, patch.name ?? null, patch.price ?? null, patch.stock ?? null],
    );
    return rows[0];
  },
  /** Reserves stock atomically: one conditional UPDATE, so concurrent buyers can never oversell. */
  async reserveStock(q: Queryable, productId: string, quantity: number): Promise<boolean> {
    const r = await q.query('UPDATE products SET stock = stock - $2 WHERE id = $1 AND stock >= $2', [
      productId,
      quantity,
    ]);
    return r.rowCount === 1;
  },
  async releaseStock(q: Queryable, productId: string, quantity: number): Promise<void> {
    await q.query('UPDATE products SET stock = stock + $2 WHERE id = $1', [productId, quantity]);
  },
  async insertLiveRoom(q: Queryable, r: LiveRoomRow): Promise<void> {
    await q.query('INSERT INTO live_rooms (id, merchant_id, title, created_at) VALUES ($1,$2,$3,$4)', [
      r.id,
      r.merchant_id,
      r.title,
      r.created_at,
    ]);
  },
  async liveRoom(q: Queryable, id: string): Promise<LiveRoomRow | undefined> {
    return (await q.query<LiveRoomRow>('SELECT * FROM live_rooms WHERE id = $1', [id])).rows[0];
  },
  async liveRooms(q: Queryable, merchantId: string | null, page: Page): Promise<LiveRoomRow[]> {
    const { rows } = await q.query<LiveRoomRow>(
      `SELECT * FROM live_rooms WHERE ($1::text IS NULL OR merchant_id = $1) AND ${afterClause(2)} ORDER BY created_at, id LIMIT $4`,
      [merchantId, ...afterParams(page), page.limit + 1],
    );
    return rows;
  },
  async insertLiveSession(q: Queryable, s: LiveSessionRow): Promise<void> {
    await q.query(
      'INSERT INTO live_sessions (id, live_room_id, host, starts_at, ends_at, featured_product_ids, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7)',
      [s.id, s.live_room_id, s.host, s.starts_at, s.ends_at, s.featured_product_ids, s.created_at],
    );
  },
  async liveSessions(q: Queryable, roomId: string): Promise<LiveSessionRow[]> {
    return (
      await q.query<LiveSessionRow>('SELECT * FROM live_sessions WHERE live_room_id = $1 ORDER BY starts_at, id', [
        roomId,
      ])
    ).rows;
  },
  async insertBuyer(q: Queryable, b: BuyerRow): Promise<void> {
    await q.query('INSERT INTO buyers (id, name, wechat_openid, created_at) VALUES ($1,$2,$3,$4)', [
      b.id,
      b.name,
      b.wechat_openid,
      b.created_at,
    ]);
  },
  async buyer(q: Queryable, id: string): Promise<BuyerRow | undefined> {
    return (await q.query<BuyerRow>('SELECT * FROM buyers WHERE id = $1', [id])).rows[0];
  },
};

export function productPrice(row: ProductRow): Fen {
  return fen(row.price);
}
