// `npm start`: the demo marketplace — PGlite in HUTONG_DATA_DIR (or DATABASE_URL), both sandboxes in-process, demo data
// seeded, keys printed. The only entry that mounts sandboxes; production is `hutong serve` (src/serve/).
import { ConfigError, loadConfig } from './config';
import { createHutong } from './app';
import { seedDemo } from './demo/seed';
import { mountSandboxes } from './sandbox/mount';
import { keepPrivate, makePrivate } from './shared/private-files';
import { installProcessSafetyNet } from './shared/process';

async function main(): Promise<void> {
  const config = loadConfig();
  // Files this process creates are its user's alone; PGlite ignores the umask, so the modes are fixed after start too.
  process.umask(0o077);
  makePrivate(config.dataDir);
  const hutong = await createHutong({ mode: { name: 'demo', mountSandboxes }, config });
  installProcessSafetyNet(hutong.app.log);
  const url = await hutong.listen();
  const demo = await seedDemo(hutong);
  const stopKeeping = keepPrivate(config.dataDir, (err) =>
    hutong.app.log.warn({ err: String(err) }, 'fixing the data directory’s file modes failed'),
  );
  const lines = [
    '',
    `Hutong demo is running at ${url}  (API docs: ${url}/docs, storefront: ${url}/shop)`,
    `Database: ${config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `PGlite in ${config.dataDir}`}; both providers on in-process sandboxes`,
    // A key the operator configured is theirs: the demo prints only the one it made.
    demo.ops
      ? `Ops key:      ${demo.ops}`
      : `Ops key:      ${config.opsApiKey ? 'the one in HUTONG_OPS_API_KEY' : 'none: set HUTONG_OPS_API_KEY (the demo data was made with one)'}`,
    ...demo.merchants.map((m) => `Merchant key: ${m.key}  (${m.name}, ${m.id})`),
    `Buyer key:    ${demo.buyer.key}  (${demo.buyer.id})`,
    ...(hutong.sandboxes?.adminTokenMade
      ? [`Sandbox admin token (clock, faults, books): ${hutong.sandboxes.adminToken}`]
      : []),
    `Live room:    ${url}/v1/live-rooms/${demo.liveRoomId}`,
    'This is the demo. Production: npm run build, then npx hutong serve (see the README).',
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
  const shutdown = async () => {
    stopKeeping();
    await hutong.close();
    makePrivate(config.dataDir);
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`Configuration error: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`Hutong failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
