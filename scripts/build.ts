// `npm run build`: the production build, once. The server (src/cli/index.ts and everything it imports, `hutong serve`
// included) is bundled by esbuild into dist/server/ as plain ES modules — dependencies stay imports of node_modules,
// nothing TypeScript is left — and the pages are built by vite into dist/web/. Both tools are development
// dependencies: `hutong serve` needs neither. (TypeScript 7's tsc emits JavaScript, but our imports are extensionless
// module paths that Node's ES module loader cannot resolve; a bundler resolves them at build time.)
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../src/shared/package-root';
import { DIST_WEB, builtPages } from '../src/web/build';

const DIST = join(PACKAGE_ROOT, 'dist');
const SERVER = join(DIST, 'server');

/** Moves a freshly written folder into place, so a server started meanwhile never sees half of it. */
function swapInto(fresh: string, target: string): void {
  const old = `${target}.old-${process.pid}`;
  if (existsSync(target)) renameSync(target, old);
  renameSync(fresh, target);
  rmSync(old, { recursive: true, force: true });
}

async function buildServer(): Promise<void> {
  const out = `${SERVER}.tmp-${process.pid}`;
  rmSync(out, { recursive: true, force: true });
  await build({
    entryPoints: { cli: join(PACKAGE_ROOT, 'src', 'cli', 'index.ts') },
    outdir: out,
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
    banner: { js: '// Built by `npm run build` from src/ — edit the sources, not this file.' },
  });
  writeFileSync(join(out, '.built'), new Date().toISOString());
  swapInto(out, SERVER);
}

async function buildPages(): Promise<void> {
  const cached = await builtPages();
  const out = `${DIST_WEB}.tmp-${process.pid}`;
  rmSync(out, { recursive: true, force: true });
  cpSync(cached, out, { recursive: true });
  swapInto(out, DIST_WEB);
}

const started = Date.now();
mkdirSync(DIST, { recursive: true });
try {
  // Pages first: the server's stamp, written last, then says the whole build is newer than the sources.
  await buildPages();
  await buildServer();
  process.stdout.write(`built dist/server (hutong serve) and dist/web (the pages) in ${Date.now() - started} ms\n`);
} catch (err) {
  process.stderr.write(`build failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
