import { defineConfig } from 'vitest/config';

/**
 * Suites that need a real PostgreSQL server (several processes on one database, behind Debian's
 * HAProxy, with a throw-away streaming replica), and only those:
 * `TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx vitest run -c vitest.pg.config.ts`.
 * Each suite creates and drops its own database on that server.
 */
if (!process.env.TEST_DATABASE_URL) {
  throw new Error(
    'vitest.pg.config.ts runs suites that need a real PostgreSQL server. Set TEST_DATABASE_URL, e.g.\n' +
      '  TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx vitest run -c vitest.pg.config.ts',
  );
}

export default defineConfig({
  test: {
    include: ['test/pg/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    maxWorkers: 1,
  },
});
