/**
 * The server keeps what a client's grants reach between requests (with `clients.scope_version`,
 * bumped by the triggers of src/db/live/30_scope_version.sql), so every way that can change must
 * reach the very next request of a client whose scope is already held. Each case warms the server with a request, changes one table directly in the
 * database (as any code path or an operator's SQL would), and reads again.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { useHarness } from '../support/harness.ts';
import { generateWorld, type World } from '../../src/generator/index.ts';
import { ingestBatch } from '../../src/modules/ss12000/ingest.ts';
import { insertAccessGroup, insertAdminRight, insertApp, insertGrant, insertUser } from '../../src/seed/builders.ts';
import { currentSchoolYear } from '../../src/lib/school-year.ts';
import { createApp, ensureInstitutions, grantAll, Ss12000Client } from './support.ts';

const harness = useHarness();
const NUMBERS = ['370001', '370002', '370003'];
const SYSTEM = { id: null, label: 'test loader', kind: 'system' as const };
let world: World;

const client = (app: { clientId: string; secret: string }) =>
  new Ss12000Client(`${harness().url}/ss12000/v2.0`, `${harness().url}/oidc/token`, app.clientId, app.secret);
const codes = async (c: Ss12000Client) => {
  const res = await c.get('/organisations?limit=1000');
  expect(res.status).toBe(200);
  return res.body.data.map((o: { organisationCode: string }) => o.organisationCode).sort();
};
/** An app asking these students-API categories, granted `numbers` directly, and its SS 12000 client. */
async function grantedApp(categories: string[], numbers: string[]) {
  const { ctx } = harness();
  const app = await createApp(ctx, { students: categories });
  await grantAll(ctx, app.clientId, 'students', numbers);
  return { app, c: client(app) };
}
/** Whether any person on the first page carries a civic number. */
const civicNumbersShown = async (c: Ss12000Client) => (await c.get('/persons?limit=50')).body.data.some((p: Record<string, unknown>) => 'civicNo' in p);

beforeAll(async () => {
  const { ctx } = harness();
  world = generateWorld({ seed: 37, schools: 3, students: 60, institutionNumbers: NUMBERS, today: new Date().toISOString().slice(0, 10) });
  await ensureInstitutions(ctx, NUMBERS);
  await ingestBatch(ctx, { upsert: world as never }, SYSTEM);
}, 120_000);

