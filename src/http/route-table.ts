// The route table: every route Hutong serves, with the principals it admits. Collected as routes are registered
// (plugins' routes included), and checked there: a route without a valid declaration stops the start-up.
import type { FastifyInstance, RouteOptions } from 'fastify';
import { PRINCIPALS, type Principal } from './access';

export interface RouteEntry {
  method: string;
  url: string;
  access: readonly Principal[];
}

/** Principals that need no Hutong key: the route (or the sandbox behind it) authenticates the caller itself. */
export const KEYLESS_PRINCIPALS: readonly Principal[] = ['public', 'provider', 'sandbox_client', 'sandbox_admin'];

/**
 * Routes that plugins register without a way to declare access: exactly these paths, and only them, are public.
 * `@fastify/swagger-ui` under /docs (the rendered OpenAPI document and its assets).
 */
export const PLUGIN_PUBLIC_ROUTES: ReadonlySet<string> = new Set([
  '/docs',
  '/docs/',
  '/docs/static/index.html',
  '/docs/static/swagger-initializer.js',
  '/docs/json',
  '/docs/yaml',
  '/docs/static/*',
]);

/** Why a declaration is unacceptable, or null. Keyless and keyed principals never mix: a route either needs a key or not. */
export function accessProblem(access: unknown): string | null {
  if (!Array.isArray(access) || access.length === 0) return 'declares no access (config.access)';
  for (const p of access)
    if (!(PRINCIPALS as readonly unknown[]).includes(p)) return `declares an unknown principal "${String(p)}"`;
  const keyless = access.filter((p) => KEYLESS_PRINCIPALS.includes(p as Principal));
  if (keyless.length > 0 && keyless.length !== access.length)
    return 'mixes principals that need a key with ones that do not';
  return null;
}

/** True when the route needs no Hutong key (its handler or sandbox checks the caller). */
export function isKeyless(access: readonly Principal[]): boolean {
  return access.every((p) => KEYLESS_PRINCIPALS.includes(p));
}

/**
 * Installs the start-up check and returns the live list it fills. Must be installed before any route is registered.
 * HEAD routes that Fastify adds for a GET inherit the GET's declaration.
 */
export function installRouteTable(app: FastifyInstance): RouteEntry[] {
  const table: RouteEntry[] = [];
  app.addHook('onRoute', (route: RouteOptions) => {
    const url = route.url;
    if (route.config?.access === undefined && PLUGIN_PUBLIC_ROUTES.has(url)) {
      route.config = { ...route.config, access: ['public'] };
    }
    const problem = accessProblem(route.config?.access);
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (problem) throw new Error(`Route ${methods.join(',')} ${url} ${problem}: every route says who may call it.`);
    for (const method of methods) table.push({ method, url, access: route.config!.access! });
  });
  return table;
}
