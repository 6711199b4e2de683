// Keyset pagination over (created_at, id): `?limit=` (default 50, max 500) and an opaque `?cursor=`.
import { Type } from 'typebox';
import { HutongError } from './errors';

export const LIMIT_DEFAULT = 50;
export const LIMIT_MAX = 500;

export const ListQuery = Type.Object(
  {
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: LIMIT_MAX, description: 'Page size (default 50, max 500).' }),
    ),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: 'next_cursor of the previous page.' })),
  },
  { additionalProperties: true },
);

export interface Page {
  limit: number;
  after: { createdAt: Date; id: string } | null;
}

export function pageFrom(query: { limit?: number; cursor?: string }): Page {
  const limit = query.limit ?? LIMIT_DEFAULT;
  if (!query.cursor) return { limit, after: null };
  try {
    const [ts, id] = JSON.parse(Buffer.from(query.cursor, 'base64url').toString('utf8')) as [string, string];
    const createdAt = new Date(ts);
    if (Number.isNaN(createdAt.getTime()) || typeof id !== 'string') throw new Error('bad cursor');
    return { limit, after: { createdAt, id } };
  } catch {
    throw new HutongError('validation_failed', 'cursor is not a cursor this API gave out');
  }
}

/** Call with limit + 1 rows fetched; returns the page and the cursor for the next one. */
export function toPage<T extends { created_at: Date; id: string }, R>(rows: T[], limit: number, shape: (row: T) => R) {
  const more = rows.length > limit;
  const slice = more ? rows.slice(0, limit) : rows;
  const last = slice[slice.length - 1];
  return {
    data: slice.map(shape),
    next_cursor:
      more && last ? Buffer.from(JSON.stringify([last.created_at.toISOString(), last.id])).toString('base64url') : null,
  };
}

/** SQL fragment for "after the cursor", with its two parameters starting at $n. */
export function afterClause(n: number): string {
  return `($${n}::timestamptz IS NULL OR (created_at, id) > ($${n}::timestamptz, $${n + 1}::text))`;
}

export function afterParams(page: Page): [Date | null, string | null] {
  return page.after ? [page.after.createdAt, page.after.id] : [null, null];
}
