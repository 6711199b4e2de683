// What a provider holds for a sub-merchant, for `hutong check`: on a sandbox its books endpoint (the ground truth of
// the sandbox), on a real gateway what the adapter offers (WeChat Pay's fund balance; Alipay 直付通 has no balance
// API, so that check is skipped there and the per-trade unsettled check stands in for it).
import { request } from 'undici';
import { ProviderError, type ProviderName } from '../providers/types';
import type { ProviderRegistry } from '../providers/registry';

export interface HeldMoney {
  frozen: number;
  available: number;
}

export interface ProviderBooks {
  /** undefined: this provider offers no way to read it. */
  held(provider: ProviderName, subMerchantId: string): Promise<HeldMoney | undefined>;
}

const BOOKS_TIMEOUT_MS = 15_000;

/**
 * Reads the in-process or standalone sandboxes' books at `baseUrl` (the server's own origin in the embedded default);
 * the books are a test-only view, so they need the sandbox admin token.
 */
export function sandboxBooks(baseUrl: string, adminToken: string | undefined): ProviderBooks {
  return {
    async held(provider, subMerchantId) {
      const url = `${baseUrl}/sandbox/${provider}/books/sub-merchants/${encodeURIComponent(subMerchantId)}`;
      const headers = adminToken ? { authorization: `Bearer ${adminToken}` } : {};
      const res = await request(url, {
        method: 'GET',
        headers,
        headersTimeout: BOOKS_TIMEOUT_MS,
        bodyTimeout: BOOKS_TIMEOUT_MS,
      });
      const text = await res.body.text();
      if (res.statusCode !== 200)
        throw new ProviderError(
          'unavailable',
          'sandbox_books_unavailable',
          `${provider} sandbox books answered HTTP ${res.statusCode}`,
        );
      const books = JSON.parse(text) as { frozen: number; available: number };
      return { frozen: books.frozen, available: books.available };
    },
  };
}

export function adapterBooks(providers: ProviderRegistry): ProviderBooks {
  return {
    async held(provider, subMerchantId) {
      try {
        const b = await providers.get(provider).escrow.balance(subMerchantId);
        return { frozen: b.frozenFen, available: b.availableFen };
      } catch (err) {
        if (err instanceof ProviderError && err.code === 'balance_not_supported') return undefined;
        throw err;
      }
    },
  };
}

/** Per provider: the sandbox's books where Hutong runs on its sandbox, the adapter where on a real gateway. */
export function providerBooks(
  onSandbox: Record<ProviderName, boolean>,
  sandboxBaseUrl: string | undefined,
  providers: ProviderRegistry,
  sandboxAdminToken?: string,
): ProviderBooks {
  const sandbox = sandboxBaseUrl ? sandboxBooks(sandboxBaseUrl, sandboxAdminToken) : undefined;
  const adapters = adapterBooks(providers);
  return { held: (provider, sub) => (onSandbox[provider] && sandbox ? sandbox : adapters).held(provider, sub) };
}
