import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { ERROR_CATALOGUE } from './errors';

test('docs/errors.md has exactly one row per error code, with its HTTP status', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const rows = [...doc.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
  expect(Object.fromEntries(rows)).toEqual(
    Object.fromEntries(Object.entries(ERROR_CATALOGUE).map(([code, e]) => [code, e.status])),
  );
  expect(rows.length).toBe(Object.keys(ERROR_CATALOGUE).length);
});
