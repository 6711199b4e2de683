// Every route a sandbox registers declares who may call it (deny by default refuses a route without one), and
// the test-only controls are the sandbox admin's, never a client's.
import Fastify, { type RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRINCIPALS } from '../http/access';
import { mountSandboxes, type MountedSandboxes } from './mount';

const app = Fastify();
const routes: Array<{ method: string; url: string; access: readonly string[] | undefined }> = [];
let mounted: MountedSandboxes;

beforeAll(async () => {
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD') continue; // Fastify's automatic HEAD twin of a GET carries the GET's config
      routes.push({ method, url: route.url, access: route.config?.access });
    }
  });
  mounted = await mountSandboxes(app, {
    dataDir: undefined,
    config: {
      applymentDelayMs: 0,
      settleDelayMs: 0,
      notifyTimeScale: 1,
      adminToken: undefined,
      notifyHosts: [],
      returnHosts: [],
      registrationsPerMinute: 30,
    },
    log: app.log,
  });
  await app.ready();
});

afterAll(async () => {
  await app.close();
  await mounted.close();
});

describe('sandbox route declarations', () => {
  it('every route declares a non-empty set of known principals', () => {
    expect(routes.length).toBeGreaterThan(40);
    const undeclared = routes.filter((r) => !r.access || r.access.length === 0).map((r) => `${r.method} ${r.url}`);
    expect(undeclared).toEqual([]);
    for (const r of routes) for (const p of r.access!) expect(PRINCIPALS).toContain(p);
  });

  it('only sandbox principals, and the test-only controls are the admin’s', () => {
    for (const r of routes) expect(r.access!.every((p) => p === 'sandbox_client' || p === 'sandbox_admin')).toBe(true);
    const adminOnly = (r: (typeof routes)[number]) => r.access!.length === 1 && r.access![0] === 'sandbox_admin';
    const controls = routes.filter((r) => /\/(clock|faults|books|notifications)(\/|$)/.test(r.url));
    expect(controls.map((r) => `${r.method} ${r.url}`)).toEqual(
      expect.arrayContaining([
        'POST /sandbox/alipay/clock',
        'PUT /sandbox/alipay/faults',
        'POST /sandbox/wechatpay/clock',
        'PUT /sandbox/wechatpay/faults',
      ]),
    );
    expect(controls.filter((r) => !adminOnly(r))).toEqual([]);
    const clientRoutes = routes.filter(
      (r) => !controls.includes(r) && /\/(gateway\.do|wallet|apps|merchants|v3\/)/.test(r.url),
    );
    expect(clientRoutes.filter((r) => r.access!.join() !== 'sandbox_client')).toEqual([]);
  });
});
