import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Agent, createServer, request as httpRequest } from 'node:http';
import { cpus } from 'node:os';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import autocannon from 'autocannon';
import pg from 'pg';
import { Kysely, PostgresDialect, sql, type CompiledQuery } from 'kysely';
import type { DB } from '../src/db/schema.ts';
import { endpoints } from '../src/modules/ss12000/endpoints.ts';
import { listPage, parseListRequest } from '../src/modules/ss12000/read.ts';
import { loadScope, type ClientIdentity } from '../src/modules/ss12000/scope.ts';
import { generateWorld, worldCounts } from '../src/generator/index.ts';
import { benchWorldParameters, openBenchStore, openBenchWorld } from './_world.ts';
import { explainHotStatements, type ExplainedStatement } from './_explain.ts';
import { ingestBatch } from '../src/modules/ss12000/ingest.ts';
import { ingestBoarders } from '../src/modules/boarders/ingest.ts';
import { ingestPreEnrolments } from '../src/modules/pre-enrolments/ingest.ts';
import { insertApp, insertClient, insertGrant, insertPartner } from '../src/seed/builders.ts';
import { freePort, NODE, ROOT, spawnServer, waitUntilReady } from '../test/pg/server-process.ts';

/**
 * The SS 12000 API under load, on the local PostgreSQL (fresh database `schoolgate_bench_api`), once
 * per world size (BENCH_SCALES, e.g. `1,5`: multiples of BENCH_SCHOOLS and BENCH_STUDENTS), then one
 * table with the sizes side by side — what a client pays should follow what it may see, not the size
 * of the world (issue 16):
 *  1. ingestion of the 200-school / 60,000-student world (seed 42), and of it again unchanged (in a
 *     process that holds the roster alone, as the server holds a batch: `ingestHere`);
 *  2. an app granted half of the schools pages GET /persons?limit=100 and GET /groups?expand=assignmentRoles
 *     at 64 connections, against a baseline server in its own process (node:http + pg, the same SQL,
 *     JSON.stringify; no auth, scoping, validation or presentation);
 *  3. a full crawl of every person the app may see with limit=1000;
 *  4. a partner hammering past its rate limit while a second partner's p99 is measured;
 *  5. RSS of the server;
 *  6. EXPLAIN (ANALYZE, BUFFERS) of the server's own statements for app A's and partner C's pages
 *     (bench/_explain.ts; the plans in .bench/explain-<scale>x.txt, buffers and times in the table);
 *  7. (issue 17) a week of one school's GET /calendarEvents (every page at limit=100, for an app granted
 *     the timetable API at that school) against the baseline running the server's own statements
 *     (captured from `listPage`, see `calendarWeekPages`); the world has a
 *     term's timetable (openBenchWorld's `timetable`), loaded after the roster and timed on its own.
 *     Then the same app's week a year earlier, which has no lessons: a read that releases nothing,
 *     whose cost is the fixed path of every read (live authorization and rate count, the access-log
 *     row, the framework) against the baseline's bare round trip of the same statement;
 *  8. (issue 17) a page of GET /grades (the first BENCH_GRADES_PAGES pages at limit=100, for an app
 *     granted the grades API with its category `grades` approved at ten schools that grade) against
 *     the baseline running the server's own statements, captured the same way (`capturedPages`); the
 *     world has grades (openBenchWorld's `grades`), loaded after the timetable and timed on its own.
 *
 * Load design and what is reported for step 2: see `compare` below (ABAB rounds, CPU per request of
 * each server and its PostgreSQL backends, latency at a fixed offered load).
 *
 * Env: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres), BENCH_DB_NAME (the fresh
 * database's name, default schoolgate_bench_api: another name lets two runs share a server), BENCH_SECONDS (10),
 * BENCH_CONNECTIONS (64), BENCH_SCHOOLS (200), BENCH_STUDENTS (60000), BENCH_SCALES (1), BENCH_API_PROFILE
 * (a directory: the server writes a CPU profile there), BENCH_SERVER_NODE_OPTIONS (Node options of the
 * server only), BENCH_SERVER_NODE_FLAGS (flags for the server's command line: V8 flags NODE_OPTIONS refuses,
 * e.g. --heap-growing-percent=50), BENCH_SERVER_OUTPUT (a file: what the server wrote, kept when it stops), BENCH_PACED_TRACE (a file: each
 * paced request's due time, epoch ms, and latency), BENCH_TIMETABLE_WEEKS (2: weeks of lessons in the world), BENCH_API_INVOICES (0: without
 * the invoices case, which runs last on a world of its own), BENCH_API_CASES (which load cases run, default all:
 * persons,groups,calendarEvents,grades,crawl,rate — a shorter list for a quicker inner loop; the world is
 * loaded whole either way, except the grades when `grades` is not listed), BENCH_GRADES_PAGES (10).
 *
 * At 10× (BENCH_SCALES=10: 2,000 schools, 600,000 students) the world is generated in this process
 * and outgrows Node's default heap (~4 GB; it died after 11 minutes of generating): run it with
 * NODE_OPTIONS=--max-old-space-size=18000 (peak RSS 8.8 GB, 23 minutes in all on 2 CPUs).
 */
export async function run(): Promise<void> {
  const scales = (process.env.BENCH_SCALES ?? '1').split(',').map((x) => Number(x.trim()));
  if (!scales.length || scales.some((x) => !(x > 0))) throw new Error(`BENCH_SCALES: positive numbers, comma-separated (got ${process.env.BENCH_SCALES})`);
  const results: ScaleResult[] = [];
  for (const scale of scales) results.push(await runScale(scale));
  printTable(results);
  // Issue 15: a page of invoices per access group, at the bench world (1×), against its own bare
  // baseline (bench/invoices.ts, also `npm run bench -- invoices` alone). BENCH_API_INVOICES=0 skips it.
  if (process.env.BENCH_API_INVOICES !== '0') {
    console.log('\nInvoices API: a page of invoices per access group (bench/invoices.ts)');
    await (await import('./invoices.ts')).run();
  }
}

/** What one world size measured, for the table of `printTable`. */
interface ScaleResult {
  scale: number;
  schools: number;
  students: number;
  persons: number;
  ingestSeconds: number;
  reingestSeconds: number;
  reingestNoChange: boolean;
  partnerC?: LoadResult;
  partnerCBesideB?: LoadResult;
  persons100?: Comparison;
  groups100?: Comparison;
  crawl?: { persons: number; pages: number; seconds: number };
  rss: { start?: number; peak: number; end?: number; baseline?: number };
  /** EXPLAIN (ANALYZE, BUFFERS) of the hot statements (plans in .bench/explain-<scale>x.txt). */
  explain: ExplainedStatement[];
  // --- issue 17: the timetable (calendar events) case ---
  /** Ingestion of the term's timetable (rooms, resources, offerings, lessons), after the roster. */
  timetableIngestSeconds: number;
  calendarEvents: number;
  /** A week of one school's /calendarEvents, every page at limit=100. */
  calendarWeek?: Comparison;
  /** The same app's /calendarEvents for a week without lessons: no records, the fixed path of a read. */
  calendarEmptyWeek?: Comparison;
  /** Ingestion of the school year's grades, after the timetable (0 when the grades case is off). */
  gradesIngestSeconds: number;
  grades: number;
  /** The first pages of /grades at ten schools, limit=100. */
  gradesPages?: Comparison;
}

