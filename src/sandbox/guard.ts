// What keeps a mounted sandbox from being turned against the people who can reach it, shared by both sandboxes:
// the admin token on test-only controls (JSON only), the hosts it may notify or send a buyer back to, the
// registration budget (each registration makes an RSA key pair) and the security headers of its pages.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { makeAdminToken } from './admin-token';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The safety settings a host (Hutong's config, a standalone main, a test kit) gives a sandbox. */
export interface SandboxSafetyOptions {
  /** Bearer token for the test-only controls (clock, faults, books); omitted = one made at start (see `adminToken`). */
  adminToken?: string;
  /** Hosts besides loopback that notifications may go to (HUTONG_SANDBOX_NOTIFY_HOSTS). */
  notifyHosts?: readonly string[];
  /** Hosts besides loopback and the notify hosts that buyers may be sent back to (HUTONG_SANDBOX_RETURN_HOSTS). */
  returnHosts?: readonly string[];
  /** Registrations (apps, merchants) allowed per minute, across all callers (default 30). */
  registrationsPerMinute?: number;
}

export const ADMIN_TOKEN_CHARS_MIN = 16;
/** Registration and control bodies are a few fields; nothing legitimate comes near this. */
export const SMALL_BODY_BYTES = 16 * 1024;
const REGISTRATIONS_PER_MINUTE_DEFAULT = 30;

export function checkedAdminToken(token: string | undefined, owner: string): string {
  if (token === undefined) return makeAdminToken();
  if (token.length < ADMIN_TOKEN_CHARS_MIN || /\s/.test(token)) {
    throw new Error(
      `${owner}: the sandbox admin token must be at least ${ADMIN_TOKEN_CHARS_MIN} characters without spaces`,
    );
  }
  return token;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

function refuse(reply: FastifyReply, status: number, code: string, message: string) {
  if (status === 401) reply.header('www-authenticate', 'Bearer realm="sandbox admin"');
  return reply.code(status).send({ error: { code, message } });
}

/**
 * onRequest hook: a route that admits `sandbox_admin` needs `Authorization: Bearer <token>`, and a body it takes must
 * be JSON (a form or text/plain body is what any web page can send across origins without asking first).
 * Decided on the matched route's declaration, so no spelling of the URL gets around it.
 */
export function adminGuard(token: string) {
  const expected = digest(token);
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const access = req.routeOptions.config?.access;
    if (!access?.includes('sandbox_admin')) return;
    const header = req.headers.authorization;
    const given =
      typeof header === 'string' && /^Bearer\s+/i.test(header) ? header.replace(/^Bearer\s+/i, '').trim() : undefined;
    if (!given)
      return refuse(
        reply,
        401,
        'admin_token_required',
        'this test-only control needs the sandbox admin token: Authorization: Bearer <token>',
      );
    if (!timingSafeEqual(digest(given), expected))
      return refuse(reply, 401, 'admin_token_invalid', 'the sandbox admin token is not valid');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const type = String(req.headers['content-type'] ?? '')
        .split(';')[0]!
        .trim()
        .toLowerCase();
      if (type !== 'application/json')
        return refuse(reply, 415, 'unsupported_media_type', 'send the control as application/json');
    }
  };
}

/** 127.0.0.0/8, ::1 and localhost: the sandbox's own machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  if (/^::ffff:127\./.test(host) || /^::ffff:7f[0-9a-f]{2}:/.test(host)) return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function normalisedHosts(hosts: readonly string[] | undefined): Set<string> {
  return new Set((hosts ?? []).map((h) => h.trim().toLowerCase()).filter((h) => h.length > 0));
}

/** Where a sandbox may send notifications (server to server) and buyers (browser redirects). */
export class HostPolicy {
  private readonly notify: Set<string>;
  private readonly back: Set<string>;

  constructor(opts: Pick<SandboxSafetyOptions, 'notifyHosts' | 'returnHosts'> = {}) {
    this.notify = normalisedHosts(opts.notifyHosts);
    this.back = new Set([...this.notify, ...normalisedHosts(opts.returnHosts)]);
  }

  /** Why a notify URL is refused, or null: http(s) to loopback or a host in HUTONG_SANDBOX_NOTIFY_HOSTS. */
  notifyUrlProblem(text: string): string | null {
    return urlProblem(text, this.notify, 'HUTONG_SANDBOX_NOTIFY_HOSTS');
  }

  /** Why a return/redirect URL is refused, or null: http(s) to loopback, a notify host or a return host. */
  returnUrlProblem(text: string): string | null {
    return urlProblem(text, this.back, 'HUTONG_SANDBOX_RETURN_HOSTS');
  }
}

