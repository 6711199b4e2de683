// Both provider sandboxes as their own server processes on 127.0.0.1, as the providers' gateways are other machines
// in production. Hutong registers with each over HTTP, its keys go to files (0600) in a temp folder, and the gateway
// variables config.ts reads point Hutong at them, so createHutong mounts no sandbox. Every child is killed at close,
// on a signal (killSandboxServersNow), and by itself when the bench's process ends (exit-with-parent.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { freePort } from './postgres';
import { BenchError, progress, sleep } from './util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const GUARD = fileURLToPath(new URL('./exit-with-parent.ts', import.meta.url));
const PROVIDERS = ['alipay', 'wechatpay'] as const;
/** Compiling the sandbox through tsx and creating its PGlite takes seconds, minutes on a machine shared by many. */
const LISTEN_WITHIN_MS = 180_000;

export interface SandboxKnobs {
  applymentDelayMs: number;
  settleDelayMs: number;
  notifyTimeScale: number;
  feeRateBp: { alipay: number; wechatpay: number };
}

export interface SandboxServers {
  /** Origins, e.g. http://127.0.0.1:41234; the API is under /sandbox/<provider> as in-process. */
  origin: { alipay: string; wechatpay: string };
  /** The gateway variables for loadConfig. */
  env: Record<string, string>;
  close(): Promise<void>;
}

const live = new Set<ChildProcess>();
const tempDirs = new Set<string>();

function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  tempDirs.delete(dir);
}

/** For signal handlers: SIGKILL every sandbox server still running and remove their folders, synchronously. */
export function killSandboxServersNow(): void {
  for (const child of live) killGroup(child, 'SIGKILL');
  for (const dir of tempDirs) {
    try {
      removeDir(dir);
    } catch {
      // a child still closing its files; the folder is in the OS temp dir
    }
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal); // detached: the child leads its own process group
  } catch {
    child.kill(signal);
  }
}

function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => (clearTimeout(timer), resolve(true)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (!(await exited(child, 0))) {
    killGroup(child, 'SIGTERM');
    if (!(await exited(child, 5_000))) {
      killGroup(child, 'SIGKILL');
      await exited(child, 2_000);
    }
  }
  live.delete(child);
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').slice(-600);
  } catch {
    return '';
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await request(url, { headersTimeout: 1_000, bodyTimeout: 1_000 });
    await res.body.dump();
    return true;
  } catch {
    return false;
  }
}

async function startOne(
  provider: (typeof PROVIDERS)[number],
  dir: string,
  logFile: string,
  knobs: SandboxKnobs,
  children: ChildProcess[],
): Promise<string> {
  const port = await freePort();
  const args = [
    '--import',
    'tsx',
    '--import',
    GUARD,
    join(ROOT, 'src', 'sandbox', provider, 'main.ts'),
    '--port',
    String(port),
    '--data-dir',
    join(dir, provider),
    '--applyment-delay-ms',
    String(knobs.applymentDelayMs),
    '--settle-delay-ms',
    String(knobs.settleDelayMs),
    '--notify-time-scale',
    String(knobs.notifyTimeScale),
  ];
  const log = openSync(logFile, 'w');
  const env = { ...process.env, LOG_LEVEL: 'warn', NODE_OPTIONS: '' }; // no profiler flags inherited
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['pipe', log, log], detached: true });
  closeSync(log);
  live.add(child);
  children.push(child);
  const origin = `http://127.0.0.1:${port}`;
  const deadline = performance.now() + LISTEN_WITHIN_MS;
  while (!(await answers(`${origin}/`))) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new BenchError(`${provider} sandbox exited: ${tail(logFile)}`);
    if (performance.now() > deadline)
      throw new BenchError(`${provider} sandbox did not listen within ${LISTEN_WITHIN_MS / 1000} s: ${tail(logFile)}`);
    await sleep(100);
  }
  return origin;
}

