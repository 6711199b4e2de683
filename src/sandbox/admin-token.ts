// The sandbox admin token of the in-process sandboxes: configured (HUTONG_SANDBOX_ADMIN_TOKEN), or made by the demo
// and kept in its data directory (mode 0600, beside the sandbox credentials) so the printed token stays the same
// across restarts and `hutong check` on the same data directory can read the sandboxes' books.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const FILE = 'admin-token';

export function makeAdminToken(): string {
  return `sbx_admin_${randomBytes(24).toString('base64url')}`;
}

/** The token saved under the sandbox data directory, if any. */
export function savedAdminToken(sandboxDataDir: string): string | undefined {
  const file = join(sandboxDataDir, FILE);
  if (!existsSync(file)) return undefined;
  const token = readFileSync(file, 'utf8').trim();
  return token.length > 0 ? token : undefined;
}

/** The saved token, or a new one saved with mode 0600; in memory only when there is no data directory. */
export function loadOrMakeAdminToken(sandboxDataDir: string | undefined): string {
  if (!sandboxDataDir) return makeAdminToken();
  const saved = savedAdminToken(sandboxDataDir);
  if (saved) return saved;
  const token = makeAdminToken();
  mkdirSync(sandboxDataDir, { recursive: true, mode: 0o700 });
  const file = join(sandboxDataDir, FILE);
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return token;
}