function urlProblem(text: string, allowed: Set<string>, variable: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not an absolute URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `must be an http(s) URL, not ${url.protocol}`;
  if (url.username || url.password) return 'must not carry credentials';
  const host = url.hostname.toLowerCase();
  if (isLoopbackHost(host) || allowed.has(host)) return null;
  return `host ${host} is neither loopback nor listed in ${variable}`;
}

/** Registrations across all callers: a token bucket refilled every minute (real time, not the sandbox clock). */
export class RegistrationBudget {
  private tokens: number;
  private refilledAt: number;
  readonly perMinute: number;

  constructor(
    perMinute: number | undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.perMinute = perMinute ?? REGISTRATIONS_PER_MINUTE_DEFAULT;
    if (!Number.isSafeInteger(this.perMinute) || this.perMinute < 1)
      throw new Error('registrationsPerMinute must be a positive integer');
    this.tokens = this.perMinute;
    this.refilledAt = this.now();
  }

  /** Takes one registration; false when the minute's budget is spent. */
  take(): boolean {
    const now = this.now();
    const refill = ((now - this.refilledAt) / 60_000) * this.perMinute;
    this.tokens = Math.min(this.perMinute, this.tokens + refill);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Seconds until the next registration is allowed (for Retry-After). */
  retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(((1 - this.tokens) / this.perMinute) * 60));
  }
}

/** preHandler for a registration route: 429 with a JSON error once the minute's budget is spent. */
export function registrationLimit(budget: RegistrationBudget) {
  return async (_req: FastifyRequest, reply: FastifyReply) => {
    if (budget.take()) return;
    reply.header('retry-after', String(budget.retryAfterSeconds()));
    return refuse(
      reply,
      429,
      'too_many_registrations',
      `at most ${budget.perMinute} registrations a minute; try again shortly`,
    );
  };
}

/**
 * Headers for every sandbox HTML page: scripts only with the page's nonce (so neither an injected element nor a
 * `javascript:` URL runs), no framing, no form posts, fetch only to its own origin.
 */
export function pageSecurityHeaders(reply: FastifyReply, nonce: string): FastifyReply {
  return reply
    .header(
      'content-security-policy',
      [
        "default-src 'none'",
        `script-src 'nonce-${nonce}'`,
        "style-src 'unsafe-inline'",
        "connect-src 'self'",
        "img-src 'self' data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
      ].join('; '),
    )
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY');
}

export function pageNonce(): string {
  return randomBytes(16).toString('base64');
}

/** JSON for an inline script or a JSON script element: nothing in it can close the element or start a comment. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** onSend hook: an HTML answer that did not set its own policy (error pages) gets one that runs no script at all. */
export async function strictPageHeaders(_req: FastifyRequest, reply: FastifyReply, payload: unknown) {
  const type = String(reply.getHeader('content-type') ?? '');
  if (/^text\/html/i.test(type) && !reply.hasHeader('content-security-policy')) {
    reply.header(
      'content-security-policy',
      "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    reply.header('x-content-type-options', 'nosniff');
  }
  return payload;
}

/** The standalone servers' safety settings from their CLI flags or, failing those, the environment. */
export function safetyFromCli(
  cli: { adminToken?: string | undefined; notifyHosts?: string | undefined; returnHosts?: string | undefined },
  env: NodeJS.ProcessEnv,
): SandboxSafetyOptions {
  const list = (text: string | undefined) =>
    (text ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter((h) => h.length > 0);
  const token = cli.adminToken ?? env.HUTONG_SANDBOX_ADMIN_TOKEN;
  return {
    ...(token ? { adminToken: token } : {}),
    notifyHosts: list(cli.notifyHosts ?? env.HUTONG_SANDBOX_NOTIFY_HOSTS),
    returnHosts: list(cli.returnHosts ?? env.HUTONG_SANDBOX_RETURN_HOSTS),
  };
}

export const SAFETY_FLAGS = [
  [
    '--admin-token <token>',
    'bearer token for clock, faults and books (env HUTONG_SANDBOX_ADMIN_TOKEN; default: made and printed at start)',
  ],
  [
    '--notify-hosts <hosts>',
    'comma-separated hosts besides loopback that notifications may go to (env HUTONG_SANDBOX_NOTIFY_HOSTS)',
  ],
  [
    '--return-hosts <hosts>',
    'comma-separated hosts besides loopback and the notify hosts buyers may return to (env HUTONG_SANDBOX_RETURN_HOSTS)',
  ],
] as const;
