// A provider's failure reaches the client as what to do next: 402 provider_declined (final: ask the buyer for
// another method), 503 provider_unavailable (retry with the same Idempotency-Key), 502 provider_error (our request
// was refused), each with the provider's code and whether a retry can help.
import Fastify from 'fastify';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { installErrorHandling } from './error-handler';
import { ProviderError, type ProviderErrorKind } from '../providers/types';

const app = Fastify({ logger: false });
beforeAll(async () => {
  installErrorHandling(app);
  app.get('/fail/:kind/:code', async (req) => {
    const { kind, code } = req.params as { kind: ProviderErrorKind; code: string };
    throw new ProviderError(kind, code, `the provider said ${code}`, 'PROVIDER_CODE');
  });
  await app.ready();
});
afterAll(async () => {
  await app.close();
});

test.each([
  ['declined', 'trade_closed', 402, 'provider_declined', false],
  ['invalid_request', 'out_trade_no_invalid', 502, 'provider_error', false],
  ['unavailable', 'provider_unreachable', 503, 'provider_unavailable', true],
  ['outcome_unknown', 'provider_system_error', 503, 'provider_unavailable', true],
] as const)('%s (%s) → %i %s', async (kind, providerCode, status, code, retryable) => {
  const res = await app.inject({ method: 'GET', url: `/fail/${kind}/${providerCode}` });
  expect(res.statusCode).toBe(status);
  const body = res.json() as { error: { code: string; details: { provider_code: string; retryable: boolean } } };
  expect(body.error.code).toBe(code);
  expect(body.error.details).toEqual({ provider_code: providerCode, retryable });
});
