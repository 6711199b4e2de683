import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { actorOf } from '../http/auth-hook';
import { Body, FenAmount, IdParams } from '../shared/schemas';
import { ListQuery, toPage } from '../shared/pagination';
import { fen } from '../shared/money';
import { FULFILMENT_TYPES, type FulfilmentType } from '../config';
import type { Principal } from '../http/access';
import { readsPublicCatalogue } from '../auth/actor';
import type { CatalogService } from './service';
import type { MerchantRow, ProductRow, LiveRoomRow, LiveSessionRow } from './store';

export function merchantJson(m: MerchantRow) {
  return {
    id: m.id,
    name: m.name,
    category: m.category,
    tier: m.tier,
    contact_name: m.contact_name,
    created_at: m.created_at.toISOString(),
  };
}

/** What a buyer sees of a shop: no contact or onboarding details. */
export function publicMerchantJson(m: MerchantRow) {
  return { id: m.id, name: m.name, category: m.category };
}

export function productJson(p: ProductRow) {
  return {
    id: p.id,
    merchant_id: p.merchant_id,
    name: p.name,
    price: p.price,
    stock: p.stock,
    fulfilment_type: p.fulfilment_type,
    created_at: p.created_at.toISOString(),
  };
}

function sessionJson(s: LiveSessionRow) {
  return {
    id: s.id,
    host: s.host,
    starts_at: s.starts_at.toISOString(),
    ends_at: s.ends_at.toISOString(),
    featured_product_ids: s.featured_product_ids,
  };
}

function liveRoomJson(r: LiveRoomRow) {
  return { id: r.id, merchant_id: r.merchant_id, title: r.title, created_at: r.created_at.toISOString() };
}

/** The public catalogue (shops, products, live rooms): every key reads it; a buyer or storefront sees shops' public fields only. */
const CATALOGUE_READERS: readonly Principal[] = ['ops', 'merchant', 'buyer', 'publishable'];

const FulfilmentTypeSchema = Type.Union(
  FULFILMENT_TYPES.map((t) => Type.Literal(t)),
  {
    description:
      'Decides the auto-confirm period after shipping (express 10 days, mail 30, virtual 3, same_city/pickup 2).',
  },
);

