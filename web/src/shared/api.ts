// The pages' only door to the HTTP API: JSON, `Authorization: Bearer`, api.md's error body turned into ApiError.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** An endpoint this server does not have yet (api.md names it, the server answers 404 route_not_found). */
export function isNotAvailable(err: unknown): boolean {
  return err instanceof ApiError && err.status === 404 && err.code === 'route_not_found';
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface Api {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  patch<T>(path: string, body: unknown): Promise<T>;
  put<T>(path: string, body: unknown): Promise<T>;
  del<T>(path: string): Promise<T>;
}

/** Random hex; crypto.randomUUID needs a secure context, which a phone on the LAN over http is not. */
export function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function errorOf(res: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    /* not JSON: keep the status only */
  }
  const error = (body as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | null)
    ?.error;
  return new ApiError(
    res.status,
    error?.code ?? `http_${res.status}`,
    error?.message ?? res.statusText,
    error?.details,
  );
}

export function createApi(keyOf: () => string | null, onUnauthenticated?: () => void): Api {
  const send = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const headers: Record<string, string> = { accept: 'application/json' };
    const key = keyOf();
    if (key) headers.authorization = `Bearer ${key}`;
    // A key per call: a network-level resend of the same call cannot act twice.
    if (method === 'POST') headers['idempotency-key'] = randomHex(16);
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok) {
      const err = await errorOf(res);
      if (err.status === 401 && onUnauthenticated) onUnauthenticated();
      throw err;
    }
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  };
  return {
    get: (path) => send('GET', path),
    post: (path, body) => send('POST', path, body),
    patch: (path, body) => send('PATCH', path, body),
    put: (path, body) => send('PUT', path, body),
    del: (path) => send('DELETE', path),
  };
}

/** Reads every page of a list (bounded: a page cap keeps a runaway list from hanging the page). */
export async function listAll<T>(api: Api, path: string, pagesMax = 20): Promise<T[]> {
  const rows: T[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < pagesMax; i++) {
    const sep = path.includes('?') ? '&' : '?';
    const page: Page<T> = await api.get<Page<T>>(
      `${path}${sep}limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    rows.push(...page.data);
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  return rows;
}
