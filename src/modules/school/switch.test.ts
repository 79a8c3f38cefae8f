/**
 * Magister's flow (issue 14, seed 000): a school admin finds an accredited app, enables it without
 * an invitation, and switches it off and on again for their institutions — suspending exactly the
 * grants it held there, restoring exactly those, logged and mailed to the partner. And informed
 * grants: what the app was approved for, in the reader's language.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../../../test/support/harness.ts';
import { insertAdminRight, insertApp, insertClient, insertGrant, insertUser } from '../../seed/builders.ts';
import { buildWorld, PASSWORD, SCHOOLS, sessionsOf, type World } from './test-world.ts';

const harness = useHarness();
let world: World;
let bilingual: { appId: string; clientId: string };
const as = sessionsOf(harness);
const anna = () => as('anna@school.example');
const otto = () => as('otto@school.example');

/** Every grant of a client, as "api target" strings with the grant's id: to compare exactly what came back. */
const grantsOf = async (clientId: string) =>
  (
    await harness()
      .ctx.db.selectFrom('grants')
      .select(['id', 'api_code', 'institution_number', 'access_group_id', 'granted_by', 'granted_at'])
      .where('client_id', '=', clientId)
      .execute()
  )
    .map((g) => `${g.api_code} ${g.institution_number ?? g.access_group_id} ${g.id} ${g.granted_by ?? '-'} ${new Date(g.granted_at).toISOString()}`)
    .sort();
const auditOf = (action: string, clientId: string) =>
  harness().ctx.db.selectFrom('audit_log').selectAll().where('action', '=', action).where('client_id', '=', clientId).orderBy('id').execute();
const mailsOf = (template: string, to: string) =>
  harness().ctx.db.selectFrom('mail_outbox').selectAll().where('template', '=', template).where('to_address', '=', to).orderBy('created_at').execute();

beforeAll(async () => {
  const db = harness().ctx.db;
  world = await buildWorld(db);
  // An accredited app whose partner wrote its purpose in English and Dutch, not in French.
  const appId = await insertApp(db, {
    partnerId: world.partners.partnerB,
    name: 'Tweetalig',
    status: 'approved',
    contactEmail: 'tweetalig@driestech.example',
    apis: [{ apiCode: 'students', dataCategories: ['identity', 'photo'], purposes: { en: 'Class photos', nl: 'Klasfoto’s' } }],
  });
  bilingual = { appId, clientId: (await insertClient(db, { appId, name: 'Tweetalig' })).clientId };
  for (const [email, language] of [
    ['nadia@school.example', 'nl'],
    ['fanny@school.example', 'fr'],
  ] as const) {
    const id = await insertUser(db, { email, password: PASSWORD, displayName: email, kind: 'school', userManagementAccess: true, language });
    await insertAdminRight(db, { userId: id, right: 'iLeerlingen', institutionNumber: SCHOOLS.klimop, schoolYear: world.year });
  }
});

