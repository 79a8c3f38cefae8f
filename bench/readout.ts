import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { worldCounts } from '../src/generator/index.ts';
import { openBenchWorld } from './_world.ts';
import { ingestBatch } from '../src/modules/ss12000/ingest.ts';
import { insertApp, insertClient, insertGrant, insertPartner } from '../src/seed/builders.ts';
import { NODE, ROOT, spawnServer, waitUntilReady } from '../test/pg/server-process.ts';
import { processEnv } from '../src/cli/_process.ts';
import { READOUT_PROCESS } from '../src/readout/process.ts';

/**
 * The integrator's readout against this project's SS 12000 API on the local PostgreSQL, at several
 * world sizes side by side (BENCH_READOUT_SIZES, default "60000,150000,300000" students, issue 13's sizes; schools scale with
 * them from 200 per 60,000; seed 42), an app granted everything. For each size a fresh database
 * (BENCH_READOUT_DB, default `schoolgate_bench_readout`) is loaded, the server runs in its own
 * process and each readout in its own process too, so the RSS reported is the readout's. Measures:
 *  1. a full readout with both outputs (SDS v2.1 + OneRoster 1.2 bulk and delta): time, split between
 *     fetching and processing, readout CPU, peak RSS;
 *  2. after 1 % of people and 1 % of groups changed: the second (incremental) run.
 * The table at the end has both runs per size; the readout's memory should not grow with the size
 * (issue 13: peak RSS < 400 MB at every size). On a shared machine wall time says little; CPU and RSS
 * are the readout process's own.
 * The load happens seconds before the first run, so the readout's safety overlap for incremental
 * reads (default 5 minutes, for clock skew) is set to 0 here; otherwise the second run would re-read
 * the whole load as "changed".
 *
 * Env: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres), BENCH_READOUT_SIZES,
 * BENCH_PAGE (1000: page size the readout asks for), BENCH_NODE_FLAGS (node flags for the readout
 * process after those it runs with, src/readout/process.ts: e.g. "--max-semi-space-size=16" to try another), BENCH_READOUT_TRACE=1 (memory per
 * phase on stderr, see _readout-child.ts).
 */
export async function run(): Promise<void> {
  const sizes = (process.env.BENCH_READOUT_SIZES ?? '60000,150000,300000').split(',').map(Number);
  const results: {
    students: number;
    first: Record<string, unknown>;
    second: Record<string, unknown>;
    firstWall: number;
    secondWall: number;
    firstLoad: number;
    secondLoad: number;
  }[] = [];
  for (const students of sizes) {
    console.log(`\n== ${students.toLocaleString('en-US')} students ==`);
    results.push({ students, ...(await one(students / 60000)) });
  }
  const row = (r: (typeof results)[number], which: 'first' | 'second') => {
    const x = r[which];
    const wall = which === 'first' ? r.firstWall : r.secondWall;
    const load = which === 'first' ? r.firstLoad : r.secondLoad;
    // A delta run that started from the store kept from the full run says so (else it decoded the stored state).
    const kept = (x.keptStore as { used?: boolean } | undefined)?.used ? ', kept store' : '';
    // And one that carried the untouched persons' lines over from the last run's files.
    const carried = (x.peopleCarried as { used?: boolean } | undefined)?.used ? ', people carried' : '';
    const label = which === 'first' ? 'full' : 'after 1 % changed';
    const records = Number(x.records ?? 0).toLocaleString('en-US');
    return `| ${r.students.toLocaleString('en-US')} | ${label} | ${x.mode}${kept}${carried} | ${records} | ${ms(x.durationMs)} | ${ms(x.fetchMs)} | ${ms(x.processMs)} | ${ms(x.cpuMs)} | ${x.maxRssMB} MB | ${wall.toFixed(1)} s | ${load.toFixed(1)} |`;
  };
  console.log(
    [
      '',
      // CPU: the readout process's own user + system time; on a shared machine wall time says less.
      // Load: the machine's 1-minute load average as the run ended (2 cores: above 2, runs wait for CPU).
      `| students | run | mode | records read | total | fetch | processing | readout CPU | peak RSS | wall incl. process start | load |`,
      `|---|---|---|---|---|---|---|---|---|---|---|`,
      ...results.flatMap((r) => [row(r, 'first'), row(r, 'second')]),
    ].join('\n'),
  );
}

