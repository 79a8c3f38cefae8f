import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFreshDatabase, spawnServer, waitUntilReady } from '../test/pg/server-process.ts';

/**
 * Start-up: time from spawning `node --import tsx src/cli.ts start` to the first 200 from
 * GET /healthz, the CPU time the process used until then, and its RSS right then. For each backend a cold start (empty database:
 * migrations and the first signing key) and a warm start (same database again).
 *
 * Env: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres); set BENCH_PG=off to skip it.
 */
export async function run(): Promise<void> {
  const results: string[] = [];
  const measure = async (label: string, env: Record<string, string>) => {
    const started = performance.now();
    const server = await spawnServer({ NODE_ENV: 'production', LOG_LEVEL: 'warn', ...env });
    try {
      await waitUntilReady(server);
      const ms = performance.now() - started;
      const rss = server.rss() ?? 0;
      // CPU time used until ready: what start-up costs when the machine is busy with other work.
      const cpu = server.cpuMs() ?? 0;
      results.push(
        `${label.padEnd(24)} ready in ${String(Math.round(ms)).padStart(5)} ms   CPU ${String(Math.round(cpu)).padStart(5)} ms   RSS ${Math.round(rss / 1048576)} MiB`,
      );
    } finally {
      await server.stop();
    }
  };

  const dir = mkdtempSync(join(tmpdir(), 'schoolgate-bench-'));
  try {
    await measure('PGlite, cold', { DATA_DIR: dir });
    await measure('PGlite, warm', { DATA_DIR: dir });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (process.env.BENCH_PG !== 'off') {
    const adminUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
    const fresh = await createFreshDatabase(adminUrl, 'schoolgate_bench');
    try {
      await measure('PostgreSQL, cold', { DATABASE_URL: fresh.url });
      await measure('PostgreSQL, warm', { DATABASE_URL: fresh.url });
    } finally {
      await fresh.drop();
    }
  }
  console.log('\nschoolgate start → first /healthz 200 (spawn included; NODE_ENV=production, DEMO=off)');
  for (const r of results) console.log(r);
}
