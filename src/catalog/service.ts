// Catalog: merchants, products, live rooms, buyers. The only door to their tables.
import type { ModuleContext } from '../shared/context';
import type { Queryable } from '../shared/db';
import { writeOnce } from '../shared/door';
import { newId, randomToken } from '../shared/ids';
import { HutongError } from '../shared/errors';
import { ensureOwner, listScope, readsPublicCatalogue, type Actor } from '../auth/actor';
import type { ApiKeys, KeyOptions, KeyRow } from '../auth/keys';
import { pageFrom } from '../shared/pagination';
import type { Fen } from '../shared/money';
import type { FulfilmentType } from '../config';
import {
  catalogStore as store,
  type MerchantRow,
  type ProductRow,
  type LiveRoomRow,
  type LiveSessionRow,
} from './store';

export interface NewMerchant {
  name: string;
  category?: string;
  tier?: string;
  contactName?: string;
  contactPhone?: string;
}

export type MerchantCreatedListener = (merchant: MerchantRow) => void;

export class CatalogService {
  private readonly merchantCreatedListeners: MerchantCreatedListener[] = [];

  constructor(
    private readonly ctx: ModuleContext,
    private readonly keys: ApiKeys,
  ) {}

  /** Lets other modules react (payments onboards the merchant at Alipay) without catalog knowing them. */
  onMerchantCreated(listener: MerchantCreatedListener): void {
    this.merchantCreatedListeners.push(listener);
  }

  /**
   * Inserts a merchant with `q` (the caller's transaction, with its audit row and profile). Listeners are told only
   * by merchantCreated(), which the caller calls once that transaction has committed.
   */
  async insertMerchant(q: Queryable, input: NewMerchant): Promise<MerchantRow> {
    const row: MerchantRow = {
      id: newId('mch'),
      name: input.name,
      category: input.category ?? 'general',
      tier: input.tier ?? 'standard',
      contact_name: input.contactName ?? null,
      contact_phone: input.contactPhone ?? null,
      created_at: this.ctx.clock.now(),
    };
    await store.insertMerchant(q, row);
    return row;
  }

  merchantCreated(row: MerchantRow): void {
    for (const listener of this.merchantCreatedListeners) listener(row);
  }

  async merchant(actor: Actor, id: string): Promise<MerchantRow> {
    const row = await store.merchant(this.ctx.db, id);
    if (!row) throw new HutongError('not_found', `No merchant ${id}.`);
    ensureOwner(actor, { merchantId: row.id });
    return row;
  }

  /** A shop as buyers see it (public fields are shaped by the route). */
  async shop(id: string): Promise<MerchantRow> {
    const row = await store.merchant(this.ctx.db, id);
    if (!row) throw new HutongError('not_found', `No merchant ${id}.`);
    return row;
  }

  async merchantById(id: string): Promise<MerchantRow | undefined> {
    return store.merchant(this.ctx.db, id);
  }

  async listMerchants(actor: Actor, query: { limit?: number; cursor?: string }) {
    return store.merchants(
      this.ctx.db,
      readsPublicCatalogue(actor) ? null : listScope(actor).merchantId,
      pageFrom(query),
    );
  }

  async merchantIdsWhere(filter: { category?: string; tier?: string }): Promise<string[]> {
    return store.merchantIdsWhere(this.ctx.db, filter);
  }

  async createMerchantKey(merchantId: string, opts: KeyOptions = {}): Promise<{ key: string; row: KeyRow }> {
    if (!(await store.merchant(this.ctx.db, merchantId)))
      throw new HutongError('not_found', `No merchant ${merchantId}.`);
    return this.keys.issue({ role: 'merchant', merchantId }, opts);
  }

  async createProduct(
    actor: Actor,
    input: { merchantId?: string; name: string; priceFen: Fen; stock: number; fulfilmentType?: FulfilmentType },
  ): Promise<ProductRow> {
    const merchantId = input.merchantId ?? (actor.role === 'merchant' ? actor.merchantId : undefined);
    if (!merchantId) throw new HutongError('validation_failed', 'merchant_id is required when ops creates a product.');
    if (!(await store.merchant(this.ctx.db, merchantId)))
      throw new HutongError('not_found', `No merchant ${merchantId}.`);
    ensureOwner(actor, { merchantId });
    const row: ProductRow = {
      id: newId('prd'),
      merchant_id: merchantId,
      name: input.name,
      price: input.priceFen,
      stock: input.stock,
      fulfilment_type: input.fulfilmentType ?? 'express',
      created_at: this.ctx.clock.now(),
    };
    return writeOnce(this.ctx.db, async (q) => {
      await store.insertProduct(q, row);
      return row;
    });
  }