async function postJson(url: string, body: unknown): Promise<Record<string, string>> {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
  });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new BenchError(`POST ${url} → ${res.statusCode} ${text.slice(0, 200)}`);
  return JSON.parse(text) as Record<string, string>;
}

/** Hutong's registration with each sandbox, as an operator would do it, turned into config.ts's variables. */
async function register(
  origin: SandboxServers['origin'],
  keyDir: string,
  fee: SandboxKnobs['feeRateBp'],
): Promise<Record<string, string>> {
  const [ali, wx] = await Promise.all([
    postJson(`${origin.alipay}/sandbox/alipay/apps`, { fee_rate_bp: fee.alipay }),
    postJson(`${origin.wechatpay}/sandbox/wechatpay/merchants`, {
      type: 'ecommerce_platform',
      fee_rate_bp: fee.wechatpay,
    }),
  ]);
  const file = (name: string, text: string | undefined) => {
    if (!text) throw new BenchError(`sandbox registration did not return ${name}`);
    const path = join(keyDir, name);
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  };
  return {
    HUTONG_ALIPAY_GATEWAY: `${origin.alipay}/sandbox/alipay/gateway.do`,
    HUTONG_ALIPAY_GATEWAY_IS_SANDBOX: '1',
    HUTONG_ALIPAY_APP_ID: ali.app_id!,
    HUTONG_ALIPAY_SELLER_ID: ali.seller_id!,
    HUTONG_ALIPAY_APP_PRIVATE_KEY_FILE: file('alipay-app-private.pem', ali.app_private_key),
    HUTONG_ALIPAY_PUBLIC_KEY_FILE: file('alipay-public.pem', ali.alipay_public_key),
    HUTONG_WECHATPAY_BASE_URL: `${origin.wechatpay}/sandbox/wechatpay`,
    HUTONG_WECHATPAY_GATEWAY_IS_SANDBOX: '1',
    HUTONG_WECHATPAY_SP_MCHID: wx.mchid!,
    HUTONG_WECHATPAY_SP_APPID: wx.appid!,
    HUTONG_WECHATPAY_SERIAL_NO: wx.serial_no!,
    HUTONG_WECHATPAY_PRIVATE_KEY_FILE: file('wechatpay-merchant-private.pem', wx.merchant_private_key),
    HUTONG_WECHATPAY_APIV3_KEY_FILE: file('wechatpay-apiv3.key', wx.apiv3_key),
    HUTONG_WECHATPAY_PUBLIC_KEY_ID: wx.wechatpay_public_key_id!,
    HUTONG_WECHATPAY_PUBLIC_KEY_FILE: file('wechatpay-public.pem', wx.wechatpay_public_key),
  };
}

export async function startSandboxServers(logDir: string, knobs: SandboxKnobs): Promise<SandboxServers> {
  const dir = mkdtempSync(join(tmpdir(), 'hutong-bench-sandboxes-'));
  chmodSync(dir, 0o700);
  tempDirs.add(dir);
  mkdirSync(logDir, { recursive: true });
  const children: ChildProcess[] = [];
  const close = async () => {
    await Promise.all(children.map(stop));
    removeDir(dir);
  };
  try {
    progress('starting the sandboxes as their own server processes…');
    // allSettled: when one fails, the other has finished starting before close() stops both.
    const started = await Promise.allSettled(
      PROVIDERS.map((p) => startOne(p, dir, join(logDir, `sandbox-${p}.log`), knobs, children)),
    );
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    const [alipay, wechatpay] = started.map((s) => (s as PromiseFulfilledResult<string>).value);
    const origin = { alipay: alipay!, wechatpay: wechatpay! };
    const keyDir = join(dir, 'keys');
    mkdirSync(keyDir, { mode: 0o700 });
    const env = await register(origin, keyDir, knobs.feeRateBp);
    progress(
      `sandboxes listening: alipay ${origin.alipay}, wechatpay ${origin.wechatpay} (pids ${children.map((c) => c.pid).join(', ')})`,
    );
    return { origin, env, close };
  } catch (err) {
    await close();
    throw err;
  }
}
