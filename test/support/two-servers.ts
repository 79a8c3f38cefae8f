import { testConfig } from '../../src/config.ts';
import { openDatabase, type Database } from '../../src/db/index.ts';
import { migrate } from '../../src/db/migrate.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { startServer } from '../../src/server.ts';
import { openTestDatabase } from './harness.ts';
import { createFreshDatabase, spawnServer, waitUntilReady } from '../pg/server-process.ts';

/** The public URL both servers share: one deployment, so one issuer and one token audience. */
export const TWO_SERVERS_PUBLIC_URL = 'http://schoolgate.test';

/**
 * Two Schoolgate servers on one database, for tests of what must hold across processes. With
 * TEST_DATABASE_URL: two real processes on a fresh PostgreSQL database named after `name` (started
 * together, so they also race for migrations and the first signing key); on PGlite (one process
 * only): two servers in this process sharing the embedded database, the second without workers.
 * `database` is the test's own handle on that database, migrated.
 */
export async function startTwoServers(name: string): Promise<{ urls: [string, string]; database: Database; stop: () => Promise<void> }> {
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    const adminUrl = process.env.TEST_DATABASE_URL;
    let database: Database;
    let urls: [string, string];
    if (adminUrl) {
      const fresh = await createFreshDatabase(adminUrl, `${name}_${process.pid}`);
      cleanups.push(fresh.drop);
      const env = { DATABASE_URL: fresh.url, PUBLIC_URL: TWO_SERVERS_PUBLIC_URL };
      const [a, b] = await Promise.all([spawnServer(env), spawnServer(env)]);
      cleanups.push(
        () => a.stop(),
        () => b.stop(),
      );
      await Promise.all([waitUntilReady(a), waitUntilReady(b)]);
      urls = [a.url, b.url];
      database = await openDatabase({ databaseUrl: fresh.url, poolSize: 2 });
    } else {
      database = await openTestDatabase();
      const config = () => testConfig({ PORT: '0', HOST: '127.0.0.1', PUBLIC_URL: TWO_SERVERS_PUBLIC_URL });
      const a = await startServer(config(), { database, clock: systemClock });
      const b = await startServer(config(), { database, clock: systemClock, workers: false });
      cleanups.push(
        () => a.stop(),
        () => b.stop(),
      );
      urls = [`http://127.0.0.1:${a.port}`, `http://127.0.0.1:${b.port}`];
    }
    const db = database;
    cleanups.push(() => db.close());
    await migrate(database);
    return { urls, database, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