export function catalogRoutes(
  app: FastifyInstance,
  catalog: CatalogService,
  limits: { buyerSignupsPerMinute: number },
): void {
  app.get(
    '/v1/merchants',
    {
      config: { access: CATALOGUE_READERS },
      schema: {
        tags: ['merchants'],
        summary: 'List merchants (ops: all; merchant: itself; buyer: every shop’s public fields).',
        querystring: ListQuery,
      },
    },
    async (req) => {
      const q = req.query as { limit?: number; cursor?: string };
      const actor = actorOf(req);
      const rows = await catalog.listMerchants(actor, q);
      return toPage(rows, q.limit ?? 50, readsPublicCatalogue(actor) ? publicMerchantJson : merchantJson);
    },
  );

  app.get(
    '/v1/merchants/:id',
    { config: { access: CATALOGUE_READERS }, schema: { tags: ['merchants'], params: IdParams } },
    async (req) => {
      const actor = actorOf(req);
      const id = (req.params as { id: string }).id;
      if (readsPublicCatalogue(actor)) return publicMerchantJson(await catalog.shop(id));
      return merchantJson(await catalog.merchant(actor, id));
    },
  );

  app.post(
    '/v1/products',
    {
      config: { access: ['merchant', 'ops'] },
      schema: {
        tags: ['products'],
        summary: 'Create a product (merchant: its own; ops: name merchant_id).',
        body: Body({
          name: Type.String({ minLength: 1, maxLength: 200 }),
          price: FenAmount('Unit price.'),
          stock: Type.Integer({ minimum: 0, maximum: 10_000_000, description: 'Units available.' }),
          fulfilment_type: Type.Optional(FulfilmentTypeSchema),
          merchant_id: Type.Optional(Type.String({ maxLength: 64 })),
        }),
      },
    },
    async (req, reply) => {
      const b = req.body as {
        name: string;
        price: number;
        stock: number;
        fulfilment_type?: FulfilmentType;
        merchant_id?: string;
      };
      const p = await catalog.createProduct(actorOf(req), {
        merchantId: b.merchant_id,
        name: b.name,
        priceFen: fen(b.price),
        stock: b.stock,
        fulfilmentType: b.fulfilment_type,
      });
      return reply.status(201).send(productJson(p));
    },
  );

  app.get(
    '/v1/products',
    {
      config: { access: CATALOGUE_READERS },
      schema: {
        tags: ['products'],
        querystring: Type.Intersect([
          ListQuery,
          Type.Object({ merchant_id: Type.Optional(Type.String({ maxLength: 64 })) }),
        ]),
      },
    },
    async (req) => {
      const q = req.query as { limit?: number; cursor?: string; merchant_id?: string };
      return toPage(await catalog.listProducts(q), q.limit ?? 50, productJson);
    },
  );

  app.get(
    '/v1/products/:id',
    { config: { access: CATALOGUE_READERS }, schema: { tags: ['products'], params: IdParams } },
    async (req) => productJson(await catalog.product((req.params as { id: string }).id)),
  );

  app.patch(
    '/v1/products/:id',
    {
      config: { access: ['merchant', 'ops'] },
      schema: {
        tags: ['products'],
        params: IdParams,
        body: Body({
          name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          price: Type.Optional(FenAmount('Unit price.')),
          stock: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000 })),
        }),
      },
    },
    async (req) => {
      const b = req.body as { name?: string; price?: number; stock?: number };
      return productJson(
        await catalog.updateProduct(actorOf(req), (req.params as { id: string }).id, {
          name: b.name,
          priceFen: b.price === undefined ? undefined : fen(b.price),
          stock: b.stock,
        }),
      );
    },
  );

  app.post(
    '/v1/live-rooms',
    {
      config: { access: ['merchant', 'ops'] },
      schema: {
        tags: ['live rooms'],
        body: Body({
          title: Type.String({ minLength: 1, maxLength: 200 }),
          merchant_id: Type.Optional(Type.String({ maxLength: 64 })),
        }),
      },
    },
    async (req, reply) => {
      const b = req.body as { title: string; merchant_id?: string };
      return reply
        .status(201)
        .send(liveRoomJson(await catalog.createLiveRoom(actorOf(req), { title: b.title, merchantId: b.merchant_id })));
    },
  );

  app.post(
    '/v1/live-rooms/:id/sessions',
    {
      config: { access: ['merchant', 'ops'] },
      schema: {
        tags: ['live rooms'],
        summary: 'Schedule a live session with its host, time window and featured products.',
        params: IdParams,
        body: Body({
          host: Type.String({ minLength: 1, maxLength: 100 }),
          starts_at: Type.String({ format: 'date-time' }),
          ends_at: Type.String({ format: 'date-time' }),
          featured_product_ids: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 100 }),
        }),
      },
    },
    async (req, reply) => {
      const b = req.body as { host: string; starts_at: string; ends_at: string; featured_product_ids: string[] };
      const s = await catalog.addLiveSession(actorOf(req), (req.params as { id: string }).id, {
        host: b.host,
        startsAt: new Date(b.starts_at),
        endsAt: new Date(b.ends_at),
        featuredProductIds: b.featured_product_ids,
      });
      return reply.status(201).send(sessionJson(s));
    },
  );

  app.get(
    '/v1/live-rooms',
    {
      config: { access: CATALOGUE_READERS },
      schema: {
        tags: ['live rooms'],
        querystring: Type.Intersect([
          ListQuery,
          Type.Object({ merchant_id: Type.Optional(Type.String({ maxLength: 64 })) }),
        ]),
      },
    },
    async (req) => {
      const q = req.query as { limit?: number; cursor?: string; merchant_id?: string };
      return toPage(await catalog.listLiveRooms(q), q.limit ?? 50, liveRoomJson);
    },
  );

  app.get(
    '/v1/live-rooms/:id',
    { config: { access: CATALOGUE_READERS }, schema: { tags: ['live rooms'], params: IdParams } },
    async (req) => {
      const { room, sessions, products } = await catalog.liveRoom((req.params as { id: string }).id);
      return {
        ...liveRoomJson(room),
        sessions: sessions.map(sessionJson),
        featured_products: products.map(productJson),
      };
    },
  );

  app.post(
    '/v1/buyers',
    {
      // A storefront signs guests up with its publishable key, limited per key and client address; ops is not limited.
      config: {
        access: ['publishable', 'ops'],
        rateLimit: {
          max: limits.buyerSignupsPerMinute,
          timeWindow: 60_000,
          allowList: (req) => req.actor?.role === 'ops',
        },
      },
      schema: {
        tags: ['buyers'],
        summary: 'Create a guest buyer (publishable key, rate-limited) and its API key (shown once).',
        body: Body({
          name: Type.String({ minLength: 1, maxLength: 50 }),
          wechat_openid: Type.Optional(Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_\\-]+$' })),
        }),
      },
    },
    async (req, reply) => {
      const b = req.body as { name: string; wechat_openid?: string };
      const buyer = await catalog.createBuyer({ name: b.name, wechatOpenid: b.wechat_openid });
      return reply.status(201).send({ id: buyer.id, key: buyer.key, wechat_openid: buyer.wechatOpenid });
    },
  );
}
