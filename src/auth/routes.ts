// API key management: merchant keys (ops creates; ops or that merchant lists, rotates and revokes), publishable keys
// for storefronts (ops), and every key's lifecycle. A key's secret is in the creation answer only.
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { actorOf } from '../http/auth-hook';
import { Body, IdParams } from '../shared/schemas';
import { ListQuery, pageFrom, toPage } from '../shared/pagination';
import type { Clock } from '../shared/clock';
import { HutongError } from '../shared/errors';
import type { CatalogService } from '../catalog/service';
import { ensureOwner, type Actor, type Role } from './actor';
import { keyStatus, ROTATION_OVERLAP_MS_MAX, type ApiKeys, type KeyRow } from './keys';

const ROTATION_OVERLAP_S_DEFAULT = 24 * 3600;

export function keyJson(row: KeyRow, now: Date) {
  return {
    id: row.id,
    role: row.role,
    merchant_id: row.merchant_id,
    label: row.label,
    prefix: row.prefix,
    status: keyStatus(row, now),
    created_at: row.created_at.toISOString(),
    last_used_at: row.last_used_at?.toISOString() ?? null,
    expires_at: row.expires_at?.toISOString() ?? null,
    revoked_at: row.revoked_at?.toISOString() ?? null,
    replaced_by: row.replaced_by,
  };
}

/** Keys of a merchant are that merchant's; every other key (ops, publishable, buyer) is ops' to manage. */
function ensureKeyOwner(actor: Actor, row: KeyRow): void {
  ensureOwner(actor, { merchantId: row.merchant_id ?? undefined });
}

/** A route whose body is optional: no body reads as `{}`, so the schema validates what was sent or nothing. */
const optionalBody = {
  preValidation: async (req: { body: unknown }) => {
    req.body ??= {};
  },
};

const actorName = (actor: Actor) => `${actor.role}:${actor.keyId}`;

const NewKeyBody = Body({
  label: Type.Optional(
    Type.String({ minLength: 1, maxLength: 100, description: 'What the key is for (shown in lists).' }),
  ),
  expires_at: Type.Optional(
    Type.String({ format: 'date-time', description: 'When the key stops working; omitted: never.' }),
  ),
});

function expiryFrom(clock: Clock, expiresAt: string | undefined): Date | undefined {
  if (expiresAt === undefined) return undefined;
  const at = new Date(expiresAt);
  if (at.getTime() <= clock.now().getTime())
    throw new HutongError('validation_failed', 'expires_at must be in the future.');
  return at;
}

