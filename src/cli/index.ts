// The `hutong` command line (bin/hutong.mjs runs this through tsx). Exit codes: 0 clean, 1 mismatches or
// violations found, 2 an error (configuration, database, provider).
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, loadConfig } from '../config';
import { addDays, billDay, shanghaiDate } from '../ledger/bill-day';
import { PROVIDER_NAMES, ProviderError, type ProviderName } from '../providers/types';
import { HutongError } from '../shared/errors';
import { CliError, openBackend, type Backend } from './backend';
import { checkCommand } from './check';
import { reconcileCommand, type Io } from './reconcile';

const io: Io = { out: process.stdout, err: process.stderr };

function providerOption(value: string): ProviderName {
  if (!(PROVIDER_NAMES as readonly string[]).includes(value)) throw new InvalidArgumentError(`one of ${PROVIDER_NAMES.join(', ')}`);
  return value as ProviderName;
}

function dateOption(value: string): string {
  if (!billDay(value)) throw new InvalidArgumentError('a calendar date, YYYY-MM-DD');
  return value;
}

/** Opens the backend, runs the command, closes; any failure becomes one line on stderr and exit code 2. */
async function withBackend(run: (backend: Backend) => Promise<number>): Promise<number> {
  let backend: Backend | undefined;
  try {
    backend = await openBackend(loadConfig());
    return await run(backend);
  } catch (err) {
    io.err.write(`hutong: ${failure(err)}\n`);
    return 2;
  } finally {
    await backend?.close().catch(() => {});
  }
}

function failure(err: unknown): string {
  if (err instanceof HutongError || err instanceof ProviderError) return `${err.code}: ${err.message}`;
  if (err instanceof ConfigError || err instanceof CliError) return err.message;
  return err instanceof Error ? err.message : String(err);
}

const program = new Command('hutong')
  .description('Hutong operations: reconcile the providers’ bills, check the ledger’s invariants.')
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

program.command('reconcile')
  .description('Match a provider’s bills for one Asia/Shanghai day against the ledger.')
  .requiredOption('--provider <provider>', 'alipay or wechatpay', providerOption)
  .option('--date <YYYY-MM-DD>', 'the bill day (default: yesterday in Asia/Shanghai)', dateOption)
  .option('--json', 'print the whole run as JSON')
  .action(async (opts: { provider: ProviderName; date?: string; json?: boolean }) => {
    const date = opts.date ?? addDays(shanghaiDate(new Date()), -1);
    process.exitCode = await withBackend((b) => reconcileCommand(b, { provider: opts.provider, date, json: opts.json }, io));
  });

program.command('check')
  .description('Check the ledger’s invariants, the providers’ books included.')
  .option('--json', 'print the results as JSON')
  .action(async (opts: { json?: boolean }) => {
    process.exitCode = await withBackend((b) => checkCommand(b, opts, io));
  });

await program.parseAsync(process.argv);
