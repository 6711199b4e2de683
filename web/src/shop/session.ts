// The storefront's two keys. Browsing uses the storefront's publishable key, which the server hands the page
// (GET /web/env.json): no buyer is made for a visit. The guest buyer is made with POST /v1/buyers when the cart is
// first saved (or at the first buyer call), its key kept in localStorage. If the buyer key stops working (revoked,
// or the server's data was reset), a new guest is made and the call is tried once more.
import { ApiError, createApi, type Api } from '../shared/api';
import { webEnv } from '../shared/env';

const STORAGE_KEY = 'hutong.buyer';

interface Buyer {
  id: string;
  key: string;
}

function read(): Buyer | null {
  try {
    const value = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null') as Buyer | null;
    return value && typeof value.key === 'string' ? value : null;
  } catch {
    return null;
  }
}

let publishableKey: string | null = null;
async function loadPublishableKey(): Promise<void> {
  publishableKey ??= (await webEnv()).publishable_key ?? null;
}

const storefront = createApi(() => publishableKey);

/** The public catalogue (shops, products, live rooms), read with the publishable key. */
export const catalogApi: Api = {
  get: async (path) => {
    await loadPublishableKey();
    return storefront.get(path);
  },
  post: () => Promise.reject(new Error('the catalogue is read-only')),
  patch: () => Promise.reject(new Error('the catalogue is read-only')),
  put: () => Promise.reject(new Error('the catalogue is read-only')),
  del: () => Promise.reject(new Error('the catalogue is read-only')),
};

let buyer: Buyer | null = read();
let creating: Promise<Buyer> | null = null;
const raw = createApi(() => buyer?.key ?? null);

/** The guest buyer, made once (signed up with the publishable key). */
export function ensureBuyer(): Promise<Buyer> {
  if (buyer) return Promise.resolve(buyer);
  creating ??= loadPublishableKey()
    .then(() => storefront.post<Buyer>('/v1/buyers', { name: 'Guest' }))
    .then((made) => {
      buyer = { id: made.id, key: made.key };
      localStorage.setItem(STORAGE_KEY, JSON.stringify(buyer));
      return buyer;
    })
    .finally(() => {
      creating = null;
    });
  return creating;
}

function forget(): void {
  buyer = null;
  localStorage.removeItem(STORAGE_KEY);
}

async function withBuyer<T>(call: () => Promise<T>): Promise<T> {
  await ensureBuyer();
  try {
    return await call();
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) throw err;
    forget();
    await ensureBuyer();
    return call();
  }
}

/** The buyer's own calls: orders, payments, refunds. */
export const api: Api = {
  get: (path) => withBuyer(() => raw.get(path)),
  post: (path, body) => withBuyer(() => raw.post(path, body)),
  patch: (path, body) => withBuyer(() => raw.patch(path, body)),
  put: (path, body) => withBuyer(() => raw.put(path, body)),
  del: (path) => withBuyer(() => raw.del(path)),
};
