// Idempotency-Key on every POST of the API (api.md), the HTTP half of the door (shared/door.ts): the request's scope
// is the caller (a hash, never the key or its id), the method, the route TEMPLATE (request.routeOptions.url, so
// `/r%65funds` and `/refunds` are one scope) with its decoded path parameters, and the key. The record itself is
// written by `writeOnce` inside the service's effect transaction; here a request whose key has a record is answered
// from it before its handler runs, and the response is stored when it is sent.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod, RouteOptions } from 'fastify';
import { Door, SimulatedCrash, withClaim, type DoorClaim } from '../shared/door';
import { HutongError } from '../shared/errors';

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
/** Routes the door applies to: every POST of the API; not the provider notifications or the sandboxes. */
const API_PREFIX = '/v1/';

declare module 'fastify' {
  interface FastifyRequest {
    doorClaim?: DoorClaim;
  }
  interface FastifyContextConfig {
    /** false: this POST needs no Idempotency-Key handling (test-only controls). Every other API POST goes through the door. */
    idempotent?: boolean;
  }
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function claimOf(door: Door, request: FastifyRequest, key: string): DoorClaim {
  const actor = request.actor;
  const callerHash = sha256(actor ? `key:${actor.role}:${actor.keyId}` : `ip:${request.ip}`);
  const route = request.routeOptions.url ?? '';
  const scope = sha256(canonical([callerHash, request.method, route, request.params ?? {}, key]));
  return {
    scope,
    callerHash,
    method: request.method,
    route,
    requestHash: sha256(canonical(request.body)),
    door,
    recorded: false,
    consumed: false,
  };
}

function applies(route: RouteOptions): boolean {
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  return methods.includes('POST') && route.url.startsWith(API_PREFIX) && route.config?.idempotent !== false;
}

/** The POST routes behind the door, by template (the route-table test walks them). */
export const doorRoutes = new WeakMap<FastifyInstance, string[]>();

async function serve(
  door: Door,
  handler: RouteHandlerMethod,
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<unknown> {
  const key = request.headers['idempotency-key'];
  if (key === undefined) return handler.call(app, request, reply);
  if (typeof key !== 'string' || !KEY_PATTERN.test(key)) throw new HutongError('invalid_idempotency_key');
  const claim = claimOf(door, request, key);
  const existing = await door.lookup(claim); // throws the stored response, reused or in use
  if (existing) claim.recovered = existing;
  request.doorClaim = claim;
  try {
    return await withClaim(claim, () => handler.call(app, request, reply));
  } catch (err) {
    if (!(err instanceof SimulatedCrash)) throw err;
    reply.hijack();
    request.socket.destroy();
    return undefined;
  }
}

export function installIdempotency(app: FastifyInstance, door: Door): void {
  const routes: string[] = [];
  doorRoutes.set(app, routes);
  app.addHook('onRoute', (route) => {
    if (!applies(route)) return;
    routes.push(route.url);
    const handler = route.handler as RouteHandlerMethod;
    route.handler = function doorHandler(this: FastifyInstance, request, reply) {
      return serve(door, handler, this, request, reply);
    };
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const claim = request.doorClaim;
    if (!claim?.recorded) return payload;
    request.doorClaim = undefined;
    if (door.faults.crashBeforeReply) {
      request.socket.destroy();
      return payload;
    }
    await door.storeResponse(claim, reply.statusCode, typeof payload === 'string' ? payload : String(payload ?? ''));
    return payload;
  });
}
