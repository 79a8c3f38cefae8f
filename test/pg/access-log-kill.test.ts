import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/context.ts';
import { openDatabase, type Database } from '../../src/db/index.ts';
import { generateWorld } from '../../src/generator/index.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { ingestBatch } from '../../src/modules/ss12000/ingest.ts';
import { createClient, createInstitution, grant, requestToken } from '../oidc/fixtures.ts';
import { createFreshDatabase, spawnServer, waitUntilReady } from './server-process.ts';

/**
 * The access log is durable: a real server process on PostgreSQL, killed with SIGKILL while 16
 * connections read, has in its log every read it answered with data (the row is committed before
 * the response is written), and no more logged reads that were not answered than were in flight.
 */
const adminUrl = process.env.TEST_DATABASE_URL;
if (!adminUrl) throw new Error('test/pg needs TEST_DATABASE_URL (a PostgreSQL server); see vitest.pg.config.ts');

const PUBLIC_URL = 'http://schoolgate.test';
const CONNECTIONS = 16;
const ROUNDS = 3;
const LOAD_MS = 1500;

let database: Database;
let drop: () => Promise<void>;
let databaseUrl: string;
let client: { clientId: string; secret: string };

beforeAll(async () => {
  const fresh = await createFreshDatabase(adminUrl, `sg_access_log_kill_${process.pid}`);
  drop = fresh.drop;
  databaseUrl = fresh.url;
  // A first process migrates the database; the fixtures need its tables.
  const first = await spawnServer({ DATABASE_URL: databaseUrl, PUBLIC_URL });
  try {
    await waitUntilReady(first);
  } finally {
    await first.stop();
  }
  database = await openDatabase({ databaseUrl, poolSize: 2 });
  const ctx = { db: database.db, clock: systemClock } as AppContext;
  const school = await createInstitution(ctx, 'Sint-Jozefsinstituut');
  const world = generateWorld({ seed: 3, schools: 1, students: 30, institutionNumbers: [school.number], today: new Date().toISOString().slice(0, 10) });
  await ingestBatch(ctx, { upsert: world as never }, { id: null, label: 'test', kind: 'system' });
  const c = await createClient(ctx, { requests: { students: ['identity'] } });
  await grant(ctx, c.clientId, 'students', { institutionNumber: school.number });
  // The load is far above the default 1,200 requests per minute; refusals are not what is measured.
  await database.db.insertInto('ss12000_rate_limits').values({ app_id: c.appId!, requests_per_minute: 1_000_000 }).execute();
  client = c;
}, 120_000);

afterAll(async () => {
  await database?.close();
  await drop?.();
});

/** One round: a fresh process, CONNECTIONS readers, SIGKILL after LOAD_MS; what was answered and what was in flight then. */
async function round() {
  const server = await spawnServer({ DATABASE_URL: databaseUrl, PUBLIC_URL });
  try {
    await waitUntilReady(server);
    const issued = await requestToken(server.url, client.clientId, client.secret);
    expect(issued.status, JSON.stringify(issued.body)).toBe(200);
    const headers = { authorization: `Bearer ${issued.body.access_token}` };
    const answered = new Set<string>();
    let inFlight = 0;
    let killed = false;
    const reader = async () => {
      while (!killed) {
        inFlight++;
        try {
          const res = await fetch(`${server.url}/ss12000/v2.0/persons?limit=20`, { headers });
          const body = await res.text();
          // Only a complete answer with data counts as released.
          if (res.status === 200 && body.startsWith('{"data":')) answered.add(res.headers.get('x-request-id')!);
        } catch {
          // The connection died with the process.
        } finally {
          inFlight--;
        }
      }
    };
    const readers = Array.from({ length: CONNECTIONS }, reader);
    await new Promise((r) => setTimeout(r, LOAD_MS));
    const inFlightAtKill = inFlight;
    server.child.kill('SIGKILL');
    killed = true;
    await Promise.all(readers);
    return { answered, inFlightAtKill };
  } finally {
    await server.stop();
  }
}

describe('the access log survives kill -9 under load', () => {
  it(`has every answered read of ${ROUNDS} killed processes, and no more unanswered ones than were in flight`, async () => {
    for (let i = 0; i < ROUNDS; i++) {
      const before = await database.db
        .selectFrom('ss12000_access_log')
        .select((eb) => eb.fn.max('id').as('max'))
        .executeTakeFirstOrThrow();
      const { answered, inFlightAtKill } = await round();
      expect(answered.size, `round ${i}: the load answered nothing`).toBeGreaterThan(CONNECTIONS);
      const logged = await database.db
        .selectFrom('ss12000_access_log')
        .select(['request_id', 'status', 'record_count'])
        .where('id', '>', String(before.max ?? 0))
        .where('status', '=', 200)
        .execute();
      const loggedIds = new Set(logged.map((r) => r.request_id!));
      const lost = [...answered].filter((id) => !loggedIds.has(id));
      const unanswered = [...loggedIds].filter((id) => !answered.has(id));
      expect({ round: i, lost: lost.length }).toEqual({ round: i, lost: 0 });
      expect(unanswered.length, `round ${i}: ${unanswered.length} logged but not answered, ${inFlightAtKill} in flight at the kill`).toBeLessThanOrEqual(
        inFlightAtKill,
      );
      expect(logged.every((r) => r.record_count === 20)).toBe(true);
    }
  }, 120_000);
});
