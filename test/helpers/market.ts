// Small builders for tests: merchants, products and buyers made through the public API, as a user would.
import { expect } from 'vitest';
import type { TestHutong } from './hutong';

export interface TestMerchant {
  id: string;
  key: string;
}

export async function merchant(h: TestHutong, name = 'Shop', extra: Record<string, unknown> = {}): Promise<TestMerchant> {
  const created = await h.call('POST', '/v1/merchants', { key: h.opsKey, body: { name, ...extra } });
  expect(created.status).toBe(201);
  const key = await h.call('POST', `/v1/merchants/${created.body.id}/api-keys`, { key: h.opsKey });
  expect(key.status).toBe(201);
  return { id: created.body.id, key: key.body.key };
}

export async function product(h: TestHutong, m: TestMerchant, body: Record<string, unknown> = {}): Promise<{ id: string; price: number }> {
  const res = await h.call('POST', '/v1/products', { key: m.key, body: { name: 'Thing', price: 1000, stock: 100, ...body } });
  expect(res.status).toBe(201);
  return res.body;
}

export async function buyer(h: TestHutong, name = 'Buyer'): Promise<{ id: string; key: string }> {
  const res = await h.call('POST', '/v1/buyers', { body: { name } });
  expect(res.status).toBe(201);
  return res.body;
}

/** Runs the worker until the condition holds (bounded), e.g. an onboarding reaching active. */
export async function until(h: TestHutong, condition: () => Promise<boolean>, what: string, roundsMax = 100): Promise<void> {
  for (let i = 0; i < roundsMax; i++) {
    if (await condition()) return;
    await h.worker.runOnce();
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