describe('what a client may see follows every change at once', () => {
  it('a grant removed or added', async () => {
    const { ctx } = harness();
    const { app, c } = await grantedApp(['identity'], NUMBERS.slice(0, 2));
    expect(await codes(c)).toEqual(NUMBERS.slice(0, 2));
    await ctx.db.deleteFrom('grants').where('client_id', '=', app.clientId).where('institution_number', '=', NUMBERS[0]!).execute();
    expect(await codes(c)).toEqual([NUMBERS[1]]);
    await grantAll(ctx, app.clientId, 'students', [NUMBERS[2]!]);
    expect(await codes(c)).toEqual(NUMBERS.slice(1));
  });

  it('an institution leaving or joining an access group the client is granted', async () => {
    const { ctx } = harness();
    const app = await createApp(ctx, { students: ['identity'] });
    const groupId = await insertAccessGroup(ctx.db, { name: `Group ${Math.random()}`, institutionNumbers: NUMBERS.slice(0, 2) });
    await insertGrant(ctx.db, { clientId: app.clientId, apiCode: 'students', accessGroupId: groupId });
    const c = client(app);
    expect(await codes(c)).toEqual(NUMBERS.slice(0, 2));
    await ctx.db.deleteFrom('access_group_institutions').where('access_group_id', '=', groupId).where('institution_number', '=', NUMBERS[0]!).execute();
    expect(await codes(c)).toEqual([NUMBERS[1]]);
    await ctx.db.insertInto('access_group_institutions').values({ access_group_id: groupId, institution_number: NUMBERS[2]! }).execute();
    expect(await codes(c)).toEqual(NUMBERS.slice(1));
    await ctx.db.deleteFrom('access_groups').where('id', '=', groupId).execute();
    expect(await codes(c)).toEqual([]);
  });

  it("the app's approved data categories", async () => {
    const { ctx } = harness();
    const { app, c } = await grantedApp(['identity', 'civic_number'], NUMBERS);
    expect(await civicNumbersShown(c)).toBe(true);
    await ctx.db
      .updateTable('app_api_requests')
      .set({ data_categories: ['identity'] })
      .where('app_id', '=', app.appId)
      .execute();
    expect(await civicNumbersShown(c)).toBe(false);
    await ctx.db
      .updateTable('app_api_requests')
      .set({ data_categories: ['identity', 'civic_number'] })
      .where('app_id', '=', app.appId)
      .execute();
    expect(await civicNumbersShown(c)).toBe(true);
  });

  it('the client moved to another app', async () => {
    const { ctx } = harness();
    const { app, c } = await grantedApp(['identity', 'civic_number'], NUMBERS);
    expect(await civicNumbersShown(c)).toBe(true);
    const other = await insertApp(ctx.db, {
      partnerId: app.partnerId,
      name: 'Other',
      status: 'approved',
      apis: [{ apiCode: 'students', dataCategories: ['identity'], purpose: 'p' }],
    });
    await ctx.db.updateTable('clients').set({ app_id: other }).where('id', '=', app.clientId).execute();
    expect(await civicNumbersShown(c)).toBe(false);
  });

  it('a school unit re-coded, removed, or loaded for a granted institution', async () => {
    const { ctx } = harness();
    const { app, c } = await grantedApp(['identity'], NUMBERS);
    expect(await codes(c)).toEqual(NUMBERS);
    const unit = world.organisations.find((o) => o.organisationCode === NUMBERS[2])!;
    await ctx.db.updateTable('ss12000_organisations').set({ organisation_code: '379999' }).where('id', '=', unit.id).execute();
    expect(await codes(c)).toEqual(NUMBERS.slice(0, 2));
    await ctx.db.updateTable('ss12000_organisations').set({ organisation_code: NUMBERS[2]! }).where('id', '=', unit.id).execute();
    expect(await codes(c)).toEqual(NUMBERS);
    const stored = await ctx.db.selectFrom('ss12000_organisations').select('organisation_type').where('id', '=', unit.id).executeTakeFirstOrThrow();
    await ctx.db.updateTable('ss12000_organisations').set({ organisation_type: 'Skola' }).where('id', '=', unit.id).execute();
    expect(await codes(c)).toEqual(NUMBERS.slice(0, 2));
    await ctx.db.updateTable('ss12000_organisations').set({ organisation_type: stored.organisation_type }).where('id', '=', unit.id).execute();
    expect(await codes(c)).toEqual(NUMBERS);
    // A unit loaded for a granted institution that had none yet, then deleted again.
    await ensureInstitutions(ctx, ['370004']);
    await grantAll(ctx, app.clientId, 'students', ['370004']);
    expect(await codes(c)).toEqual(NUMBERS);
    const added = { ...unit, id: randomUUID(), organisationCode: '370004', displayName: 'Nya skolan' };
    await ingestBatch(ctx, { upsert: { organisations: [added] } } as never, SYSTEM);
    expect(await codes(c)).toEqual([...NUMBERS, '370004']);
    await ingestBatch(ctx, { delete: { organisations: [added.id] } } as never, SYSTEM);
    expect(await codes(c)).toEqual(NUMBERS);
  });

  it("a school admin's on/off switch of the app: off in their institutions, and back on", async () => {
    const { ctx } = harness();
    const { app, c } = await grantedApp(['identity'], NUMBERS);
    // The admin may grant the students API on the first two institutions only.
    const year = currentSchoolYear(harness().clock.now(), { start: '09-01', timeZone: 'Europe/Brussels' });
    const email = `switch-${randomUUID()}@school.example`;
    const userId = await insertUser(ctx.db, { email, password: 'a long test password', displayName: 'Sam Switch', kind: 'school', userManagementAccess: true });
    for (const n of NUMBERS.slice(0, 2)) await insertAdminRight(ctx.db, { userId, right: 'iLeerlingen', institutionNumber: n, schoolYear: year });
    const admin = harness().client();
    expect((await admin.login(email, 'a long test password')).status).toBe(200);
    expect(await codes(c)).toEqual(NUMBERS);
    expect((await admin.put(`/api/v1/school/apps/${app.appId}/switch`, { on: false, reason: 'pause' })).status).toBe(200);
    expect(await codes(c)).toEqual([NUMBERS[2]]);
    expect((await admin.put(`/api/v1/school/apps/${app.appId}/switch`, { on: true })).status).toBe(200);
    expect(await codes(c)).toEqual(NUMBERS);
  });

  it('a switch that leaves the client nothing: no record reaches it while off, all again when on', async () => {
    const { ctx } = harness();
    const { app, c } = await grantedApp(['identity'], NUMBERS.slice(0, 1));
    const year = currentSchoolYear(harness().clock.now(), { start: '09-01', timeZone: 'Europe/Brussels' });
    const email = `switch-${randomUUID()}@school.example`;
    const userId = await insertUser(ctx.db, { email, password: 'a long test password', displayName: 'Sam Switch', kind: 'school', userManagementAccess: true });
    await insertAdminRight(ctx.db, { userId, right: 'iLeerlingen', institutionNumber: NUMBERS[0]!, schoolYear: year });
    const admin = harness().client();
    expect((await admin.login(email, 'a long test password')).status).toBe(200);
    const first = await c.get('/persons?limit=5');
    expect(first.body.data.length).toBeGreaterThan(0);
    const personId = first.body.data[0].id as string;
    expect((await c.get(`/persons/${personId}`)).status).toBe(200);
    expect((await admin.put(`/api/v1/school/apps/${app.appId}/switch`, { on: false })).status).toBe(200);
    expect((await c.get('/persons?limit=5')).body.data).toEqual([]);
    expect((await c.get(`/persons/${personId}`)).status).toBe(404);
    expect((await admin.put(`/api/v1/school/apps/${app.appId}/switch`, { on: true })).status).toBe(200);
    expect((await c.get('/persons?limit=5')).body.data.map((p: { id: string }) => p.id)).toEqual(first.body.data.map((p: { id: string }) => p.id));
    expect((await c.get(`/persons/${personId}`)).status).toBe(200);
  });

  it('clients asked in turns keep their own grants: what the process keeps of one never serves another', async () => {
    // The process shapes and keeps each client's grants (bearer.ts, access.ts); a memo keyed by
    // anything wider than the client's own rows would hand one client another's APIs.
    const { ctx } = harness();
    const staffOnly = await createApp(ctx, { staff: ['identity'] });
    await grantAll(ctx, staffOnly.clientId, 'staff', [NUMBERS[0]!]);
    const { c: students } = await grantedApp(['identity', 'civic_number'], [NUMBERS[1]!]);
    const staff = client(staffOnly);
    for (let turn = 0; turn < 3; turn++) {
      expect(await codes(staff)).toEqual([NUMBERS[0]]);
      expect((await staff.get('/persons?limit=50')).body.data.some((p: Record<string, unknown>) => 'civicNo' in p)).toBe(false);
      expect(await codes(students)).toEqual([NUMBERS[1]]);
      expect(await civicNumbersShown(students)).toBe(true);
      expect((await students.get('/duties?limit=5')).body.data).toEqual([]);
    }
  });

  it('sends the scope again only when it changed', async () => {
    const { ctx } = harness();
    const { app } = await grantedApp(['identity'], NUMBERS);
    const call = async (known: number) =>
      (
        await sql<{
          r: { scope_version: number; scope: unknown };
        }>`SELECT ss12000_authorize(${app.clientId}::uuid, NULL::uuid, now(), ${known}::bigint) AS r`.execute(ctx.db)
      ).rows[0]!.r;
    const first = await call(-1);
    expect(first.scope).not.toBeNull();
    expect((await call(first.scope_version)).scope).toBeNull();
    await ctx.db.deleteFrom('grants').where('client_id', '=', app.clientId).where('institution_number', '=', NUMBERS[0]!).execute();
    const after = await call(first.scope_version);
    expect(after.scope_version).not.toBe(first.scope_version);
    expect(after.scope).not.toBeNull();
  });
});