describe('the accredited apps list', () => {
  it('lists every approved app with partner, APIs, approved data categories, purposes and accreditation date; nothing else', async () => {
    const res = await (await anna()).get('/api/v1/school/accredited-apps');
    expect(res.status).toBe(200);
    expect(res.body.data.map((a: { name: string }) => a.name)).toEqual(['BlueDries', 'StudyPlanner', 'Tweetalig']);
    const planner = res.body.data.find((a: { name: string }) => a.name === 'StudyPlanner');
    expect(planner).toMatchObject({
      id: world.apps.planner,
      partner: { id: world.partners.partnerA, name: 'CampusWise' },
      apis: [
        { code: 'students', name: 'Students', dataCategories: ['identity', 'birth_date'], purpose: 'Plan homework per class' },
        { code: 'staff', name: 'Staff', dataCategories: ['identity'], purpose: 'Show the teacher of each subject' },
        { code: 'invoices', name: 'Invoices', dataCategories: ['identity', 'invoices'], purpose: 'Show open invoices to parents' },
      ],
      // Anna's students grant on Nassau is live.
      switch: { state: 'on', lastChange: null },
    });
    expect(Date.parse(planner.approvedAt)).not.toBeNaN();
    expect(res.body.data.find((a: { name: string }) => a.name === 'BlueDries').switch.state).toBe('not_granted');
  });

  it('searches names, partners, purposes and data categories, and filters by API', async () => {
    const names = async (q: string) => (await (await anna()).get(`/api/v1/school/accredited-apps?${q}`)).body.data.map((a: { name: string }) => a.name);
    expect(await names('q=attendance')).toEqual(['BlueDries']);
    expect(await names('q=campuswise')).toEqual(['StudyPlanner']);
    expect(await names('q=birth_date')).toEqual(['StudyPlanner']);
    expect(await names('q=klasfoto')).toEqual(['Tweetalig']);
    expect(await names('api=invoices')).toEqual(['StudyPlanner']);
    expect(await names('q=nothing-like-this')).toEqual([]);
    const bad = await (await anna()).get(`/api/v1/school/accredited-apps?q=${'x'.repeat(201)}`);
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('querystring.q');
  });

  it("shows each purpose in the reader's language where the partner gave it, else in another given one", async () => {
    const purposeFor = async (email: string) =>
      (await (await as(email)).get('/api/v1/school/accredited-apps?q=tweetalig')).body.data[0].apis[0] as { purpose: string; purposes: object };
    expect((await purposeFor('nadia@school.example')).purpose).toBe('Klasfoto’s');
    expect((await purposeFor('fanny@school.example')).purpose).toBe('Class photos');
    expect((await purposeFor('anna@school.example')).purposes).toEqual({ en: 'Class photos', nl: 'Klasfoto’s' });
  });
});

describe('informed grants: the app page and the grant editor', () => {
  it('show per API the approved data categories and purpose, and the accreditation date and notes', async () => {
    const nadia = await as('nadia@school.example');
    const page = await nadia.get(`/api/v1/school/apps/${bilingual.appId}`);
    expect(page.status).toBe(200);
    expect(page.body.apis).toEqual([
      { code: 'students', name: 'Students', dataCategories: ['identity', 'photo'], purposes: { en: 'Class photos', nl: 'Klasfoto’s' }, purpose: 'Klasfoto’s' },
    ]);
    expect(page.body.accreditation.notes).toBe('Seeded');
    expect(Date.parse(page.body.accreditation.approvedAt)).not.toBeNaN();
    const editor = await nadia.get(`/api/v1/school/apps/${bilingual.appId}/api-access`);
    expect(editor.body.data[0]).toMatchObject({ apiCode: 'students', dataCategories: ['identity', 'photo'], purpose: 'Klasfoto’s', editable: true });
  });
});

describe('enabling an accredited app without an invitation', () => {
  it('opens the page and the same grant editor, grants at once, and the app joins the Apps list switched on', async () => {
    const a = await anna();
    expect((await a.get('/api/v1/school/apps')).body.data.map((x: { name: string }) => x.name)).not.toContain('BlueDries');
    const editor = await a.get(`/api/v1/school/apps/${world.apps.fresh}/api-access`);
    expect(editor.status).toBe(200);
    expect(editor.body.data[0]).toMatchObject({ apiCode: 'students', editable: true, granted: [] });
    const put = await a.put(`/api/v1/school/apps/${world.apps.fresh}/api-access/students`, {
      institutionNumbers: [SCHOOLS.nassau],
      reason: 'Attendance pilot',
    });
    expect(put.status).toBe(200);
    expect((await grantsOf(world.clients.fresh)).map((g) => g.split(' ').slice(0, 2).join(' '))).toEqual([`students ${SCHOOLS.nassau}`]);
    const row = (await a.get('/api/v1/school/apps')).body.data.find((x: { name: string }) => x.name === 'BlueDries');
    expect(row.switch.state).toBe('on');
    // A school admin still cannot grant what their rights do not cover.
    const outside = await a.put(`/api/v1/school/apps/${world.apps.fresh}/api-access/students`, { institutionNumbers: [SCHOOLS.vlinder] });
    expect(outside.status).toBe(403);
    expect(outside.body.code).toBe('institution_outside_rights');
  });
});

