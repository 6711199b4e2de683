#!/usr/bin/env node
// The `hutong` command. `hutong serve` runs only the compiled server (dist/server/cli.js, made by `npm run build`):
// no TypeScript compiler, tsx or bundler at run time, and it refuses a build older than the sources beside it. The
// other commands run the compiled build too, or — in a development checkout with tsx installed — the sources.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { COMPILED, ROOT, compiledIsCurrent } from './build-state.mjs';

function refuse(message) {
  process.stderr.write(`hutong: ${message}\n`);
  process.exit(2);
}

const SOURCE_CLI = join(ROOT, 'src', 'cli', 'index.ts');

if (process.argv[2] === 'serve') {
  if (!existsSync(COMPILED))
    refuse('the server is not built: run `npm run build` first (hutong serve runs compiled JavaScript only)');
  if (!compiledIsCurrent()) refuse('dist/ is older than the sources beside it: run `npm run build`');
  await import(pathToFileURL(COMPILED).href);
} else if (existsSync(SOURCE_CLI) && !compiledIsCurrent()) {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    refuse('neither a current build (npm run build) nor tsx (npm ci) is here');
  }
  register();
  await import(pathToFileURL(SOURCE_CLI).href);
} else {
  await import(pathToFileURL(COMPILED).href);
}
