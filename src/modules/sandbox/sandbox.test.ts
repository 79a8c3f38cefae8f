import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness, type TestClient } from '../../../test/support/harness.ts';
import { Ss12000Client } from '../../../test/ss12000/support.ts';
import { generateWorld } from '../../generator/index.ts';
import { insertAdminRight, insertApp, insertGrant } from '../../seed/builders.ts';
import { systemActor } from '../audit/record.ts';
import { ingestBatch } from '../ss12000/ingest.ts';
import { importInstitutions, importRights } from '../sis/import.ts';
import { buildWorld, PASSWORD, SCHOOLS, type World } from '../school/test-world.ts';
import { createSandbox, SANDBOX_INSTITUTION, sandboxWorld } from './service.ts';

const harness = useHarness();
let world: World;
let op: TestClient;
const SANDBOX = SANDBOX_INSTITUTION.number;

const login = async (email: string) => {
  const c = harness().client();
  expect((await c.login(email, PASSWORD)).status).toBe(200);
  return c;
};
const auditActions = async () =>
  (
    await harness()
      .ctx.db.selectFrom('audit_log')
      .select('action')
      .where(sql<boolean>`institution_numbers @> ARRAY[${SANDBOX}]::text[]`)
      .orderBy('id')
      .execute()
  ).map((r) => r.action);

beforeAll(async () => {
  world = await buildWorld(harness().ctx.db);
  op = await login('op@informat.example');
}, 60_000);

