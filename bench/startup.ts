import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFreshDatabase, spawnServer, waitUntilReady } from '../test/pg/server-process.ts';

/**
 * Start-up: time from spawning `node --import tsx src/cli.ts start` to the first 200 from
 * GET /healthz, the CPU time the process used until then, its RSS right then, and the time to the
 * first 200 from the OpenID discovery document (oidc-provider is loaded after the server listens). For each backend a cold start (empty database:
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
      // oidc-provider is loaded once the server listens: say when the token side is ready too.
      while ((await fetch(`${server.url}/oidc/.well-known/openid-configuration`).catch(() => undefined))?.status !== 200) {
        await new Promise((r) => setTimeout(r, 25));
      }
      const oidcMs = performance.now() - started;
      results.push(
        `${label.padEnd(18)} /healthz ${String(Math.round(ms)).padStart(5)} ms (CPU ${String(Math.round(cpu)).padStart(5)} ms, RSS ${Math.round(rss / 1048576)} MiB)   /oidc discovery ${String(Math.round(oidcMs)).padStart(5)} ms`,
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
  console.log('\nschoolgate start → first 200 (spawn included; NODE_ENV=production, DEMO=off)');
  for (const r of results) console.log(r);
}
