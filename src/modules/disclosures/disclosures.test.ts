/**
 * Disclosure reports against a real server and database: an app granted institution A reads the
 * SS 12000 API, and each person's report says what that read may have released of them.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness, type TestClient } from '../../../test/support/harness.ts';
import { createApp, ensureInstitutions, grantAll, Ss12000Client } from '../../../test/ss12000/support.ts';
import { currentSchoolYear } from '../../lib/school-year.ts';
import { ingestBatch } from '../ss12000/ingest.ts';
import { insertAdminRight, insertEndUserAccount, insertUser } from '../../seed/builders.ts';

const harness = useHarness();
const A = '520001';
const B = '520002';
const SYSTEM = { id: null, label: 'test loader', kind: 'system' as const };
const PASSWORD = 'disclosure password';
const ID = {
  unitA: '5a000000-0000-4000-8000-00000000000a',
  unitB: '5a000000-0000-4000-8000-00000000000b',
  alice: '5a000000-0000-4000-8000-0000000000a1',
  bob: '5a000000-0000-4000-8000-0000000000b1',
  carl: '5a000000-0000-4000-8000-0000000000c1',
  dana: '5a000000-0000-4000-8000-0000000000d1',
  gus: '5a000000-0000-4000-8000-0000000000e1',
  danaDuty: '5a000000-0000-4000-8000-0000000000d2',
};
const unit = (id: string, code: string) => ({
  id,
  displayName: `Skola ${code}`,
  organisationCode: code,
  organisationType: 'Skolenhet',
  schoolTypes: ['GR'],
  startDate: '2020-08-01',
});
const enrolment = (unitId: string, startDate: string, endDate?: string) => ({
  enroledAt: { id: unitId },
  schoolType: 'GR',
  startDate,
  ...(endDate ? { endDate } : {}),
});
const person = (id: string, givenName: string, familyName: string, enrolments: unknown[], guardian?: string) => ({
  id,
  givenName,
  familyName,
  civicNo: { value: `20100101${id.slice(-4)}` },
  enrolments,
  ...(guardian ? { responsibles: [{ person: { id: guardian }, relationType: 'Vårdnadshavare' }] } : {}),
});

let app: Awaited<ReturnType<typeof createApp>>;
let reader: Ss12000Client;
let firstRead: Date;

/** Waits until the access log holds `rows` rows (each is committed before its response leaves; this only guards that). */
async function settle(rows: number) {
  const { ctx } = harness();
  for (let i = 0; i < 200; i++) {
    const n = await ctx.db
      .selectFrom('ss12000_access_log')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    if (Number(n.n) >= rows) break;
    await new Promise((r) => setTimeout(r, 20));
  }
}

