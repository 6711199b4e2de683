// Authentication and the access check run on onRequest, on the route the router matched (request.routeOptions) —
// never on the raw URL, which `/v%31/…` or `/%761/…` spell differently from the route they reach. They run before
// the body is parsed or validated and before any lookup (api.md), so a request without a valid key gets 401
// whatever else is wrong with it. Ownership (a merchant's or buyer's own data) is decided later by ensureOwner.
import type { FastifyInstance } from 'fastify';
import type { ApiKeys } from '../auth/keys';
import type { Actor } from '../auth/actor';
import { HutongError } from '../shared/errors';
import { isKeyless } from './route-table';

declare module 'fastify' {
  interface FastifyRequest {
    actor?: Actor;
  }
}

const BEARER = /^Bearer\s+(\S+)$/i;

export function installAuth(app: FastifyInstance, keys: ApiKeys): void {
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.url === undefined) return; // no route matched: the not-found handler answers 404
    const access = request.routeOptions.config.access;
    // The start-up check makes this unreachable; deny rather than trust a route that says nothing.
    if (!access || access.length === 0) throw new HutongError('forbidden_role', 'This route declares no access.');
    if (isKeyless(access)) return; // public, a provider's signature or a sandbox's own check
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? BEARER.exec(header) : null;
    const actor = match ? await keys.authenticate(match[1] as string) : null;
    if (!actor) throw new HutongError('unauthenticated');
    request.actor = actor;
    if (!access.includes(actor.role)) {
      throw new HutongError('forbidden_role', `This call needs a key with role ${access.join(' or ')}.`);
    }
  });
}

/** The caller; only valid on routes that need a key. */
export function actorOf(request: { actor?: Actor }): Actor {
  if (!request.actor) throw new HutongError('unauthenticated');
  return request.actor;
}
