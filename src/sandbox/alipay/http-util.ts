// Small helpers for the sandbox's HTTP routes.
import type { FastifyRequest } from 'fastify';
import { SandboxError } from './errors';

/** protocol://host/prefix of a request: QR contents, cashier links and bill URLs are built from it. */
export function baseUrlOf(req: FastifyRequest, prefix: string): string {
  return `${req.protocol}://${req.headers.host ?? '127.0.0.1'}${prefix}`;
}

/** Parses a JSON request body that the plugin received as a string (malformed JSON is a 400, never a crash). */
export function jsonObject(body: unknown): Record<string, unknown> {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = body === '' ? {} : JSON.parse(body);
    } catch {
      throw new SandboxError(400, 'invalid_json', 'the body is not valid JSON');
    }
  }
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new SandboxError(400, 'invalid_json', 'the body must be a JSON object');
  return value as Record<string, unknown>;
}
