// Input the database cannot take never reaches it. PostgreSQL refuses a NUL character in text and in jsonb, so a NUL
// in a path parameter, the query or any JSON string (keys included) is refused here as 400 invalid_request. An empty
// path parameter (`/v1/orders/` reaching `/v1/orders/:id`) names no resource: 404, as an unknown route.
import type { FastifyInstance } from 'fastify';
import { HutongError } from '../shared/errors';

/** Values walked per request; a 1 MiB body cannot hold more, so the walk always finishes. */
const WALK_VALUES_MAX = 1_000_000;

/** True when a string anywhere in the value (object keys included) holds a NUL. Iterative: deep nesting cannot overflow. */
export function holdsNul(value: unknown): boolean {
  const stack: unknown[] = [value];
  for (let seen = 0; stack.length > 0 && seen < WALK_VALUES_MAX; seen++) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return true;
    } else if (Array.isArray(v)) {
      for (const item of v) stack.push(item);
    } else if (v !== null && typeof v === 'object' && !Buffer.isBuffer(v)) {
      for (const [k, item] of Object.entries(v)) {
        if (k.includes('\u0000')) return true;
        stack.push(item);
      }
    }
  }
  return false;
}

export function installInputGuard(app: FastifyInstance): void {
  // onRequest, before authentication: a path with an empty parameter is no route at all.
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.url === undefined) return;
    const params = request.params as Record<string, string> | undefined;
    // A wildcard may be empty (`/shop/` is the storefront's page); a named parameter names a resource.
    if (params && Object.entries(params).some(([name, value]) => name !== '*' && value === '')) {
      throw new HutongError(
        'route_not_found',
        `No route ${request.method} ${request.routeOptions.url.replace(/:[^/]+/g, '…')} with an empty parameter.`,
      );
    }
  });
  // preValidation: after authentication (401 comes first) and after the body is parsed, before any handler.
  app.addHook('preValidation', async (request) => {
    if (holdsNul(request.params) || holdsNul(request.query) || holdsNul(request.body)) {
      throw new HutongError(
        'invalid_request',
        'A NUL character (\\u0000) is not allowed in the path, the query or the body.',
      );
    }
  });
}