/** Schoolgate against the baseline on one request mix (see `compare` in `runScale`). */
interface Comparison {
  /** Saturated throughput, averaged over the rounds. */
  ours: number;
  base: number;
  /** CPU per request (server process + its PostgreSQL backends), ms, averaged over the rounds. */
  oursCpu: number;
  baseCpu: number;
  /** The steady offered load (half the baseline's saturated throughput) and p99 under it. */
  rate: number;
  oursP99: number;
  baseP99: number;
}

function printTable(results: ScaleResult[]): void {
  const mib = (b: number | undefined) => (b === undefined ? '?' : `${Math.round(b / 1048576)} MiB`);
  const ratio = (c?: Comparison) => (c ? `${Math.round(c.ours)} / ${Math.round(c.base)} = ${(c.ours / c.base).toFixed(2)}` : '—');
  const cpu = (c?: Comparison) => (c ? `${c.oursCpu.toFixed(2)} / ${c.baseCpu.toFixed(2)} ms` : '—');
  const p99 = (c?: Comparison) => (c ? `${c.oursP99} / ${c.baseP99} ms @${c.rate}/s` : '—');
  const load = (l: LoadResult | undefined, f: (l: LoadResult) => string) => (l ? f(l) : '—');
  const rows: [string, (r: ScaleResult) => string][] = [
    ['world: schools / students / persons', (r) => `${r.schools} / ${r.students} / ${r.persons}`],
    ['ingestion of the world', (r) => `${r.ingestSeconds.toFixed(1)} s`],
    ['again, unchanged', (r) => `${r.reingestSeconds.toFixed(1)} s${r.reingestNoChange ? '' : ' (CHANGED!)'}`],
    ['partner C (10 schools) alone, /persons: req/s', (r) => load(r.partnerC, (l) => `${Math.round(l.requests.average)}/s`)],
    ['  p50 / p99', (r) => load(r.partnerC, (l) => `${l.latency.p50} / ${l.latency.p99} ms`)],
    ['  beside B hammering: req/s, p99', (r) => load(r.partnerCBesideB, (l) => `${Math.round(l.requests.average)}/s, ${l.latency.p99} ms`)],
    ['app A (half) /persons: req/s ours / baseline', (r) => ratio(r.persons100)],
    ['  CPU/req ours / baseline', (r) => cpu(r.persons100)],
    ['  p99 at half the baseline (ours / base)', (r) => p99(r.persons100)],
    ['app A /groups?expand=assignmentRoles: req/s', (r) => ratio(r.groups100)],
    ['  CPU/req ours / baseline', (r) => cpu(r.groups100)],
    ['  p99 at half the baseline (ours / base)', (r) => p99(r.groups100)],
    // --- issue 17: the timetable (calendar events) and grades cases ---
    ["ingestion of a term's timetable (lessons)", (r) => `${r.timetableIngestSeconds.toFixed(1)} s (${r.calendarEvents})`],
    ['school week /calendarEvents: req/s', (r) => ratio(r.calendarWeek)],
    ['  CPU/req ours / baseline', (r) => cpu(r.calendarWeek)],
    ['  p99 at half the baseline (ours / base)', (r) => p99(r.calendarWeek)],
    ['  a week without lessons (fixed path): req/s', (r) => ratio(r.calendarEmptyWeek)],
    ['  CPU/req ours / baseline', (r) => cpu(r.calendarEmptyWeek)],
    ["ingestion of the year's grades", (r) => (r.grades ? `${r.gradesIngestSeconds.toFixed(1)} s (${r.grades})` : '—')],
    ['pages of /grades (10 schools): req/s', (r) => ratio(r.gradesPages)],
    ['  CPU/req ours / baseline', (r) => cpu(r.gradesPages)],
    ['  p99 at half the baseline (ours / base)', (r) => p99(r.gradesPages)],
    ['full crawl of app A /persons (limit 1000)', (r) => (r.crawl ? `${r.crawl.persons} in ${r.crawl.seconds.toFixed(1)} s` : '—')],
    ['server RSS: start / peak / end', (r) => `${mib(r.rss.start)} / ${mib(r.rss.peak)} / ${mib(r.rss.end)}`],
  ];
  const width = 46;
  const col = 34;
  console.log(`\nSS 12000 API by world size (${cpus().length} CPUs shared by server, baseline, PostgreSQL and load generator)`);
  console.log(`${''.padEnd(width)} ${results.map((r) => `${r.scale}×`.padEnd(col)).join(' ')}`);
  for (const [label, cell] of rows) console.log(`${label.padEnd(width)} ${results.map((r) => cell(r).padEnd(col)).join(' ')}`);
  // The work of each hot statement, from its plan: buffers do not depend on how busy the machine is.
  console.log(`\nHot statements, EXPLAIN (ANALYZE, BUFFERS): execution ms / shared buffers / rows (plans: .bench/explain-<scale>x.txt)`);
  for (const [i, first] of (results[0]?.explain ?? []).entries()) {
    const cell = (r: ScaleResult) => {
      const e = r.explain[i];
      return e ? `${e.executionMs.toFixed(2)} ms / ${e.buffers} / ${e.rows}` : '?';
    };
    console.log(`${first.label.padEnd(width)} ${results.map((r) => cell(r).padEnd(col)).join(' ')}`);
  }
}

