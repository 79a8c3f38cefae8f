import { defineConfig } from 'vitest/config';

/**
 * Browser tests: Debian's Chromium driven by playwright-core against the real server on PGlite and
 * the built web app (`npm run test:e2e`; global setup rebuilds web/dist when its sources changed).
 */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    globalSetup: ['test/e2e/global-setup.ts', 'test/support/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // One browser at a time on two shared cores.
    fileParallelism: false,
    maxWorkers: 1,
  },
});
