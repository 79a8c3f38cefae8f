import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/context.ts';
import { openDatabase, type Database } from '../../src/db/index.ts';
import { generateWorld, type World } from '../../src/generator/index.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { currentSchoolYear } from '../../src/lib/school-year.ts';
import { ingestBatch } from '../../src/modules/ss12000/ingest.ts';
import { insertAdminRight, insertPartner, insertUser } from '../../src/seed/builders.ts';
import { TestClient } from '../support/harness.ts';
import { createClient, createInstitution, grant, requestToken, type ClientFixture } from '../oidc/fixtures.ts';
import { LOG_FRONTEND, referenceConfig, startHaproxy, testConfig, waitForServer, type Haproxy } from './haproxy.ts';
import { createFreshDatabase, freePort, spawnServer, waitUntilReady, type ServerProcess } from './server-process.ts';

/**
 * The reference deployment (deploy/haproxy.cfg) proven on this machine: three Schoolgate processes
 * on one fresh PostgreSQL database behind a real HAProxy started from the reference configuration.
 * Under load (SS 12000 reads with a client-credentials token, partners registering apps through
 * /api/v1), one process is killed with SIGKILL and another restarted the way the README says
 * (drained through the runtime API first). No acknowledged write is lost; the only requests that
 * fail are writes that were in flight on the killed process (a read in flight there is retried by
 * the proxy on another process); and a revoked grant and a rate limit hold across the processes.
 */
const adminUrl = process.env.TEST_DATABASE_URL;
if (!adminUrl) throw new Error('test/pg needs TEST_DATABASE_URL (a PostgreSQL server); see vitest.pg.config.ts');

const PUBLIC_URL = 'http://schoolgate.test';
const PASSWORD = 'correct horse battery';
const READERS = 4;
const WRITERS = 2;
const NAMES = ['sg1', 'sg2', 'sg3'];

let database: Database;
let ctx: AppContext;
let drop: () => Promise<void>;
let dir: string;
let env: Record<string, string>;
let ports: number[];
let servers: ServerProcess[];
let proxy: Haproxy;
let world: World;
let schools: { a: string; b: string };
let reader: ClientFixture;
let partnerEmail: string;
let adminEmail: string;

/** A student of the school with institution number `number` in the generated world. */
function studentOf(number: string): string {
  const unit = world.organisations.find((o) => o.organisationType === 'Skolenhet' && o.organisationCode === number)!;
  return world.persons.find((p) => (p.enrolments ?? []).some((e) => e.enroledAt.id === unit.id))!.id;
}

beforeAll(async () => {
  const fresh = await createFreshDatabase(adminUrl, `sg_haproxy_${process.pid}`);
  drop = fresh.drop;
  dir = mkdtempSync(join(tmpdir(), 'sg-haproxy-'));
  // The proxy is the processes' only client: its X-Forwarded-For is believed (README, "Deployment").
  env = { DATABASE_URL: fresh.url, PUBLIC_URL, TRUST_PROXY: '127.0.0.1' };
  ports = [await freePort(), await freePort(), await freePort()];
  // Started together on an empty database: they race for the migrations and the first signing key.
  servers = await Promise.all(ports.map((port) => spawnServer(env, port)));
  await Promise.all(servers.map((s) => waitUntilReady(s)));

  database = await openDatabase({ databaseUrl: fresh.url, poolSize: 2 });
  ctx = { db: database.db, clock: systemClock } as AppContext;
  schools = { a: (await createInstitution(ctx, 'Sint-Jozefsinstituut')).number, b: (await createInstitution(ctx, 'Atheneum Brugge')).number };
  world = generateWorld({ seed: 12, schools: 2, students: 40, institutionNumbers: [schools.a, schools.b], today: new Date().toISOString().slice(0, 10) });
  await ingestBatch(ctx, { upsert: world as never }, { id: null, label: 'test', kind: 'system' });
  reader = await createClient(ctx, { requests: { students: ['identity'] } });
  await grant(ctx, reader.clientId, 'students', { institutionNumber: schools.a });
  await grant(ctx, reader.clientId, 'students', { institutionNumber: schools.b });
  // Far above the load: refusals are tested on their own below.
  await database.db.insertInto('ss12000_rate_limits').values({ app_id: reader.appId!, requests_per_minute: 1_000_000 }).execute();

  partnerEmail = 'dev@homework.example';
  const member = await insertUser(database.db, { email: partnerEmail, password: PASSWORD, displayName: 'Dev', kind: 'partner' });
  await insertPartner(database.db, { name: 'Homework AB', contactEmail: 'info@homework.example', memberUserIds: [member] });
  adminEmail = 'admin@school.example';
  const admin = await insertUser(database.db, { email: adminEmail, password: PASSWORD, displayName: 'Admin', kind: 'school', userManagementAccess: true });
  const schoolYear = currentSchoolYear(new Date(), { start: '09-01', timeZone: 'Europe/Brussels' });
  for (const n of [schools.a, schools.b]) await insertAdminRight(database.db, { userId: admin, right: 'iLeerlingen', institutionNumber: n, schoolYear });

  const port = await freePort();
  const at = { port, servers: ports, socket: join(dir, 'admin.sock'), frontend: LOG_FRONTEND };
  proxy = await startHaproxy(join(dir, 'haproxy.cfg'), testConfig(referenceConfig(), at), at);
  const since = performance.now();
  await Promise.all(NAMES.map((name) => waitForServer(proxy, name, 'UP', since)));
}, 180_000);

