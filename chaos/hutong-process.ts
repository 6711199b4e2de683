// One Hutong process for the chaos run: the configuration comes from the environment exactly as in production
// (loadConfig), the role decides whether it serves the API, runs the worker, or both. The chaos run SIGKILLs it at
// random and starts it again on the same port and database. Started with exit-with-parent.ts preloaded, so it never
// outlives the run.
import { createHutong } from '../src/app';
import { loadConfig } from '../src/config';
import { mountSandboxes } from '../src/sandbox/mount';

type Role = 'api' | 'worker' | 'all';

async function main(): Promise<void> {
  const role = (process.argv[2] ?? 'all') as Role;
  if (!['api', 'worker', 'all'].includes(role)) throw new Error(`unknown role ${role}`);
  const config = loadConfig(process.env);
  // On PostgreSQL with gateways configured: production; on the embedded default: the demo, its sandboxes in-process.
  const mode = config.databaseUrl ? { name: 'production' as const } : { name: 'demo' as const, mountSandboxes };
  const hutong = await createHutong({
    mode,
    config,
    startWorker: role !== 'api',
    logLevel: process.env.LOG_LEVEL ?? 'warn',
  });
  const url = await hutong.listen();
  process.stdout.write(`hutong ${role} ready at ${url} (pid ${process.pid})\n`);
  process.once('SIGTERM', () => {
    hutong
      .close()
      .catch((err) => process.stderr.write(`closing failed: ${String(err)}\n`))
      .finally(() => process.exit(0));
  });
}

process.on('unhandledRejection', (err) =>
  process.stderr.write(`unhandled rejection: ${err instanceof Error ? err.stack : String(err)}\n`),
);
main().catch((err) => {
  process.stderr.write(`hutong failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
