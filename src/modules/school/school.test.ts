import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness, type TestClient } from '../../../test/support/harness.ts';
import { newId } from '../../lib/ids.ts';
import { insertAdminRight, insertUser } from '../../seed/builders.ts';
import { buildWorld, PASSWORD, SCHOOLS, type World } from './test-world.ts';

const harness = useHarness();
let world: World;
const clients: Record<string, TestClient> = {};

async function as(name: 'op' | 'anna' | 'piet' | 'ines' | 'otto' | 'tom' | 'nora' | 'paula'): Promise<TestClient> {
  if (!clients[name]) {
    const email = {
      op: 'op@informat.example',
      anna: 'anna@school.example',
      piet: 'piet@school.example',
      ines: 'ines@school.example',
      otto: 'otto@school.example',
      tom: 'tom@school.example',
      nora: 'nora@school.example',
      paula: 'paula@partner-a.example',
    }[name];
    const c = harness().client();
    expect((await c.login(email, PASSWORD)).status).toBe(200);
    clients[name] = c;
  }
  return clients[name];
}

/** An invitation of `appId` to `email` (an invitation opens the app only for its addressee). */
async function invite(appId: string, expiresAt: Date, email = 'anna@school.example'): Promise<string> {
  const token = `inv-${newId()}`;
  await harness()
    .ctx.db.insertInto('invitations')
    .values({ id: newId(), app_id: appId, email, token, expires_at: expiresAt, created_at: harness().clock.now() })
    .execute();
  return token;
}

const grantsOf = (clientId: string) =>
  harness()
    .ctx.db.selectFrom('grants')
    .select(['api_code', 'institution_number', 'access_group_id', 'granted_by', 'reason'])
    .where('client_id', '=', clientId)
    .orderBy('api_code')
    .orderBy('institution_number')
    .execute();

beforeAll(async () => {
  world = await buildWorld(harness().ctx.db);
});

describe('the gate of the school back-office', () => {
  const routes = () => [
    '/api/v1/school/apps',
    '/api/v1/school/api-access',
    `/api/v1/school/apps/${world.apps.planner}`,
    `/api/v1/school/apps/${world.apps.planner}/api-access`,
    `/api/v1/school/apps/${world.apps.planner}/log`,
    `/api/v1/school/clients/${world.clients.legacy}/api-access`,
  ];

  it('shows an ordinary SIS user (no user management) "no access" on every page, and nothing else', async () => {
    const tom = await as('tom');
    for (const path of routes()) {
      const res = await tom.get(path);
      expect(res.status, path).toBe(403);
      expect(res.body.code).toBe('no_access');
    }
    const put = await tom.put(`/api/v1/school/apps/${world.apps.planner}/api-access/students`, { institutionNumbers: [SCHOOLS.nassau] });
    expect(put.status).toBe(403);
    expect(put.body.code).toBe('no_access');
  });

  it('refuses anonymous visitors, partners and the operator', async () => {
    const anon = harness().client();
    expect((await anon.get('/api/v1/school/apps')).status).toBe(401);
    for (const who of ['paula', 'op'] as const) {
      const res = await (await as(who)).get('/api/v1/school/api-access');
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('school_only');
    }
  });
});

