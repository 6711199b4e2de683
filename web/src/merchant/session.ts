// The merchant console's key (sessionStorage, for this tab) and the merchant it belongs to.
import { createContext, useContext } from 'react';
import { ApiError, createApi, type Api, type Page } from '../shared/api';
import { sessionKey } from '../shared/login';
import type { Merchant } from '../shared/types';

export const merchantKey = sessionKey('hutong.merchant.key');

export function merchantApi(onUnauthenticated: () => void): Api {
  return createApi(() => merchantKey.get(), onUnauthenticated);
}

/** A merchant key lists exactly its own merchant, and may read it (a buyer's key may list but not read). */
export async function merchantOfKey(key: string): Promise<Merchant> {
  const api = createApi(() => key);
  const page = await api.get<Page<Merchant>>('/v1/merchants?limit=2');
  if (page.data.length !== 1) throw new ApiError(403, 'forbidden_role', 'not a merchant key');
  return api.get<Merchant>(`/v1/merchants/${encodeURIComponent(page.data[0]!.id)}`);
}

export interface MerchantSession {
  api: Api;
  merchant: Merchant;
}

export const SessionContext = createContext<MerchantSession | null>(null);

export function useSession(): MerchantSession {
  const session = useContext(SessionContext);
  if (!session) throw new Error('no merchant session');
  return session;
}
