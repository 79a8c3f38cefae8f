import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import type { AppContext } from '../../src/context.ts';
import { openDatabase, type Database } from '../../src/db/index.ts';
import { generateWorld, type World } from '../../src/generator/index.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { ingestBatch } from '../../src/modules/ss12000/ingest.ts';
import { createClient, createInstitution, grant, requestToken, type ClientFixture } from '../oidc/fixtures.ts';
import { allowLocalReplication, startReplica, type Replica } from './replica.ts';
import { createFreshDatabase, freePort, spawnServer, waitUntilReady, type ServerProcess } from './server-process.ts';

/**
 * DATABASE_REPLICA_URL with a real streaming replica: a second PostgreSQL 15 cluster made with
 * `pg_basebackup -R` from the local server, as a hot standby. SS 12000 page reads are served from
 * it; every authorization decision (grants, app status, rate limit) and the access log stay on the
 * primary, so while the replica lags (replay paused) a revoked grant is refused on the next request.
 * While the replica is down (stopped as `pg_ctl stop -m immediate` does, or never there), the
 * primary answers the reads, and once it answers again they go back to it.
 */
const adminUrl = process.env.TEST_DATABASE_URL;
if (!adminUrl) throw new Error('test/pg needs TEST_DATABASE_URL (a PostgreSQL server); see vitest.pg.config.ts');

const PUBLIC_URL = 'http://schoolgate.test';
const METRICS_TOKEN = 'replica-test-metrics-token-0123456789abcdef';
const dbName = `sg_replica_${process.pid}`;
let dbUrl: string;

let database: Database;
let ctx: AppContext;
let drop: () => Promise<void>;
let replica: Replica;
let server: ServerProcess;
let world: World;
let schools: { a: string; b: string };
let reader: ClientFixture;
let grantA: string;

/** A student of the school with institution number `number` in the generated world. */
function studentOf(number: string) {
  const unit = world.organisations.find((o) => o.organisationType === 'Skolenhet' && o.organisationCode === number)!;
  return world.persons.find((p) => (p.enrolments ?? []).some((e) => e.enroledAt.id === unit.id))!;
}

beforeAll(async () => {
  const changes = await allowLocalReplication(adminUrl);
  if (changes.length) console.log(`read-replica test: changed the PostgreSQL server's configuration: ${changes.join('; ')}`);
  const fresh = await createFreshDatabase(adminUrl, dbName);
  drop = fresh.drop;
  dbUrl = fresh.url;
  // A first process migrates the database; the fixtures need its tables.
  const first = await spawnServer({ DATABASE_URL: fresh.url, PUBLIC_URL });
  try {
    await waitUntilReady(first);
  } finally {
    await first.stop();
  }
  database = await openDatabase({ databaseUrl: fresh.url, poolSize: 2 });
  ctx = { db: database.db, clock: systemClock } as AppContext;
  schools = { a: (await createInstitution(ctx, 'Sint-Jozefsinstituut')).number, b: (await createInstitution(ctx, 'Atheneum Brugge')).number };
  world = generateWorld({ seed: 15, schools: 2, students: 20, institutionNumbers: [schools.a, schools.b], today: new Date().toISOString().slice(0, 10) });
  await ingestBatch(ctx, { upsert: world as never }, { id: null, label: 'test', kind: 'system' });
  reader = await createClient(ctx, { requests: { students: ['identity'] } });
  grantA = await grant(ctx, reader.clientId, 'students', { institutionNumber: schools.a });
  await grant(ctx, reader.clientId, 'students', { institutionNumber: schools.b });

  replica = await startReplica(adminUrl);
  await replica.catchUp();
  // LOG_LEVEL info: the line saying the replica answers again is an info line.
  server = await spawnServer({ DATABASE_URL: fresh.url, DATABASE_REPLICA_URL: replica.url(dbName), PUBLIC_URL, METRICS_TOKEN, LOG_LEVEL: 'info' });
  await waitUntilReady(server);
}, 180_000);

