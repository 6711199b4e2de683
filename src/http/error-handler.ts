// The one place errors become HTTP: api.md's body `{ error: { code, message, details?, request_id } }`.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HutongError, InvariantViolation, type ErrorCode, ERROR_CATALOGUE } from '../shared/errors';
import { ProviderError } from '../providers/types';
import { StoredResponse } from '../shared/door';

function body(code: ErrorCode, message: string, requestId: string, details?: Record<string, unknown>) {
  return { error: { code, message, ...(details ? { details } : {}), request_id: requestId } };
}

/** Fastify's own errors (parsing, validation, limits) mapped to our codes. */
function fromFastify(err: FastifyError): HutongError | null {
  if (err.code === 'FST_ERR_BAD_URL') return new HutongError('invalid_url');
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') return new HutongError('parameter_too_long');
  if (err.validation) {
    const details = {
      issues: err.validation.slice(0, 10).map((v) => ({ path: v.instancePath || '/', message: v.message })),
    };
    return new HutongError(
      'validation_failed',
      `Invalid ${err.validationContext ?? 'request'}: ${err.validation[0]?.message ?? 'invalid'}`,
      details,
    );
  }
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new HutongError('malformed_json');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return err.statusCode === 415 ? new HutongError('unsupported_media_type') : new HutongError('bad_request');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HutongError('body_too_large');
  }
  if (err instanceof SyntaxError) return new HutongError('malformed_json');
  if (err.statusCode === 415) return new HutongError('unsupported_media_type');
  if (err.statusCode === 413) return new HutongError('body_too_large');
  if (err.statusCode === 429) return new HutongError('rate_limited');
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500)
    return new HutongError('bad_request', err.message);
  return null;
}

/**
 * A provider's failure, told by what the client should do next: unavailable or outcome unknown → 503, retry with the
 * same Idempotency-Key; declined → 402, final, ask the buyer for another method; our request refused → 502.
 */
function fromProvider(err: ProviderError): HutongError {
  const details = { provider_code: err.code, retryable: err.retryable };
  switch (err.kind) {
    case 'unavailable':
    case 'outcome_unknown':
      return new HutongError('provider_unavailable', undefined, details);
    case 'declined':
      return new HutongError('provider_declined', err.message, details);
    case 'invalid_request':
      return new HutongError('provider_error', err.message, details);
    default: {
      const never: never = err.kind;
      throw new Error(`unknown provider error kind ${String(never)}`);
    }
  }
}

/**
 * Fastify's router errors (a malformed percent-escape, a parameter past maxParamLength) happen before any route or
 * hook: Fastify hands them here (its `frameworkErrors` option) so they too leave in api.md's body.
 */
export function frameworkErrors(err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const known = fromFastify(err);
  if (!known) {
    request.log.error({ err }, 'router error');
    return reply.status(500).send(body('internal_error', ERROR_CATALOGUE.internal_error.message, request.id));
  }
  return reply.status(known.status).send(body(known.code, known.message, request.id, known.details));
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if ((err as unknown) instanceof StoredResponse) {
      // The Idempotency-Key's recorded answer, sent as it was the first time (shared/door.ts).
      const stored = err as unknown as StoredResponse;
      return reply
        .status(stored.status)
        .header('idempotent-replayed', 'true')
        .type('application/json; charset=utf-8')
        .send(stored.body);
    }
    const known =
      err instanceof HutongError
        ? err
        : err instanceof ProviderError
          ? fromProvider(err)
          : err instanceof InvariantViolation
            ? null
            : fromFastify(err);
    if (!known) {
      request.log.error({ err }, 'unhandled error');
      return reply.status(500).send(body('internal_error', ERROR_CATALOGUE.internal_error.message, request.id));
    }
    if (known.status >= 500) request.log.warn({ code: known.code, err }, 'request failed');
    return reply.status(known.status).send(body(known.code, known.message, request.id, known.details));
  });
  app.setNotFoundHandler((request, reply) => {
    reply
      .status(404)
      .send(body('route_not_found', `No route ${request.method} ${request.url.split('?')[0]}.`, request.id));
  });
}
