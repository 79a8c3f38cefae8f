import { createServer } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { spawn } from 'node:child_process';
import autocannon from 'autocannon';
import pg from 'pg';
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, sql } from 'kysely';
import type { DB } from '../src/db/schema.ts';
import { invoicePageQuery } from '../src/modules/invoices/queries.ts';
import { generateInvoices } from '../src/generator/invoices.ts';
import { ingestInvoices } from '../src/modules/invoices/ingest.ts';
import { insertAccessGroup, insertApp, insertClient, insertGrant, insertPartner } from '../src/seed/builders.ts';
import { freePort, NODE, ROOT, spawnServer, waitUntilReady } from '../test/pg/server-process.ts';
import { openBenchWorld } from './_world.ts';

/**
 * The invoices API (Rekeningen) under load, on the local PostgreSQL (fresh database
 * `schoolgate_bench_invoices`): the bench world's institutions (BENCH_SCHOOLS, BENCH_STUDENTS as for
 * `api`) in access groups of 20 (each also holding the next group's first institution, so some
 * institutions are in two groups), an invoice per pupil per term (three terms), and an app granted
 * every other access group. It pages GET /invoices/v1/invoices?accessGroup=<group>&limit=100 — the
 * first pages of each granted group — at 64 connections, against a baseline in its own process
 * (node:http + pg running the same SQL: the page with the grants' reach read from grant_reach, no
 * token, rate count, release declaration or access log), twice each (ABAB). Goal (issue 15):
 * throughput ≥ 0.8 × the baseline.
 *
 * Before the load it prints EXPLAIN (ANALYZE, BUFFERS) of the page statements (BENCH_INVOICES_EXPLAIN_ONLY=1:
 * only that).
 *
 * Env: BENCH_DATABASE_URL, BENCH_SECONDS (10), BENCH_CONNECTIONS (64), BENCH_SCHOOLS, BENCH_STUDENTS.
 */
