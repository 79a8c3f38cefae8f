import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'web/src/**/*.test.ts'],
    // test/pg needs a real PostgreSQL server and runs with vitest.pg.config.ts.
    exclude: ['test/e2e/**', 'test/pg/**', 'node_modules/**'],
    // Migrates the suites' database once for the run; each test file starts from a copy.
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 180_000,
    // Two cores: PGlite instances are heavy, keep parallelism modest.
    maxWorkers: 2,
  },
});
