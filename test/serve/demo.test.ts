// `npm start` (the demo) as a user runs it, in its own process: after start no file under its data directory is
// readable by group or others (PGlite's, the sandboxes' books and credentials included); an ops key from
// HUTONG_OPS_API_KEY is never printed; and the demo refuses real gateway variables (those are for `hutong serve`).
import { afterAll, describe, expect, test } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { GATEWAY_VARIABLES } from '../../src/config';
import { exposedPaths } from '../../src/shared/private-files';
import { ROOT } from '../../bin/build-state.mjs';
import { freePort } from '../helpers/serve';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hutong-demo-'));
  dirs.push(dir);
  return dir;
}

function startDemo(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'main.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const waiters = new Set<() => void>();
  const add = (d: Buffer) => {
    output += d.toString('utf8');
    waiters.forEach((w) => w());
  };
  child.stdout.on('data', add);
  child.stderr.on('data', add);
  const closed = new Promise<number | null>((resolve) =>
    child.once('close', (code) => (resolve(code), waiters.forEach((w) => w()))),
  );
  const waitFor = (pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (pattern.test(output)) resolve();
        else if (child.exitCode !== null) reject(new Error(`the demo exited before printing ${pattern}:\n${output}`));
      };
      waiters.add(check);
      check();
    });
  return { child, output: () => output, waitFor, closed };
}

function countFiles(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce(
    (n, e) => n + (e.isDirectory() ? countFiles(join(dir, e.name)) : 1),
    0,
  );
}

describe('npm start', () => {
  test('keeps every file of its data directory to its user, and does not print a configured ops key', async () => {
    const dataDir = join(tempDir(), 'data');
    const opsKey = `configured-ops-${randomBytes(12).toString('hex')}`;
    const demo = startDemo({
      HUTONG_DATA_DIR: dataDir,
      PORT: String(await freePort()),
      HUTONG_OPS_API_KEY: opsKey,
      HUTONG_SANDBOX_APPLYMENT_DELAY_MS: '200',
      HUTONG_SANDBOX_SETTLE_DELAY_MS: '200',
    });
    try {
      await demo.waitFor(/Hutong demo is running at/);
      expect(demo.output()).toMatch(/Ops key: +the one in HUTONG_OPS_API_KEY/);
      expect(demo.output()).not.toContain(opsKey);
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      // PGlite's own files, both sandboxes' books, their credentials, the data key and the demo's keys.
      expect(countFiles(dataDir)).toBeGreaterThan(100);
      for (const name of ['data.key', 'demo.json', join('sandbox', 'credentials.json')])
        expect(statSync(join(dataDir, name)).mode & 0o777).toBe(0o600);
      expect(exposedPaths(dataDir)).toEqual([]);
    } finally {
      demo.child.kill('SIGTERM');
      await demo.closed;
    }
    expect(exposedPaths(dataDir)).toEqual([]);
  }, 600_000);

  test('refuses real gateway variables: production is hutong serve', async () => {
    const dir = tempDir();
    const env: Record<string, string> = { HUTONG_DATA_DIR: join(dir, 'data'), PORT: String(await freePort()) };
    for (const name of GATEWAY_VARIABLES.alipay.required) {
      if (name.endsWith('_FILE')) {
        const file = join(dir, name);
        writeFileSync(file, 'not a key', { mode: 0o600 });
        env[name] = file;
      } else {
        env[name] = `value-of-${name}`;
      }
    }
    const demo = startDemo(env);
    expect(await demo.closed).toBe(2);
    expect(demo.output()).toMatch(/^Configuration error: the demo runs both providers on its sandboxes/);
  }, 120_000);
});