export async function run(): Promise<void> {
  const seconds = Number(process.env.BENCH_SECONDS ?? 10);
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
  const bench = await openBenchWorld('schoolgate_bench_invoices');
  const { ctx, institutionNumbers: numbers } = bench;
  const stops: (() => Promise<void>)[] = [];
  try {
    const groups: { id: string; institutionNumbers: string[] }[] = [];
    for (let i = 0; i < numbers.length; i += 20) {
      const members = [...new Set([...numbers.slice(i, i + 20), ...(numbers[i + 20] ? [numbers[i + 20]!] : [])])];
      groups.push({ id: await insertAccessGroup(ctx.db, { name: `Facturatie ${i / 20 + 1}`, institutionNumbers: members }), institutionNumbers: members });
    }
    const schoolYear = new Date().getUTCMonth() >= 8 ? new Date().getUTCFullYear() : new Date().getUTCFullYear() - 1;
    const invoices = generateInvoices({ seed: 42, schoolYear, accessGroups: groups, world: bench.world, today: `${schoolYear + 1}-06-30` });
    const t = performance.now();
    for (let i = 0; i < invoices.length; i += 20_000) {
      await ingestInvoices(ctx, { upsert: invoices.slice(i, i + 20_000) }, { id: null, label: 'bench', kind: 'system' });
    }
    const ingestSeconds = (performance.now() - t) / 1000;
    await sql`VACUUM ANALYZE`.execute(ctx.db);

    const partnerId = await insertPartner(ctx.db, { name: 'Bench partner', contactEmail: 'bench@example.test' });
    const appId = await insertApp(ctx.db, {
      partnerId,
      name: 'Invoices bench',
      status: 'approved',
      apis: [{ apiCode: 'invoices', dataCategories: ['identity', 'invoices', 'addresses'], purpose: 'bench' }],
    });
    const client = await insertClient(ctx.db, { appId, name: 'Invoices bench' });
    const granted = groups.filter((_, i) => i % 2 === 0);
    for (const g of granted) await insertGrant(ctx.db, { clientId: client.clientId, apiCode: 'invoices', accessGroupId: g.id });
    await ctx.db.insertInto('ss12000_rate_limits').values({ app_id: appId, requests_per_minute: 1_000_000_000 }).execute();
    await explainPages(bench.databaseUrl, client.clientId, granted[0]!.id);
    if (process.env.BENCH_INVOICES_EXPLAIN_ONLY === '1') return;

    const server = await spawnServer({ DATABASE_URL: bench.databaseUrl, NODE_ENV: 'production', LOG_LEVEL: 'warn' });
    stops.push(() => server.stop());
    await waitUntilReady(server);
    const tokenRes = await fetch(`${server.url}/oidc/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.secret }),
    });
    const token = ((await tokenRes.json()) as { access_token: string }).access_token;
    const auth = { authorization: `Bearer ${token}` };

    const baselinePort = await freePort();
    const baseline = spawn(NODE, ['--import', 'tsx', 'bench/invoices.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        BENCH_INVOICES_BASELINE: '1',
        BASELINE_PORT: String(baselinePort),
        BASELINE_DB: bench.databaseUrl,
        BASELINE_CLIENT: client.clientId,
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    stops.push(async () => void baseline.kill('SIGTERM'));
    const baselineUrl = `http://127.0.0.1:${baselinePort}`;
    for (let i = 0; i < 200; i++) {
      try {
        if ((await fetch(`${baselineUrl}/invoices?limit=1&accessGroup=${granted[0]!.id}`)).ok) break;
      } catch {
        /* starting */
      }
      await new Promise((r) => setTimeout(r, 50));
    }

    // The first pages of each granted access group, for both servers (the baseline continues after an id).
    const ours: string[] = [];
    const base: string[] = [];
    let records = 0;
    for (const g of granted) {
      let res = await getJson(`${server.url}/invoices/v1/invoices?accessGroup=${g.id}&limit=100`, token);
      ours.push(`/invoices/v1/invoices?accessGroup=${g.id}&limit=100`);
      base.push(`/invoices?accessGroup=${g.id}&limit=100`);
      records += res.data.length;
      for (let page = 1; page < 4 && res.pageToken; page++) {
        const last = res.data.at(-1)!.id;
        ours.push(`/invoices/v1/invoices?limit=100&pageToken=${encodeURIComponent(res.pageToken)}`);
        base.push(`/invoices?accessGroup=${g.id}&limit=100&after=${last}`);
        res = await getJson(`${server.url}/invoices/v1/invoices?limit=100&pageToken=${encodeURIComponent(res.pageToken)}`, token);
        records += res.data.length;
      }
    }

    await cannon(server.url, ours, auth, 2, connections);
    await cannon(baselineUrl, base, {}, 2, connections);
    const rounds: { ours: autocannon.Result; base: autocannon.Result }[] = [];
    const load0 = loadavg()[0]!;
    for (let round = 0; round < 2; round++) {
      rounds.push({ ours: await cannon(server.url, ours, auth, seconds, connections), base: await cannon(baselineUrl, base, {}, seconds, connections) });
    }
    const row = (label: string, r: autocannon.Result) =>
      `${label.padEnd(36)} ${String(Math.round(r.requests.average)).padStart(6)}/s  p50 ${String(r.latency.p50).padStart(4)} ms  p99 ${String(r.latency.p99).padStart(5)} ms  non-2xx ${r.non2xx}  errors ${r.errors}`;
    console.log(
      `\nInvoices API on PostgreSQL: ${bench.schools} schools in ${groups.length} access groups, ${invoices.length} invoices (ingested in ${ingestSeconds.toFixed(1)} s); app granted ${granted.length} groups`,
    );
    console.log(
      `${cpus().length} CPUs shared by server, baseline, PostgreSQL and load generator; load average ${load0.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after; ${connections} connections, ${seconds} s per run`,
    );
    console.log(`GET /invoices?accessGroup=…&limit=100: ${ours.length} pages, ${records} invoices`);
    rounds.forEach((x, i) => {
      console.log(row(`  round ${i + 1} Schoolgate`, x.ours));
      console.log(row(`  round ${i + 1} baseline`, x.base));
    });
    const avg = (k: 'ours' | 'base') => rounds.reduce((n, x) => n + x[k].requests.average, 0) / rounds.length;
    console.log(`  throughput ratio ${(avg('ours') / avg('base')).toFixed(2)} (goal ≥ 0.8)`);
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await bench.close();
  }
}

/** Compiles statements without a connection (they are sent through a plain pg pool). */
const compiler = () =>
  new Kysely<DB>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new PostgresIntrospector(db),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });

