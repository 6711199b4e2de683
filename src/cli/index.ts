// The `hutong` command line (bin/hutong.mjs runs the compiled dist/server/cli.js, or this file through tsx in a
// development checkout; `serve` only ever compiled). Exit codes: 0 clean, 1 mismatches or violations found, 2 an
// error (configuration, database, provider).
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, loadConfig } from '../config';
import { addDays, billDay, shanghaiDate } from '../ledger/bill-day';
import { PROVIDER_NAMES, ProviderError, type ProviderName } from '../providers/types';
import { HutongError } from '../shared/errors';
import type { Backend } from './backend';
import type { Io } from './reconcile';
import { ROLES, serve, type Role } from '../serve/index';

const io: Io = { out: process.stdout, err: process.stderr };

function providerOption(value: string): ProviderName {
  if (!(PROVIDER_NAMES as readonly string[]).includes(value))
    throw new InvalidArgumentError(`one of ${PROVIDER_NAMES.join(', ')}`);
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
    // Loaded per command: `hutong serve` (and a refusal of its configuration) never loads the reconciliation tools.
    const { openBackend } = await import('./backend');
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
  if (err instanceof ConfigError) return err.message;
  return err instanceof Error ? err.message : String(err);
}

function roleOption(value: string): Role {
  if (!(ROLES as readonly string[]).includes(value)) throw new InvalidArgumentError(`one of ${ROLES.join(', ')}`);
  return value as Role;
}

const program = new Command('hutong')
  .description(
    'Hutong: the production server, and operations (reconcile the providers’ bills, check the ledger’s invariants).',
  )
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

program
  .command('reconcile')
  .description('Match a provider’s bills for one Asia/Shanghai day against the ledger.')
  .requiredOption('--provider <provider>', 'alipay or wechatpay', providerOption)
  .option('--date <YYYY-MM-DD>', 'the bill day (default: yesterday in Asia/Shanghai)', dateOption)
  .option('--json', 'print the whole run as JSON')
  .action(async (opts: { provider: ProviderName; date?: string; json?: boolean }) => {
    const date = opts.date ?? addDays(shanghaiDate(new Date()), -1);
    const { reconcileCommand } = await import('./reconcile');
    process.exitCode = await withBackend((b) =>
      reconcileCommand(b, { provider: opts.provider, date, json: opts.json }, io),
    );
  });

program
  .command('serve')
  .description('Run the production server on PostgreSQL and the configured gateways (no sandbox, no demo data).')
  .option('--role <role>', 'api (HTTP only), worker (background work only) or all', roleOption, 'all')
  .option('--local', 'accept an http loopback HUTONG_PUBLIC_URL: for tests on one machine only')
  .action(async (opts: { role: Role; local?: boolean }) => {
    try {
      process.exitCode = await serve({ role: opts.role, local: opts.local === true }, process.env, io);
    } catch (err) {
      io.err.write(`hutong serve: ${failure(err)}
`);
      process.exitCode = 2;
    }
    // Pooled sockets and timers of a stopped server must not keep the process alive.
    process.exit(process.exitCode);
  });

program
  .command('check')
  .description('Check the ledger’s invariants, the providers’ books included.')
  .option('--json', 'print the results as JSON')
  .action(async (opts: { json?: boolean }) => {
    const { checkCommand } = await import('./check');
    process.exitCode = await withBackend((b) => checkCommand(b, opts, io));
  });

await program.parseAsync(process.argv);