/** The whole benchmark on one world size. */
async function runScale(scale: number): Promise<ScaleResult> {
  const cases = benchCases();
  const seconds = Number(process.env.BENCH_SECONDS ?? 10);
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
  // Two weeks of lessons (BENCH_TIMETABLE_WEEKS): the calendar-events case reads one school's week, and
  // a whole term would multiply the load's time and the database's size for nothing it measures.
  const bench = await openBenchWorld(process.env.BENCH_DB_NAME ?? 'schoolgate_bench_api', scale, {
    timetable: true,
    timetableWeeks: Number(process.env.BENCH_TIMETABLE_WEEKS ?? 2),
    grades: cases.has('grades'),
  });
  const { ctx, institutionNumbers: numbers } = bench;
  const stops: (() => Promise<void>)[] = [];
  try {
    // 1. The world, and its ingestion. The timetable (issue 17) is loaded after the roster and timed on
    // its own, so that the roster's numbers stay comparable with runs before it.
    const { rooms, resources, schoolUnitOfferings, calendarEvents, grades, ...world } = bench.world;
    const { ingestSeconds, reingestSeconds, noChange } = await inChild<IngestResult>({
      kind: 'ingest',
      args: { databaseUrl: bench.databaseUrl, scale, today: bench.today },
    });
    let t = performance.now();
    await ingestBatch(ctx, { upsert: { rooms, resources, schoolUnitOfferings, calendarEvents } as never }, { id: null, label: 'bench', kind: 'system' });
    const timetableIngestSeconds = (performance.now() - t) / 1000;
    // The grades (issue 17), after the timetable and timed on their own, only for the grades case.
    t = performance.now();
    if (grades?.length) await ingestBatch(ctx, { upsert: { grades } as never }, { id: null, label: 'bench', kind: 'system' });
    const gradesIngestSeconds = grades?.length ? (performance.now() - t) / 1000 : 0;
    // The boarding schools' boarders (the boarders API), so the world serves every API; not timed.
    await ingestBoarders(ctx, { upsert: bench.boarders }, { id: null, label: 'bench', kind: 'system' });
    // Next year's intake of pre-enrolments (the pre-enrolments API), about a grade's pupils per institution; not timed.
    await ingestPreEnrolments(ctx, { upsert: bench.preEnrolments }, { id: null, label: 'bench', kind: 'system' });
    // A freshly loaded table has no visibility map yet: index-only scans would visit the heap.
    await sql`VACUUM ANALYZE`.execute(ctx.db);
    // The load just wrote the world (gigabytes of WAL at 5×): without a checkpoint now, one falls into
    // the measured runs, and every commit there (the access log's) waits behind its writes.
    await sql`CHECKPOINT`.execute(ctx.db);

    // Apps: A granted half of the schools (no rate limit in the way), B hammering at a low limit, C measured beside B.
    const partnerId = await insertPartner(ctx.db, { name: 'Bench partner', contactEmail: 'bench@example.test' });
    const cats = ['identity', 'civic_number', 'birth_date', 'sex', 'addresses', 'phone_numbers', 'private_email', 'photo', 'guardians'];
    const makeApp = async (name: string, grantNumbers: string[], perMinute: number) => {
      const appId = await insertApp(ctx.db, {
        partnerId,
        name,
        status: 'approved',
        apis: [
          { apiCode: 'students', dataCategories: cats, purpose: 'bench' },
          { apiCode: 'staff', dataCategories: cats.filter((c) => c !== 'guardians'), purpose: 'bench' },
        ],
      });
      const client = await insertClient(ctx.db, { appId, name });
      for (const n of grantNumbers) {
        await insertGrant(ctx.db, { clientId: client.clientId, apiCode: 'students', institutionNumber: n });
        await insertGrant(ctx.db, { clientId: client.clientId, apiCode: 'staff', institutionNumber: n });
      }
      await ctx.db.insertInto('ss12000_rate_limits').values({ app_id: appId, requests_per_minute: perMinute }).execute();
      return client;
    };
    const half = numbers.filter((_, i) => i % 2 === 0);
    const appA = await makeApp('A', half, 1_000_000_000);
    const appB = await makeApp('B', numbers.slice(0, 10), 600);
    const appC = await makeApp('C', numbers.slice(10, 20), 1_000_000_000);
    const categories = { students: cats, staff: cats.filter((c) => c !== 'guardians') };
    const explain = await explainHotStatements(bench.databaseUrl, scale, [
      { label: 'app A (half)', clientId: appA.clientId, institutionNumbers: half, categories },
      { label: 'partner C (10)', clientId: appC.clientId, institutionNumbers: numbers.slice(10, 20), categories },
    ]);

    // BENCH_API_PROFILE=<dir>: the server writes a V8 CPU profile there when it stops (open it in Chrome DevTools).
    // BENCH_SERVER_NODE_OPTIONS: Node options for the server only (e.g. heap limits to try).
    const nodeOptions = [
      process.env.BENCH_API_PROFILE ? `--cpu-prof --cpu-prof-dir=${process.env.BENCH_API_PROFILE}` : '',
      process.env.BENCH_SERVER_NODE_OPTIONS ?? '',
    ]
      .join(' ')
      .trim();
    // Always set: the server must not inherit the driver's options (at 5× and 10× a heap limit of
    // gigabytes, which would let the server's heap, and its RSS, grow as the driver's may).
    const profile: Record<string, string> = { NODE_OPTIONS: nodeOptions };
    const serverStarted = performance.now();
    // BENCH_SERVER_NODE_FLAGS: flags for the server's command line (V8 flags NODE_OPTIONS refuses, e.g.
    // --heap-growing-percent=50), after its own.
    const flags = (process.env.BENCH_SERVER_NODE_FLAGS ?? '').split(' ').filter(Boolean);
    // The metrics endpoint on, to read the access log's write times around each paced run (p99).
    const metricsToken = randomBytes(32).toString('hex');
    const server = await spawnServer(
      { DATABASE_URL: bench.databaseUrl, NODE_ENV: 'production', LOG_LEVEL: 'warn', METRICS_TOKEN: metricsToken, ...profile },
      undefined,
      flags,
    );
    stops.push(async () => {
      await server.stop();
      // BENCH_SERVER_OUTPUT=<file>: what the server wrote. (Node refuses --trace-gc in NODE_OPTIONS; the
      // preload bench/gc-watch.mjs records the server's collections and memory instead.)
      if (process.env.BENCH_SERVER_OUTPUT) writeFileSync(process.env.BENCH_SERVER_OUTPUT, server.output());
    });
    await waitUntilReady(server);
    const rssAtStart = server.rss();
    let rssPeak = rssAtStart ?? 0;
    const rssTimer = setInterval(() => (rssPeak = Math.max(rssPeak, server.rss() ?? 0)), 250);
    stops.push(async () => clearInterval(rssTimer));
    const token = async (c: { clientId: string; secret: string }) => {
      const res = await fetch(`${server.url}/oidc/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.secret }),
      });
      const json = (await res.json()) as { access_token: string };
      if (!json.access_token) throw new Error(`token: ${res.status} ${JSON.stringify(json)}`);
      return json.access_token;
    };
    const [tokenA, tokenB, tokenC] = [await token(appA), await token(appB), await token(appC)];
    const base = `${server.url}/ss12000/v2.0`;

    // The scope of app A as unit ids, for the baseline's SQL.
    const unitRows = await ctx.db.selectFrom('ss12000_organisations').select('id').where('organisation_code', 'in', half).execute();
    const units = unitRows.map((r) => r.id);
    const baselinePort = await freePort();
    const baseline = spawn(NODE, ['--import', 'tsx', 'bench/api.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_OPTIONS: '',
        BENCH_API_BASELINE: '1',
        BASELINE_PORT: String(baselinePort),
        BASELINE_DB: bench.databaseUrl,
        BASELINE_UNITS: units.join(','),
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    stops.push(async () => {
      baseline.kill('SIGTERM');
    });
    const baselineUrl = `http://127.0.0.1:${baselinePort}`;
    for (let i = 0; i < 200; i++) {
      try {
        if ((await fetch(`${baselineUrl}/persons?limit=1`)).ok) break;
      } catch {
        /* starting */
      }
      await new Promise((r) => setTimeout(r, 50));
    }

    // Page URLs for both servers: the first 40 pages of /persons at limit=100.
    const ourPages: string[] = ['/ss12000/v2.0/persons?limit=100'];
    const basePages: string[] = ['/persons?limit=100'];
    {
      let res = await getJson(`${base}/persons?limit=100`, tokenA);
      let lastId = res.data.at(-1)!.id;
      while (ourPages.length < 40 && res.pageToken) {
        ourPages.push(`/ss12000/v2.0/persons?limit=100&pageToken=${encodeURIComponent(res.pageToken)}`);
        basePages.push(`/persons?limit=100&after=${lastId}`);
        res = await getJson(`${base}/persons?limit=100&pageToken=${encodeURIComponent(res.pageToken)}`, tokenA);
        lastId = res.data.at(-1)!.id;
      }
    }
    const auth = { authorization: `Bearer ${tokenA}` };
    // Load design (2 CPUs here, shared by the server, the baseline, PostgreSQL and autocannon): the two
    // servers never run at the same time, and each measurement of one is followed by the same
    // measurement of the other, twice (ABAB), so slow drift of the machine hits both alike. Reported:
    //  - throughput at saturation (closed loop, 64 connections): the ratio goal;
    //  - CPU per request of the server process plus its PostgreSQL backends (from /proc): the cost,
    //    which does not depend on what else runs on the machine;
    //  - latency at a FIXED offered load that both can carry (half the baseline's saturated
    //    throughput, sent at a steady pace over a pool of the same 64 connections, see `paced`): at
    //    saturation a closed loop's p99 is only queueing (64 connections / throughput), so a p99 goal
    //    means something only below it.
    const dbCpu = await backendCpu(bench.databaseUrl);
    const logWrites = () => accessLogWrites(server.url, metricsToken);
    const measure = async (target: 'ours' | 'base', paths: string[], rate?: number, ourHeaders: Record<string, string> = auth) => {
      const pid = target === 'ours' ? server.child.pid! : baseline.pid!;
      const p0 = cpuOfPid(pid);
      const d0 = await dbCpu();
      const x0 = await dbCpu.transactions();
      const url = target === 'ours' ? server.url : baselineUrl;
      const headers = target === 'ours' ? ourHeaders : {};
      // With BENCH_SERVER_OUTPUT: when each paced run starts and ends, in ms since the server was spawned.
      const since = () => Math.round(performance.now() - serverStarted);
      if (rate && process.env.BENCH_SERVER_OUTPUT) console.log(`  paced ${target} from server +${since()} ms`);
      const w0 = rate && target === 'ours' ? await logWrites() : undefined;
      const r: LoadResult = rate
        ? await pacedInChild({ url, paths, headers, seconds, connections, rate })
        : await cannon(url, paths, headers, seconds, connections);
      if (rate && process.env.BENCH_SERVER_OUTPUT) console.log(`  paced ${target} until server +${since()} ms`);
      const p1 = cpuOfPid(pid);
      const w1 = w0 ? await logWrites() : undefined;
      const d1 = await dbCpu();
      const x1 = await dbCpu.transactions();
      const writes = w0 && w1 ? slowWrites(w0, w1) : undefined;
      return { r, nodeMs: (p1 - p0) / r.requests.total, dbMs: (d1 - d0) / r.requests.total, xacts: (x1 - x0) / r.requests.total, writes };
    };
    type M = Awaited<ReturnType<typeof measure>>;
    const compare = async (name: string, ours: string[], base: string[], ourHeaders: Record<string, string> = auth) => {
      await cannon(server.url, ours, ourHeaders, 2, connections);
      await cannon(baselineUrl, base, {}, 2, connections);
      const sat: { ours: M; base: M }[] = [];
      for (let round = 0; round < 2; round++) sat.push({ ours: await measure('ours', ours, undefined, ourHeaders), base: await measure('base', base) });
      const baseRate = sat.reduce((n, x) => n + x.base.r.requests.average, 0) / sat.length;
      const rate = Math.max(1, Math.round(baseRate / 2));
      const fixed = { ours: await measure('ours', ours, rate, ourHeaders), base: await measure('base', base, rate) };
      return { name, sat, rate, fixed };
    };
    const persons = cases.has('persons') ? await compare('GET /persons?limit=100 (40 pages)', ourPages, basePages) : undefined;
    const rssAfterPersons = server.rss();
    const groups = cases.has('groups')
      ? await compare('GET /groups?limit=100&expand=assignmentRoles', ['/ss12000/v2.0/groups?limit=100&expand=assignmentRoles'], ['/groups?limit=100'])
      : undefined;
    // --- issue 17: a week of one school's lessons, for an app granted the timetable API there ---
    const tokenUrl = `${server.url}/oidc/token`;
    let calendarWeek: Awaited<ReturnType<typeof compare>> | undefined;
    let calendarEmptyWeek: Awaited<ReturnType<typeof compare>> | undefined;
    if (cases.has('calendarEvents')) {
      const week = await calendarWeekPages(ctx, bench.databaseUrl, scale, partnerId, numbers[0]!, tokenUrl, base);
      calendarWeek = await compare(
        `GET /calendarEvents, a week of one school (${week.events} lessons, ${week.ours.length} pages of 100)`,
        week.ours,
        week.base,
        { authorization: `Bearer ${week.token}` },
      );
      calendarEmptyWeek = await compare(
        'GET /calendarEvents, a week without lessons (no records: the fixed path of a read)',
        week.empty.ours,
        week.empty.base,
        { authorization: `Bearer ${week.token}` },
      );
    }
    // --- end of the timetable case ---
    // --- issue 17: pages of grades, for an app granted the grades API (category approved) at ten schools ---
    let gradesPages: Awaited<ReturnType<typeof compare>> | undefined;
    if (cases.has('grades') && grades?.length) {
      const pages = await gradePages(ctx, bench.databaseUrl, scale, partnerId, tokenUrl, base);
      gradesPages = await compare(
        `GET /grades at ${pages.schools} schools (${pages.ours.length} pages of 100 of ${pages.events}+ grades)`,
        pages.ours,
        pages.base,
        { authorization: `Bearer ${pages.token}` },
      );
    }
    // --- end of the grades case ---
    const rssAfterLoad = server.rss();
    const baselineRss = rssOfPid(baseline.pid!);

    // 3. Full crawl of every person app A may see, limit=1000.
    const crawl = cases.has('crawl')
      ? await inChild<{ persons: number; pages: number; seconds: number }>({ kind: 'crawl', args: { base, token: tokenA } })
      : undefined;
    const { persons: crawled, pages, seconds: crawlSeconds } = crawl ?? { persons: 0, pages: 0, seconds: 0 };

    // 4. B hammers past its limit; C's latency is measured at the same time.
    const [hammer, quiet] = cases.has('rate')
      ? await Promise.all([
          cannon(server.url, ['/ss12000/v2.0/organisations'], { authorization: `Bearer ${tokenB}` }, seconds, 32),
          cannon(server.url, ['/ss12000/v2.0/persons?limit=100'], { authorization: `Bearer ${tokenC}` }, seconds, 4),
        ])
      : [undefined, undefined];
    const quietAlone = cases.has('rate')
      ? await cannon(server.url, ['/ss12000/v2.0/persons?limit=100'], { authorization: `Bearer ${tokenC}` }, seconds, 4)
      : undefined;
    const rssEnd = server.rss();

    rssPeak = Math.max(rssPeak, rssEnd ?? 0);
    const row = (label: string, r: LoadResult) =>
      `${label.padEnd(46)} ${String(Math.round(r.requests.average)).padStart(6)}/s  p50 ${String(r.latency.p50).padStart(4)} ms  p99 ${String(r.latency.p99).padStart(5)} ms  non-2xx ${r.non2xx}  errors ${r.errors}`;
    const mb = (b: number | undefined) => `${Math.round((b ?? 0) / 1048576)} MiB`;
    console.log(
      `\nSS 12000 API on PostgreSQL at ${scale}× (${bench.schools} schools, ${bench.students} students); world ${Object.entries(worldCounts(world))
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')}`,
    );
    console.log(`${cpus().length} CPUs shared by server, baseline and load generator; ${connections} connections, ${seconds} s per run\n`);
    console.log(
      `ingestion of the whole world: ${ingestSeconds.toFixed(1)} s (goal < 60 s); again, unchanged: ${reingestSeconds.toFixed(1)} s (noChange=${noChange})`,
    );
    const cpu = (m: M) => `cpu/req node ${m.nodeMs.toFixed(2)} ms + db ${m.dbMs.toFixed(2)} ms, ~${m.xacts.toFixed(2)} statements/req`;
    for (const c of [persons, groups, calendarWeek, calendarEmptyWeek, gradesPages]) {
      if (!c) continue;
      console.log(`\n${c.name}`);
      c.sat.forEach((x, i) => {
        console.log(row(`  round ${i + 1} Schoolgate, saturated`, x.ours.r) + `  ${cpu(x.ours)}`);
        console.log(row(`  round ${i + 1} baseline, saturated`, x.base.r) + `  ${cpu(x.base)}`);
      });
      const avg = (k: 'ours' | 'base') => c.sat.reduce((n, x) => n + x[k].r.requests.average, 0) / c.sat.length;
      const cost = (k: 'ours' | 'base') => c.sat.reduce((n, x) => n + x[k].nodeMs + x[k].dbMs, 0) / c.sat.length;
      console.log(
        `  throughput ratio ${(avg('ours') / avg('base')).toFixed(2)} (goal ≥ 0.8); CPU per request ratio (baseline / Schoolgate) ${(cost('base') / cost('ours')).toFixed(2)}`,
      );
      console.log(row(`  Schoolgate at ${c.rate}/s offered`, c.fixed.ours.r) + `  ${cpu(c.fixed.ours)}`);
      const w = c.fixed.ours.writes;
      if (w)
        console.log(
          `    its access-log writes: ${w.count}, of which over 10 / 25 / 50 / 100 ms: ${w.over[0.01]} / ${w.over[0.025]} / ${w.over[0.05]} / ${w.over[0.1]}`,
        );
      console.log(row(`  baseline at ${c.rate}/s offered`, c.fixed.base.r) + `  ${cpu(c.fixed.base)}`);
      console.log(
        `  p99 at a steady load of half the baseline's capacity: Schoolgate ${c.fixed.ours.r.latency.p99} ms, baseline ${c.fixed.base.r.latency.p99} ms (goal < 50 ms)`,
      );
    }
    if (cases.has('crawl')) console.log(`full crawl of app A's persons: ${crawled} persons in ${pages} pages, ${crawlSeconds.toFixed(1)} s (goal < 10 s)`);
    if (hammer && quiet && quietAlone) {
      console.log(row('partner B hammering (limit 600/min)', hammer));
      console.log(`  429s: ${hammer.non2xx}`);
      console.log(row('partner C meanwhile, 4 connections', quiet));
      console.log(row('partner C alone, 4 connections', quietAlone));
    }
    console.log(
      `RSS of the server: at start ${mb(rssAtStart)}, after /persons load ${mb(rssAfterPersons)}, after /groups load ${mb(rssAfterLoad)}, at the end ${mb(rssEnd)} (goal < 400 MB)`,
    );
    console.log(`RSS of the baseline after its load: ${mb(baselineRss)}`);
    const summary = (c: typeof persons): Comparison | undefined =>
      c && {
        ours: c.sat.reduce((n, x) => n + x.ours.r.requests.average, 0) / c.sat.length,
        base: c.sat.reduce((n, x) => n + x.base.r.requests.average, 0) / c.sat.length,
        oursCpu: c.sat.reduce((n, x) => n + x.ours.nodeMs + x.ours.dbMs, 0) / c.sat.length,
        baseCpu: c.sat.reduce((n, x) => n + x.base.nodeMs + x.base.dbMs, 0) / c.sat.length,
        rate: c.rate,
        oursP99: c.fixed.ours.r.latency.p99,
        baseP99: c.fixed.base.r.latency.p99,
      };
    return {
      scale,
      schools: bench.schools,
      students: bench.students,
      persons: world.persons.length,
      ingestSeconds,
      reingestSeconds,
      reingestNoChange: noChange,
      partnerC: quietAlone,
      partnerCBesideB: quiet,
      persons100: summary(persons),
      groups100: summary(groups),
      crawl: cases.has('crawl') ? { persons: crawled, pages, seconds: crawlSeconds } : undefined,
      rss: { start: rssAtStart, peak: rssPeak, end: rssEnd, baseline: baselineRss },
      explain,
      timetableIngestSeconds,
      calendarEvents: calendarEvents?.length ?? 0,
      calendarWeek: summary(calendarWeek),
      calendarEmptyWeek: summary(calendarEmptyWeek),
      gradesIngestSeconds,
      grades: grades?.length ?? 0,
      gradesPages: summary(gradesPages),
    };
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await bench.close();
  }
}

async function getJson(url: string, token: string) {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { data: { id: string }[]; pageToken?: string } & Record<string, any>;
}

/**
 * The server's access-log write histogram (`schoolgate_access_log_write_seconds`, both outcomes):
 * count per upper bound `le`, read from its /metrics.
 */
async function accessLogWrites(url: string, token: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
  const buckets = new Map<string, number>();
  for (const m of text.matchAll(/^schoolgate_access_log_write_seconds_bucket\{[^}]*le="([^"]+)"[^}]*\} (\d+)/gm)) {
    buckets.set(m[1]!, (buckets.get(m[1]!) ?? 0) + Number(m[2]));
  }
  return buckets;
}

/** Access-log writes between two readings of `accessLogWrites`, and how many took longer than each bound. */
function slowWrites(before: Map<string, number>, after: Map<string, number>) {
  const between = (le: string) => (after.get(le) ?? 0) - (before.get(le) ?? 0);
  const count = between('+Inf');
  const over = (seconds: number) => count - between(String(seconds));
  return { count, over: { 0.01: over(0.01), 0.025: over(0.025), 0.05: over(0.05), 0.1: over(0.1) } };
}

/** Resident set size of a process now, bytes (Linux /proc). */
function rssOfPid(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) a process has used so far, ms (Linux /proc; 0 when it is gone). */
function cpuOfPid(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

/**
 * A probe of the CPU used so far by the PostgreSQL backends serving the bench database (the server's
 * or the baseline's pool, whichever runs), summed over their processes. Needs a local server.
 */
async function backendCpu(databaseUrl: string) {
  const client = new pg.Client({ connectionString: databaseUrl });
  // The bench drops its database at the end, which ends this connection: not an error.
  client.on('error', () => undefined);
  await client.connect();
  const seen = new Map<number, number>();
  const probe = async () => {
    const r = await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
    // Backends that ended keep their last reading, so a sum never goes backwards.
    for (const { pid } of r.rows) seen.set(pid, cpuOfPid(pid) || seen.get(pid) || 0);
    let total = 0;
    for (const v of seen.values()) total += v;
    return total;
  };
  /**
   * Transactions committed or rolled back in the database so far (pg_stat_database): per request
   * of a load run, the statements one request costs (each autocommit statement is a transaction;
   * a batch of access-log rows is one). Approximate: a busy backend reports its counts at most
   * once a second, and the probes and pg-boss's polling count too.
   */
  const transactions = async () => {
    await client.query('SELECT pg_stat_clear_snapshot()');
    const r = await client.query<{ n: string }>('SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()');
    return Number(r.rows[0]?.n ?? 0);
  };
  return Object.assign(probe, { transactions });
}

/** A closed-loop load (autocannon) in a process of its own (`inChild`). */
function cannon(url: string, paths: string[], headers: Record<string, string>, seconds: number, connections: number): Promise<LoadResult> {
  return inChild<LoadResult>({ kind: 'cannon', args: { url, paths, headers, seconds, connections } });
}

type CannonArgs = { url: string; paths: string[]; headers: Record<string, string>; seconds: number; connections: number };

async function cannonHere({ url, paths, headers, seconds, connections }: CannonArgs): Promise<LoadResult> {
  let i = 0;
  const r = await new Promise<autocannon.Result>((ok, fail) => {
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
  return {
    requests: { average: r.requests.average, total: r.requests.total },
    latency: { p50: r.latency.p50, p99: r.latency.p99 },
    non2xx: r.non2xx,
    errors: r.errors,
  };
}

type CrawlArgs = { base: string; token: string };

/** Every person app A may see, limit=1000, page after page: how many, in how many pages and seconds. */
async function crawlHere({ base, token }: CrawlArgs): Promise<{ persons: number; pages: number; seconds: number }> {
  const t = performance.now();
  let persons = 0;
  let pages = 0;
  let url = `${base}/persons?limit=1000`;
  for (;;) {
    const res = await getJson(url, token);
    persons += res.data.length;
    pages++;
    if (!res.pageToken) break;
    url = `${base}/persons?limit=1000&pageToken=${encodeURIComponent(res.pageToken)}`;
  }
  return { persons, pages, seconds: (performance.now() - t) / 1000 };
}

/** What a load run reports (autocannon's result, or `paced`'s in the same shape). */
type LoadResult = Pick<autocannon.Result, 'non2xx' | 'errors'> & { requests: { average: number; total: number }; latency: { p50: number; p99: number } };

/**
 * An open-loop load at a steady `rate` per second over a pool of up to `connections` keep-alive
 * connections: request n is due at n / rate seconds and its latency counts from then (so a request
 * that had to wait for a free connection or a late timer counts that wait). autocannon's own rate
 * mode sends each connection's share of a second in one burst at the start of the second and so
 * measures the queue of that burst, not the latency at that load.
 */
async function paced({ url, paths, headers, seconds, connections, rate }: PacedArgs): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const target = new URL(url);
  /** Per answered request: its number (its due time follows from it) and its latency. */
  const answered: [number, number][] = [];
  let non2xx = 0;
  let errors = 0;
  const total = Math.round(seconds * rate);
  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  const one = (n: number) =>
    new Promise<void>((done) => {
      const due = start + (n * 1000) / rate;
      const req = httpRequest({ host: target.hostname, port: target.port, path: paths[n % paths.length], headers, agent }, (res) => {
        res.resume();
        res.on('end', () => {
          answered.push([n, performance.now() - due]);
          if (res.statusCode! < 200 || res.statusCode! >= 300) non2xx++;
          done();
        });
      });
      req.on('error', () => {
        errors++;
        done();
      });
      req.end();
    });
  for (let n = 0; n < total;) {
    const due = Math.floor(((performance.now() - start) * rate) / 1000) + 1;
    for (; n < Math.min(due, total); n++) inFlight.push(one(n));
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(inFlight);
  agent.destroy();
  // BENCH_PACED_TRACE=<file>: each request's due time (epoch ms) and latency, to lay beside a server's trace.
  if (process.env.BENCH_PACED_TRACE) {
    const epoch = performance.timeOrigin + start;
    appendFileSync(
      process.env.BENCH_PACED_TRACE,
      `# ${url} at ${rate}/s\n` + answered.map(([n, ms]) => `${Math.round(epoch + (n * 1000) / rate)} ${ms.toFixed(1)}`).join('\n') + '\n',
    );
  }
  const latencies = answered.map(([, ms]) => ms).sort((a, b) => a - b);
  const at = (q: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0);
  return { requests: { average: total / seconds, total }, latency: { p50: at(0.5), p99: at(0.99) }, non2xx, errors };
}

type PacedArgs = { url: string; paths: string[]; headers: Record<string, string>; seconds: number; connections: number; rate: number };

type ChildJob =
  { kind: 'paced'; args: PacedArgs } | { kind: 'cannon'; args: CannonArgs } | { kind: 'crawl'; args: CrawlArgs } | { kind: 'ingest'; args: IngestArgs };

type IngestArgs = { databaseUrl: string; scale: number; today: string };
type IngestResult = { ingestSeconds: number; reingestSeconds: number; noChange: boolean };

/**
 * The roster's load, and its load again unchanged, timed in a process that holds the roster alone
 * (generated again: the same records as the world's roster, `benchWorldParameters`), as the server
 * holds the batch it was sent. In the driver, which also holds the timetable, the grades and the
 * other collections (gigabytes at 5×), each of the load's major GCs marked all of that: a 5× load
 * took 180 s there against 150 s in a process of its own (same code, same machine, one run each).
 */
async function ingestHere({ databaseUrl, scale, today }: IngestArgs): Promise<IngestResult> {
  const roster = generateWorld(benchWorldParameters(scale, today));
  const store = await openBenchStore(databaseUrl);
  try {
    const who = { id: null, label: 'bench', kind: 'system' } as const;
    let t = performance.now();
    await ingestBatch(store.ctx, { upsert: roster as never }, who);
    const ingestSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    const again = await ingestBatch(store.ctx, { upsert: roster as never }, who);
    return { ingestSeconds, reingestSeconds: (performance.now() - t) / 1000, noChange: again.noChange };
  } finally {
    await store.close();
  }
}

/**
 * A load generator in a process of its own: this one holds the generated world (1 GB at 1×, several
 * at 5× and 10×), and its major GCs would hold back the requests of a load run meanwhile — counted
 * as the server's latency and missing from its throughput (the full crawl, run here, cost 2.7× as
 * much per page at 5× as at 1×). Its answer is its standard output, as JSON.
 */
function inChild<T>(job: ChildJob): Promise<T> {
  return new Promise((ok, fail) => {
    const child = spawn(NODE, ['--import', 'tsx', 'bench/api.ts'], {
      cwd: ROOT,
      // The load holds the roster and its parsed copy: at 5× more than Node's default heap limit.
      env: { ...process.env, NODE_OPTIONS: job.kind === 'ingest' ? '--max-old-space-size=12000' : '', BENCH_API_CHILD: JSON.stringify(job) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', fail);
    child.once('exit', (code) => (code === 0 ? ok(JSON.parse(out) as T) : fail(new Error(`${job.kind} load exited with ${code}`))));
  });
}

const pacedInChild = (args: PacedArgs) => inChild<LoadResult>({ kind: 'paced', args });

/**
 * The baseline: plain node:http + pg running the SQL Schoolgate runs for these two requests (the
 * app's units fixed at start), answering with JSON.stringify of the stored bodies.
 */
async function baselineServer(): Promise<void> {
  // As the server's (src/db keepConnections): a fixed pool, no new backends after a quiet spell.
  const pool = new pg.Pool({ connectionString: process.env.BASELINE_DB, max: 10, min: 10 });
  const units = process.env.BASELINE_UNITS!.split(',');
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://x');
      const limit = Number(url.searchParams.get('limit') ?? 100);
      let body: unknown;
      if (url.pathname === '/captured') {
        body = await capturedBaseline(pool, url);
      } else if (url.pathname === '/persons') {
        const after = url.searchParams.get('after');
        // The shape of Schoolgate's statement (`visiblePersonIdsSql` in present.ts, migration 0050):
        // the page's ids first, then the persons of these ids. The ids: by walking persons in id order
        // (more than 64 units, as app A here), or from the scope's units when their number squared is
        // at most the school units in the store, else by the walk.
        const bound = (col: string) => (after ? `AND ${col} > $4::uuid` : '');
        const walk = `SELECT p.id FROM ss12000_persons p
                  WHERE p.id IN (SELECT r.person_id FROM ss12000_person_relations r WHERE coalesce(r.organisation_id = ANY($1::uuid[]) AND r.kind = ANY($2::text[]), false) ${bound('r.person_id')}) ${bound('p.id')}
                  ORDER BY p.id LIMIT $3`;
        const ids =
          units.length > 64
            ? `(${walk})`
            : `(WITH gate AS MATERIALIZED (
                  SELECT cardinality($1::uuid[])::bigint * cardinality($1::uuid[])::bigint <= count(*) AS per_unit
                    FROM ss12000_organisations WHERE organisation_type = 'Skolenhet'),
                candidates AS MATERIALIZED (
                  SELECT DISTINCT f.person_id AS id FROM unnest($1::uuid[]) g(unit)
                   CROSS JOIN LATERAL (
                     SELECT DISTINCT r.person_id FROM ss12000_person_relations r
                      WHERE r.organisation_id = g.unit AND r.kind = ANY($2::text[]) ${bound('r.person_id')}
                      ORDER BY r.person_id LIMIT $3) f
                   WHERE (SELECT per_unit FROM gate)
                   ORDER BY 1 LIMIT $3),
                chosen AS MATERIALIZED (
                  SELECT (SELECT per_unit FROM gate)
                         AND NOT EXISTS (SELECT 1 FROM candidates c WHERE NOT EXISTS (SELECT 1 FROM ss12000_persons p WHERE p.id = c.id)) AS per_unit)
                SELECT c.id FROM candidates c WHERE (SELECT per_unit FROM chosen)
                UNION ALL
                SELECT w.id FROM (${walk}) w WHERE NOT (SELECT per_unit FROM chosen))`;
        const r = await pool.query(
          `SELECT t.id, t.body, t.created_at, t.modified_at, t.id::text AS sort_value,
             (SELECT coalesce(json_agg(json_build_object('kind', r.kind, 'organisation_id', r.organisation_id)), '[]'::json) FROM ss12000_person_relations r WHERE r.person_id = t.id) AS rels
           FROM ${ids} v JOIN ss12000_persons t ON t.id = v.id
           ${after ? 'WHERE t.id > $4::uuid' : ''}
           ORDER BY t.id LIMIT $3`,
          [
            units,
            ['enrolment', 'placement.child', 'duty', 'responsibleFor.enrolment', 'responsibleFor.placement', 'placement.owner'],
            limit + 1,
            ...(after ? [after] : []),
          ],
        );
        body = { data: r.rows.slice(0, limit).map((x) => ({ ...x.body, meta: { created: x.created_at, modified: x.modified_at } })) };
      } else {
        const r = await pool.query(
          `SELECT t.id, t.body, t.created_at, t.modified_at FROM ss12000_groups t WHERE t.organisation_id = ANY($1::uuid[]) ORDER BY t.id LIMIT $2`,
          [units, limit + 1],
        );
        const ids = r.rows.map((x) => x.id);
        const roles = await pool.query(
          `SELECT duty_id, group_id, assignment_role_type, to_char(start_date, 'YYYY-MM-DD') AS start_date, to_char(end_date, 'YYYY-MM-DD') AS end_date
           FROM ss12000_assignment_roles WHERE group_id = ANY($2::uuid[]) AND organisation_id = ANY($1::uuid[]) ORDER BY duty_id, ordinal`,
          [units, ids],
        );
        body = {
          data: r.rows.slice(0, limit).map((x) => ({
            ...x.body,
            meta: { created: x.created_at, modified: x.modified_at },
            _embedded: {
              assignmentRoles: roles.rows
                .filter((a) => a.group_id === x.id)
                .map((a) => ({ duty: { id: a.duty_id }, assignmentRoleType: a.assignment_role_type, startDate: a.start_date, endDate: a.end_date })),
            },
          })),
        };
      }
      const raw = (body as { raw?: string }).raw;
      res.writeHead(200, { 'content-type': 'application/json' }).end(raw ?? JSON.stringify(body));
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

// --- issue 17: the timetable (calendar events) and grades cases ---

/** An app of the bench partner granted `grants` (API code, institution) with a token, no rate limit in the way. */
async function benchApp(
  ctx: BenchContext,
  partnerId: string,
  tokenUrl: string,
  name: string,
  apis: { apiCode: string; dataCategories: string[] }[],
  grants: { apiCode: string; institutionNumber: string }[],
) {
  const appId = await insertApp(ctx.db, { partnerId, name, status: 'approved', apis: apis.map((a) => ({ ...a, purpose: 'bench' })) });
  const client = await insertClient(ctx.db, { appId, name });
  for (const g of grants) await insertGrant(ctx.db, { clientId: client.clientId, ...g });
  await ctx.db.insertInto('ss12000_rate_limits').values({ app_id: appId, requests_per_minute: 1_000_000_000 }).execute();
  const tokenRes = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.secret }),
  });
  const token = ((await tokenRes.json()) as { access_token: string }).access_token;
  if (!token) throw new Error(`token of app ${name}: ${tokenRes.status}`);
  const identity: ClientIdentity = {
    clientId: client.clientId,
    appId,
    partnerId,
    grants: grants.map((g) => ({ ...g, accessGroupId: null })),
    dataCategories: Object.fromEntries(apis.map((a) => [a.apiCode, a.dataCategories])),
  };
  return { token, identity };
}

/**
 * Schoolgate's pages of a list (`first`, then each next page by its pageToken, at most `maxPages`),
 * and for each the statement the server runs, captured from `listPage` with the app's live scope (as
 * bench/_explain.ts does) and written to `.bench/<name>-<scale>x.json`, which the baseline runs as it
 * is: the same SQL, compiled by the same query builder, not a copy.
 */
async function capturedPages(
  databaseUrl: string,
  scale: number,
  name: string,
  identity: ClientIdentity,
  token: string,
  base: string,
  path: string,
  first: string,
  maxPages: number,
) {
  const ours = [`/ss12000/v2.0/${path}?${first}`];
  let res = await getJson(`${base}/${path}?${first}`, token);
  let records = res.data.length;
  while (res.pageToken && ours.length < maxPages) {
    ours.push(`/ss12000/v2.0/${path}?limit=100&pageToken=${encodeURIComponent(res.pageToken)}`);
    res = await getJson(`${base}/${path}?limit=100&pageToken=${encodeURIComponent(res.pageToken)}`, token);
    records += res.data.length;
  }
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  let captured: CompiledQuery | undefined;
  const db = new Kysely<DB>({
    dialect: new PostgresDialect({ pool }),
    log: (event) => {
      if (event.level === 'query') captured = event.query;
    },
  });
  const statements: { sql: string; parameters: unknown[] }[] = [];
  try {
    const scope = await loadScope(db, identity);
    const def = endpoints.find((e) => e.path === path)!;
    for (const page of ours) {
      const { query, limit, after } = parseListRequest(def, page.split('?')[1]!);
      captured = undefined;
      await listPage(db, scope, def, query, limit, after);
      const statement = captured as CompiledQuery | undefined;
      if (!statement) throw new Error(`no statement captured for ${page}`);
      statements.push({ sql: statement.sql, parameters: [...statement.parameters] });
    }
  } finally {
    await db.destroy();
  }
  const dir = resolve(ROOT, '.bench');
  mkdirSync(dir, { recursive: true });
  const file = resolve(dir, `${name}-${scale}x.json`);
  writeFileSync(file, JSON.stringify(statements));
  const basePages = statements.map((_, i) => `/captured?statements=${encodeURIComponent(file)}&page=${i}&limit=100`);
  return { ours, base: basePages, records };
}

/**
 * The pages of a week of one school's lessons, for both servers: an app granted the timetable API at
 * school `number` (and nothing else), the week from the school's first lesson on, every page at
 * limit=100 (`capturedPages`: `.bench/calendar-week-<scale>x.json`); and `empty`, the same week a
 * year earlier, before any lesson of the world (`.bench/calendar-empty-<scale>x.json`).
 */
async function calendarWeekPages(ctx: BenchContext, databaseUrl: string, scale: number, partnerId: string, number: string, tokenUrl: string, base: string) {
  const { token, identity } = await benchApp(
    ctx,
    partnerId,
    tokenUrl,
    'D (timetable)',
    [{ apiCode: 'timetable', dataCategories: ['identity'] }],
    [{ apiCode: 'timetable', institutionNumber: number }],
  );
  const unit = await ctx.db
    .selectFrom('ss12000_organisations')
    .select('id')
    .where('organisation_code', '=', number)
    .where('organisation_type', '=', 'Skolenhet')
    .executeTakeFirstOrThrow();
  const first = await ctx.db
    .selectFrom('ss12000_calendar_events')
    .select((eb) => eb.fn.min('start_time').as('start'))
    .where('organisation_id', '=', unit.id)
    .executeTakeFirst();
  if (!first?.start) throw new Error(`school ${number} has no lessons: is the bench world's timetable on?`);
  const from = new Date(first.start).toISOString();
  const to = new Date(new Date(first.start).getTime() + 7 * 86_400_000 - 1).toISOString();
  const window = `startTime.onOrAfter=${encodeURIComponent(from)}&startTime.onOrBefore=${encodeURIComponent(to)}&limit=100`;
  const pages = await capturedPages(databaseUrl, scale, 'calendar-week', identity, token, base, 'calendarEvents', window, Infinity);
  const yearBefore = (iso: string) => new Date(new Date(iso).getTime() - 364 * 86_400_000).toISOString();
  const emptyWindow = `startTime.onOrAfter=${encodeURIComponent(yearBefore(from))}&startTime.onOrBefore=${encodeURIComponent(yearBefore(to))}&limit=100`;
  const empty = await capturedPages(databaseUrl, scale, 'calendar-empty', identity, token, base, 'calendarEvents', emptyWindow, 1);
  if (empty.records) throw new Error(`the week a year before school ${number}'s first lesson has ${empty.records} lessons`);
  return { token, ours: pages.ours, base: pages.base, events: pages.records, empty };
}

/**
 * The first BENCH_GRADES_PAGES (10) pages of /grades at limit=100, for both servers: an app granted
 * the grades API with its category `grades` approved (and nothing else) at ten schools that grade
 * (every twentieth of those holding grades, so they spread over the world's kinds of school), in the
 * API's id order (`capturedPages`: `.bench/grades-<scale>x.json`).
 */
async function gradePages(ctx: BenchContext, databaseUrl: string, scale: number, partnerId: string, tokenUrl: string, base: string) {
  const grading = await ctx.db
    .selectFrom('ss12000_grades as g')
    .innerJoin('ss12000_organisations as o', 'o.id', 'g.organisation_id')
    .select('o.organisation_code')
    .distinct()
    .where('o.organisation_code', 'is not', null)
    .orderBy('o.organisation_code')
    .execute();
  const numbers = grading
    .map((r) => r.organisation_code!)
    .filter((_, i) => i % 20 === 0)
    .slice(0, 10);
  if (!numbers.length) throw new Error("no school holds grades: is the bench world's grades option on?");
  const { token, identity } = await benchApp(
    ctx,
    partnerId,
    tokenUrl,
    'E (grades)',
    [{ apiCode: 'grades', dataCategories: ['identity', 'grades'] }],
    numbers.map((n) => ({ apiCode: 'grades', institutionNumber: n })),
  );
  const maxPages = Number(process.env.BENCH_GRADES_PAGES ?? 10);
  const pages = await capturedPages(databaseUrl, scale, 'grades', identity, token, base, 'grades', 'limit=100', maxPages);
  return { token, ours: pages.ours, base: pages.base, events: pages.records, schools: numbers.length };
}

type BenchContext = Awaited<ReturnType<typeof openBenchWorld>>['ctx'];

const capturedStatements = new Map<string, { sql: string; parameters: unknown[] }[]>();

/**
 * The baseline's page of a captured list (/calendarEvents, /grades): Schoolgate's own statement of
 * that page (captured by `capturedPages`), its rows joined into the list's JSON text as Schoolgate
 * joins them (`presentedJson`, the text `listBytes` encodes). No auth, scope, parameter parsing, access log or page token.
 */
async function capturedBaseline(pool: pg.Pool, url: URL): Promise<unknown> {
  const file = url.searchParams.get('statements')!;
  let statements = capturedStatements.get(file);
  if (!statements) capturedStatements.set(file, (statements = JSON.parse(readFileSync(file, 'utf8')) as { sql: string; parameters: unknown[] }[]));
  const statement = statements[Number(url.searchParams.get('page'))]!;
  const limit = Number(url.searchParams.get('limit') ?? 100);
  const r = await pool.query<{ body: string; extra: string; created: string; modified: string }>(statement.sql, statement.parameters);
  const items = r.rows.slice(0, limit).map((x) => `{"meta":{"created":"${x.created}","modified":"${x.modified}"}${x.extra}, ${x.body.slice(1)}`);
  return { raw: `{"data":[${items.join(',')}]}` };
}

/** BENCH_API_CASES: the load cases to run (default all). */
function benchCases(): Set<string> {
  const all = ['persons', 'groups', 'calendarEvents', 'grades', 'crawl', 'rate'];
  const cases = new Set(
    (process.env.BENCH_API_CASES ?? all.join(','))
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  );
  const unknown = [...cases].filter((c) => !all.includes(c));
  if (unknown.length) throw new Error(`BENCH_API_CASES: unknown ${unknown.join(', ')} (known: ${all.join(', ')})`);
  return cases;
}

// --- end of the timetable and grades cases ---

if (process.env.BENCH_API_BASELINE === '1') await baselineServer();
if (process.env.BENCH_API_CHILD) {
  const job = JSON.parse(process.env.BENCH_API_CHILD) as ChildJob;
  const result =
    job.kind === 'paced'
      ? await paced(job.args)
      : job.kind === 'cannon'
        ? await cannonHere(job.args)
        : job.kind === 'ingest'
          ? await ingestHere(job.args)
          : await crawlHere(job.args);
  process.stdout.write(JSON.stringify(result));
}