afterAll(async () => {
  await proxy?.stop();
  await Promise.all((servers ?? []).map((s) => s.stop()));
  await database?.close();
  await drop?.();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** One request of the load, as its client saw it. */
interface Outcome {
  id: string;
  kind: 'read' | 'write';
  start: number;
  end: number;
  status: number;
  /** The app a write created, when it was acknowledged. */
  appId?: string;
  error?: string;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

describe('three processes behind HAProxy (deploy/haproxy.cfg)', () => {
  it('lose no acknowledged write and fail only writes in flight on a process killed under load; a drained restart fails nothing', async () => {
    const issued = await requestToken(proxy.url, reader.clientId, reader.secret);
    expect(issued.status, JSON.stringify(issued.body)).toBe(200);
    const bearer = `Bearer ${issued.body.access_token}`;
    const partners = await Promise.all(
      Array.from({ length: WRITERS }, async () => {
        const client = new TestClient(proxy.url);
        expect((await client.login(partnerEmail, PASSWORD)).status).toBe(200);
        return client;
      }),
    );

    const outcomes: Outcome[] = [];
    let stop = false;
    let seq = 0;
    const t0 = performance.now();
    const read = async () => {
      while (!stop) {
        const id = `r${seq++}`;
        const start = performance.now();
        try {
          const res = await fetch(`${proxy.url}/ss12000/v2.0/persons?limit=20`, { headers: { authorization: bearer, 'x-load-id': id } });
          const body = await res.text();
          // A complete answer with data, not a proxy's error page.
          const status = res.status === 200 && !body.startsWith('{"data":') ? -1 : res.status;
          outcomes.push({ id, kind: 'read', start, end: performance.now(), status });
        } catch (error) {
          outcomes.push({ id, kind: 'read', start, end: performance.now(), status: 0, error: String(error) });
        }
      }
    };
    const write = async (client: TestClient) => {
      while (!stop) {
        const id = `w${seq++}`;
        const start = performance.now();
        try {
          const res = await client.post('/api/v1/partner/apps', { name: `Planner ${id}`, contactEmail: 'apps@homework.example' }, { 'x-load-id': id });
          outcomes.push({ id, kind: 'write', start, end: performance.now(), status: res.status, ...(res.status === 201 ? { appId: res.body.id } : {}) });
        } catch (error) {
          outcomes.push({ id, kind: 'write', start, end: performance.now(), status: 0, error: `${error} ${(error as Error).cause}` });
        }
      }
    };
    const load = [...Array.from({ length: READERS }, read), ...partners.map(write)];
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

    // Steady load, then SIGKILL sg1; its supervisor (systemd's Restart=, say) starts it again at once.
    await sleep(1500);
    const killedAt = performance.now();
    servers[0]!.child.kill('SIGKILL');
    const respawned = (async () => {
      await new Promise((r) => servers[0]!.child.once('exit', r));
      servers[0] = await spawnServer(env, ports[0]);
      await waitUntilReady(servers[0]);
      return waitForServer(proxy, 'sg1', 'UP', killedAt);
    })();
    const markedDownMs = await waitForServer(proxy, 'sg1', 'DOWN', killedAt);
    await sleep(500);

    // The README's rolling restart of sg2: drained through the runtime API, SIGTERM, started again
    // on its address, put back; the proxy sends it traffic again once its checks pass.
    const restartAt = performance.now();
    expect(await proxy.command('set server schoolgate/sg2 state drain')).toBe('\n');
    const drainDeadline = performance.now() + 10_000;
    while ((await proxy.servers()).get('sg2')!.sessions > 0 && performance.now() < drainDeadline) await sleep(20);
    await servers[1]!.stop();
    servers[1] = await spawnServer(env, ports[1]);
    await waitUntilReady(servers[1]);
    expect(await proxy.command('set server schoolgate/sg2 state ready')).toBe('\n');
    const restartedUpMs = await waitForServer(proxy, 'sg2', 'UP', restartAt);
    const restartEnd = performance.now();
    const killedUpMs = await respawned;
    await sleep(1000);
    stop = true;
    await Promise.all(load);
    const t1 = performance.now();

    const log = proxy.requests();
    const failed = outcomes.filter((o) => o.status !== (o.kind === 'read' ? 200 : 201));
    const reads = outcomes.filter((o) => o.kind === 'read');
    const writes = outcomes.filter((o) => o.kind === 'write');
    const inFlightAtKill = outcomes.filter((o) => o.start < killedAt && o.end > killedAt);
    const retried = outcomes.filter((o) => o.status === 200 && (log.get(o.id)?.retries ?? 0) > 0);
    const retriedInFlight = retried.filter((o) => o.start < killedAt && o.end > killedAt);
    const duringRestart = outcomes.filter((o) => o.end > restartAt && o.start < restartEnd);
    const latencies = (list: Outcome[]) => list.map((o) => o.end - o.start).sort((x, y) => x - y);
    const before = latencies(outcomes.filter((o) => o.end < killedAt));
    const aroundKill = latencies(outcomes.filter((o) => o.end > killedAt && o.start < killedAt + markedDownMs));
    const lastFailure = Math.max(...failed.map((o) => o.end - killedAt), 0);

    // A write that failed may still have committed before the process died: its client cannot know.
    const failedNames = failed.filter((o) => o.kind === 'write').map((o) => `Planner ${o.id}`);
    const committedAnyway = failedNames.length ? (await database.db.selectFrom('apps').select('id').where('name', 'in', failedNames).execute()).length : 0;
    const figures = {
      seconds: +((t1 - t0) / 1000).toFixed(1),
      reads: reads.length,
      writes: writes.length,
      acknowledgedWrites: writes.filter((o) => o.status === 201).length,
      failed: failed.map((o) => ({
        id: o.id,
        kind: o.kind,
        status: o.status,
        afterKillMs: Math.round(o.end - killedAt),
        proxyLog: log.get(o.id) ?? null,
        error: o.error,
      })),
      failedWritesCommittedAnyway: committedAnyway,
      inFlightAtKill: inFlightAtKill.length,
      retriedReadsAnswered: retried.length,
      retriedReadsInFlightAtKill: retriedInFlight.length,
      killToMarkedDownMs: Math.round(markedDownMs),
      killToLastFailureMs: Math.round(lastFailure),
      killToRespawnedProcessUpMs: Math.round(killedUpMs),
      drainedRestartToUpMs: Math.round(restartedUpMs),
      requestsDuringRestart: duringRestart.length,
      latencyMs: {
        beforeKill: { p50: Math.round(percentile(before, 50)), p99: Math.round(percentile(before, 99)) },
        untilMarkedDown: { p50: Math.round(percentile(aroundKill, 50)), p99: Math.round(percentile(aroundKill, 99)), max: Math.round(aroundKill.at(-1) ?? 0) },
      },
    };
    console.log(`HAProxy failover figures: ${JSON.stringify(figures, null, 2)}`);

    expect(reads.length, 'the load read nothing').toBeGreaterThan(100);
    expect(writes.filter((o) => o.status === 201).length, 'the load wrote nothing').toBeGreaterThan(10);
    // The proxy did retry reads that met the dead process (in flight, or sent before it was marked down).
    expect(retried.length).toBeGreaterThan(0);

    // Every failure is a write that was in flight when sg1 was killed and failed with it: the proxy
    // does not replay a write (it may have committed). HAProxy answers such a write 502 when it was
    // the first request on its client connection and otherwise closes that connection without an
    // answer or a log line (as a server closing an idle keep-alive connection would), so the client
    // sees "other side closed"; where it logged one, the log names sg1.
    // A write sent after the kill but before the proxy had marked sg1 down can also be routed to it
    // (CI saw one, on a connection the proxy still held to sg1): it fails the same way, with the kill.
    for (const o of failed) {
      const line = log.get(o.id);
      expect({
        id: o.id,
        kind: o.kind,
        startedBeforeMarkedDown: o.start < killedAt + markedDownMs,
        // Failed as sg1 died, not later: before the proxy had taken it out (plus a second for this busy client's own delay).
        failedWithTheKill: o.end > killedAt && o.end - killedAt < markedDownMs + 1000,
        server: line ? line.server : 'sg1',
      }).toEqual({ id: o.id, kind: 'write', startedBeforeMarkedDown: true, failedWithTheKill: true, server: 'sg1' });
    }
    expect(failed.length).toBeLessThanOrEqual(WRITERS);
    // Nothing failed during the drained restart.
    expect(duringRestart.filter((o) => failed.includes(o))).toEqual([]);

    // No acknowledged write lost: every app a partner was told was created is in the database.
    const acknowledged = writes.filter((o) => o.status === 201).map((o) => o.appId!);
    const stored = new Set((await database.db.selectFrom('apps').select('id').where('id', 'in', acknowledged).execute()).map((r) => r.id));
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
  }, 120_000);

  it('a grant removed through the proxy is refused on the next request on every process', async () => {
    const token = (await requestToken(proxy.url, reader.clientId, reader.secret)).body.access_token as string;
    const get = (base: string, personId: string) =>
      fetch(`${base}/ss12000/v2.0/persons/${personId}`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
    const [inA, inB] = [studentOf(schools.a), studentOf(schools.b)];
    for (const s of servers) expect([await get(s.url, inA), await get(s.url, inB)]).toEqual([200, 200]);

    const admin = new TestClient(proxy.url);
    expect((await admin.login(adminEmail, PASSWORD)).status).toBe(200);
    const replaced = await admin.put(`/api/v1/school/apps/${reader.appId}/api-access/students`, {
      institutionNumbers: [schools.b],
      confirmRemoval: true,
      reason: 'End of the pilot at Sint-Jozefsinstituut',
    });
    expect(replaced.status, JSON.stringify(replaced.body)).toBe(200);

    // Each process's very next request (each had the old scope cached).
    expect(await Promise.all(servers.map((s) => get(s.url, inA)))).toEqual([404, 404, 404]);
    expect(await Promise.all(servers.map((s) => get(s.url, inB)))).toEqual([200, 200, 200]);
    expect(await get(proxy.url, inA)).toBe(404);
  });

  it('counts a rate limit across the processes', async () => {
    const limited = await createClient(ctx, { requests: { students: ['identity'] } });
    await grant(ctx, limited.clientId, 'students', { institutionNumber: schools.b });
    await database.db.insertInto('ss12000_rate_limits').values({ app_id: limited.appId!, requests_per_minute: 6 }).execute();
    const token = (await requestToken(proxy.url, limited.clientId, limited.secret)).body.access_token as string;
    const get = (base: string) => fetch(`${base}/ss12000/v2.0/organisations?limit=1`, { headers: { authorization: `Bearer ${token}` } });
    // The count is per minute: start far enough from the window's end that all of it falls in one.
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 20_000) await new Promise((r) => setTimeout(r, left + 50));

    // Two requests on each process: six in all, within the limit only if counted together.
    const answers: Response[] = [];
    for (const s of servers) for (let i = 0; i < 2; i++) answers.push(await get(s.url));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(answers.map((r) => r.headers.get('ratelimit-remaining'))).toEqual(['5', '4', '3', '2', '1', '0']);
    const refused = await Promise.all(servers.map((s) => get(s.url)));
    expect(refused.map((r) => r.status)).toEqual([429, 429, 429]);
    expect(await refused[0]!.json()).toMatchObject({ code: 'rate_limited' });
    expect((await get(proxy.url)).status).toBe(429);
  });
});
