/**
 * Two Schoolgate servers on one database: a grant revoked or an app suspended is refused by the
 * other server on its very next request, and the per-client rate limit counts requests to both.
 * With TEST_DATABASE_URL these are two real processes on a fresh PostgreSQL database; on the
 * embedded PGlite (one process only) they are two servers in this process sharing the database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTwoServers } from '../support/two-servers.ts';
import type { AppContext } from '../../src/context.ts';
import { generateWorld, type World } from '../../src/generator/index.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { ingestBatch } from '../../src/modules/ss12000/ingest.ts';
import { createApp, ensureInstitutions, grantAll, Ss12000Client } from './support.ts';

const NUMBERS = ['340001', '340002'];
let urls: [string, string];
let ctx: AppContext;
let world: World;
let stopServers: (() => Promise<void>) | undefined;

beforeAll(async () => {
  const two = await startTwoServers('sg_ss12000_two');
  stopServers = two.stop;
  urls = two.urls;
  const database = two.database;
  ctx = { db: database.db, clock: systemClock } as AppContext;
  world = generateWorld({ seed: 3, schools: 2, students: 40, institutionNumbers: NUMBERS, today: new Date().toISOString().slice(0, 10) });
  await ensureInstitutions(ctx, NUMBERS);
  await ingestBatch(ctx, { upsert: world as never }, { id: null, label: 'test', kind: 'system' });
}, 180_000);

afterAll(async () => {
  await stopServers?.();
});

/** One client whose token (from server A) is used at both servers. */
async function clients(app: { clientId: string; secret: string }) {
  const a = new Ss12000Client(`${urls[0]}/ss12000/v2.0`, `${urls[0]}/oidc/token`, app.clientId, app.secret);
  const token = await a.fetchToken();
  const b = new Ss12000Client(`${urls[1]}/ss12000/v2.0`, `${urls[0]}/oidc/token`, app.clientId, app.secret);
  (b as unknown as { token: string }).token = token;
  return [a, b] as const;
}

describe('two servers, one database', () => {
  it('refuses on the other server at once after a revoke and after a suspension', async () => {
    const app = await createApp(ctx, { students: ['identity'] });
    await grantAll(ctx, app.clientId, 'students', NUMBERS);
    const [a, b] = await clients(app);
    expect((await a.get('/organisations')).body.data.map((o: { organisationCode: string }) => o.organisationCode).sort()).toEqual(NUMBERS);
    await ctx.db.deleteFrom('grants').where('client_id', '=', app.clientId).where('institution_number', '=', NUMBERS[0]!).execute();
    expect((await b.get('/organisations')).body.data.map((o: { organisationCode: string }) => o.organisationCode)).toEqual([NUMBERS[1]]);
    await ctx.db.updateTable('apps').set({ status: 'suspended' }).where('id', '=', app.appId).execute();
    const refusedB = await b.get('/persons');
    const refusedA = await a.get('/persons');
    expect([refusedA.status, refusedB.status]).toEqual([403, 403]);
  });

  it('counts the rate limit across both servers', async () => {
    const app = await createApp(ctx, { students: ['identity'] });
    await grantAll(ctx, app.clientId, 'students', NUMBERS);
    await ctx.db.insertInto('ss12000_rate_limits').values({ app_id: app.appId, requests_per_minute: 4 }).execute();
    const [a, b] = await clients(app);
    // Stay inside one one-minute window: start early in a minute.
    while (new Date().getUTCSeconds() > 45) await new Promise((r) => setTimeout(r, 500));
    const statuses = [];
    for (const c of [a, b, a, b, a, b]) statuses.push((await c.get('/organisations')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
  });
});