describe('the developer sandbox', () => {
  it('generates the same school whatever the day: a few classes, pupils and staff at the sandbox institution', () => {
    const a = sandboxWorld('2026-11-22', harness().ctx.config.TZ);
    const b = sandboxWorld('2027-03-01', harness().ctx.config.TZ);
    expect(b.persons.map((p) => p.id)).toEqual(a.persons.map((p) => p.id));
    expect(b.groups.map((g) => g.id)).toEqual(a.groups.map((g) => g.id));
    const units = a.organisations.filter((o) => o.organisationType === 'Skolenhet');
    expect(units.map((u) => u.organisationCode)).toEqual([SANDBOX]);
    expect(a.groups.filter((g) => g.groupType === 'Klass').length).toBeGreaterThanOrEqual(2);
    expect(a.duties.length).toBeGreaterThanOrEqual(3);
    expect(a.persons.length).toBeGreaterThanOrEqual(36);
  });

  it('is created by the operator only, and then granted to every approved app at once', async () => {
    expect((await harness().client().post('/api/v1/operator/sandbox')).status).toBe(401);
    for (const email of ['paula@partner-a.example', 'anna@school.example'])
      expect((await (await login(email)).post('/api/v1/operator/sandbox')).status).toBe(403);
    expect((await op.get('/api/v1/operator/sandbox')).body).toEqual({ sandbox: null, removedAt: null });

    const res = await op.post('/api/v1/operator/sandbox');
    expect(res.status).toBe(200);
    // The approved apps with a client: StudyPlanner (students, staff) and BlueDries (students).
    expect(res.body.sandbox).toMatchObject({ institutionNumber: SANDBOX, clients: 2 });
    const fresh = await harness().ctx.db.selectFrom('grants').select(['api_code', 'institution_number']).where('client_id', '=', world.clients.fresh).execute();
    expect(fresh).toEqual([{ api_code: 'students', institution_number: SANDBOX }]);
    // Not the suspended app.
    const sleepy = await harness().ctx.db.selectFrom('grants').select('institution_number').where('client_id', '=', world.clients.suspended).execute();
    expect(sleepy.map((g) => g.institution_number)).not.toContain(SANDBOX);
    // Creating again changes nothing.
    expect((await op.post('/api/v1/operator/sandbox')).body.sandbox.grants).toBe(res.body.sandbox.grants);
  });

  it('lets an app read it with client credentials right after approval, marked as sandbox for the partner', async () => {
    const bert = await login('bert@partner-b.example');
    expect((await op.post(`/api/v1/operator/apps/${world.apps.submitted}/approve`, {})).status).toBe(200);
    const secret = await bert.post(`/api/v1/partner/apps/${world.apps.submitted}/client/secrets`);
    expect(secret.status).toBe(201);
    const c = new Ss12000Client(`${harness().url}/ss12000/v2.0`, `${harness().url}/oidc/token`, secret.body.clientId, secret.body.clientSecret, 'basic');
    const orgs = await c.get('/organisations');
    expect(orgs.status).toBe(200);
    expect(orgs.body.data.filter((o: any) => o.organisationType === 'Skolenhet').map((o: any) => o.organisationCode)).toEqual([SANDBOX]);
    const { items } = await c.crawl('/persons', 100);
    const expected = new Set(sandboxWorld('2026-11-22', harness().ctx.config.TZ).persons.map((p) => p.id));
    expect(items.length).toBeGreaterThan(10);
    for (const p of items) expect(expected.has(p.id)).toBe(true);

    const grants = await bert.get(`/api/v1/partner/apps/${world.apps.submitted}/grants`);
    expect(grants.body.data).toEqual([expect.objectContaining({ apiCode: 'students', institutionNumber: SANDBOX, sandbox: true })]);
    const me = await c.get('/../../api/v1/me/grants');
    expect(me.status).toBe(200);
    expect(me.body.data.map((g: any) => g.institution)).toEqual([{ number: SANDBOX, name: SANDBOX_INSTITUTION.name, sandbox: true }]);
    const dev = await bert.get('/api/v1/partner/developers');
    expect(dev.status).toBe(200);
    expect(dev.body.sandbox).toEqual({ institutionNumber: SANDBOX, name: SANDBOX_INSTITUTION.name });
    expect(dev.body.apps.find((a: any) => a.id === world.apps.submitted)).toMatchObject({ clientId: secret.body.clientId, sandboxApis: ['students'] });
    expect(dev.body.rateLimitPerMinute).toBeGreaterThan(0);
    expect(dev.body.oidcErrors.token.map((e: any) => e.code)).toContain('invalid_client');
    // The operator's access log marks the sandbox's reads as such.
    const daily = await op.get('/api/v1/access-log/daily');
    const sandboxRows = daily.body.data.filter((r: any) => r.institutionNumber === SANDBOX);
    expect(sandboxRows.length).toBeGreaterThan(0);
    expect(sandboxRows.every((r: any) => r.sandbox === true)).toBe(true);
    expect(daily.body.data.filter((r: any) => r.institutionNumber !== SANDBOX).every((r: any) => r.sandbox === false)).toBe(true);
    // The partner's app log says why the app can read.
    const log = await bert.get(`/api/v1/partner/apps/${world.apps.submitted}/log`);
    expect(log.body.data.map((e: any) => e.action)).toContain('grants.sandbox_granted');
  });

  it('serves school life too: a sandbox token reads lessons, attendance, absences and grades of the sandbox, and nothing of a real school', async () => {
    const h = harness();
    const TZ = h.ctx.config.TZ;
    // A real school's life beside the sandbox: a generated world at Hof van Nassau with lessons of
    // the week before the clock's day (2026-11-22, a Sunday), their attendance, absences and grades.
    const real = generateWorld({
      seed: 17_017,
      schools: 1,
      students: 24,
      institutionNumbers: [SCHOOLS.nassau],
      today: '2026-11-22',
      timetable: { timeZone: TZ, weeks: 1 },
      attendance: {},
      grades: true,
    });
    expect(real.attendances!.length).toBeGreaterThan(0);
    expect(real.grades!.length).toBeGreaterThan(0);
    await ingestBatch(h.ctx, { upsert: { ...real } }, systemActor);

    // An app asking for the school-life APIs (and Students: a pupil's records follow the pupil's release).
    const appId = await insertApp(h.ctx.db, {
      partnerId: world.partners.partnerB,
      name: 'SchoolLife',
      status: 'submitted',
      contactEmail: 'schoollife@driestech.example',
      apis: [
        { apiCode: 'students', dataCategories: ['identity'], purpose: 'Pupils per class' },
        { apiCode: 'timetable', dataCategories: ['identity'], purpose: 'The week of each class' },
        { apiCode: 'attendance', dataCategories: ['identity', 'absences'], purpose: 'Attendance per lesson' },
        { apiCode: 'grades', dataCategories: ['identity', 'grades'], purpose: 'Grades per term' },
      ],
      redirectUris: ['https://schoollife.example/callback'],
    });
    expect((await op.post(`/api/v1/operator/apps/${appId}/approve`, {})).status).toBe(200);
    const bert = await login('bert@partner-b.example');
    const secret = await bert.post(`/api/v1/partner/apps/${appId}/client/secrets`);
    expect(secret.status).toBe(201);
    const sandboxApis = await h.ctx.db
      .selectFrom('grants')
      .select('api_code')
      .where('client_id', '=', secret.body.clientId)
      .where('institution_number', '=', SANDBOX)
      .orderBy('api_code')
      .execute();
    expect(sandboxApis.map((g) => g.api_code)).toEqual(['attendance', 'grades', 'students', 'timetable']);
    // At the real school the app holds the Students API only: its pupils, never their school life.
    await insertGrant(h.ctx.db, { clientId: secret.body.clientId, apiCode: 'students', institutionNumber: SCHOOLS.nassau });

    const sandbox = sandboxWorld('2026-11-22', TZ);
    // A sandbox made before it held school life gets it at the next start: here its grades,
    // attendance and absences are gone from the store, as in a sandbox made before issue 17.
    const idsOf = (xs: { id: string }[] | undefined) => (xs ?? []).map((x) => x.id);
    await ingestBatch(
      h.ctx,
      { delete: { grades: idsOf(sandbox.grades), attendances: idsOf(sandbox.attendances), absences: idsOf(sandbox.absences) } },
      systemActor,
    );
    expect(await h.ctx.db.selectFrom('ss12000_grades').select('id').where('id', 'in', idsOf(sandbox.grades)).execute()).toEqual([]);
    expect(await createSandbox(h.ctx, systemActor, { atStart: true })).toEqual({ created: false });

    const c = new Ss12000Client(`${h.url}/ss12000/v2.0`, `${h.url}/oidc/token`, secret.body.clientId, secret.body.clientSecret, 'basic');
    const ids = (xs: { id: string }[] | undefined) => new Set((xs ?? []).map((x) => x.id));
    const read = async (path: string, inSandbox: Set<string>, inReal: Set<string>) => {
      const { items } = await c.crawl(path, 100);
      expect(items.length, path).toBeGreaterThan(0);
      for (const item of items) {
        expect(inSandbox.has(item.id), `${path} ${item.id} is the sandbox's`).toBe(true);
        expect(inReal.has(item.id), `${path} ${item.id} is the real school's`).toBe(false);
      }
      return items;
    };
    await read(
      '/calendarEvents?startTime.onOrAfter=2026-10-01T00:00:00Z&startTime.onOrBefore=2026-12-31T00:00:00Z',
      ids(sandbox.calendarEvents),
      ids(real.calendarEvents),
    );
    const attendances = await read('/attendances', ids(sandbox.attendances), ids(real.attendances));
    // A record of each pupil the sandbox reports, but never one of a pupil under protected identity.
    expect(attendances.length).toBeGreaterThan(sandbox.attendances!.length / 2);
    await read('/absences', ids(sandbox.absences), ids(real.absences));
    await read('/attendanceEvents', ids(sandbox.attendanceEvents), ids(real.attendanceEvents));
    await read('/attendanceSchedule', ids(sandbox.attendanceSchedules), ids(real.attendanceSchedules));
    const grades = await read('/grades', ids(sandbox.grades), ids(real.grades));
    // The grade itself is released (the app was approved for the category Grades).
    expect(grades.some((g: { gradeValue?: string }) => typeof g.gradeValue === 'string')).toBe(true);
    // The developer portal lists these operations: the data API's published document has them.
    const dev = await bert.get('/api/v1/partner/developers');
    const doc = (await (await fetch(dev.body.dataApiOpenApiUrl)).json()) as { paths: Record<string, { get?: unknown }> };
    for (const path of ['/calendarEvents', '/attendances', '/absences', '/attendanceEvents', '/attendanceSchedule', '/grades'])
      expect(doc.paths[path]?.get, path).toBeDefined();
    // The same token does read the real school's pupils: the sandbox's school life is granted, not leaked.
    const persons = await c.crawl('/persons', 100);
    expect(persons.items.some((p: { id: string }) => ids(real.persons).has(p.id))).toBe(true);
  });

  it('never appears in a school admin’s lists, not even with a right there, nor in the operator’s person search', async () => {
    await insertAdminRight(harness().ctx.db, { userId: world.users.anna, right: 'iLeerlingen', institutionNumber: SANDBOX, schoolYear: world.year });
    const anna = await login('anna@school.example');
    const apps = await anna.get('/api/v1/school/apps');
    expect(apps.status).toBe(200);
    // NewThing holds only its sandbox grant: no school of Anna's granted it.
    expect(apps.body.data.map((a: any) => a.name)).not.toContain('NewThing');
    const access = await anna.get('/api/v1/school/api-access');
    expect(access.status).toBe(200);
    expect(JSON.stringify(access.body)).not.toContain(SANDBOX);
    const page = await anna.get(`/api/v1/school/apps/${world.apps.fresh}/api-access`);
    expect(JSON.stringify(page.body)).not.toContain(SANDBOX);
    // The SIS cannot make anyone its admin, nor a school of its number.
    await harness().ctx.db.updateTable('users').set({ sis_user_id: 'anna-sis' }).where('id', '=', world.users.anna).execute();
    await expect(
      importRights(harness().ctx, [{ sisUserId: 'anna-sis', moduleRight: 'iBasis', institutionNumber: SANDBOX, schoolYear: world.year }]),
    ).rejects.toThrow(/developer sandbox/);
    await expect(importInstitutions(harness().ctx, [{ number: SANDBOX, name: 'Real school', activeFromYear: 2020 }])).rejects.toThrow(/developer sandbox/);
    expect((await harness().ctx.db.selectFrom('institutions').select(['name', 'sandbox']).where('number', '=', SANDBOX).executeTakeFirst())?.sandbox).toBe(
      true,
    );
    const someone = sandboxWorld('2026-11-22', harness().ctx.config.TZ).persons[0]!;
    const q = encodeURIComponent(someone.familyName);
    for (const reader of [anna, op]) {
      const hits = await reader.get(`/api/v1/school/persons?q=${q}`);
      expect(hits.status).toBe(200);
      expect(hits.body.data.map((h: any) => h.id)).not.toContain(someone.id);
    }
  });

  it('is removed by the operator with its grants: reads stop at the next request; not created again at start', async () => {
    const bert = await login('bert@partner-b.example');
    const secret = await bert.post(`/api/v1/partner/apps/${world.apps.submitted}/client/secrets`);
    const c = new Ss12000Client(`${harness().url}/ss12000/v2.0`, `${harness().url}/oidc/token`, secret.body.clientId, secret.body.clientSecret);
    expect((await c.get('/persons?limit=1')).status).toBe(200);

    expect((await (await login('paula@partner-a.example')).delete('/api/v1/operator/sandbox')).status).toBe(403);
    // Removed three days after it was made: what goes is the world it was made with (its lessons,
    // attendance and grades depend on that day), not the world of the day it is removed.
    const clock = harness().clock;
    const made = clock.now();
    clock.advanceDays(3);
    const res = await (await login('op@informat.example')).request('DELETE', '/api/v1/operator/sandbox', { reason: 'Sandbox retired' });
    clock.set(made);
    expect(res.status).toBe(200);
    // StudyPlanner's students and staff, BlueDries's and NewThing's students, SchoolLife's four APIs.
    expect(res.body).toMatchObject({ sandbox: null, removedGrants: 8 });
    expect(res.body.removedAt).toBeTruthy();

    const after = await c.get('/persons?limit=1');
    // The same token: no grant left anywhere, so nothing to see.
    expect(after.status).toBe(200);
    expect(after.body.data).toEqual([]);
    expect(await harness().ctx.db.selectFrom('grants').select('id').where('institution_number', '=', SANDBOX).execute()).toEqual([]);
    const left = await harness()
      .ctx.db.selectFrom('ss12000_persons')
      .select('id')
      .where(
        'id',
        'in',
        sandboxWorld('2026-11-22', harness().ctx.config.TZ).persons.map((p) => p.id),
      )
      .execute();
    expect(left).toEqual([]);
    // Its school life goes with it.
    const sandbox = sandboxWorld('2026-11-22', harness().ctx.config.TZ);
    for (const [table, rows] of [
      ['ss12000_calendar_events', sandbox.calendarEvents],
      ['ss12000_attendances', sandbox.attendances],
      ['ss12000_absences', sandbox.absences],
      ['ss12000_grades', sandbox.grades],
    ] as const) {
      const ids = (rows ?? []).map((r) => r.id);
      expect(ids.length, table).toBeGreaterThan(0);
      expect(await harness().ctx.db.selectFrom(table).select('id').where('id', 'in', ids).execute(), table).toEqual([]);
    }
    expect(await auditActions()).toEqual(expect.arrayContaining(['sandbox.created', 'grants.sandbox_granted', 'grants.sandbox_revoked', 'sandbox.removed']));
    const revoked = await bert.get(`/api/v1/partner/apps/${world.apps.submitted}/log`);
    expect(revoked.body.data.map((e: any) => e.action)).toContain('grants.sandbox_revoked');
    const again = await op.delete('/api/v1/operator/sandbox');
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ sandbox: null, removedGrants: 0 });

    expect(await createSandbox(harness().ctx, { id: null, label: 'start', kind: 'system' }, { atStart: true })).toEqual({ created: false });
  });
});