  async product(id: string): Promise<ProductRow> {
    const row = await store.product(this.ctx.db, id);
    if (!row) throw new HutongError('not_found', `No product ${id}.`);
    return row;
  }

  async listProducts(query: { limit?: number; cursor?: string; merchant_id?: string }) {
    return store.products(this.ctx.db, query.merchant_id ?? null, pageFrom(query));
  }

  async updateProduct(
    actor: Actor,
    id: string,
    patch: { name?: string; priceFen?: Fen; stock?: number },
  ): Promise<ProductRow> {
    const existing = await this.product(id);
    ensureOwner(actor, { merchantId: existing.merchant_id });
    const row = await store.updateProduct(this.ctx.db, id, {
      name: patch.name,
      price: patch.priceFen,
      stock: patch.stock,
    });
    if (!row) throw new HutongError('not_found', `No product ${id}.`);
    return row;
  }

  async createLiveRoom(actor: Actor, input: { merchantId?: string; title: string }): Promise<LiveRoomRow> {
    const merchantId = input.merchantId ?? (actor.role === 'merchant' ? actor.merchantId : undefined);
    if (!merchantId)
      throw new HutongError('validation_failed', 'merchant_id is required when ops creates a live room.');
    if (!(await store.merchant(this.ctx.db, merchantId)))
      throw new HutongError('not_found', `No merchant ${merchantId}.`);
    ensureOwner(actor, { merchantId });
    const row: LiveRoomRow = {
      id: newId('lvr'),
      merchant_id: merchantId,
      title: input.title,
      created_at: this.ctx.clock.now(),
    };
    return writeOnce(this.ctx.db, async (q) => {
      await store.insertLiveRoom(q, row);
      return row;
    });
  }

  async addLiveSession(
    actor: Actor,
    roomId: string,
    input: { host: string; startsAt: Date; endsAt: Date; featuredProductIds: string[] },
  ): Promise<LiveSessionRow> {
    const room = await this.liveRoomRow(roomId);
    ensureOwner(actor, { merchantId: room.merchant_id });
    if (input.endsAt <= input.startsAt) throw new HutongError('validation_failed', 'ends_at must be after starts_at.');
    const featured = [...new Set(input.featuredProductIds)];
    const products = await store.productsByIds(this.ctx.db, featured);
    if (products.length !== featured.length || products.some((p) => p.merchant_id !== room.merchant_id)) {
      throw new HutongError('unknown_product', 'Featured products must be this merchant’s products.');
    }
    const row: LiveSessionRow = {
      id: `lvs_${randomToken(20)}`,
      live_room_id: room.id,
      host: input.host,
      starts_at: input.startsAt,
      ends_at: input.endsAt,
      featured_product_ids: featured,
      created_at: this.ctx.clock.now(),
    };
    return writeOnce(this.ctx.db, async (q) => {
      await store.insertLiveSession(q, row);
      return row;
    });
  }

  private async liveRoomRow(id: string): Promise<LiveRoomRow> {
    const room = await store.liveRoom(this.ctx.db, id);
    if (!room) throw new HutongError('not_found', `No live room ${id}.`);
    return room;
  }

  async liveRoom(id: string): Promise<{ room: LiveRoomRow; sessions: LiveSessionRow[]; products: ProductRow[] }> {
    const room = await this.liveRoomRow(id);
    const sessions = await store.liveSessions(this.ctx.db, id);
    const ids = [...new Set(sessions.flatMap((s) => s.featured_product_ids))];
    const products = ids.length ? await store.productsByIds(this.ctx.db, ids) : [];
    return { room, sessions, products };
  }

  async listLiveRooms(query: { limit?: number; cursor?: string; merchant_id?: string }) {
    return store.liveRooms(this.ctx.db, query.merchant_id ?? null, pageFrom(query));
  }

  async createBuyer(input: {
    name: string;
    wechatOpenid?: string;
  }): Promise<{ id: string; key: string; wechatOpenid: string }> {
    const id = newId('buy');
    // The sandboxes need an openid for JSAPI; a guest without one gets a synthetic, clearly marked one.
    const wechatOpenid = input.wechatOpenid ?? `o_sandbox_${randomToken(22)}`;
    // The result holds the new key: the door seals it at rest.
    return writeOnce(this.ctx.db, async (q) => {
      await store.insertBuyer(q, {
        id,
        name: input.name,
        wechat_openid: wechatOpenid,
        created_at: this.ctx.clock.now(),
      });
      return { id, key: (await this.keys.create(q, { role: 'buyer', buyerId: id })).key, wechatOpenid };
    });
  }

  async buyer(id: string) {
    return store.buyer(this.ctx.db, id);
  }
}
