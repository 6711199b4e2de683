// Files at rest readable by their owner only: the data directory 0700 and everything in it 0600 (folders 0700).
// PGlite creates its files 0666 whatever the umask, so the demo fixes the modes after start and from time to time
// (new relation files appear as tables grow); the 0700 directory keeps them out of others' reach meanwhile.
import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** A data directory holds a few thousand files (PGlite's database and the sandboxes' books). */
const FILES_MAX = 100_000;

/** Runs fn unless the file vanished meanwhile (the database removes files while it runs). */
function unlessGone<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Creates `dir` if needed and makes it and everything under it private; returns how many modes it changed. */
export function makePrivate(dir: string): number {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  let changed = 0;
  let budget = FILES_MAX;
  const fix = (path: string, mode: number) =>
    unlessGone(() => {
      if ((lstatSync(path).mode & 0o777) === mode) return;
      chmodSync(path, mode);
      changed++;
    });
  const walk = (folder: string) => {
    fix(folder, 0o700);
    for (const entry of unlessGone(() => readdirSync(folder, { withFileTypes: true })) ?? []) {
      if (--budget < 0) throw new Error(`more than ${FILES_MAX} files under ${dir}`);
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) fix(path, 0o600);
      // symbolic links and sockets: their own modes do not guard anything
    }
  };
  walk(dir);
  return changed;
}

/** Paths under `dir` that the group or others may read, write or enter (what makePrivate fixes). */
export function exposedPaths(dir: string): string[] {
  const exposed: string[] = [];
  let budget = FILES_MAX;
  const open = (path: string) => (unlessGone(() => lstatSync(path).mode) ?? 0) & 0o077;
  const walk = (folder: string) => {
    if (open(folder)) exposed.push(folder);
    for (const entry of unlessGone(() => readdirSync(folder, { withFileTypes: true })) ?? []) {
      if (--budget < 0) throw new Error(`more than ${FILES_MAX} files under ${dir}`);
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && open(path)) exposed.push(path);
    }
  };
  walk(dir);
  return exposed;
}

/** PGlite keeps creating files (0666) as tables grow: a directory kept private is fixed again this often. */
const KEEP_PRIVATE_EVERY_MS = 60_000;

/** Makes `dir` private now and again every minute (the 0700 directory guards new files meanwhile); returns a stop. */
export function keepPrivate(dir: string, onError: (err: unknown) => void): () => void {
  makePrivate(dir);
  const timer = setInterval(() => {
    try {
      makePrivate(dir);
    } catch (err) {
      onError(err);
    }
  }, KEEP_PRIVATE_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
