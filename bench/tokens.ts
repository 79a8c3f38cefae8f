import autocannon from 'autocannon';
import type { AppContext } from '../src/context.ts';
import { openDatabase } from '../src/db/index.ts';
import { systemClock } from '../src/lib/clock.ts';
import { basic, createClient } from '../test/oidc/fixtures.ts';
import { createFreshDatabase, spawnServer, waitUntilReady } from '../test/pg/server-process.ts';

/**
 * Client-credentials throughput: one Schoolgate process on the local PostgreSQL (fresh database
 * `schoolgate_bench`, dropped afterwards), autocannon in this process, POST /oidc/token with
 * client_secret_basic; GET /healthz on the same server as the baseline.
 *
 * Env: BENCH_DATABASE_URL (server to use, default postgres://postgres@127.0.0.1:5432/postgres),
 * BENCH_SECONDS (per run, default 10), BENCH_CONNECTIONS (default 10).
 */
export async function run(): Promise<void> {
  const adminUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const seconds = Number(process.env.BENCH_SECONDS ?? 10);
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);
  const fresh = await createFreshDatabase(adminUrl, 'schoolgate_bench');
  const server = await spawnServer({ DATABASE_URL: fresh.url, NODE_ENV: 'production', LOG_LEVEL: 'warn' });
  const database = await openDatabase({ databaseUrl: fresh.url, poolSize: 1 });
  try {
    await waitUntilReady(server);
    const c = await createClient({ db: database.db, clock: systemClock } as AppContext);
    const tokenRequest = {
      method: 'POST' as const,
      headers: { authorization: basic(c.clientId, c.secret), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    };
    // Warm up (JIT, connection pool, oidc-provider's client cache), and prove the request works.
    const probe = await fetch(`${server.url}/oidc/token`, tokenRequest);
    if (probe.status !== 200) throw new Error(`token request failed: ${probe.status} ${await probe.text()}`);
    await cannon(`${server.url}/oidc/token`, tokenRequest, 2, connections);
    await cannon(`${server.url}/healthz`, { method: 'GET' }, 2, connections);

    const cpu0 = server.cpuMs() ?? 0;
    const baseline = await cannon(`${server.url}/healthz`, { method: 'GET' }, seconds, connections);
    const cpu1 = server.cpuMs() ?? 0;
    const statsBefore = await xacts(database.db);
    const cpu2 = server.cpuMs() ?? 0;
    const tokens = await cannon(`${server.url}/oidc/token`, tokenRequest, seconds, connections);
    const cpu3 = server.cpuMs() ?? 0;
    const statsAfter = await xacts(database.db);

    const row = (label: string, r: autocannon.Result) =>
      `${label.padEnd(22)} ${String(Math.round(r.requests.average)).padStart(8)}/s  p50 ${String(r.latency.p50).padStart(4)} ms  p99 ${String(r.latency.p99).padStart(4)} ms  non-2xx ${r.non2xx}  errors ${r.errors}`;
    console.log(
      `\nSchoolgate on PostgreSQL, ${connections} connections, ${seconds} s each, server in its own process (${process.arch}, ${(await import('node:os')).cpus().length} CPUs shared with the load generator)`,
    );
    console.log(row('GET /healthz', baseline));
    console.log(row('POST /oidc/token', tokens));
    const issued = tokens.requests.total - tokens.non2xx;
    // Throughput depends on what else the machine runs; server CPU per request does much less.
    const perCpuSecond = (n: number, ms: number) => (ms > 0 ? Math.round((n * 1000) / ms) : NaN);
    console.log(
      `server CPU: /healthz ${((cpu1 - cpu0) / Math.max(baseline.requests.total, 1)).toFixed(3)} ms/request ` +
        `(${perCpuSecond(baseline.requests.total, cpu1 - cpu0)} per CPU-second); ` +
        `token ${((cpu3 - cpu2) / Math.max(issued, 1)).toFixed(3)} ms/token (${perCpuSecond(issued, cpu3 - cpu2)} tokens per CPU-second, i.e. on one core)`,
    );
    console.log(`tokens issued: ${issued}; database transactions per token: ${((statsAfter - statsBefore) / Math.max(issued, 1)).toFixed(2)}`);
    console.log(`RSS of the server after the run: ${Math.round((server.rss() ?? 0) / 1048576)} MiB`);
    if (tokens.non2xx || tokens.errors) process.exitCode = 1;
  } finally {
    await database.close();
    await server.stop();
    await fresh.drop();
  }
}

function cannon(url: string, request: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string }, seconds: number, connections: number) {
  return new Promise<autocannon.Result>((ok, fail) => {
    autocannon({ url, ...request, duration: seconds, connections, pipelining: 1 }, (err, result) => (err ? fail(err) : ok(result)));
  });
}

/** Committed transactions of the bench database so far (every autocommit statement is one). */
async function xacts(db: import('kysely').Kysely<any>): Promise<number> {
  const { sql } = await import('kysely');
  // Idle backends publish their counters within PGSTAT_IDLE_INTERVAL (10 s in PostgreSQL 15): wait that out.
  await new Promise((r) => setTimeout(r, 11_000));
  await sql`SELECT pg_stat_clear_snapshot()`.execute(db);
  const r = await sql<{ n: string }>`SELECT xact_commit::text AS n FROM pg_stat_database WHERE datname = current_database()`.execute(db);
  return Number(r.rows[0]?.n ?? 0);
}
