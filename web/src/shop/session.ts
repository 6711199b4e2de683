// The storefront's buyer: a guest made with POST /v1/buyers on the first visit, its key kept in localStorage.
// If the key stops working (the server's data was reset), a new guest is made and the call is tried once more.
import { ApiError, createApi, type Api } from '../shared/api';

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

let buyer: Buyer | null = read();
let creating: Promise<Buyer> | null = null;
const raw = createApi(() => buyer?.key ?? null);

function ensureBuyer(): Promise<Buyer> {
  if (buyer) return Promise.resolve(buyer);
  creating ??= raw
    .post<Buyer>('/v1/buyers', { name: 'Guest' })
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

export const api: Api = {
  get: (path) => withBuyer(() => raw.get(path)),
  post: (path, body) => withBuyer(() => raw.post(path, body)),
  patch: (path, body) => withBuyer(() => raw.patch(path, body)),
  put: (path, body) => withBuyer(() => raw.put(path, body)),
};
