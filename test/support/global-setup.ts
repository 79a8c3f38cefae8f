import type { TestProject } from 'vitest/node';
import { pgliteSnapshot, postgresTemplate } from './db-snapshot.ts';

/** Migrates the suites' database once for the run (see db-snapshot.ts) and hands it to the test files. */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | void> {
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    const { template, drop } = await postgresTemplate(url);
    project.provide('testDatabaseSnapshot', { kind: 'postgres', template });
    return drop;
  }
  project.provide('testDatabaseSnapshot', { kind: 'pglite', file: await pgliteSnapshot() });
}
