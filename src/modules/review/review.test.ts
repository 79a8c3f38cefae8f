import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness, type TestClient } from '../../../test/support/harness.ts';
import { sha256 } from '../../lib/ids.ts';
import { insertApp, insertClient, insertUser } from '../../seed/builders.ts';
import { buildWorld, PASSWORD, SCHOOLS, type World } from '../school/test-world.ts';

const harness = useHarness();
let world: World;
let op: TestClient;

const login = async (email: string) => {
  const c = harness().client();
  expect((await c.login(email, PASSWORD)).status).toBe(200);
  return c;
};

const mails = (template: string) => harness().ctx.db.selectFrom('mail_outbox').selectAll().where('template', '=', template).orderBy('created_at').execute();

beforeAll(async () => {
  world = await buildWorld(harness().ctx.db);
  op = await login('op@informat.example');
});

describe('operator review', () => {
  it('is for the operator only', async () => {
    expect((await harness().client().get('/api/v1/operator/apps')).status).toBe(401);
    for (const email of ['paula@partner-a.example', 'anna@school.example']) {
      const res = await (await login(email)).get('/api/v1/operator/apps');
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('operator_only');
    }
  });

  it('lists apps, by status and partner', async () => {
    const all = await op.get('/api/v1/operator/apps');
    expect(all.status).toBe(200);
    expect(all.body.data).toHaveLength(4);
    const submitted = await op.get('/api/v1/operator/apps?status=submitted');
    expect(submitted.body.data).toEqual([
      expect.objectContaining({ id: world.apps.submitted, name: 'NewThing', partner: { id: world.partners.partnerB, name: 'DriesTech' }, apis: ['students'] }),
    ]);
    const byPartner = await op.get(`/api/v1/operator/apps?partnerId=${world.partners.partnerA}`);
    expect(byPartner.body.data.map((a: any) => a.name)).toEqual(['StudyPlanner']);
    const bad = await op.get('/api/v1/operator/apps?status=sleeping');
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('querystring.status');
  });

  it('shows the full request', async () => {
    const res = await op.get(`/api/v1/operator/apps/${world.apps.submitted}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name: 'NewThing',
      status: 'submitted',
      contactEmail: 'newthing@driestech.example',
      redirectUris: ['https://newthing.example/callback'],
      partner: { id: world.partners.partnerB, name: 'DriesTech', contactEmail: 'hello@driestech.example' },
      apis: [{ code: 'students', name: 'Students', dataCategories: ['identity', 'photo'], purpose: 'Yearbook photos' }],
      client: null,
      accreditation: null,
      history: [],
    });
    expect((await op.get('/api/v1/operator/apps/6b1e8c38-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('approves: the accreditation, a client without a secret, mails to the app and partner, an audit row', async () => {
    harness().clock.set('2026-11-22T11:00:00Z');
    // The app's contact is a partner member who reads Dutch; the partner's contact address is no user.
    await insertUser(harness().ctx.db, { email: 'newthing@driestech.example', displayName: 'Nieuw', kind: 'partner', language: 'nl' });
    const res = await op.post(`/api/v1/operator/apps/${world.apps.submitted}/approve`, { notes: 'Checked the DPA and the purpose.' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'approved',
      accreditation: {
        approvedAt: '2026-11-22T11:00:00.000Z',
        approvedBy: { id: world.users.operator, name: 'Olga Operator' },
        notes: 'Checked the DPA and the purpose.',
      },
      client: { name: 'NewThing', origin: 'app', secrets: [] },
    });
    const clientId = res.body.client.id;
    expect(await harness().ctx.db.selectFrom('client_secrets').select('id').where('client_id', '=', clientId).execute()).toEqual([]);
    // Privacy by default: no grants anywhere.
    expect(await harness().ctx.db.selectFrom('grants').select('id').where('client_id', '=', clientId).execute()).toEqual([]);
    const approved = await mails('app_approved');
    expect(approved.map((m) => m.to_address).sort()).toEqual(['hello@driestech.example', 'newthing@driestech.example']);
    expect(approved[0]!.body_text).toContain(clientId);
    expect(Object.fromEntries(approved.map((m) => [m.to_address, m.language]))).toEqual({
      'hello@driestech.example': 'en',
      'newthing@driestech.example': 'nl',
    });
    expect(res.body.history[0]).toMatchObject({
      action: 'app.approved',
      actor: { userId: world.users.operator, kind: 'operator' },
      partnerId: world.partners.partnerB,
      appId: world.apps.submitted,
      clientId,
      before: { status: 'submitted' },
      after: { status: 'approved', clientId },
    });
  });

  it('refuses a wrong transition with 409 invalid_status_transition naming from and to', async () => {
    const again = await op.post(`/api/v1/operator/apps/${world.apps.submitted}/approve`, {});
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'invalid_status_transition', from: 'approved', to: 'approved' });
    const reject = await op.post(`/api/v1/operator/apps/${world.apps.planner}/reject`, { reason: 'late' });
    expect(reject.body).toMatchObject({ code: 'invalid_status_transition', from: 'approved', to: 'rejected' });
    const reapprove = await op.post(`/api/v1/operator/apps/${world.apps.planner}/reapprove`, {});
    expect(reapprove.body).toMatchObject({ code: 'invalid_status_transition', from: 'approved', to: 'approved' });
  });

  it('requires a reason to reject', async () => {
    const draft = await insertApp(harness().ctx.db, { partnerId: world.partners.partnerA, name: 'Half Done', status: 'submitted', apis: [] });
    const missing = await op.post(`/api/v1/operator/apps/${draft}/reject`, {});
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ code: 'validation_failed', field: 'body.reason' });
    const blank = await op.post(`/api/v1/operator/apps/${draft}/reject`, { reason: '   ' });
    expect(blank.body.field).toBe('body.reason');
    const nul = await op.post(`/api/v1/operator/apps/${draft}/reject`, { reason: 'no\u0000' });
    expect(nul.body).toMatchObject({ status: 400, field: 'body.reason' });
    const res = await op.post(`/api/v1/operator/apps/${draft}/reject`, { reason: 'The purpose is not specific enough.' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'rejected', rejectionReason: 'The purpose is not specific enough.', client: null });
    expect((await mails('app_rejected')).at(-1)!.body_text).toContain('not specific enough');
  });

  it('suspends, re-approves and archives, each audited with before/after and visible to the admins of granting schools', async () => {
    const path = (a: string) => `/api/v1/operator/apps/${world.apps.planner}/${a}`;
    const suspended = await op.post(path('suspend'), { reason: 'Data breach under investigation' });
    expect(suspended.status).toBe(200);
    expect(suspended.body).toMatchObject({ status: 'suspended', statusReason: 'Data breach under investigation' });
    const reapproved = await op.post(path('reapprove'), { notes: 'Breach resolved.' });
    expect(reapproved.body).toMatchObject({ status: 'approved', statusReason: null });
    // The original accreditation stays.
    expect(reapproved.body.accreditation.notes).toBe('Seeded');
    const archived = await op.post(path('archive'), { reason: 'Product discontinued' });
    expect(archived.body.status).toBe('archived');
    const archivedAgain = await op.post(path('archive'), {});
    expect(archivedAgain.body).toMatchObject({ code: 'invalid_status_transition', from: 'archived', to: 'archived' });

    const history = archived.body.history.map((h: any) => [h.action, h.before.status, h.after.status, h.reason]);
    expect(history.slice(0, 3)).toEqual([
      ['app.archived', 'approved', 'archived', 'Product discontinued'],
      ['app.reapproved', 'suspended', 'approved', 'Breach resolved.'],
      ['app.suspended', 'approved', 'suspended', 'Data breach under investigation'],
    ]);
    expect(archived.body.history[0].institutionNumbers.sort()).toEqual([SCHOOLS.nassau, SCHOOLS.regenboog, SCHOOLS.vlinder].sort());
    expect((await mails('app_suspended')).map((m) => m.to_address).sort()).toEqual(['contact@campuswise.example', 'planner@campuswise.example']);

    // Anna (Nassau) reads the suspension in her audit log; Ines (no grant of this app) does not.
    const anna = await (await login('anna@school.example')).get('/api/v1/audit-log?appId=' + world.apps.planner);
    expect(anna.body.data.map((e: any) => e.action)).toEqual(expect.arrayContaining(['app.suspended', 'app.archived']));
    expect(anna.body.data.find((e: any) => e.action === 'app.archived').institutionNumbers).toEqual([SCHOOLS.nassau]);
    const ines = await (await login('ines@school.example')).get('/api/v1/audit-log?appId=' + world.apps.planner);
    expect(ines.body.data).toEqual([]);

    // An archived app can no longer be edited by an admin.
    const put = await (
      await login('anna@school.example')
    ).put(`/api/v1/school/apps/${world.apps.planner}/api-access/students`, {
      institutionNumbers: [SCHOOLS.nassau, SCHOOLS.klimop],
    });
    expect(put.status).toBe(409);
    expect(put.body.code).toBe('app_not_approved');
  });

  it('keeps a linked legacy client on approval instead of creating one', async () => {
    const db = harness().ctx.db;
    const appId = await insertApp(db, { partnerId: world.partners.partnerA, name: 'Linked', status: 'submitted', apis: [] });
    const { clientId } = await insertClient(db, { appId, name: 'old key', origin: 'legacy' });
    // No body at all (curl -X POST) is fine for an approval without notes.
    const res = await op.request('POST', `/api/v1/operator/apps/${appId}/approve`);
    expect(res.status).toBe(200);
    expect(res.body.client).toMatchObject({ id: clientId, origin: 'legacy' });
    expect(await db.selectFrom('clients').select('id').where('app_id', '=', appId).execute()).toHaveLength(1);
  });

  it('lists partners with their apps and member counts', async () => {
    const res = await op.get('/api/v1/operator/partners');
    expect(res.status).toBe(200);
    const b = res.body.data.find((p: any) => p.name === 'DriesTech');
    expect(b).toMatchObject({ id: world.partners.partnerB, membersCount: 1, contactEmail: 'hello@driestech.example' });
    expect(b.apps.map((a: any) => a.name)).toEqual(['BlueDries', 'NewThing', 'SleepyApp']);
  });
});

describe('legacy clients', () => {
  let created: { clientId: string; secret: string };

  it('issues a client with scopes and shows the secret once, stored as SHA-256', async () => {
    const res = await op.post('/api/v1/operator/legacy-clients', {
      name: 'informat_customer_school_x',
      grants: [
        { apiCode: 'students', institutionNumber: SCHOOLS.zonnebloem },
        { apiCode: 'students', institutionNumber: SCHOOLS.zonnebloem },
        { apiCode: 'invoices', accessGroupId: world.groupNorth },
      ],
    });
    expect(res.status).toBe(201);
    expect(res.body.secret).toMatch(/^[\w-]{43}$/);
    expect(res.body.grants).toEqual([
      { apiCode: 'invoices', institutionNumber: null, accessGroupId: world.groupNorth },
      { apiCode: 'students', institutionNumber: SCHOOLS.zonnebloem, accessGroupId: null },
    ]);
    created = res.body;
    const stored = await harness().ctx.db.selectFrom('client_secrets').selectAll().where('client_id', '=', created.clientId).execute();
    expect(stored).toHaveLength(1);
    expect(stored[0]!.secret_hash).toBe(sha256(created.secret));
    expect(stored[0]!.hint).toBe(created.secret.slice(-4));

    const list = await op.get('/api/v1/operator/legacy-clients');
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).not.toContain(created.secret);
    const row = list.body.data.find((c: any) => c.id === created.clientId);
    expect(row).toMatchObject({ name: 'informat_customer_school_x', app: null, secrets: [{ hint: created.secret.slice(-4) }] });
    expect(row.grants).toHaveLength(2);
    expect(list.body.data.find((c: any) => c.id === world.clients.legacy)).toMatchObject({ app: null });
  });

  it('refuses bad scopes, naming the entry', async () => {
    const cases: [unknown, string, string][] = [
      [{ apiCode: 'weather', institutionNumber: SCHOOLS.nassau }, 'unknown_api', 'body.grants.0.apiCode'],
      [{ apiCode: 'students', accessGroupId: world.groupNorth }, 'wrong_grant_target', 'body.grants.0'],
      [{ apiCode: 'invoices', institutionNumber: SCHOOLS.nassau }, 'wrong_grant_target', 'body.grants.0'],
      [{ apiCode: 'students', institutionNumber: '999999' }, 'unknown_institution', 'body.grants.0.institutionNumber'],
      [{ apiCode: 'invoices', accessGroupId: '6b1e8c38-0000-4000-8000-000000000000' }, 'unknown_access_group', 'body.grants.0.accessGroupId'],
      [{ apiCode: 'students', institutionNumber: '12' }, 'validation_failed', 'body.grants.0.institutionNumber'],
    ];
    for (const [grant, code, field] of cases) {
      const res = await op.post('/api/v1/operator/legacy-clients', { name: 'bad', grants: [grant] });
      expect(res.status, code).toBe(400);
      expect(res.body).toMatchObject({ code, field });
    }
    expect((await op.post('/api/v1/operator/legacy-clients', { grants: [] })).body.field).toBe('body.name');
    const names = await harness().ctx.db.selectFrom('clients').select('id').where('name', '=', 'bad').execute();
    expect(names).toEqual([]);
  });

  it('shows the client read-only to the admin of the school, and lets only the operator edit its scopes', async () => {
    const anna = await login('anna@school.example');
    const view = await anna.get(`/api/v1/school/clients/${created.clientId}/api-access`);
    expect(view.status).toBe(200);
    expect(view.body.data).toEqual([expect.objectContaining({ apiCode: 'students', editable: false, notEditableReason: 'client_without_app' })]);
    const refused = await anna.put(`/api/v1/school/clients/${created.clientId}/api-access/students`, { institutionNumbers: [], confirmRemoval: true });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('client_without_app');

    const noReason = await op.put(`/api/v1/operator/legacy-clients/${created.clientId}/grants`, { grants: [] });
    expect(noReason.body).toMatchObject({ code: 'validation_failed', field: 'body.reason' });
    const res = await op.put(`/api/v1/operator/legacy-clients/${created.clientId}/grants`, {
      grants: [
        { apiCode: 'students', institutionNumber: SCHOOLS.klimop },
        { apiCode: 'invoices', accessGroupId: world.groupNorth },
      ],
      reason: 'School X moved its pupils to Klim Op (ticket 4711)',
    });
    expect(res.status).toBe(200);
    expect(res.body.changed).toBe(true);
    const grants = await harness()
      .ctx.db.selectFrom('grants')
      .select(['api_code', 'institution_number', 'access_group_id', 'reason'])
      .where('client_id', '=', created.clientId)
      .orderBy('api_code')
      .execute();
    expect(grants.map((g) => [g.api_code, g.institution_number ?? g.access_group_id])).toEqual([
      ['invoices', world.groupNorth],
      ['students', SCHOOLS.klimop],
    ]);
    const audit = await harness()
      .ctx.db.selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'legacy_client.grants_replaced')
      .where('client_id', '=', created.clientId)
      .executeTakeFirstOrThrow();
    expect(audit.institution_numbers.sort()).toEqual([SCHOOLS.klimop, SCHOOLS.zonnebloem]);
    expect(audit.reason).toBe('School X moved its pupils to Klim Op (ticket 4711)');

    const unknown = await op.put(`/api/v1/operator/legacy-clients/${world.clients.planner}/grants`, { grants: [], reason: 'x' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('client_not_found');
  });
});