afterAll(async () => {
  await server?.stop();
  // The standby goes first: dropping the database on the primary need not wait for its sessions.
  await replica?.stop();
  await database?.close();
  await drop?.();
});

const bearer = async (on = server) => `Bearer ${(await requestToken(on.url, reader.clientId, reader.secret)).body.access_token}`;
const getPerson = async (auth: string, id: string, on = server) => {
  const res = await fetch(`${on.url}/ss12000/v2.0/persons/${id}`, { headers: { authorization: auth } });
  return { status: res.status, requestId: res.headers.get('x-request-id'), body: (await res.json()) as Record<string, any> };
};
/** A series of the server's /metrics, by its full name with labels (`name{label="value"}`); undefined when absent. */
const metric = async (series: string, on = server) => {
  const text = await fetch(`${on.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }).then((r) => r.text());
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};
/** The server's JSON log lines (standard error is mixed in: other lines are skipped). */
const logLines = (on: ServerProcess) =>
  on
    .output()
    .split('\n')
    .flatMap((l) => {
      try {
        return l.startsWith('{') ? [JSON.parse(l) as Record<string, any>] : [];
      } catch {
        return [];
      }
    });
/** The records of a page, a lookup and deletedEntities for `id`, each with its status. */
const otherReads = async (auth: string, id: string, on = server) => {
  const page = await fetch(`${on.url}/ss12000/v2.0/persons?limit=100`, { headers: { authorization: auth } });
  const lookup = await fetch(`${on.url}/ss12000/v2.0/persons/lookup`, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/json' },
    body: JSON.stringify({ ids: [id] }),
  });
  const deleted = await fetch(`${on.url}/ss12000/v2.0/deletedEntities`, { headers: { authorization: auth } });
  return {
    statuses: [page.status, lookup.status, deleted.status],
    pageName: ((await page.json()).data ?? []).find((p: { id: string }) => p.id === id)?.givenName,
    lookupNames: ((await lookup.json()) as { givenName: string }[]).map((p) => p.givenName),
    deleted: await deleted.json(),
  };
};
const rename = (person: World['persons'][number], givenName: string) =>
  ingestBatch(ctx, { upsert: { persons: [{ ...person, givenName }] } as never }, { id: null, label: 'test', kind: 'system' });
const accessLogRows = async (on: 'primary' | 'replica') =>
  on === 'primary'
    ? Number(
        (
          await database.db
            .selectFrom('ss12000_access_log')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      )
    : Number((await replica.query<{ n: string }>('SELECT count(*) AS n FROM ss12000_access_log', [], dbName))[0]!.n);

describe('DATABASE_REPLICA_URL', () => {
  it('needs DATABASE_URL and a postgres:// URL', () => {
    expect(() => loadConfig({ DATABASE_REPLICA_URL: 'postgres://replica/schoolgate' })).toThrow(ConfigError);
    expect(() => loadConfig({ DATABASE_REPLICA_URL: 'postgres://replica/schoolgate' })).toThrow(/DATABASE_REPLICA_URL: needs DATABASE_URL/);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://primary/schoolgate', DATABASE_REPLICA_URL: 'mysql://replica/schoolgate' })).toThrow(
      /DATABASE_REPLICA_URL: must be a postgres:\/\/ URL/,
    );
    expect(loadConfig({ DATABASE_URL: 'postgres://primary/s', DATABASE_REPLICA_URL: 'postgres://replica/s' }).DATABASE_REPLICA_URL).toBe(
      'postgres://replica/s',
    );
  });

  it('serves SS 12000 pages from the replica: a change on the primary shows only once the replica has replayed it', async () => {
    const auth = await bearer();
    const student = studentOf(schools.a);
    expect((await getPerson(auth, student.id)).body.givenName).toBe(student.givenName);
    // The server's page-read connections are on the replica, under their name.
    const onReplica = await replica.query<{ n: string }>(
      "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'schoolgate page reads' AND datname = $1",
      [dbName],
    );
    expect(Number(onReplica[0]!.n)).toBeGreaterThan(0);

    await replica.pause();
    try {
      await ingestBatch(ctx, { upsert: { persons: [{ ...student, givenName: 'Replayed' }] } as never }, { id: null, label: 'test', kind: 'system' });
      const stored = await database.db.selectFrom('ss12000_persons').select('given_name').where('id', '=', student.id).executeTakeFirstOrThrow();
      expect(stored.given_name).toBe('Replayed');
      // Committed on the primary, not yet replayed: the answers are the replica's (a record, a page, a lookup).
      const lagging = await getPerson(auth, student.id);
      expect(lagging.status).toBe(200);
      expect(lagging.body.givenName).toBe(student.givenName);
      const page = await fetch(`${server.url}/ss12000/v2.0/persons?limit=100`, { headers: { authorization: auth } }).then((r) => r.json());
      expect(page.data.find((p: { id: string }) => p.id === student.id).givenName).toBe(student.givenName);
      const lookup = await fetch(`${server.url}/ss12000/v2.0/persons/lookup`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify({ ids: [student.id] }),
      }).then((r) => r.json());
      expect(lookup.map((p: { givenName: string }) => p.givenName)).toEqual([student.givenName]);
    } finally {
      await replica.resume();
    }
    await replica.catchUp();
    expect((await getPerson(auth, student.id)).body.givenName).toBe('Replayed');
  });

  it('decides on the primary while the replica lags: a revoked grant, a suspended app and a rate limit count on the next request; the access log is written there', async () => {
    const auth = await bearer();
    const [inA, inB] = [studentOf(schools.a).id, studentOf(schools.b).id];
    expect((await getPerson(auth, inA)).status).toBe(200);
    await replica.catchUp();

    await replica.pause();
    try {
      const loggedBefore = { primary: await accessLogRows('primary'), replica: await accessLogRows('replica') };

      // A school admin removes the grant of school A (here straight on the primary, as any process would).
      await database.db.deleteFrom('grants').where('id', '=', grantA).execute();
      const onReplica = await replica.query<{ n: string }>('SELECT count(*) AS n FROM grants WHERE id = $1', [grantA], dbName);
      expect(Number(onReplica[0]!.n), 'the replica should still have the grant (replay paused)').toBe(1);
      const refused = await getPerson(auth, inA);
      expect(refused.status).toBe(404);
      expect(refused.body.code).toBe('not_found');
      // The other school's records are still read from the (lagging) replica.
      expect((await getPerson(auth, inB)).status).toBe(200);

      // The operator suspends the app, then reinstates it.
      await database.db.updateTable('apps').set({ status: 'suspended' }).where('id', '=', reader.appId!).execute();
      const suspended = await getPerson(auth, inB);
      expect(suspended.status).toBe(403);
      expect(suspended.body.code).toBe('client_not_allowed');
      await database.db.updateTable('apps').set({ status: 'approved' }).where('id', '=', reader.appId!).execute();
      expect((await getPerson(auth, inB)).status).toBe(200);

      // A limit set on the primary counts at once (the count itself is a write: a standby could not keep it).
      const left = 60_000 - (Date.now() % 60_000);
      if (left < 5_000) await new Promise((r) => setTimeout(r, left + 50));
      await database.db.insertInto('ss12000_rate_limits').values({ app_id: reader.appId!, requests_per_minute: 1 }).execute();
      const limited = [await getPerson(auth, inB), await getPerson(auth, inB)];
      expect(limited.map((r) => r.status)).toContain(429);
      expect(limited.find((r) => r.status === 429)!.body.code).toBe('rate_limited');

      // The access log of those reads (the 404, two 200s and the two rate-counted ones; the
      // suspended client's 403 precedes any scope, so it has no row) is on the primary; the replica
      // has none of it yet.
      expect(await accessLogRows('primary')).toBe(loggedBefore.primary + 5);
      expect(await accessLogRows('replica')).toBe(loggedBefore.replica);
    } finally {
      await replica.resume();
    }
  });

  it('answers every read from the primary while the replica is down, refusals included, and goes back to the replica once it answers again', async () => {
    // The previous test's limit of one request a minute, lifted.
    await database.db.updateTable('ss12000_rate_limits').set({ requests_per_minute: 1_000_000 }).where('app_id', '=', reader.appId!).execute();
    const auth = await bearer();
    const [inA, student] = [studentOf(schools.a).id, studentOf(schools.b)];
    await vi.waitFor(async () => expect((await getPerson(auth, student.id)).status).toBe(200), { timeout: 10_000, interval: 100 });
    await replica.catchUp();
    expect(await metric('schoolgate_db_replica_up')).toBe(1);

    // A name only the primary has (replay paused): an answer with it comes from the primary.
    await replica.pause();
    await rename(student, 'OnPrimary');
    expect((await getPerson(auth, student.id)).body.givenName).toBe(student.givenName);

    // Readers keep reading while the replica is cut off under them.
    const answers: { status: number; name: unknown }[] = [];
    let reading = true;
    const readers = Array.from({ length: 3 }, async () => {
      while (reading) {
        const r = await getPerson(auth, student.id);
        answers.push({ status: r.status, name: r.body.givenName });
      }
    });
    await new Promise((r) => setTimeout(r, 300));
    await replica.crash();
    const crashedAt = answers.length;
    await new Promise((r) => setTimeout(r, 1500));
    reading = false;
    await Promise.all(readers);
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    expect(answers.length - crashedAt).toBeGreaterThan(3);
    // Every answer begun after the crash is the primary's.
    expect(new Set(answers.slice(crashedAt + 3).map((a) => a.name))).toEqual(new Set(['OnPrimary']));

    // A record, a page, a lookup and deletedEntities: all answered, from the primary.
    const one = await getPerson(auth, student.id);
    expect(one.status).toBe(200);
    expect(one.body.givenName).toBe('OnPrimary');
    const others = await otherReads(auth, student.id);
    expect(others.statuses).toEqual([200, 200, 200]);
    expect(others.pageName).toBe('OnPrimary');
    expect(others.lookupNames).toEqual(['OnPrimary']);
    // The revoked grant (school A) is still refused: authorization never depended on the replica.
    const refused = await getPerson(auth, inA);
    expect(refused.status).toBe(404);
    expect(refused.body.code).toBe('not_found');

    expect(await metric('schoolgate_db_replica_up')).toBe(0);
    expect(await metric('schoolgate_db_replica_fallback_reads_total{reason="down"}')).toBeGreaterThan(0);
    expect(logLines(server).some((l) => l.level === 40 && /read replica/.test(l.msg))).toBe(true);

    // The replica comes back: replays what it missed, then lags again (paused) behind a newer name.
    await replica.start();
    await replica.catchUp();
    await replica.pause();
    try {
      await rename(student, 'Newer');
      const seen: number[] = [];
      // Within the probe's back-off (at most 10 s) the reads are the replica's again: its older name shows.
      await vi.waitFor(
        async () => {
          const r = await getPerson(auth, student.id);
          seen.push(r.status);
          expect(r.body.givenName).toBe('OnPrimary');
        },
        { timeout: 30_000, interval: 250 },
      );
      expect(seen.filter((s) => s !== 200)).toEqual([]);
      expect((await otherReads(auth, student.id)).pageName).toBe('OnPrimary');
      expect(await metric('schoolgate_db_replica_up')).toBe(1);
      expect(logLines(server).some((l) => l.level === 30 && /read replica answers again/.test(l.msg))).toBe(true);
    } finally {
      await replica.resume();
    }
    await replica.catchUp();
    expect((await getPerson(auth, student.id)).body.givenName).toBe('Newer');
  }, 120_000);

  it('answers a read that was in flight on the replica when it went down from the primary, in the same request, its line naming the request', async () => {
    const auth = await bearer();
    const student = studentOf(schools.b);
    await replica.catchUp();
    expect(await metric('schoolgate_db_replica_up')).toBe(1);
    const stored = await database.db.selectFrom('ss12000_persons').select('given_name').where('id', '=', student.id).executeTakeFirstOrThrow();
    // A lock taken on the primary is replayed on the standby: reads of the table there wait for it.
    const locker = new pg.Client({ connectionString: dbUrl });
    await locker.connect();
    let inFlight: Promise<{ status: number; requestId: string | null; body: Record<string, any> }>[];
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE ss12000_persons IN ACCESS EXCLUSIVE MODE');
      await vi.waitFor(
        async () => {
          const [row] = await replica.query<{ n: string }>(
            "SELECT count(*) AS n FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'ss12000_persons' AND l.mode = 'AccessExclusiveLock' AND l.granted",
            [],
            dbName,
          );
          expect(Number(row!.n)).toBe(1);
        },
        { timeout: 10_000, interval: 50 },
      );
      let settled = 0;
      inFlight = Array.from({ length: 3 }, () => getPerson(auth, student.id).finally(() => settled++));
      await new Promise((r) => setTimeout(r, 500));
      expect(settled, 'the reads wait on the replica').toBe(0);
      await replica.crash();
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      // The reads now run again on the primary, where they wait for this lock until it goes.
      await locker.query('ROLLBACK');
      await locker.end();
    }
    const answers = await Promise.all(inFlight);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(answers.map((a) => a.body.givenName)).toEqual([stored.given_name, stored.given_name, stored.given_name]);
    const retried = logLines(server).filter((l) => /read replica failed during a read/.test(l.msg));
    expect(retried.map((l) => l.reqId)).toEqual(expect.arrayContaining(answers.map((a) => a.requestId)));
    expect(retried.every((l) => l.reason === 'unreachable')).toBe(true);
    expect(await metric('schoolgate_db_replica_fallback_reads_total{reason="unreachable"}')).toBeGreaterThanOrEqual(3);
    await replica.start();
  }, 120_000);

  it('starts with a replica nobody listens on: ready, and every read answered from the primary, its log line naming the request', async () => {
    const nobody = await freePort();
    const lonely = await spawnServer({
      DATABASE_URL: dbUrl,
      DATABASE_REPLICA_URL: `postgres://postgres@127.0.0.1:${nobody}/${dbName}`,
      PUBLIC_URL,
      METRICS_TOKEN,
    });
    try {
      await waitUntilReady(lonely);
      const auth = await bearer(lonely);
      const student = studentOf(schools.b);
      const stored = await database.db.selectFrom('ss12000_persons').select('given_name').where('id', '=', student.id).executeTakeFirstOrThrow();
      const first = await getPerson(auth, student.id, lonely);
      expect(first.status).toBe(200);
      expect(first.body.givenName).toBe(stored.given_name);
      // The line that says the primary answered instead carries the id of the request it happened in.
      const line = logLines(lonely).find((l) => /read replica failed while connecting/.test(l.msg));
      expect(line, lonely.output()).toBeDefined();
      expect(line!.reqId).toBe(first.requestId);
      expect(line!.reason).toBe('unreachable');

      const others = await otherReads(auth, student.id, lonely);
      expect(others.statuses).toEqual([200, 200, 200]);
      expect(others.pageName).toBe(stored.given_name);
      expect((await getPerson(auth, studentOf(schools.a).id, lonely)).status).toBe(404);
      expect(await metric('schoolgate_db_replica_up', lonely)).toBe(0);
      expect(await metric('schoolgate_db_replica_fallback_reads_total{reason="unreachable"}', lonely)).toBe(1);
      expect(await metric('schoolgate_db_replica_fallback_reads_total{reason="down"}', lonely)).toBeGreaterThan(0);
    } finally {
      await lonely.stop();
    }
  }, 120_000);
});
