// Applies migrations/*.sql in name order, each once, each in its own transaction. The same files run on PGlite and
// PostgreSQL. Concurrent starts are serialised by an advisory lock on PostgreSQL (PGlite has one connection).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from './db';
import { PACKAGE_ROOT } from './package-root';

export const MIGRATIONS_DIR = join(PACKAGE_ROOT, 'migrations');
const MIGRATION_LOCK_ID = 7_404_212;

export async function migrate(db: Db, onApplied: (name: string) => void = () => {}): Promise<string[]> {
  const files = readdirSync(MIGRATIONS_DIR)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  const applied: string[] = [];
  await db.tx(async (q) => {
    if (db.kind === 'postgres') await q.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_ID]);
    await q.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set(
      (await q.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((r) => r.name),
    );
    for (const file of files) {
      if (done.has(file)) continue;
      const sql = readFileSync(join(MIGRATIONS_DIR, file), 'utf8');
      await q.exec(sql);
      await q.query('INSERT INTO schema_migrations (name) VALUES ($1)', [file]);
      applied.push(file);
      onApplied(file);
    }
  });
  return applied;
}
