// Who may call a route. Every route declares the set of principals it admits in its definition
// (`config: { access: [...] }`); access is decided on the router's matched route, never on the raw URL, and a route
// without a declaration is refused at start-up (deny by default).
export const PRINCIPALS = [
  /** Anyone, no key: health, the OpenAPI document, the web pages and their assets. */
  'public',
  /** A storefront's publishable key (`pk_…`): public catalogue reads and guest sign-up only. */
  'publishable',
  /** API keys by role; a merchant or buyer key is further scoped to its own data by `ensureOwner`. */
  'buyer',
  'merchant',
  'ops',
  /** A provider's notification: no key, the handler verifies the provider's signature before anything else. */
  'provider',
  /** A sandbox gateway or wallet endpoint: the sandbox verifies its client's signature itself. */
  'sandbox_client',
  /** A sandbox's test-only control (clock, faults): the sandbox checks its admin token itself. */
  'sandbox_admin',
] as const;

export type Principal = (typeof PRINCIPALS)[number];

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call this route (deny by default: a route without it fails at start-up). */
    access?: readonly Principal[];
  }
}
