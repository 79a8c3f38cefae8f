import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import type { AppContext } from '../../src/context.ts';
import { openDatabase, type Database } from '../../src/db/index.ts';
import { generateWorld, type World } from '../../src/generator/index.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { ingestBatch } from '../../src/modules/ss12000/ingest.ts';
import { createClient, createInstitution, grant, requestToken, type ClientFixture } from '../oidc/fixtures.ts';
import { allowLocalReplication, startReplica, type Replica } from './replica.ts';
import { createFreshDatabase, spawnServer, waitUntilReady, type ServerProcess } from './server-process.ts';

/**
 * DATABASE_REPLICA_URL with a real streaming replica: a second PostgreSQL 15 cluster made with
 * `pg_basebackup -R` from the local server, as a hot standby. SS 12000 page reads are served from
 * it; every authorization decision (grants, app status, rate limit) and the access log stay on the
 * primary, so while the replica lags (replay paused) a revoked grant is refused on the next request.
 */
const adminUrl = process.env.TEST_DATABASE_URL;
if (!adminUrl) throw new Error('test/pg needs TEST_DATABASE_URL (a PostgreSQL server); see vitest.pg.config.ts');

const PUBLIC_URL = 'http://schoolgate.test';
const dbName = `sg_replica_${process.pid}`;

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
  server = await spawnServer({ DATABASE_URL: fresh.url, DATABASE_REPLICA_URL: replica.url(dbName), PUBLIC_URL });
  await waitUntilReady(server);
}, 180_000);

afterAll(async () => {
  await server?.stop();
  // The standby goes first: dropping the database on the primary need not wait for its sessions.
  await replica?.stop();
  await database?.close();
  await drop?.();
});

const bearer = async () => `Bearer ${(await requestToken(server.url, reader.clientId, reader.secret)).body.access_token}`;
const getPerson = async (auth: string, id: string) => {
  const res = await fetch(`${server.url}/ss12000/v2.0/persons/${id}`, { headers: { authorization: auth } });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};
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
});
