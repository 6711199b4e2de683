// Runs the WeChat Pay sandbox as its own server on 127.0.0.1:
//   tsx src/sandbox/wechatpay/main.ts --port 8090 --data-dir ./.sandbox-wechatpay --faults '{"notifyDrop":0.1}'
// Environment (the CLI wins): PORT, HUTONG_SANDBOX_DATA_DIR, HUTONG_SANDBOX_FAULTS (JSON),
// HUTONG_SANDBOX_APPLYMENT_DELAY_MS, HUTONG_SANDBOX_SETTLE_DELAY_MS, HUTONG_SANDBOX_NOTIFY_TIME_SCALE,
// HUTONG_SANDBOX_ADMIN_TOKEN, HUTONG_SANDBOX_NOTIFY_HOSTS, HUTONG_SANDBOX_RETURN_HOSTS.
// The API base is http://127.0.0.1:<port>/sandbox/wechatpay (as in-process), unless --prefix says otherwise.
import { Command } from 'commander';
import Fastify from 'fastify';
import { checkFaults, type WechatpayFaults } from './faults';
import { createWechatpaySandbox } from './index';
import { SAFETY_FLAGS, safetyFromCli } from '../guard';
import { keepPrivate } from '../../shared/private-files';

function numberFrom(name: string, text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got "${text}"`);
  return value;
}

function faultsFrom(json: string | undefined, name: string): Partial<WechatpayFaults> {
  if (!json) return {};
  try {
    return checkFaults(JSON.parse(json));
  } catch (err) {
    throw new Error(`${name} is not a valid fault set: ${(err as Error).message}`);
  }
}

async function main(): Promise<void> {
  const program = new Command()
    .name('wechatpay-sandbox')
    .description('Local emulator of WeChat Pay API v3 (平台收付通 and 普通服务商)')
    .option('--port <port>', 'port on 127.0.0.1 (env PORT, default 8090)')
    .option('--data-dir <dir>', 'PGlite directory for the books (env HUTONG_SANDBOX_DATA_DIR; default in memory)')
    .option('--prefix <path>', 'mount prefix', '/sandbox/wechatpay')
    .option('--faults <json>', 'fault knobs as JSON (env HUTONG_SANDBOX_FAULTS)')
    .option('--notify-drop <rate>', 'rate of notifications never delivered')
    .option('--notify-duplicate <rate>', 'rate of notifications delivered twice')
    .option('--notify-reorder <rate>', 'rate of notifications delivered after the next one')
    .option('--notify-delay-ms <ms>', 'delay before each first delivery')
    .option('--call-error-5xx <rate>', 'rate of API calls answered 500 SYSTEM_ERROR')
    .option('--call-timeout-ms <ms>', 'hold every API answer this long')
    .option(
      '--applyment-delay-ms <ms>',
      'onboarding applications finish within this (env HUTONG_SANDBOX_APPLYMENT_DELAY_MS)',
    )
    .option('--settle-delay-ms <ms>', 'payments settle after this (env HUTONG_SANDBOX_SETTLE_DELAY_MS)')
    .option(
      '--notify-time-scale <factor>',
      'multiplies the notification retry schedule (env HUTONG_SANDBOX_NOTIFY_TIME_SCALE)',
    );
  for (const [flag, help] of SAFETY_FLAGS) program.option(flag, help);
  program.parse();
  const o = program.opts<Record<string, string | undefined>>();
  const env = process.env;

  const cliKnobs: Record<string, number> = {};
  const rate = (flag: string | undefined, knob: string) => {
    const v = numberFrom(knob, flag);
    if (v !== undefined) cliKnobs[knob] = v;
  };
  rate(o.notifyDrop, 'notifyDrop');
  rate(o.notifyDuplicate, 'notifyDuplicate');
  rate(o.notifyReorder, 'notifyReorder');
  rate(o.notifyDelayMs, 'notifyDelayMs');
  rate(o.callError5xx, 'callError5xx');
  rate(o.callTimeoutMs, 'callTimeoutMs');
  const faults = {
    ...faultsFrom(env.HUTONG_SANDBOX_FAULTS, 'HUTONG_SANDBOX_FAULTS'),
    ...faultsFrom(o.faults, '--faults'),
    ...checkFaults(cliKnobs),
  };

  const port = numberFrom('port', o.port ?? env.PORT) ?? 8090;
  const dataDir = o.dataDir ?? env.HUTONG_SANDBOX_DATA_DIR;
  const applymentDelayMs = numberFrom('applyment delay', o.applymentDelayMs ?? env.HUTONG_SANDBOX_APPLYMENT_DELAY_MS);
  const settleDelayMs = numberFrom('settle delay', o.settleDelayMs ?? env.HUTONG_SANDBOX_SETTLE_DELAY_MS);
  const notifyTimeScale = numberFrom('notify time scale', o.notifyTimeScale ?? env.HUTONG_SANDBOX_NOTIFY_TIME_SCALE);

  const safety = safetyFromCli(o, env);
  const app = Fastify({ logger: { level: 'info', redact: ['req.headers.authorization'] } });
  const sandbox = await createWechatpaySandbox({
    ...(dataDir ? { dataDir } : {}),
    ...(applymentDelayMs !== undefined ? { applymentDelayMs } : {}),
    ...(settleDelayMs !== undefined ? { settleDelayMs } : {}),
    ...(notifyTimeScale !== undefined ? { notifyTimeScale } : {}),
    faults,
    ...safety,
    logger: app.log,
  });
  await app.register(sandbox.plugin, { prefix: o.prefix ?? '/sandbox/wechatpay' });
  // The books hold the sandbox's keys and the APIv3 key: readable by this user only (PGlite writes its files 0666).
  if (dataDir)
    keepPrivate(dataDir, (err) => app.log.warn({ err: String(err) }, 'fixing the data directory’s file modes failed'));
  const address = await app.listen({ host: '127.0.0.1', port });
  // Printed only when made here: a token the operator configured is theirs already.
  if (!safety.adminToken) process.stdout.write(`Sandbox admin token (clock, faults, books): ${sandbox.adminToken}\n`);
  app.log.info(
    `WeChat Pay sandbox: API base ${address}${o.prefix}, register with POST ${address}${o.prefix}/merchants`,
  );

  const stop = async () => {
    await app.close();
    await sandbox.close();
    process.exit(0);
  };
  const stopOrFail = () => void stop().catch(() => process.exit(1));
  process.once('SIGINT', stopOrFail);
  process.once('SIGTERM', stopOrFail);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
