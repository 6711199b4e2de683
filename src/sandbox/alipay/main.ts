// Runs the Alipay sandbox as its own server: `npx tsx src/sandbox/alipay/main.ts --port 8620`.
// Same URLs as in-process: {base}/sandbox/alipay/gateway.do, /apps, /wallet/pay, /clock, /faults, /books/…
import Fastify from 'fastify';
import { Command } from 'commander';
import { createAlipaySandbox } from './index';
import { parseFaults } from './faults';
import type { AlipayFaults } from './types';
import { SANDBOX_CLIENT } from '../access';
import { SAFETY_FLAGS, safetyFromCli } from '../guard';
import { keepPrivate } from '../../shared/private-files';

const PREFIX = '/sandbox/alipay';
const DEFAULT_PORT = 8620;

function number(name: string, text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got "${text}"`);
  return n;
}

function faultsFrom(json: string | undefined, source: string): Partial<AlipayFaults> {
  if (!json) return {};
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new Error(`${source} is not valid JSON`);
  }
  const parsed = parseFaults(value);
  if (typeof parsed === 'string') throw new Error(`${source}: ${parsed}`);
  return parsed;
}

const program = new Command()
  .name('alipay-sandbox')
  .description("Hutong's local Alipay OpenAPI gateway (直付通, merged payment, refunds, settlement, bills)")
  .option('--port <port>', `port (default $PORT or ${DEFAULT_PORT})`)
  .option('--host <host>', 'interface to listen on', '127.0.0.1')
  .option('--data-dir <dir>', 'PGlite directory for the books (default $HUTONG_SANDBOX_DATA_DIR, else in memory)')
  .option(
    '--applyment-delay-ms <ms>',
    '直付通 application review time (default $HUTONG_SANDBOX_APPLYMENT_DELAY_MS or 2000)',
  )
  .option(
    '--settle-delay-ms <ms>',
    'time until a payment can be settled (default $HUTONG_SANDBOX_SETTLE_DELAY_MS or 1000)',
  )
  .option(
    '--notify-time-scale <factor>',
    'multiplies the notification retry schedule (default $HUTONG_SANDBOX_NOTIFY_TIME_SCALE or 1)',
  )
  .option('--faults <json>', 'fault knobs as JSON, e.g. \'{"notifyDrop":1}\' (default $HUTONG_SANDBOX_FAULTS)')
  .option('--notify-delay-ms <ms>')
  .option('--notify-drop <n>')
  .option('--notify-duplicate <n>')
  .option('--notify-reorder <n>')
  .option('--call-error-5xx <n>')
  .option('--call-timeout-ms <ms>');
for (const [flag, help] of SAFETY_FLAGS) program.option(flag, help);

async function main(): Promise<void> {
  const o = program.parse().opts<Record<string, string | undefined>>();
  const env = process.env;
  const knobs = {
    notifyDelayMs: number('--notify-delay-ms', o.notifyDelayMs),
    notifyDrop: number('--notify-drop', o.notifyDrop),
    notifyDuplicate: number('--notify-duplicate', o.notifyDuplicate),
    notifyReorder: number('--notify-reorder', o.notifyReorder),
    callError5xx: number('--call-error-5xx', o.callError5xx),
    callTimeoutMs: number('--call-timeout-ms', o.callTimeoutMs),
  };
  const cliKnobs = Object.fromEntries(Object.entries(knobs).filter(([, v]) => v !== undefined));
  const faults = {
    ...faultsFrom(env.HUTONG_SANDBOX_FAULTS, 'HUTONG_SANDBOX_FAULTS'),
    ...faultsFrom(o.faults, '--faults'),
    ...cliKnobs,
  };
  const checked = parseFaults(faults);
  if (typeof checked === 'string') throw new Error(checked);

  const safety = safetyFromCli(o, env);
  const app = Fastify({ logger: { level: env.LOG_LEVEL ?? 'info', redact: ['req.headers.authorization'] } });
  const sandbox = await createAlipaySandbox({
    dataDir: o.dataDir ?? env.HUTONG_SANDBOX_DATA_DIR,
    applymentDelayMs: number('applyment delay', o.applymentDelayMs ?? env.HUTONG_SANDBOX_APPLYMENT_DELAY_MS),
    settleDelayMs: number('settle delay', o.settleDelayMs ?? env.HUTONG_SANDBOX_SETTLE_DELAY_MS),
    notifyTimeScale: number('notify time scale', o.notifyTimeScale ?? env.HUTONG_SANDBOX_NOTIFY_TIME_SCALE),
    faults: checked,
    ...safety,
    logger: app.log,
  });
  await app.register(sandbox.plugin, { prefix: PREFIX });
  app.get('/', { config: SANDBOX_CLIENT }, async (req) => {
    const base = `${req.protocol}://${req.headers.host}${PREFIX}`;
    return {
      gateway: `${base}/gateway.do`,
      register_app: `POST ${base}/apps`,
      wallet: `POST ${base}/wallet/pay`,
      clock: `${base}/clock`,
      faults: `${base}/faults`,
    };
  });
  // The books hold the sandbox's signing keys: readable by this user only (PGlite writes its files 0666).
  const dataDir = o.dataDir ?? env.HUTONG_SANDBOX_DATA_DIR;
  if (dataDir)
    keepPrivate(dataDir, (err) => app.log.warn({ err: String(err) }, 'fixing the data directory’s file modes failed'));
  app.addHook('onClose', async () => sandbox.close());
  const port = number('--port', o.port ?? env.PORT) ?? DEFAULT_PORT;
  await app.listen({ host: o.host ?? '127.0.0.1', port });
  // Printed only when made here: a token the operator configured is theirs already.
  if (!safety.adminToken) process.stdout.write(`Sandbox admin token (clock, faults, books): ${sandbox.adminToken}\n`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(
      signal,
      () =>
        void app.close().then(
          () => process.exit(0),
          () => process.exit(1),
        ),
    );
  }
}

main().catch((err: Error) => {
  console.error(`alipay sandbox: ${err.message}`);
  process.exit(1);
});
