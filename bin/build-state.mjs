// Whether dist/ holds a build at least as new as the sources beside it (a development checkout); an installed
// build without sources is current by definition. Shared by bin/hutong.mjs and the tests that run `hutong serve`.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
export const COMPILED = join(ROOT, 'dist', 'server', 'cli.js');
const STAMP = join(ROOT, 'dist', 'server', '.built');
const SOURCES = ['src', 'web', 'migrations', 'package.json'].map((d) => join(ROOT, d));
const SOURCE_FILES_MAX = 5000;

/** The newest modification time among the sources (0 without any). */
function newestSourceMs() {
  let newest = 0;
  let budget = SOURCE_FILES_MAX;
  const visit = (path) => {
    const stat = statSync(path);
    if (!stat.isDirectory()) {
      newest = Math.max(newest, stat.mtimeMs);
      return;
    }
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      if (entry.name === 'dist' || entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      if (--budget < 0) throw new Error(`more than ${SOURCE_FILES_MAX} source files under ${ROOT}`);
      visit(join(path, entry.name));
    }
  };
  for (const path of SOURCES) if (existsSync(path)) visit(path);
  return newest;
}

export function compiledIsCurrent() {
  return existsSync(COMPILED) && existsSync(STAMP) && statSync(STAMP).mtimeMs >= newestSourceMs();
}
