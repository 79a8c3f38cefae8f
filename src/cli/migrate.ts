import { loadConfig } from '../config.ts';
import { openDatabase } from '../db/index.ts';
import { migrateWithReport } from '../db/migrate.ts';

/** `schoolgate migrate`: applies pending migrations and changed live SQL files, and exits. */
export async function run(): Promise<number> {
  const config = loadConfig();
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
  try {
    const { migrations, live } = await migrateWithReport(database);
    const applied = [...migrations, ...live.map((f) => `live/${f}`)];
    console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Database is up to date.');
    return 0;
  } finally {
    await database.close();
  }
}
