// `hutong serve` processes on one PostgreSQL: several started at once apply each migration once (the advisory lock),
// roles start what they say, and SIGTERM drains the requests in flight within the deadline.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import pg from 'pg';
import { connect, type Socket } from 'node:net';
import { readdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { MIGRATIONS_DIR } from '../../src/shared/migrate';
import { createTestDatabase } from '../helpers/hutong';
import { dataKey, ensureBuilt, freePort, spawnServe, type ServeProcess } from '../helpers/serve';

const PROCESSES_AT_ONCE = 4;
const CONNECT_POLLS_MAX = 200;
const started: ServeProcess[] = [];

beforeAll(ensureBuilt, 300_000);
afterAll(async () => {
  await Promise.all(started.map((s) => s.stop('SIGKILL')));
});

function baseEnv(databaseUrl: string): Record<string, string> {
  return { DATABASE_URL: databaseUrl, HUTONG_DATA_KEY: dataKey(), HUTONG_PUBLIC_URL: 'https://shop.example.com' };
}

function serve(args: string[], env: Record<string, string>): ServeProcess {
  const s = spawnServe(args, env);
  started.push(s);
  return s;
}

describe('many processes on one database', () => {
  test(`${PROCESSES_AT_ONCE} started at once apply every migration exactly once`, async () => {
    const databaseUrl = await createTestDatabase();
    const env = baseEnv(databaseUrl);
    const healthPort = await freePort();
    const roles = ['worker', 'worker', 'api', 'all'];
    const ports = await Promise.all(roles.map(() => freePort()));
    const processes = roles.map((role, i) =>
      serve(['--role', role], {
        ...env,
        PORT: String(ports[i]),
        ...(i === 0 ? { HUTONG_HEALTH_PORT: String(healthPort) } : {}),
      }),
    );
    await Promise.all(processes.map((p, i) => p.waitFor(new RegExp(`role ${roles[i]} started`))));

    const client = new pg.Client(databaseUrl);
    await client.connect();
    const { rows } = await client.query<{ name: string; n: number }>(
      'SELECT name, count(*)::int AS n FROM schema_migrations GROUP BY name ORDER BY name',
    );
    await client.end();
    const files = readdirSync(MIGRATIONS_DIR)
      .filter((f) => f.endsWith('.sql'))
      .sort();
    expect(rows).toEqual(files.map((name) => ({ name, n: 1 })));

    // A worker has no API; its health listener answers only /healthz. An api process serves the API.
    expect(processes[0]!.output()).toMatch(/role worker started, health at http:\/\/127\.0\.0\.1:\d+\/healthz/);
    expect(processes[1]!.output()).toMatch(/role worker started, no HTTP listener/);
    expect(await (await fetch(`http://127.0.0.1:${healthPort}/healthz`)).json()).toEqual({
      status: 'ok',
      role: 'worker',
    });
    expect((await fetch(`http://127.0.0.1:${healthPort}/v1/merchants`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${ports[2]}/healthz`)).status).toBe(200);

    const stopped = await Promise.all(processes.map((p) => p.stop('SIGTERM')));
    expect(stopped.map((s) => s.code)).toEqual(roles.map(() => 0));
    for (const p of processes) expect(p.output()).toMatch(/hutong serve: stopped\n/);
  }, 300_000);
});

/** A POST whose headers the server has read (it answered 100 Continue) and whose body is not finished yet. */
async function requestInFlight(
  port: number,
  opsKey: string,
): Promise<{ socket: Socket; finish(): void; response: Promise<string> }> {
  const body = JSON.stringify({ name: 'Shop in flight' });
  const socket = connect(port, '127.0.0.1');
  let received = '';
  let sawContinue: () => void = () => {};
  const continued = new Promise<void>((resolve) => (sawContinue = resolve));
  const response = new Promise<string>((resolve) => {
    socket.on('data', (d: Buffer) => {
      received += d.toString('utf8');
      if (received.includes('100 Continue')) sawContinue();
      if (/\r\n\r\n[\s\S]*\}$/.test(received.replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, ''))) resolve(received);
    });
    socket.on('close', () => resolve(received));
  });
  socket.write(
    [
      'POST /v1/merchants HTTP/1.1',
      `Host: 127.0.0.1:${port}`,
      `Authorization: Bearer ${opsKey}`,
      'Content-Type: application/json',
      `Idempotency-Key: ${randomBytes(8).toString('hex')}`,
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Expect: 100-continue',
      '',
      '',
    ].join('\r\n'),
  );
  await continued;
  socket.write(body.slice(0, 5));
  return { socket, response, finish: () => socket.write(body.slice(5)) };
}

async function refusesConnections(port: number): Promise<boolean> {
  for (let poll = 0; poll < CONNECT_POLLS_MAX; poll++) {
    const refused = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(false)));
      s.once('error', () => resolve(true));
    });
    if (refused) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

describe('shutdown', () => {
  let databaseUrl: string;
  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
  });

  async function apiServer(extra: Record<string, string> = {}) {
    const port = await freePort();
    const opsKey = `ops-${randomBytes(16).toString('hex')}`;
    const p = serve(['--role', 'api'], {
      ...baseEnv(databaseUrl),
      PORT: String(port),
      HUTONG_OPS_API_KEY: opsKey,
      ...extra,
    });
    await p.waitFor(/role api started/);
    return { p, port, opsKey };
  }

  test('SIGTERM stops accepting, lets the request in flight finish, then exits 0', async () => {
    const { p, port, opsKey } = await apiServer();
    const inFlight = await requestInFlight(port, opsKey);
    p.child.kill('SIGTERM');
    await p.waitFor(/SIGTERM: stopping/);
    expect(await refusesConnections(port)).toBe(true);
    inFlight.finish();
    const response = await inFlight.response;
    expect(response).toMatch(/HTTP\/1\.1 201 Created/);
    expect(response).toMatch(/"name":"Shop in flight"/);
    expect((await p.exited).code).toBe(0);
    expect(p.output()).toMatch(/hutong serve: stopped\n/);
  }, 120_000);

  test('a request still unfinished at the deadline has its connection closed, and the process exits', async () => {
    const { p, port, opsKey } = await apiServer({ HUTONG_SHUTDOWN_TIMEOUT_MS: '200' });
    const inFlight = await requestInFlight(port, opsKey);
    p.child.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);
    expect(p.output()).toMatch(/stopped \(deadline passed: 1 connection\(s\) closed with requests in flight\)/);
    expect(await inFlight.response).not.toMatch(/201 Created/);
  }, 120_000);
});
