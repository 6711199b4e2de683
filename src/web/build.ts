// Builds the pages (web/) with vite's JS API. Production serves what `npm run build` made (dist/web) and never builds;
// the demo and the tests build from the sources into a cache folder named by the sources' content
// (node_modules/.cache/hutong/web/<hash>), so nothing is ever written into web/ or src/ at run time, and servers of
// several processes with the same sources share one build.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PACKAGE_ROOT } from '../shared/package-root';

export const WEB_ROOT = join(PACKAGE_ROOT, 'web');
/** The pages `npm run build` makes for production. */
export const DIST_WEB = join(PACKAGE_ROOT, 'dist', 'web');
/** The URL prefix the built assets are served under. */
export const WEB_BASE = '/web/';
export const WEB_APPS = ['shop', 'merchant', 'ops'] as const;
export type WebApp = (typeof WEB_APPS)[number];

const CACHE_ROOT = process.env.HUTONG_BUILD_CACHE_DIR || join(PACKAGE_ROOT, 'node_modules', '.cache', 'hutong', 'web');
/** Builds of older sources kept in the cache (other checkouts sharing node_modules may still use them). */
const CACHED_BUILDS_MAX = 8;
const STAMP = '.built';
const SOURCE_FILES_MAX = 2000;

/** Every page and the stamp written last: a folder without them is half a build. */
export function pagesComplete(dir: string): boolean {
  return existsSync(join(dir, STAMP)) && WEB_APPS.every((a) => existsSync(join(dir, `${a}.html`)));
}

function sourceFiles(dir: string, out: string[]): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    if (out.length >= SOURCE_FILES_MAX) throw new Error(`more than ${SOURCE_FILES_MAX} files under ${WEB_ROOT}`);
    const path = join(dir, entry.name);
    if (entry.isDirectory()) sourceFiles(path, out);
    else out.push(path);
  }
  return out;
}

/** A hash of the page sources' names and contents: the same sources give the same build folder. */
export function sourcesFingerprint(): string {
  const hash = createHash('sha256');
  for (const file of sourceFiles(WEB_ROOT, []).sort()) {
    hash.update(relative(WEB_ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

export async function buildWeb(outDir: string): Promise<void> {
  // Loaded only when building (development dependencies): a server on built pages never loads vite.
  const { build } = await import('vite');
  const { default: react } = await import('@vitejs/plugin-react');
  await build({
    root: WEB_ROOT,
    base: WEB_BASE,
    configFile: false,
    envDir: false,
    logLevel: 'warn',
    plugins: [react()],
    cacheDir: join(CACHE_ROOT, '.vite'),
    build: {
      outDir,
      emptyOutDir: true,
      sourcemap: false,
      rollupOptions: { input: Object.fromEntries(WEB_APPS.map((a) => [a, join(WEB_ROOT, `${a}.html`)])) },
    },
  });
  writeFileSync(join(outDir, STAMP), new Date().toISOString());
}

/** Builds into a fresh folder and renames it into place, so another process never sees half a build. */
export async function buildInto(target: string): Promise<void> {
  const tmp = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  mkdirSync(tmp, { recursive: true });
  try {
    await buildWeb(tmp);
    // Another process finished the same build first: keep it (servers may be reading it), drop ours.
    if (pagesComplete(target)) return;
    const old = `${tmp}-old`;
    if (existsSync(target)) renameSync(target, old);
    try {
      renameSync(tmp, target);
    } catch (err) {
      if (!pagesComplete(target)) throw err; // otherwise another process put the same build in place first
    }
    rmSync(old, { recursive: true, force: true });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function pruneCache(keep: string): void {
  const builds = readdirSync(CACHE_ROOT, { withFileTypes: true })
    .filter((e) => e.isDirectory() && /^[0-9a-f]{16}$/.test(e.name) && e.name !== keep)
    .map((e) => ({ path: join(CACHE_ROOT, e.name), at: statSync(join(CACHE_ROOT, e.name)).mtimeMs }))
    .sort((a, b) => b.at - a.at);
  for (const old of builds.slice(CACHED_BUILDS_MAX - 1)) rmSync(old.path, { recursive: true, force: true });
}

let building: Promise<string> | null = null;

/** The pages built from the current sources (demo and tests): from the cache, or built into it once per process. */
export function builtPages(): Promise<string> {
  if (!existsSync(join(WEB_ROOT, 'src')))
    return Promise.reject(new Error(`the page sources are not in ${WEB_ROOT}: serve built pages (npm run build)`));
  const key = sourcesFingerprint();
  const dir = join(CACHE_ROOT, key);
  if (pagesComplete(dir)) return Promise.resolve(dir);
  building ??= (async () => {
    mkdirSync(CACHE_ROOT, { recursive: true });
    await buildInto(dir);
    pruneCache(key);
    return dir;
  })().finally(() => {
    building = null;
  });
  return building;
}
