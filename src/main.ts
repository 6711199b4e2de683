// `npm start`: the demo marketplace on the embedded default (PGlite in HUTONG_DATA_DIR, sandboxes in-process).
import { ConfigError, loadConfig } from './config';
import { createHutong } from './app';
import { seedDemo } from './demo/seed';
import { installProcessSafetyNet } from './shared/process';

async function main(): Promise<void> {
  const config = loadConfig();
  const hutong = await createHutong({ config });
  installProcessSafetyNet(hutong.app.log);
  const url = await hutong.listen();
  const demo = await seedDemo(hutong);
  const lines = [
    '',
    `Hutong is running at ${url}  (API docs: ${url}/docs, storefront: ${url}/shop)`,
    `Database: ${config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `PGlite in ${config.dataDir}`}`,
    `Ops key:      ${demo.ops}`,
    ...demo.merchants.map((m) => `Merchant key: ${m.key}  (${m.name}, ${m.id})`),
    `Buyer key:    ${demo.buyer.key}  (${demo.buyer.id})`,
    `Live room:    ${url}/v1/live-rooms/${demo.liveRoomId}`,
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
  const shutdown = async () => {
    await hutong.close();
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