const signIn = async (email: string) => {
  const c = harness().client();
  expect((await c.login(email, PASSWORD)).status).toBe(200);
  return c;
};
const endUser = async (login: string) => {
  const c = harness().client();
  const res = await c.post('/api/v1/my/session', { login, password: PASSWORD });
  expect(res.status).toBe(200);
  c.csrfToken = res.body.csrfToken;
  return c;
};
const report = async (c: TestClient, personId: string) => {
  const res = await c.get(`/api/v1/school/persons/${personId}/disclosures`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
};

beforeAll(async () => {
  const { ctx, url, clock } = harness();
  await ensureInstitutions(ctx, [A, B]);
  await ingestBatch(
    ctx,
    {
      upsert: {
        organisations: [unit(ID.unitA, A), unit(ID.unitB, B)],
        persons: [
          person(ID.gus, 'Gus', 'Andersson', []),
          person(ID.alice, 'Alice', 'Andersson', [enrolment(ID.unitA, '2025-08-15')], ID.gus),
          person(ID.bob, 'Bob', 'Berg', [enrolment(ID.unitB, '2025-08-15')]),
          person(ID.carl, 'Carl', 'Claesson', [enrolment(ID.unitB, '2025-08-15')]),
          person(ID.dana, 'Dana', 'Dahl', []),
        ],
        duties: [{ id: ID.danaDuty, person: { id: ID.dana }, dutyAt: { id: ID.unitA }, dutyRole: 'Lärare', startDate: '2024-08-01' }],
      } as never,
    },
    SYSTEM,
  );
  app = await createApp(ctx, { students: ['identity', 'civic_number'] });
  await grantAll(ctx, app.clientId, 'students', [A]);
  reader = new Ss12000Client(`${url}/ss12000/v2.0`, `${url}/oidc/token`, app.clientId, app.secret);
  firstRead = clock.now();
  const page = await reader.get('/persons?limit=100');
  expect(page.status).toBe(200);
  expect(page.body.data.map((p: { id: string }) => p.id)).toEqual([ID.alice]);
  // Organisations carry no person data: this read must not show up in anyone's report.
  expect((await reader.get('/organisations')).status).toBe(200);
  await settle(2);

  const year = currentSchoolYear(clock.now(), { start: ctx.config.SCHOOL_YEAR_START, timeZone: ctx.config.TZ });
  const adminA = await insertUser(ctx.db, {
    email: 'admin-a@skola.example',
    password: PASSWORD,
    displayName: 'Admin A',
    kind: 'school',
    userManagementAccess: true,
  });
  await insertAdminRight(ctx.db, { userId: adminA, right: 'iLeerlingen', institutionNumber: A, schoolYear: year });
  const adminB = await insertUser(ctx.db, {
    email: 'admin-b@skola.example',
    password: PASSWORD,
    displayName: 'Admin B',
    kind: 'school',
    userManagementAccess: true,
  });
  await insertAdminRight(ctx.db, { userId: adminB, right: 'iLeerlingen', institutionNumber: B, schoolYear: year });
  await insertUser(ctx.db, { email: 'operator@sis.example', password: PASSWORD, displayName: 'Operator', kind: 'operator' });
  await insertUser(ctx.db, { email: 'teacher@skola.example', password: PASSWORD, displayName: 'Teacher', kind: 'school' });
  await insertEndUserAccount(ctx.db, { personId: ID.alice, login: 'alice', password: PASSWORD });
  await insertEndUserAccount(ctx.db, { personId: ID.bob, login: 'bob', password: PASSWORD });
}, 120_000);

describe('disclosure report of a person', () => {
  it('lists the app and the categories released for a student of the granted institution', async () => {
    const body = await report(await signIn('admin-a@skola.example'), ID.alice);
    expect(body.person).toEqual({ id: ID.alice, displayName: 'Alice Andersson' });
    expect(body.institutions).toEqual([{ number: A, name: `Skola ${A}` }]);
    expect(body.apps).toHaveLength(1);
    expect(body.apps[0].app).toMatchObject({ id: app.appId, name: 'Läxhjälpen' });
    expect(body.apps[0].entries).toHaveLength(1);
    const entry = body.apps[0].entries[0];
    expect(entry).toMatchObject({ api: 'students', institution: { number: A }, requests: 1, endpoints: ['GET /persons'] });
    expect(new Date(entry.firstAt).getTime()).toBe(firstRead.getTime());
    expect(entry.grant).toMatchObject({ target: 'institution', active: true, revokedAt: null });
    expect(entry.categories.map((c: { category: string }) => c.category).sort()).toEqual(['civic_number', 'identity']);
  });

  it('is empty for a student only at an institution that was not read, and for staff under a students-only read', async () => {
    const operator = await signIn('operator@sis.example');
    expect((await report(operator, ID.bob)).apps).toEqual([]);
    expect((await report(operator, ID.dana)).apps).toEqual([]);
  });

  it('has no entry for a read made before the person moved to the institution, and one for a read after', async () => {
    const { ctx, clock } = harness();
    clock.set(new Date('2026-12-10T09:00:00Z'));
    const operator = await signIn('operator@sis.example');
    await ingestBatch(
      ctx,
      {
        upsert: {
          persons: [person(ID.carl, 'Carl', 'Claesson', [enrolment(ID.unitB, '2025-08-15', '2026-11-30'), enrolment(ID.unitA, '2026-12-01')])],
        } as never,
      },
      SYSTEM,
    );
    // Carl now relates to A, but was not there on the day of the read.
    expect((await report(operator, ID.carl)).apps).toEqual([]);
    await reader.fetchToken();
    const later = await reader.get('/persons?limit=100');
    expect(later.body.data.map((p: { id: string }) => p.id).sort()).toEqual([ID.alice, ID.carl].sort());
    await settle(3);
    const after = await report(operator, ID.carl);
    expect(after.apps).toHaveLength(1);
    expect(after.apps[0].entries[0]).toMatchObject({ requests: 1, institution: { number: A } });
    expect(new Date(after.apps[0].entries[0].firstAt).getTime()).toBe(clock.now().getTime());
  });

  it("finds persons at the admin's institutions only, and is a 404 for an admin of another institution", async () => {
    const adminA = await signIn('admin-a@skola.example');
    const found = await adminA.get('/api/v1/school/persons?q=ali');
    expect(found.status).toBe(200);
    expect(found.body.data).toEqual([{ id: ID.alice, displayName: 'Alice Andersson', roles: ['student'], institutions: [{ number: A, name: `Skola ${A}` }] }]);
    expect((await adminA.get('/api/v1/school/persons?q=bob')).body.data).toEqual([]);
    const adminB = await signIn('admin-b@skola.example');
    const res = await adminB.get(`/api/v1/school/persons/${ID.alice}/disclosures`);
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('person_not_found');
    expect((await (await signIn('teacher@skola.example')).get(`/api/v1/school/persons/${ID.alice}/disclosures`)).status).toBe(403);
  });

  it('shows the end user their own report only', async () => {
    const alice = await endUser('alice');
    const own = await alice.get('/api/v1/my/disclosures');
    expect(own.status).toBe(200);
    expect(own.body.person.id).toBe(ID.alice);
    expect(own.body.apps[0].entries[0].categories.length).toBe(2);
    expect(own.body.apps[0].clientId).toBeNull();
    const bob = await endUser('bob');
    const his = await bob.get('/api/v1/my/disclosures');
    expect(his.body.person.id).toBe(ID.bob);
    expect(his.body.apps).toEqual([]);
    // A staff session is no end-user session.
    expect((await (await signIn('operator@sis.example')).get('/api/v1/my/disclosures')).status).toBe(401);
  });

  it('rejects a reversed or overlong period naming the field', async () => {
    const adminA = await signIn('admin-a@skola.example');
    const reversed = await adminA.get(`/api/v1/school/persons/${ID.alice}/disclosures?from=2026-12-01&to=2026-11-01`);
    expect(reversed.status).toBe(400);
    expect(reversed.body.field).toBe('querystring.from');
    expect((await adminA.get(`/api/v1/school/persons/${ID.alice}/disclosures?from=2020-01-01&to=2026-11-01`)).status).toBe(400);
    // A period before the read has nothing.
    expect((await report(adminA, ID.alice)).apps).toHaveLength(1);
    const before = await adminA.get(`/api/v1/school/persons/${ID.alice}/disclosures?from=2026-01-01&to=2026-11-21`);
    expect(before.body.apps).toEqual([]);
  });

  it('says when the grant was revoked', async () => {
    const adminA = await signIn('admin-a@skola.example');
    const put = await adminA.put(`/api/v1/school/apps/${app.appId}/api-access/students`, {
      institutionNumbers: [],
      confirmRemoval: true,
      reason: 'end of contract',
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const entry = (await report(adminA, ID.alice)).apps[0].entries[0];
    expect(entry.grant).toMatchObject({ active: false, grantedAt: null, revokedBy: expect.stringContaining('Admin A') });
    expect(entry.grant.revokedAt).not.toBeNull();
  });

  it('counts a guardian only for reads that could release guardians', async () => {
    const { ctx, url } = harness();
    const operator = await signIn('operator@sis.example');
    // The first app may not read guardians: Alice's guardian was not released to it.
    expect((await report(operator, ID.gus)).apps).toEqual([]);
    const second = await createApp(ctx, { students: ['identity', 'guardians'] });
    await grantAll(ctx, second.clientId, 'students', [A]);
    const c = new Ss12000Client(`${url}/ss12000/v2.0`, `${url}/oidc/token`, second.clientId, second.secret);
    const page = await c.get('/persons?limit=100');
    expect(page.body.data.map((p: { id: string }) => p.id)).toContain(ID.gus);
    await settle(4);
    const body = await report(operator, ID.gus);
    expect(body.apps.map((a: { app: { id: string } }) => a.app.id)).toEqual([second.appId]);
    expect(body.apps[0].entries[0].categories.map((k: { category: string }) => k.category).sort()).toEqual(['guardians', 'identity']);
  });
});
