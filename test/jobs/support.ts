import type { Harness } from '../support/harness.ts';
import { openDatabase } from '../../src/db/index.ts';
import type { PgBossQueue } from '../../src/jobs/pgboss.ts';

/** The harness's job queue with its test helpers. */
export const jobsOf = (h: Harness) => h.ctx.jobs as PgBossQueue;

/**
 * Stops the harness and, on a PostgreSQL server, drops pg-boss's schema next to the test schema
 * (the harness drops only its own schema).
 */
export async function stopHarness(h: Harness | undefined): Promise<void> {
  if (!h) return;
  const schema = jobsOf(h).schema;
  await h.stop();
  const url = process.env.TEST_DATABASE_URL;
  if (url && schema && schema !== 'pgboss') {
    const admin = await openDatabase({ databaseUrl: url, poolSize: 1 });
    await admin.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.close();
  }
}