/**
 * EXPLAIN (ANALYZE, BUFFERS) of the server's own page statements (`invoicePageQuery`) for one granted
 * access group: its first page, and the same page with a `meta.modified.after` filter (the shape a
 * sync's delta read takes). Each is run three times and the last plan printed (warm caches). With
 * BENCH_INVOICES_EXPLAIN_ONLY=1 the bench stops after them.
 */
async function explainPages(databaseUrl: string, clientId: string, accessGroup: string): Promise<void> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  const db = compiler();
  try {
    const reader = { clientId, apiCodes: ['invoices'] };
    const statements: [string, ReturnType<typeof invoicePageQuery>][] = [
      ['first page of an access group', invoicePageQuery(db, reader, { accessGroups: [accessGroup] }, 100, undefined)],
      [
        'the same, modified after 2000-01-01',
        invoicePageQuery(db, reader, { accessGroups: [accessGroup], modifiedAfter: '2000-01-01T00:00:00Z' }, 100, undefined),
      ],
    ];
    for (const [label, q] of statements) {
      const { sql: text, parameters } = q.compile();
      let plan: string[] = [];
      for (let i = 0; i < 3; i++) {
        plan = (await pool.query(`EXPLAIN (ANALYZE, BUFFERS) ${text}`, parameters as unknown[])).rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']);
      }
      console.log(`\nEXPLAIN (ANALYZE, BUFFERS), ${label}:\n${plan.join('\n')}`);
    }
  } finally {
    await pool.end();
  }
}

async function getJson(url: string, token: string) {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { data: { id: string }[]; pageToken?: string };
}

function cannon(url: string, paths: string[], headers: Record<string, string>, seconds: number, connections: number) {
  let i = 0;
  return new Promise<autocannon.Result>((ok, fail) => {
    autocannon(
      {
        url,
        headers,
        duration: seconds,
        connections,
        pipelining: 1,
        requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: paths[i++ % paths.length]! }) }],
      },
      (err, result) => (err ? fail(err) : ok(result)),
    );
  });
}

/**
 * The baseline: plain node:http + pg running the statement Schoolgate runs for a page of invoices —
 * the very text of `invoicePageQuery` (src/modules/invoices/queries.ts), compiled without a
 * connection, with the reach read from grant_reach in the same statement — for the bench app's
 * client, answering with JSON.stringify of the stored bodies.
 */
async function baselineServer(): Promise<void> {
  // As the server's (src/db keepConnections): a fixed pool, no new backends after a quiet spell.
  const pool = new pg.Pool({ connectionString: process.env.BASELINE_DB, max: 10, min: 10 });
  const clientId = process.env.BASELINE_CLIENT!;
  // Compiles only: the statements are sent through `pool` below.
  const db = compiler();
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://x');
      const limit = Number(url.searchParams.get('limit') ?? 100);
      const after = url.searchParams.get('after') ?? undefined;
      const reader = { clientId, apiCodes: ['invoices'] };
      const statement = invoicePageQuery(db, reader, { accessGroups: [url.searchParams.get('accessGroup')!] }, limit, after).compile();
      const r = await pool.query(statement.sql, statement.parameters as unknown[]);
      const data = r.rows.slice(0, limit).map((x) => ({ ...x.body, meta: { created: x.created_at, modified: x.modified_at } }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(r.rows.length > limit ? { data, pageToken: 'x' } : { data }));
    } catch (err) {
      res.writeHead(500).end(String(err));
    }
  });
  server.listen(Number(process.env.BASELINE_PORT), '127.0.0.1');
  process.on('SIGTERM', () => {
    server.close();
    void pool.end();
    process.exit(0);
  });
}

if (process.env.BENCH_INVOICES_BASELINE === '1') await baselineServer();
