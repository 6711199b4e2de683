// `npm run migrate`: applies pending migrations to DATABASE_URL, or to the PGlite in HUTONG_DATA_DIR.
import { join } from 'node:path';
import { loadConfig } from '../config';
import { openPglite, openPostgres } from '../shared/db';
import { migrate } from '../shared/migrate';

const config = loadConfig();
const db = config.databaseUrl ? openPostgres(config.databaseUrl) : await openPglite(join(config.dataDir, 'db'));
const applied = await migrate(db, (name) => process.stdout.write(`applied ${name}\n`));
process.stdout.write(applied.length ? `${applied.length} migration(s) applied\n` : 'database is up to date\n');
await db.close();