async function one(scale: number) {
  const pageSize = Number(process.env.BENCH_PAGE ?? 1000);
  const bench = await openBenchWorld(process.env.BENCH_READOUT_DB ?? 'schoolgate_bench_readout', scale);
  const { ctx, institutionNumbers: numbers } = bench;
  const stops: (() => Promise<void>)[] = [];
  try {
    let world = bench.world;
    console.log('world', worldCounts(world));
    let t = performance.now();
    await ingestBatch(ctx, { upsert: world as never }, { id: null, label: 'bench', kind: 'system' });
    console.log(`ingested in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    await sql`ANALYZE`.execute(ctx.db);

    const partnerId = await insertPartner(ctx.db, { name: 'Readout integrator', contactEmail: 'readout@example.test' });
    const cats = ['identity', 'civic_number', 'birth_date', 'sex', 'addresses', 'phone_numbers', 'private_email', 'photo', 'guardians'];
    const appId = await insertApp(ctx.db, {
      partnerId,
      name: 'LMS readout',
      status: 'approved',
      apis: [
        { apiCode: 'students', dataCategories: cats, purpose: 'LMS provisioning' },
        { apiCode: 'staff', dataCategories: cats.filter((c) => c !== 'guardians'), purpose: 'LMS provisioning' },
      ],
    });
    const client = await insertClient(ctx.db, { appId, name: 'LMS readout' });
    for (const n of numbers) {
      await insertGrant(ctx.db, { clientId: client.clientId, apiCode: 'students', institutionNumber: n });
      await insertGrant(ctx.db, { clientId: client.clientId, apiCode: 'staff', institutionNumber: n });
    }
    await ctx.db.insertInto('ss12000_rate_limits').values({ app_id: appId, requests_per_minute: 1_000_000_000 }).execute();

    const server = await spawnServer({ DATABASE_URL: bench.databaseUrl, NODE_ENV: 'production', LOG_LEVEL: 'warn' });
    stops.push(() => server.stop());
    // A busy machine can take a while to start the server after a big load.
    await waitUntilReady(server, 300_000);

    const dir = mkdtempSync(join(tmpdir(), 'bench-readout-'));
    // The published files of a 60,000-student world are ~300 MB: not left behind.
    stops.push(async () => rmSync(dir, { recursive: true, force: true }));
    const configFile = join(dir, 'readout.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        customers: [
          {
            key: 'bench',
            source: {
              baseUrl: `${server.url}/ss12000/v2.0`,
              tokenUrl: `${server.url}/oidc/token`,
              clientId: client.clientId,
              clientSecret: { env: 'BENCH_READOUT_SECRET' },
              tokenAuth: 'post',
              pageSize,
              timeoutMs: 120_000,
              modifiedOverlapSeconds: 0,
            },
            outputDir: join(dir, 'out'),
          },
        ],
      }),
    );
    const readout = () =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const flags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
        // With the options `schoolgate readout run` starts its process with (src/readout/process.ts).
        const child = spawn(NODE, [...READOUT_PROCESS.nodeFlags, ...flags, '--import', 'tsx', 'bench/_readout-child.ts', configFile, 'bench'], {
          cwd: ROOT,
          env: { ...processEnv(READOUT_PROCESS), DATABASE_URL: bench.databaseUrl, BENCH_READOUT_SECRET: client.secret },
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let out = '';
        child.stdout.on('data', (c: Buffer) => (out += c.toString()));
        child.on('exit', (code) => {
          const line = out.trim().split('\n').pop() ?? '';
          try {
            resolve(JSON.parse(line) as Record<string, unknown>);
          } catch {
            reject(new Error(`readout child exited ${code}: ${out}`));
          }
        });
      });

    const check = (r: Record<string, unknown>) => {
      if (r.status !== 'succeeded')
        throw new Error(`readout failed: ${String(r.error)}\nserver (exit ${server.child.exitCode}):\n${server.output().slice(-3000)}`);
    };
    t = performance.now();
    const first = await readout();
    check(first);
    const firstWall = (performance.now() - t) / 1000;
    const firstLoad = loadavg()[0]!;
    console.log(`full readout: ${firstWall.toFixed(1)} s wall (incl. process start)`, JSON.stringify(first));

    // 1 % of the people and 1 % of the groups change.
    const persons = world.persons.filter((_, i) => i % 100 === 0).map((p) => ({ ...p, givenName: `${p.givenName}x` }));
    const groups = world.groups.filter((_, i) => i % 100 === 0).map((g) => ({ ...g, displayName: `${g.displayName} (ny)` }));
    world = undefined as unknown as typeof world;
    await new Promise((r) => setTimeout(r, 1000));
    await ingestBatch(ctx, { upsert: { persons, groups } as never }, { id: null, label: 'bench', kind: 'system' });
    console.log(`changed ${persons.length} persons and ${groups.length} groups`);

    t = performance.now();
    const second = await readout();
    check(second);
    const secondWall = (performance.now() - t) / 1000;
    const secondLoad = loadavg()[0]!;
    console.log(`second readout: ${secondWall.toFixed(1)} s wall (incl. process start)`, JSON.stringify(second));
    return { first, second, firstWall, secondWall, firstLoad, secondLoad };
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    await bench.close();
  }
}

const ms = (v: unknown) => `${(Number(v) / 1000).toFixed(1)} s`;