describe('Apps and API access tables', () => {
  it("lists only apps with grants on the admin's institutions, with the table's columns", async () => {
    const res = await (await as('anna')).get('/api/v1/school/apps');
    expect(res.status).toBe(200);
    expect(res.body.data.map((a: { name: string }) => a.name)).toEqual(['SleepyApp', 'StudyPlanner']);
    const planner = res.body.data.find((a: { name: string }) => a.name === 'StudyPlanner');
    expect(planner).toMatchObject({
      id: world.apps.planner,
      status: 'approved',
      partner: { id: world.partners.partnerA, name: 'CampusWise' },
      clientId: world.clients.planner,
      active: true,
      // Staff is granted on De Regenboog, which is not Anna's: her API column shows Students only.
      apis: [{ code: 'students', name: 'Students' }],
    });
    expect(planner.createdAt).toBeTypeOf('string');
    expect(planner.modifiedAt).toBeTypeOf('string');
    expect(res.body.data.find((a: { name: string }) => a.name === 'SleepyApp')).toMatchObject({ status: 'suspended', active: false });
  });

  it('filters and sorts the Apps table', async () => {
    const anna = await as('anna');
    const names = async (q: string) => (await anna.get(`/api/v1/school/apps?${q}`)).body.data.map((a: { name: string }) => a.name);
    expect(await names('status=approved')).toEqual(['StudyPlanner']);
    expect(await names('partner=DriesTech')).toEqual(['SleepyApp']);
    expect(await names(`partner=${world.partners.partnerA}`)).toEqual(['StudyPlanner']);
    expect(await names('q=study')).toEqual(['StudyPlanner']);
    expect(await names('api=staff')).toEqual([]);
    expect(await names('sort=name&order=desc')).toEqual(['StudyPlanner', 'SleepyApp']);
    const bad = await anna.get('/api/v1/school/apps?sort=colour');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'validation_failed', field: 'querystring.sort' });
  });

  it("lists the API access of the admin's institutions, legacy clients with an empty App, and never a secret", async () => {
    const res = await (await as('anna')).get('/api/v1/school/api-access');
    expect(res.status).toBe(200);
    const rows = res.body.data.map((r: any) => [r.api.name, r.institution?.label, r.app?.name ?? null, r.status, r.partner?.name ?? null]);
    expect(rows).toEqual(
      expect.arrayContaining([
        ['Students', '001057 - Hof van Nassau', 'SleepyApp', 'suspended', 'DriesTech'],
        ['Students', '001057 - Hof van Nassau', 'StudyPlanner', 'approved', 'CampusWise'],
        ['Students', '001073 - Basisschool Klim Op', null, null, null],
      ]),
    );
    expect(rows).toHaveLength(3);
    const legacyRow = res.body.data.find((r: any) => r.app === null);
    expect(legacyRow.client).toEqual({ id: world.clients.legacy, name: 'informat_customer_legacy' });
    const text = JSON.stringify(res.body);
    expect(text).not.toContain(world.clients.legacySecret);
    expect(text).not.toMatch(/secret|scope/i);
  });

  it('shows invoicing grants by access group to the invoicing admin only', async () => {
    const ines = await as('ines');
    expect((await ines.get('/api/v1/school/api-access')).body.data).toEqual([]);
    expect((await ines.get('/api/v1/school/apps')).body.data).toEqual([]);
  });
});

describe("an admin never sees other institutions' grants, apps or logs", () => {
  it('holds for every admin, every row and every app page', async () => {
    const rights: Record<string, { institutions: string[]; groups: string[] }> = {
      anna: { institutions: [SCHOOLS.nassau, SCHOOLS.klimop, SCHOOLS.zonnebloem], groups: [] },
      piet: { institutions: [SCHOOLS.regenboog], groups: [] },
      ines: { institutions: [], groups: [world.groupNorth] },
      otto: { institutions: [SCHOOLS.vlinder], groups: [world.groupSouth] },
      nora: { institutions: [], groups: [] },
    };
    // Give everyone something to (not) see: a change by each admin in their own scope.
    await (
      await as('piet')
    ).put(`/api/v1/school/apps/${world.apps.planner}/api-access/staff`, {
      institutionNumbers: [],
      confirmRemoval: true,
      reason: 'Staff data no longer needed',
    });
    const allApps = [world.apps.planner, world.apps.fresh, world.apps.suspended, world.apps.submitted];
    // An accredited (approved) app opens for every admin, to be enabled without an invitation (issue 14).
    const accredited = [world.apps.planner, world.apps.fresh];
    for (const [name, scope] of Object.entries(rights)) {
      const c = await as(name as 'anna');
      const access = (await c.get('/api/v1/school/api-access')).body.data;
      for (const row of access) {
        if (row.institution) expect(scope.institutions, name).toContain(row.institution.number);
        if (row.accessGroup) expect(scope.groups, name).toContain(row.accessGroup.id);
      }
      const listed = (await c.get('/api/v1/school/apps')).body.data.map((a: { id: string }) => a.id);
      for (const appId of allApps) {
        const page = await c.get(`/api/v1/school/apps/${appId}`);
        expect(page.status, `${name} ${appId}`).toBe(listed.includes(appId) || accredited.includes(appId) ? 200 : 404);
        const tab = await c.get(`/api/v1/school/apps/${appId}/api-access`);
        if (tab.status === 200) {
          for (const api of tab.body.data) {
            for (const t of [...api.granted, ...api.available]) {
              if (t.institutionNumber) expect(scope.institutions, name).toContain(t.institutionNumber);
              if (t.accessGroupId) expect(scope.groups, name).toContain(t.accessGroupId);
            }
          }
        }
        const log = await c.get(`/api/v1/school/apps/${appId}/log`);
        if (log.status === 200) {
          for (const entry of log.body.data) {
            for (const ch of entry.changes) {
              if (ch.institutionNumber) expect(scope.institutions, name).toContain(ch.institutionNumber);
              if (ch.accessGroupId) expect(scope.groups, name).toContain(ch.accessGroupId);
            }
          }
        }
      }
    }
    // Piet's change is in his audit log, and in nobody else's view of the school world.
    const pietAudit = (await (await as('piet')).get('/api/v1/audit-log')).body.data;
    expect(pietAudit.filter((e: any) => e.reason === 'Staff data no longer needed')).toHaveLength(1);
    // Having removed the last staff grant on his school, the app has left Piet's Apps list (its page stays open: it is accredited).
    expect((await (await as('piet')).get('/api/v1/school/apps')).body.data.map((a: { id: string }) => a.id)).not.toContain(world.apps.planner);
    const annaLog = (await (await as('anna')).get(`/api/v1/school/apps/${world.apps.planner}/log`)).body.data;
    expect(annaLog.filter((e: any) => e.reason === 'Staff data no longer needed')).toEqual([]);
    const otto = await (await as('otto')).get('/api/v1/audit-log');
    expect(otto.body.data.filter((e: any) => e.reason === 'Staff data no longer needed')).toEqual([]);
  });
});