export function keyRoutes(app: FastifyInstance, deps: { keys: ApiKeys; catalog: CatalogService; clock: Clock }): void {
  const { keys, catalog, clock } = deps;

  app.post(
    '/v1/merchants/:id/api-keys',
    {
      config: { access: ['ops'] },
      ...optionalBody,
      schema: {
        tags: ['keys'],
        summary: 'Create an API key for a merchant (the secret is shown once).',
        params: IdParams,
        body: NewKeyBody,
      },
    },
    async (req, reply) => {
      const b = (req.body ?? {}) as { label?: string; expires_at?: string };
      const { key, row } = await catalog.createMerchantKey((req.params as { id: string }).id, {
        label: b.label,
        expiresAt: expiryFrom(clock, b.expires_at),
        actor: actorOf(req),
      });
      return reply.status(201).send({ ...keyJson(row, clock.now()), key });
    },
  );

  app.get(
    '/v1/merchants/:id/api-keys',
    {
      config: { access: ['ops', 'merchant'] },
      schema: {
        tags: ['keys'],
        summary: 'A merchant’s API keys, without their secrets: prefix, created, last used, expiry, status.',
        params: IdParams,
        querystring: ListQuery,
      },
    },
    async (req) => {
      const id = (req.params as { id: string }).id;
      ensureOwner(actorOf(req), { merchantId: id });
      const q = req.query as { limit?: number; cursor?: string };
      const page = pageFrom(q);
      const now = clock.now();
      return toPage(await keys.list({ merchantId: id, role: 'merchant' }, page), page.limit, (r) => keyJson(r, now));
    },
  );

  app.get(
    '/v1/api-keys',
    {
      config: { access: ['ops'] },
      schema: {
        tags: ['keys'],
        summary: 'Every API key of a role (ops), without secrets.',
        querystring: Type.Intersect([
          ListQuery,
          Type.Object({
            role: Type.Optional(
              Type.Union((['ops', 'merchant', 'buyer', 'publishable'] as const).map((r) => Type.Literal(r))),
            ),
          }),
        ]),
      },
    },
    async (req) => {
      const q = req.query as { limit?: number; cursor?: string; role?: Role };
      const page = pageFrom(q);
      const now = clock.now();
      return toPage(await keys.list({ role: q.role }, page), page.limit, (r) => keyJson(r, now));
    },
  );

  app.delete(
    '/v1/api-keys/:id',
    {
      config: { access: ['ops', 'merchant'] },
      schema: {
        tags: ['keys'],
        summary: 'Revoke a key (ops, or the merchant for its own): it stops working within seconds.',
        params: IdParams,
      },
    },
    async (req) => {
      const actor = actorOf(req);
      const id = (req.params as { id: string }).id;
      ensureKeyOwner(actor, await keys.get(id));
      return keyJson(await keys.revoke(id, actorName(actor), actor), clock.now());
    },
  );

  app.post(
    '/v1/api-keys/:id/rotate',
    {
      config: { access: ['ops', 'merchant'] },
      ...optionalBody,
      schema: {
        tags: ['keys'],
        summary: 'Rotate a key: a new key for the same owner; the old one keeps working for the overlap, then expires.',
        params: IdParams,
        body: Body({
          overlap_seconds: Type.Optional(
            Type.Integer({
              minimum: 0,
              maximum: ROTATION_OVERLAP_MS_MAX / 1000,
              description: 'How long the old key keeps working (default 86400, at most 7 days).',
            }),
          ),
        }),
      },
    },
    async (req, reply) => {
      const actor = actorOf(req);
      const id = (req.params as { id: string }).id;
      ensureKeyOwner(actor, await keys.get(id));
      const overlapS =
        (req.body as { overlap_seconds?: number } | undefined)?.overlap_seconds ?? ROTATION_OVERLAP_S_DEFAULT;
      const { key, row, previous } = await keys.rotate(id, overlapS * 1000, actor);
      const now = clock.now();
      return reply.status(201).send({ ...keyJson(row, now), key, previous: keyJson(previous, now) });
    },
  );

  app.post(
    '/v1/publishable-keys',
    {
      config: { access: ['ops'] },
      schema: {
        tags: ['keys'],
        summary:
          'Create a storefront’s publishable key (pk_…): reads the public catalogue and signs up guests, nothing else.',
        body: Body({ name: Type.String({ minLength: 1, maxLength: 100, description: 'Which storefront uses it.' }) }),
      },
    },
    async (req, reply) => {
      const { key, row } = await keys.issue(
        { role: 'publishable' },
        { label: (req.body as { name: string }).name, actor: actorOf(req) },
      );
      return reply.status(201).send({ ...keyJson(row, clock.now()), name: row.label, key });
    },
  );

  app.get(
    '/v1/publishable-keys',
    {
      config: { access: ['ops'] },
      schema: { tags: ['keys'], summary: 'The publishable keys, without their secrets.', querystring: ListQuery },
    },
    async (req) => {
      const q = req.query as { limit?: number; cursor?: string };
      const page = pageFrom(q);
      const now = clock.now();
      return toPage(await keys.list({ role: 'publishable' }, page), page.limit, (r) => ({
        ...keyJson(r, now),
        name: r.label,
      }));
    },
  );
}
