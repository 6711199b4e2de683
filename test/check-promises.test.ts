// The floating-promise check that `npm test` runs: it refuses a promise neither awaited nor caught, and lets through
// every handled form, on a small project written for the test.
import { afterAll, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'hutong-promises-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CASES = `
declare function work(): Promise<number>;
declare function maybe(): Promise<void> | undefined;
declare const log: (e: unknown) => void;
let held: Promise<number> | undefined;

export async function handled(): Promise<number> {
  await work();
  work().catch(log);
  work().then(() => 1, log);
  void work().catch(log);
  work().catch(log).finally(() => undefined);
  held = work();
  held ??= work();
  const later = work();
  setTimeout(() => void work().catch(log), 1);
  return later;
}

export function floating(): void {
  work(); // FLOAT 1
  void work(); // FLOAT 2
  work().then(() => 1); // FLOAT 3
  work().finally(() => undefined); // FLOAT 4
  maybe(); // FLOAT 5
  setTimeout(() => void work(), 1); // FLOAT 6
}
`;

test('reports each floating promise with its line and nothing else', () => {
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'es2022', lib: ['es2023', 'dom'], strict: true, types: [], noEmit: true },
      include: ['*.ts'],
    }),
  );
  writeFileSync(join(dir, 'cases.ts'), CASES);
  const r = spawnSync(process.execPath, [join(import.meta.dirname, '..', 'scripts', 'check-promises.mjs'), dir], {
    encoding: 'utf8',
  });
  expect(r.status).toBe(1);
  const lines = CASES.split('\n');
  const expected = lines.flatMap((l, i) => (l.includes('// FLOAT') ? [i + 1] : []));
  const reported = [...r.stderr.matchAll(/^cases\.ts:(\d+):/gm)].map((m) => Number(m[1]));
  expect(reported).toEqual(expected);
  expect(r.stderr).toContain('6 floating promise(s)');
});
