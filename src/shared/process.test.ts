// A rejection nobody handles and an exception thrown from a timer are logged, and the process carries on.
import { expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const SCRIPT = `
import { installProcessSafetyNet } from ${JSON.stringify(join(import.meta.dirname, 'process.ts'))};
const logged = [];
installProcessSafetyNet({ error: (obj, msg) => logged.push(msg + ': ' + (obj.err && obj.err.message)) });
Promise.reject(new Error('lost rejection'));
setTimeout(() => { throw new Error('thrown in a timer'); }, 5);
setTimeout(() => { console.log(JSON.stringify({ alive: true, logged })); }, 50);
`;

test('logs an unhandled rejection and an uncaught exception, and keeps running', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], {
    encoding: 'utf8',
    cwd: join(import.meta.dirname, '..', '..'),
  });
  expect(r.status).toBe(0);
  expect(JSON.parse(r.stdout.trim())).toEqual({
    alive: true,
    logged: [
      'unhandled promise rejection (kept serving): lost rejection',
      'uncaught exception (kept serving): thrown in a timer',
    ],
  });
});
