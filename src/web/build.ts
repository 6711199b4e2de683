// Builds the pages (web/ → web/dist/) with vite's JS API. The server calls buildWebIfStale() at start, so
// `npm start` and the tests need no separate build step; `tsx src/web/build.ts` (re)builds on its own.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

export const WEB_ROOT = fileURLToPath(new URL('../../web', import.meta.url));
export const WEB_DIST = join(WEB_ROOT, 'dist');
/** The URL prefix the built assets are served under. */
export const WEB_BASE = '/web/';
export const WEB_APPS = ['shop', 'merchant', 'ops'] as const;
export type WebApp = (typeof WEB_APPS)[number];

const STAMP = '.built';
const SOURCE_FILES_MAX = 2000;

/** Newest modification time among the page sources (web/ minus dist and temporary builds); 0 without sources. */
function newestSourceMs(dir = WEB_ROOT, budget = { files: SOURCE_FILES_MAX }): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name.startsWith('.')) continue;
    if (--budget.files < 0) break;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSourceMs(path, budget) : statSync(path).mtimeMs);
  }
  return newest;
}

export function webIsStale(): boolean {
  const stamp = join(WEB_DIST, STAMP);
  if (!existsSync(stamp) || WEB_APPS.some((a) => !existsSync(join(WEB_DIST, `${a}.html`)))) return true;
  return statSync(stamp).mtimeMs < newestSourceMs();
}

export async function buildWeb(outDir: string): Promise<void> {
  // Loaded only when building: a server with built pages never loads vite.
  const { build } = await import('vite');
  const { default: react } = await import('@vitejs/plugin-react');
  await build({
    root: WEB_ROOT,
    base: WEB_BASE,
    configFile: false,
    envDir: false,
    logLevel: 'warn',
    plugins: [react()],
    build: {
      outDir,
      emptyOutDir: true,
      sourcemap: false,
      rollupOptions: { input: Object.fromEntries(WEB_APPS.map((a) => [a, join(WEB_ROOT, `${a}.html`)])) },
    },
  });
  writeFileSync(join(outDir, STAMP), new Date().toISOString());
}

let building: Promise<void> | null = null;

/**
 * Builds into a fresh directory and swaps it in, so a server of another process (tests run files in parallel)
 * never sees half a build. Unless forced, a build another process finished meanwhile is kept.
 */
async function buildAndSwap(force: boolean): Promise<void> {
  const tmp = join(WEB_ROOT, `.dist-${process.pid}-${randomBytes(4).toString('hex')}`);
  mkdirSync(tmp, { recursive: true });
  try {
    await buildWeb(tmp);
    if (!force && !webIsStale()) return;
    const old = `${tmp}-old`;
    try {
      if (existsSync(WEB_DIST)) renameSync(WEB_DIST, old);
      renameSync(tmp, WEB_DIST);
    } catch (err) {
      if (webIsStale()) throw err; // otherwise another process swapped its identical build in first
    }
    rmSync(old, { recursive: true, force: true });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Builds web/dist when it is missing or older than its sources (once at a time per process). */
export function buildWebIfStale(): Promise<void> {
  if (!webIsStale()) return Promise.resolve();
  if (!existsSync(join(WEB_ROOT, 'src'))) return Promise.reject(new Error(`the web pages are neither built (${WEB_DIST}) nor present as sources`));
  building ??= buildAndSwap(false).finally(() => {
    building = null;
  });
  return building;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = Date.now();
  buildAndSwap(true)
    .then(() => process.stdout.write(`web pages built in ${WEB_DIST} (${Date.now() - started} ms)\n`))
    .catch((err: unknown) => {
      process.stderr.write(`web build failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    });
}
