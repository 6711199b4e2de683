// One small database interface over both engines: PGlite (embedded default) and a PostgreSQL server (pg Pool).
// Only PostgreSQL SQL that both accept (PGlite is PG 18, production and tests are PG 15).
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { mkdirSync } from 'node:fs';

export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<T>>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs fn in one transaction. Never wait on the network (a provider call) inside it. */
  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/** int8 → number, refusing anything past 2^53 rather than silently rounding money. */
function parseInt8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value out of safe range: ${value}`);
  return n;
}

pg.types.setTypeParser(INT8_OID, parseInt8);

/**
 * Parameterised statements run as named prepared statements: PostgreSQL parses and plans each text once per
 * connection instead of on every call (a checkout runs dozens of short statements; this halves the server's CPU per
 * checkout). Names are per process and per text; past the cap (SQL built with varying text, which we do not write)
 * statements simply run unnamed.
 */
const PREPARED_STATEMENTS_MAX = 1000;
const statementNames = new Map<string, string>();
/** Bumped when the schema changed under prepared statements: every text is prepared again under a new name. */
let statementGeneration = 0;

function statementName(sql: string): string | undefined {
  const known = statementNames.get(sql);
  if (known !== undefined || statementNames.size >= PREPARED_STATEMENTS_MAX) return known;
  const name = `hutong_${statementGeneration}_${statementNames.size}`;
  statementNames.set(sql, name);
  return name;
}

/** Statements without parameters keep the simple protocol: they may hold several commands (migrations). */
function pgQuery(sql: string, params: unknown[] | undefined): pg.QueryConfig {
  if (!params || params.length === 0) return { text: sql };
  return { name: statementName(sql), text: sql, values: params };
}

/**
 * A migration that changes a table's columns makes PostgreSQL refuse statements prepared before it ("cached plan
 * must not change result type", e.g. a `SELECT *` after ADD COLUMN during a rolling deploy). Forget every name so
 * the next use prepares afresh; true when that was the error.
 */
function forgetStalePlans(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  if (e?.code !== '0A000' || !String(e.message).includes('cached plan must not change result type')) return false;
  statementNames.clear();
  statementGeneration++;
  return true;
}

export function openPostgres(url: string, poolSize = 10): Db {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  pool.on('error', () => {}); // an idle client's error surfaces on its next query instead
  return {
    kind: 'postgres',
    async query<T>(sql: string, params?: unknown[]) {
      let r: pg.QueryResult;
      try {
        r = await pool.query(pgQuery(sql, params));
      } catch (err) {
        if (!forgetStalePlans(err)) throw err;
        r = await pool.query(pgQuery(sql, params)); // outside a transaction, one retry under the new name is safe
      }
      return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
    },
    async exec(sql: string) {
      await pool.query(sql);
    },
    async tx<T>(fn: (q: Queryable) => Promise<T>) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const q: Queryable = {
          async query<R>(sql: string, params?: unknown[]) {
            const r = await client.query(pgQuery(sql, params));
            return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
          },
          async exec(sql: string) {
            await client.query(sql);
          },
        };
        const result = await fn(q);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        forgetStalePlans(err); // this transaction fails; the next one prepares afresh
        throw err;
      } finally {
        client.release();
      }
    },
    async close() {
      await pool.end();
    },
  };
}

export async function openPglite(dataDir: string | undefined): Promise<Db> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create({
    dataDir,
    parsers: { [INT8_OID]: parseInt8, [NUMERIC_OID]: (v: string) => v },
  });
  const wrap = (q: { query: PGlite['query']; exec: PGlite['exec'] }): Queryable => ({
    async exec(sql: string) {
      await q.exec(sql);
    },
    async query<T>(sql: string, params?: unknown[]) {
      const r = await q.query<T>(sql, params as unknown[]);
      return { rows: r.rows, rowCount: Math.max(r.affectedRows ?? 0, r.rows.length) };
    },
  });
  return {
    kind: 'pglite',
    ...wrap(db),
    tx: (fn) => db.transaction((t) => fn(wrap(t))),
    async close() {
      await db.close();
    },
  };
}
