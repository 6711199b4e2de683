// The operations console's key (sessionStorage, for this tab).
import { createContext, useContext } from 'react';
import { createApi, isNotAvailable, type Api } from '../shared/api';
import { sessionKey } from '../shared/login';

export const opsKey = sessionKey('hutong.ops.key');

/** An ops key may read the payment-method catalogue; other roles get 403. */
export async function checkOpsKey(key: string): Promise<void> {
  const api = createApi(() => key);
  try {
    await api.get('/v1/payment-methods');
  } catch (err) {
    // Without the catalogue endpoint, listing merchants at least proves the key is valid.
    if (!isNotAvailable(err)) throw err;
    await api.get('/v1/merchants?limit=1');
  }
}

export const ApiContext = createContext<Api | null>(null);

export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) throw new Error('no ops session');
  return api;
}
