// Authentication runs on onRequest, before the body is parsed or validated and before any lookup (api.md), so a
// request without a valid key gets 401 whatever else is wrong with it. Roles declared on the route are checked here.
import type { FastifyInstance } from 'fastify';
import type { ApiKeys } from '../auth/keys';
import { ensureRole, type Actor, type Role } from '../auth/actor';
import { HutongError } from '../shared/errors';

declare module 'fastify' {
  interface FastifyRequest {
    actor?: Actor;
  }
  interface FastifyContextConfig {
    /** Roles allowed; omitted on a /v1 route means any authenticated key. */
    roles?: readonly Role[];
    /** No key needed (POST /v1/buyers). */
    open?: boolean;
  }
}

export function installAuth(app: FastifyInstance, keys: ApiKeys): void {
  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config;
    if (!request.url.startsWith('/v1/') || config?.open) return;
    if (request.routeOptions.url === undefined) return; // unknown route: 404
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    const actor = match ? await keys.authenticate(match[1] as string) : null;
    if (!actor) throw new HutongError('unauthenticated');
    request.actor = actor;
    if (config?.roles) ensureRole(actor, config.roles);
  });
}

/** The caller; only valid on authenticated routes. */
export function actorOf(request: { actor?: Actor }): Actor {
  if (!request.actor) throw new HutongError('unauthenticated');
  return request.actor;
}
