// Where the installed package's files are (migrations/, web/, dist/): found from this module's own location, which
// is src/shared/ when run from source and dist/server/ when compiled — so neither depends on the working directory.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'hutong';
/** src/shared → root is two levels up; a bundle chunk may sit one level deeper. */
const LEVELS_MAX = 5;

function isPackageRoot(dir: string): boolean {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return false;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME;
  } catch {
    return false;
  }
}

function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let level = 0; level < LEVELS_MAX; level++) {
    if (isPackageRoot(dir)) return dir;
    dir = dirname(dir);
  }
  throw new Error(`the ${PACKAGE_NAME} package root (its package.json) is not above ${fileURLToPath(import.meta.url)}`);
}

export const PACKAGE_ROOT = findPackageRoot();