describe('switching an app off and on for my institutions', () => {
  it('suspends exactly the grants in my institutions, keeps another school’s, and restores exactly those', async () => {
    const a = await anna();
    const before = await grantsOf(world.clients.planner);
    const mine = before.filter((g) => g.includes(` ${SCHOOLS.nassau} `));
    const others = before.filter((g) => !g.includes(` ${SCHOOLS.nassau} `));
    expect(mine).toHaveLength(1);
    expect(others.length).toBeGreaterThanOrEqual(2); // Vlinder (Otto's) and De Regenboog (Piet's)

    const off = await a.put(`/api/v1/school/apps/${world.apps.planner}/switch`, { on: false, reason: 'Privacy review by the board' });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ on: false, grants: [{ apiCode: 'students', institutionNumber: SCHOOLS.nassau, name: 'Hof van Nassau' }] });
    expect(await grantsOf(world.clients.planner)).toEqual(others);

    // Anna's lists: the app stays, marked off with the reason; its grant editor shows what is switched off.
    const row = (await a.get('/api/v1/school/apps')).body.data.find((x: { id: string }) => x.id === world.apps.planner);
    expect(row.switch).toMatchObject({
      state: 'off',
      lastChange: { on: false, by: 'Anna Admin <anna@school.example>', reason: 'Privacy review by the board' },
    });
    const editor = (await a.get(`/api/v1/school/apps/${world.apps.planner}/api-access`)).body.data.find((e: { apiCode: string }) => e.apiCode === 'students');
    expect(editor.granted).toEqual([]);
    expect(editor.suspended).toMatchObject([{ institutionNumber: SCHOOLS.nassau, reason: 'Privacy review by the board' }]);
    // Otto, admin of De Vlinder, keeps his grant and sees the app on, untouched by Anna's switch.
    const ottoRow = (await (await otto()).get('/api/v1/school/apps')).body.data.find((x: { id: string }) => x.id === world.apps.planner);
    expect(ottoRow.switch).toEqual({ state: 'on', lastChange: null });

    // Logged (in Anna's Logs tab too) and mailed to the partner, in the partner's language.
    const audits = await auditOf('grants.suspended', world.clients.planner);
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ reason: 'Privacy review by the board', institution_numbers: [SCHOOLS.nassau], app_id: world.apps.planner });
    const log = (await a.get(`/api/v1/school/apps/${world.apps.planner}/log`)).body.data;
    expect(log[0]).toMatchObject({
      action: 'grants.suspended',
      reason: 'Privacy review by the board',
      changes: [{ change: 'removed', apiCode: 'students', institutionNumber: SCHOOLS.nassau }],
    });
    const offMails = await mailsOf('app_switched_off', 'planner@campuswise.example');
    expect(offMails).toHaveLength(1);
    expect(offMails[0]!.body_text).toContain('Privacy review by the board');
    expect(offMails[0]!.body_text).toContain(`Students: ${SCHOOLS.nassau} - Hof van Nassau`);
    expect(offMails[0]!.body_text).not.toContain(SCHOOLS.vlinder);

    // Off again: nothing left to switch off, nothing written.
    const again = await a.put(`/api/v1/school/apps/${world.apps.planner}/switch`, { on: false });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('nothing_to_switch_off');
    expect(await auditOf('grants.suspended', world.clients.planner)).toHaveLength(1);

    // On: exactly the grant that was there, with its own id, granter and time.
    const on = await a.put(`/api/v1/school/apps/${world.apps.planner}/switch`, { on: true });
    expect(on.status).toBe(200);
    expect(await grantsOf(world.clients.planner)).toEqual(before);
    const rowOn = (await a.get('/api/v1/school/apps')).body.data.find((x: { id: string }) => x.id === world.apps.planner);
    expect(rowOn.switch).toMatchObject({ state: 'on', lastChange: { on: true, reason: null } });
    expect(await auditOf('grants.restored', world.clients.planner)).toHaveLength(1);
    const onMails = await mailsOf('app_switched_on', 'planner@campuswise.example');
    expect(onMails).toHaveLength(1);
    expect(onMails[0]!.body_text).toContain(`Students: ${SCHOOLS.nassau} - Hof van Nassau`);
    const onAgain = await a.put(`/api/v1/school/apps/${world.apps.planner}/switch`, { on: true });
    expect(onAgain.status).toBe(409);
    expect(onAgain.body.code).toBe('nothing_to_switch_on');
  });

  it('writes the partner’s mail in the partner’s language', async () => {
    const db = harness().ctx.db;
    await insertUser(db, { email: 'contact@tweetalig.example', password: PASSWORD, displayName: 'Contact', kind: 'partner', language: 'nl' });
    await db.updateTable('apps').set({ contact_email: 'contact@tweetalig.example' }).where('id', '=', bilingual.appId).execute();
    await insertGrant(db, { clientId: bilingual.clientId, apiCode: 'students', institutionNumber: SCHOOLS.klimop });
    const nadia = await as('nadia@school.example');
    expect((await nadia.put(`/api/v1/school/apps/${bilingual.appId}/switch`, { on: false, reason: 'Even pauze' })).status).toBe(200);
    const [mail] = await mailsOf('app_switched_off', 'contact@tweetalig.example');
    expect(mail!.subject).toBe('Schoolgate – Tweetalig uitgezet door een school');
    expect(mail!.body_text).toContain('Leerlingen: 001073 - Basisschool Klim Op');
    expect(mail!.body_text).toContain('Reden: Even pauze');
  });

  it('refuses what is not the admin’s to switch: no grants there, no right, an unaccredited app, bad input', async () => {
    const a = await anna();
    const none = await a.put(`/api/v1/school/apps/${bilingual.appId}/switch`, { on: false });
    expect(none.status).toBe(409);
    expect(none.body.code).toBe('nothing_to_switch_off');
    const hidden = await a.put(`/api/v1/school/apps/${world.apps.submitted}/switch`, { on: false });
    expect(hidden.status).toBe(404);
    expect(hidden.body.code).toBe('app_not_found');
    const bad = await a.put(`/api/v1/school/apps/${world.apps.planner}/switch`, { on: 'yes' });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('body.on');
    const nul = await a.put(`/api/v1/school/apps/${world.apps.planner}/switch`, { on: false, reason: 'a\u0000b' });
    expect(nul.status).toBe(400);
    expect(nul.body.field).toBe('body.reason');
    // Nora's rights are for next school year only: she may grant nothing now.
    const nora = await as('nora@school.example');
    const noRight = await nora.put(`/api/v1/school/apps/${world.apps.fresh}/switch`, { on: false });
    expect(noRight.status).toBe(403);
    expect(noRight.body.code).toBe('insufficient_rights');
  });

  it('does not switch a suspended app back on, but lets a school switch it off', async () => {
    const db = harness().ctx.db;
    // SleepyApp (suspended by the operator) still holds a grant on Nassau.
    const a = await anna();
    const off = await a.put(`/api/v1/school/apps/${world.apps.suspended}/switch`, { on: false, reason: 'Not used' });
    expect(off.status).toBe(200);
    expect(await db.selectFrom('grants').select('id').where('client_id', '=', world.clients.suspended).execute()).toEqual([]);
    const on = await a.put(`/api/v1/school/apps/${world.apps.suspended}/switch`, { on: true });
    expect(on.status).toBe(409);
    expect(on.body.code).toBe('app_not_approved');
  });

  it('granting a switched-off institution afresh in the editor supersedes the switched-off grant', async () => {
    const a = await anna();
    expect((await a.put(`/api/v1/school/apps/${world.apps.planner}/switch`, { on: false })).status).toBe(200);
    const put = await a.put(`/api/v1/school/apps/${world.apps.planner}/api-access/students`, { institutionNumbers: [SCHOOLS.nassau] });
    expect(put.status).toBe(200);
    const editor = (await a.get(`/api/v1/school/apps/${world.apps.planner}/api-access`)).body.data.find((e: { apiCode: string }) => e.apiCode === 'students');
    expect(editor.granted.map((g: { institutionNumber: string }) => g.institutionNumber)).toEqual([SCHOOLS.nassau]);
    expect(editor.suspended).toEqual([]);
    // Nothing is left to switch on, and no second copy can come back.
    const on = await a.put(`/api/v1/school/apps/${world.apps.planner}/switch`, { on: true });
    expect(on.status).toBe(409);
    expect(on.body.code).toBe('nothing_to_switch_on');
    expect((await grantsOf(world.clients.planner)).filter((g) => g.includes(` ${SCHOOLS.nassau} `))).toHaveLength(1);
  });
});