describe('the app page: General, API access', () => {
  it('shows the General tab read-only', async () => {
    const res = await (await as('anna')).get(`/api/v1/school/apps/${world.apps.planner}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name: 'StudyPlanner',
      partner: { name: 'CampusWise' },
      client: { id: world.clients.planner, name: 'StudyPlanner' },
      active: true,
      apis: [{ code: 'students' }, { code: 'staff' }, { code: 'invoices' }],
      contactEmail: 'planner@campuswise.example',
    });
  });

  it('gives per API the two lists, or the reason editing is disabled with the right needed', async () => {
    const res = await (await as('anna')).get(`/api/v1/school/apps/${world.apps.planner}/api-access`);
    expect(res.status).toBe(200);
    const [students, staff, invoices] = res.body.data;
    expect(students).toMatchObject({ apiCode: 'students', editable: true, notEditableReason: null });
    // The closed school (rights on it still exist) is not offered: not active this school year.
    expect(students.available.map((t: any) => t.institutionNumber)).toEqual([SCHOOLS.klimop, SCHOOLS.zonnebloem]);
    expect(students.granted).toEqual([
      { institutionNumber: SCHOOLS.nassau, accessGroupId: null, name: 'Hof van Nassau', changeable: true, accessLevel: 'read' },
    ]);
    // The app asked to read only: the editor offers no read-write.
    expect(students.requestedAccessLevel).toBe('read');
    expect(staff).toMatchObject({ editable: false, notEditableReason: 'insufficient_rights', requiredRights: ['iPersoneel'], granted: [] });
    expect(invoices).toMatchObject({ editable: false, notEditableReason: 'insufficient_rights', requiredRights: ['invoicing_admin'] });

    const sleepy = await (await as('anna')).get(`/api/v1/school/apps/${world.apps.suspended}/api-access`);
    expect(sleepy.body.data[0]).toMatchObject({ editable: false, notEditableReason: 'app_not_approved' });

    const ines = await (
      await as('ines')
    ).get(
      `/api/v1/school/apps/${world.apps.planner}/api-access?invitation=${await invite(world.apps.planner, new Date('2026-12-01T00:00:00Z'), 'ines@school.example')}`,
    );
    expect(ines.status).toBe(200);
    expect(ines.body.data[2]).toMatchObject({
      apiCode: 'invoices',
      editable: true,
      available: [{ institutionNumber: null, accessGroupId: world.groupNorth, name: 'Rekeningen Noord' }],
    });
  });

  it('shows a legacy client read-only with reason client_without_app', async () => {
    const anna = await (await as('anna')).get(`/api/v1/school/clients/${world.clients.legacy}/api-access`);
    expect(anna.status).toBe(200);
    expect(anna.body.data).toEqual([
      expect.objectContaining({
        apiCode: 'students',
        editable: false,
        notEditableReason: 'client_without_app',
        granted: [{ institutionNumber: SCHOOLS.klimop, accessGroupId: null, name: 'Basisschool Klim Op', changeable: false, accessLevel: 'read' }],
        available: [],
      }),
    ]);
    const otto = await (await as('otto')).get(`/api/v1/school/clients/${world.clients.legacy}/api-access`);
    expect(otto.body.data.map((a: any) => a.apiCode)).toEqual(['staff']);
    const refused = await (
      await as('anna')
    ).put(`/api/v1/school/clients/${world.clients.legacy}/api-access/students`, {
      institutionNumbers: [SCHOOLS.klimop, SCHOOLS.nassau],
    });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('client_without_app');
    expect((await (await as('piet')).get(`/api/v1/school/clients/${world.clients.legacy}/api-access`)).status).toBe(404);
  });
});

describe('editing grants: refusals', () => {
  const put = async (who: 'anna' | 'otto' | 'ines', appId: string, api: string, body: unknown, query = '') =>
    (await as(who)).put(`/api/v1/school/apps/${appId}/api-access/${api}${query}`, body);

  it('refuses an app that is not approved', async () => {
    const res = await put('anna', world.apps.suspended, 'students', { institutionNumbers: [SCHOOLS.nassau] });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'app_not_approved', status: 409, appStatus: 'suspended' });
  });

  it('refuses an API the admin holds no right for, naming the rights needed', async () => {
    const res = await put('anna', world.apps.planner, 'staff', { institutionNumbers: [] });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'insufficient_rights', requiredRights: ['iPersoneel'] });
    const inv = await put('anna', world.apps.planner, 'invoices', { accessGroupIds: [world.groupNorth] });
    expect(inv.body).toMatchObject({ code: 'insufficient_rights', requiredRights: ['invoicing_admin'] });
  });

  it("refuses an institution outside the admin's rights, naming it", async () => {
    const res = await put('anna', world.apps.planner, 'students', { institutionNumbers: [SCHOOLS.nassau, SCHOOLS.vlinder] });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'institution_outside_rights', field: 'body.institutionNumbers.1', institutionNumber: SCHOOLS.vlinder });
    const closed = await put('anna', world.apps.planner, 'students', { institutionNumbers: [SCHOOLS.closed] });
    expect(closed.body).toMatchObject({ code: 'institution_outside_rights', institutionNumber: SCHOOLS.closed });
    const group = await put('otto', world.apps.planner, 'invoices', { accessGroupIds: [world.groupNorth] });
    expect(group.status).toBe(403);
    expect(group.body).toMatchObject({ code: 'institution_outside_rights', field: 'body.accessGroupIds.0', accessGroupId: world.groupNorth });
  });

  it('refuses an API the app did not ask for', async () => {
    const token = await invite(world.apps.fresh, new Date('2026-12-20T00:00:00Z'));
    const res = await put('anna', world.apps.fresh, 'pre_enrolments', { institutionNumbers: [SCHOOLS.nassau] }, `?invitation=${token}`);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'api_not_requested', field: 'params.apiCode' });
    const unknown = await put('anna', world.apps.planner, 'weather', { institutionNumbers: [] });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('api_not_found');
  });

  it('refuses to remove access without confirmation, naming what would lose access, and changes nothing', async () => {
    const before = await grantsOf(world.clients.planner);
    const res = await put('anna', world.apps.planner, 'students', { institutionNumbers: [SCHOOLS.klimop] });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'removal_not_confirmed', institutionNumbers: [SCHOOLS.nassau] });
    expect(await grantsOf(world.clients.planner)).toEqual(before);
  });

  it('refuses bad input with a 400 naming the field', async () => {
    const wrongKind = await put('anna', world.apps.planner, 'students', { accessGroupIds: [world.groupNorth] });
    expect(wrongKind.status).toBe(400);
    expect(wrongKind.body).toMatchObject({ code: 'wrong_grant_target', field: 'body.accessGroupIds' });
    const missing = await put('anna', world.apps.planner, 'students', { reason: 'nothing' });
    expect(missing.body).toMatchObject({ code: 'grant_targets_missing', field: 'body.institutionNumbers' });
    const malformed = await put('anna', world.apps.planner, 'students', { institutionNumbers: ['12'] });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ code: 'validation_failed', field: 'body.institutionNumbers.0' });
    const notUuid = await (await as('anna')).get('/api/v1/school/apps/not-a-uuid');
    expect(notUuid.status).toBe(400);
    expect(notUuid.body.field).toBe('params.appId');
  });

  it('opens an accredited app without an invitation, hides an unaccredited one, and checks an invitation link that is given', async () => {
    const anna = await as('anna');
    expect((await anna.get(`/api/v1/school/apps/${world.apps.fresh}`)).status).toBe(200);
    const hidden = await anna.get(`/api/v1/school/apps/${world.apps.submitted}`);
    expect(hidden.status).toBe(404);
    expect(hidden.body.code).toBe('app_not_found');
    expect((await anna.get(`/api/v1/school/apps/${world.apps.fresh}?invitation=wrong-token`)).status).toBe(404);
    // A valid token of another app does not open this one.
    const other = await invite(world.apps.planner, new Date('2026-12-20T00:00:00Z'));
    expect((await anna.get(`/api/v1/school/apps/${world.apps.fresh}?invitation=${other}`)).status).toBe(404);
    const expired = await invite(world.apps.fresh, new Date('2026-11-22T09:59:59Z'));
    const res = await anna.get(`/api/v1/school/apps/${world.apps.fresh}?invitation=${expired}`);
    expect(res.status).toBe(410);
    expect(res.body.code).toBe('invitation_expired');
    const putExpired = await put('anna', world.apps.fresh, 'students', { institutionNumbers: [SCHOOLS.nassau] }, `?invitation=${expired}`);
    expect(putExpired.status).toBe(410);
    expect(await grantsOf(world.clients.fresh)).toEqual([]);
    expect((await anna.get(`/api/v1/school/apps/${world.apps.fresh}/log?invitation=${expired}`)).status).toBe(410);
  });

  it('opens an invitation only for its addressee: another admin gets 403 invitation_for_another_address and changes nothing', async () => {
    // The partner invites Anna through its API; Lena, admin of another school with the right the
    // students API needs, is handed the same link (a forwarded mail).
    const bert = harness().client();
    expect((await bert.login('bert@partner-b.example', PASSWORD)).status).toBe(200);
    const sent = await bert.post(`/api/v1/partner/apps/${world.apps.fresh}/invitations`, { emails: ['anna@school.example'] });
    expect(sent.status).toBe(201);
    const token = new URL(sent.body.data[0].link).searchParams.get('invitation')!;
    const db = harness().ctx.db;
    const lenaId = await insertUser(db, {
      email: 'lena@school.example',
      password: PASSWORD,
      displayName: 'Lena Other',
      kind: 'school',
      userManagementAccess: true,
    });
    await insertAdminRight(db, { userId: lenaId, right: 'iLeerlingen', institutionNumber: SCHOOLS.vlinder, schoolYear: 2026 });
    const lena = harness().client();
    expect((await lena.login('lena@school.example', PASSWORD)).status).toBe(200);
    const audit = async () => (await db.selectFrom('audit_log').select('id').execute()).length;
    const auditBefore = await audit();

    for (const path of ['', '/api-access', '/log']) {
      const res = await lena.get(`/api/v1/school/apps/${world.apps.fresh}${path}?invitation=${token}`);
      expect(res.status, path).toBe(403);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 403, code: 'invitation_for_another_address' });
      expect(res.body.detail ?? res.body.title).not.toContain('anna');
    }
    const put = await lena.put(`/api/v1/school/apps/${world.apps.fresh}/api-access/students?invitation=${token}`, { institutionNumbers: [SCHOOLS.vlinder] });
    expect(put.status).toBe(403);
    expect(put.body.code).toBe('invitation_for_another_address');
    expect(await grantsOf(world.clients.fresh)).toEqual([]);
    expect(await audit()).toBe(auditBefore);
    // Whether someone else's link has expired is not hers to learn either.
    const expired = await invite(world.apps.fresh, new Date('2026-11-01T00:00:00Z'));
    expect((await lena.get(`/api/v1/school/apps/${world.apps.fresh}?invitation=${expired}`)).body.code).toBe('invitation_for_another_address');

    // The addressee opens it (any case of her address).
    const anna = await as('anna');
    const page = await anna.get(`/api/v1/school/apps/${world.apps.fresh}?invitation=${token}`);
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ name: 'BlueDries' });
    expect((await anna.get(`/api/v1/school/apps/${world.apps.fresh}/api-access?invitation=${token}`)).status).toBe(200);
    const upper = await invite(world.apps.fresh, new Date('2026-12-20T00:00:00Z'), 'Anna@School.Example');
    expect((await anna.get(`/api/v1/school/apps/${world.apps.fresh}?invitation=${upper}`)).status).toBe(200);
  });
});

describe('editing grants: effects', () => {
  it("grants through an invitation at once, then the app is in the admin's lists without it", async () => {
    const anna = await as('anna');
    const token = await invite(world.apps.fresh, new Date('2026-12-20T00:00:00Z'));
    const page = await anna.get(`/api/v1/school/apps/${world.apps.fresh}?invitation=${token}`);
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ name: 'BlueDries', partner: { name: 'DriesTech' } });
    const res = await anna.put(`/api/v1/school/apps/${world.apps.fresh}/api-access/students?invitation=${token}`, {
      institutionNumbers: [SCHOOLS.nassau, SCHOOLS.klimop],
      reason: 'Pilot for two schools',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ changed: true, removed: [] });
    expect(res.body.added.map((t: any) => t.institutionNumber)).toEqual([SCHOOLS.nassau, SCHOOLS.klimop]);
    expect(await grantsOf(world.clients.fresh)).toEqual(
      [
        { api_code: 'students', institution_number: SCHOOLS.nassau, access_group_id: null, granted_by: world.users.anna, reason: 'Pilot for two schools' },
        { api_code: 'students', institution_number: SCHOOLS.klimop, access_group_id: null, granted_by: world.users.anna, reason: 'Pilot for two schools' },
      ].sort((a, b) => a.institution_number.localeCompare(b.institution_number)),
    );
    expect((await anna.get(`/api/v1/school/apps/${world.apps.fresh}`)).status).toBe(200);
    expect((await anna.get('/api/v1/school/apps')).body.data.map((a: any) => a.name)).toContain('BlueDries');
  });

  it("replaces the set within the admin's scope only, audits before/after, mails the app, shows it in the log", async () => {
    const anna = await as('anna');
    const res = await anna.put(`/api/v1/school/apps/${world.apps.planner}/api-access/students`, {
      institutionNumbers: [SCHOOLS.klimop, SCHOOLS.zonnebloem],
      reason: 'Moved the pilot',
      confirmRemoval: true,
    });
    expect(res.status).toBe(200);
    expect(res.body.removed.map((t: any) => t.institutionNumber)).toEqual([SCHOOLS.nassau]);
    const students = (await grantsOf(world.clients.planner)).filter((g) => g.api_code === 'students').map((g) => g.institution_number);
    // Otto's grant on De Vlinder is outside Anna's scope and stays.
    expect(students.sort()).toEqual([SCHOOLS.klimop, SCHOOLS.zonnebloem, SCHOOLS.vlinder].sort());

    const audit = await harness()
      .ctx.db.selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'grants.replaced')
      .where('app_id', '=', world.apps.planner)
      .where('actor_user_id', '=', world.users.anna)
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actor_kind: 'school',
      partner_id: world.partners.partnerA,
      client_id: world.clients.planner,
      reason: 'Moved the pilot',
      before: { apiCode: 'students', institutionNumbers: [SCHOOLS.nassau] },
      after: { apiCode: 'students', institutionNumbers: [SCHOOLS.klimop, SCHOOLS.zonnebloem] },
    });
    expect([...audit[0]!.institution_numbers].sort()).toEqual([SCHOOLS.nassau, SCHOOLS.klimop, SCHOOLS.zonnebloem].sort());

    const mail = await harness()
      .ctx.db.selectFrom('mail_outbox')
      .selectAll()
      .where('template', '=', 'grants_changed')
      .where('to_address', '=', 'planner@campuswise.example')
      .where('body_text', 'like', '%Moved the pilot%')
      .execute();
    expect(mail).toHaveLength(1);
    expect(mail[0]!.body_text).toContain('001057 - Hof van Nassau');
    expect(mail[0]!.body_text).toContain('Moved the pilot');

    const log = await anna.get(`/api/v1/school/apps/${world.apps.planner}/log`);
    expect(log.status).toBe(200);
    expect(log.body.data[0]).toMatchObject({
      actor: 'Anna Admin <anna@school.example>',
      action: 'grants.replaced',
      reason: 'Moved the pilot',
    });
    expect(log.body.data[0].changes).toEqual(
      expect.arrayContaining([
        { change: 'added', apiCode: 'students', institutionNumber: SCHOOLS.klimop, accessGroupId: null },
        { change: 'added', apiCode: 'students', institutionNumber: SCHOOLS.zonnebloem, accessGroupId: null },
        { change: 'removed', apiCode: 'students', institutionNumber: SCHOOLS.nassau, accessGroupId: null },
      ]),
    );
    // Otto still sees the app (his grant) but not Anna's change: it touched none of his schools.
    const ottoLog = await (await as('otto')).get(`/api/v1/school/apps/${world.apps.planner}/log`);
    expect(ottoLog.status).toBe(200);
    expect(ottoLog.body.data).toEqual([]);
  });

  it('saving the same set again changes nothing and writes no audit row', async () => {
    const count = async () =>
      Number(
        (
          await harness()
            .ctx.db.selectFrom('audit_log')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await count();
    const res = await (
      await as('anna')
    ).put(`/api/v1/school/apps/${world.apps.planner}/api-access/students`, {
      institutionNumbers: [SCHOOLS.zonnebloem, SCHOOLS.klimop],
    });
    expect(res.status).toBe(200);
    expect(res.body.changed).toBe(false);
    expect(await count()).toBe(before);
  });

  it('lets the invoicing admin grant an access group', async () => {
    const token = await invite(world.apps.planner, new Date('2026-12-20T00:00:00Z'), 'ines@school.example');
    const res = await (
      await as('ines')
    ).put(`/api/v1/school/apps/${world.apps.planner}/api-access/invoices?invitation=${token}`, {
      accessGroupIds: [world.groupNorth],
    });
    expect(res.status).toBe(200);
    expect((await grantsOf(world.clients.planner)).filter((g) => g.api_code === 'invoices')).toEqual([
      expect.objectContaining({ access_group_id: world.groupNorth, institution_number: null }),
    ]);
    const rows = (await (await as('ines')).get('/api/v1/school/api-access')).body.data;
    expect(rows).toEqual([expect.objectContaining({ institution: null, accessGroup: { id: world.groupNorth, name: 'Rekeningen Noord' } })]);
    // Otto, invoicing admin of the other group, does not see it.
    const otto = (await (await as('otto')).get('/api/v1/school/api-access')).body.data;
    expect(otto.filter((r: any) => r.accessGroup)).toEqual([]);
  });
});

describe('the school year boundary', () => {
  it('counts 2025 rights on 31 August 2026 and not on 1 September 2026 (Europe/Brussels)', async () => {
    const db = harness().ctx.db;
    const sam = await insertUser(db, {
      email: 'sam@school.example',
      password: PASSWORD,
      displayName: 'Sam Summer',
      kind: 'school',
      userManagementAccess: true,
    });
    await insertAdminRight(db, { userId: sam, right: 'iLeerlingen', institutionNumber: SCHOOLS.klimop, schoolYear: 2025 });
    const c = harness().client();
    await c.login('sam@school.example', PASSWORD);
    const clock = harness().clock;
    const saved = clock.now();
    try {
      clock.set('2026-08-31T21:59:00Z'); // 23:59 in Brussels
      const summer = await c.get('/api/v1/school/api-access');
      expect(summer.body.data.map((r: any) => r.institution.number)).toContain(SCHOOLS.klimop);
      clock.set('2026-08-31T22:00:00Z'); // 00:00 on 1 September in Brussels
      const autumn = await c.get('/api/v1/school/api-access');
      expect(autumn.status).toBe(200);
      expect(autumn.body.data).toEqual([]);
      // Nora's rights are for school year 2027: nothing yet ...
      const nora = await (await as('nora')).get('/api/v1/school/api-access');
      expect(nora.body.data).toEqual([]);
      // ... until 1 September 2027 (a new sign-in: the old session has expired by then).
      clock.set('2027-09-01T08:00:00Z');
      const later = harness().client();
      await later.login('nora@school.example', PASSWORD);
      const nextYear = await later.get('/api/v1/school/api-access');
      expect(nextYear.body.data.map((r: any) => r.institution.number)).toContain(SCHOOLS.nassau);
    } finally {
      clock.set(saved);
    }
  });
});
