import { describe, expect, it } from 'vitest';
import { useHarness } from '../../../test/support/harness.ts';
import { approveAsOperator, appBody, setStatus, signedInPartner } from './test-fixtures.ts';

const harness = useHarness();

describe('registering an app', () => {
  it('creates a draft with APIs, categories (identity always included), purposes and redirect URIs', async () => {
    const { client, partnerId } = await signedInPartner(harness(), 'Planner');
    const res = await client.post(
      '/api/v1/partner/apps',
      appBody({
        redirectUris: ['https://planner.example/cb?x=1', 'http://localhost:3000/cb', 'http://127.0.0.1:8080/cb'],
        apis: [
          { apiCode: 'staff', dataCategories: ['photo'], purpose: 'Teacher pictures on the planner.' },
          { apiCode: 'students', dataCategories: ['birth_date', 'identity', 'birth_date'], purpose: 'Homework per student.' },
        ],
      }),
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      partnerId,
      name: 'Huiswerkplanner',
      status: 'draft',
      editable: 'all',
      clientId: null,
      redirectUris: ['https://planner.example/cb?x=1', 'http://localhost:3000/cb', 'http://127.0.0.1:8080/cb'],
      apis: [
        { apiCode: 'students', apiName: 'Students', dataCategories: ['identity', 'birth_date'], purpose: 'Homework per student.' },
        { apiCode: 'staff', dataCategories: ['identity', 'photo'] },
      ],
    });
    const list = await client.get('/api/v1/partner/apps');
    expect(list.body.data.map((a: { id: string; status: string }) => [a.id, a.status])).toEqual([[res.body.id, 'draft']]);
    const [audit] = await harness().ctx.db.selectFrom('audit_log').selectAll().where('app_id', '=', res.body.id).execute();
    expect(audit).toMatchObject({ action: 'app.created', partner_id: partnerId, after: { status: 'draft', name: 'Huiswerkplanner' } });
  });

  it('refuses bad APIs, categories, purposes and redirect URIs, naming the field', async () => {
    const { client } = await signedInPartner(harness(), 'Sloppy');
    const cases: [unknown, string, string][] = [
      [
        {
          apis: [
            { apiCode: 'students', dataCategories: [], purpose: 'x' },
            { apiCode: 'report_cards', dataCategories: [], purpose: 'x' },
          ],
        },
        'unknown_api',
        'body.apis.1.apiCode',
      ],
      [
        {
          apis: [
            { apiCode: 'students', dataCategories: [], purpose: 'x' },
            { apiCode: 'staff', dataCategories: ['guardians'], purpose: 'x' },
          ],
        },
        'unknown_data_category',
        'body.apis.1.dataCategories',
      ],
      [
        {
          apis: [
            { apiCode: 'students', dataCategories: [], purpose: 'x' },
            { apiCode: 'students', dataCategories: [], purpose: 'y' },
          ],
        },
        'duplicate_api',
        'body.apis.1.apiCode',
      ],
      [{ apis: [{ apiCode: 'students', dataCategories: [], purpose: '  ' }] }, 'validation_failed', 'body.apis.0.purpose'],
      [{ apis: [{ apiCode: 'students', purpose: 'x' }] }, 'validation_failed', 'body.apis.0.dataCategories'],
      // Write grants: read or read_write, nothing else.
      [{ apis: [{ apiCode: 'students', dataCategories: [], purpose: 'x', accessLevel: 'write' }] }, 'validation_failed', 'body.apis.0.accessLevel'],
      [{ redirectUris: ['http://planner.example/cb'] }, 'redirect_uri_insecure', 'body.redirectUris.0'],
      [{ redirectUris: ['https://ok.example/cb', 'https://planner.example/cb#top'] }, 'redirect_uri_fragment', 'body.redirectUris.1'],
      [{ redirectUris: ['/relative/cb'] }, 'redirect_uri_invalid', 'body.redirectUris.0'],
      [{ redirectUris: ['https://a.example/cb', 'https://a.example/cb'] }, 'redirect_uri_duplicate', 'body.redirectUris.1'],
      [{ redirectUris: ['javascript:alert(1)'] }, 'redirect_uri_insecure', 'body.redirectUris.0'],
      [{ contactEmail: 'not mail' }, 'validation_failed', 'body.contactEmail'],
      [{ name: '' }, 'validation_failed', 'body.name'],
    ];
    for (const [overrides, code, field] of cases) {
      const res = await client.post('/api/v1/partner/apps', appBody(overrides as Record<string, unknown>));
      expect({ status: res.status, code: res.body.code, field: res.body.field }).toEqual({ status: 400, code, field });
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    const both = await client.post(
      '/api/v1/partner/apps',
      appBody({ redirectUris: ['http://evil.example/cb'], apis: [{ apiCode: 'report_cards', dataCategories: [], purpose: 'x' }] }),
    );
    expect(both.body.errors.map((e: { field: string; code: string }) => `${e.field}:${e.code}`)).toEqual([
      'body.redirectUris.0:redirect_uri_insecure',
      'body.apis.0.apiCode:unknown_api',
    ]);
    expect((await client.get('/api/v1/partner/apps')).body.data).toHaveLength(0);
    const junk = await client.request('POST', '/api/v1/partner/apps', '{"name":', { 'content-type': 'application/json' });
    expect(junk.status).toBe(400);
  });
});

describe('editing, submitting and archiving', () => {
  it('edits a draft freely, submits it, and after rejection an edit returns it to draft', async () => {
    const h = harness();
    const { client } = await signedInPartner(h, 'Editor');
    const created = await client.post('/api/v1/partner/apps', appBody({ apis: [] }));
    const id = created.body.id as string;

    const empty = await client.post(`/api/v1/partner/apps/${id}/submit`);
    expect(empty.status).toBe(409);
    expect(empty.body.code).toBe('app_has_no_apis');

    const edited = await client.patch(`/api/v1/partner/apps/${id}`, {
      name: 'Planner Pro',
      apis: [{ apiCode: 'pre_enrolments', dataCategories: ['guardians'], purpose: 'Pre-fill the enrolment form.' }],
    });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({
      name: 'Planner Pro',
      status: 'draft',
      apis: [{ apiCode: 'pre_enrolments', dataCategories: ['identity', 'guardians'] }],
    });

    const nothing = await client.patch(`/api/v1/partner/apps/${id}`, {});
    expect(nothing.body).toMatchObject({ code: 'nothing_to_change', field: 'body' });

    const submitted = await client.post(`/api/v1/partner/apps/${id}/submit`);
    expect(submitted.status).toBe(200);
    expect(submitted.body).toMatchObject({ status: 'submitted', editable: 'description_and_contact' });
    expect(submitted.body.submittedAt).toBe(h.clock.now().toISOString());
    expect((await client.post(`/api/v1/partner/apps/${id}/submit`)).body.code).toBe('app_not_draft');

    // Under review the reviewed properties are locked.
    const locked = await client.patch(`/api/v1/partner/apps/${id}`, { redirectUris: [] });
    expect(locked.status).toBe(409);
    expect(locked.body).toMatchObject({ code: 'app_locked', fields: ['redirectUris'] });

    await h.ctx.db.updateTable('apps').set({ status: 'rejected', rejection_reason: 'Purpose too vague' }).where('id', '=', id).execute();
    const resubmit = await client.post(`/api/v1/partner/apps/${id}/submit`);
    expect(resubmit.body.code).toBe('app_not_draft');
    const fixed = await client.patch(`/api/v1/partner/apps/${id}`, {
      apis: [{ apiCode: 'pre_enrolments', dataCategories: ['guardians'], purpose: 'Pre-fill the enrolment form with the guardians of the child.' }],
    });
    expect(fixed.body).toMatchObject({ status: 'draft', rejectionReason: 'Purpose too vague', editable: 'all' });
    expect((await client.post(`/api/v1/partner/apps/${id}/submit`)).body.status).toBe('submitted');

    const actions = (await client.get(`/api/v1/partner/apps/${id}/log`)).body.data.map((e: { action: string }) => e.action);
    expect(actions).toEqual(['app.submitted', 'app.updated', 'app.submitted', 'app.updated', 'app.created']);
  });

  it('on an approved app changes only description and contact e-mail; APIs, purposes, URIs and name need a new review', async () => {
    const h = harness();
    const { client } = await signedInPartner(h, 'Approved');
    const id = (await client.post('/api/v1/partner/apps', appBody())).body.id as string;
    await approveAsOperator(h, id);

    const ok = await client.patch(`/api/v1/partner/apps/${id}`, { description: 'Now with reminders.', contactEmail: 'NEW@planner.example' });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ status: 'approved', description: 'Now with reminders.', contactEmail: 'new@planner.example' });

    const current = ok.body;
    // Sending unchanged reviewed fields along (as a form would) is fine.
    const same = await client.patch(`/api/v1/partner/apps/${id}`, {
      name: current.name,
      redirectUris: current.redirectUris,
      apis: current.apis.map((a: { apiCode: string; dataCategories: string[]; purpose: string }) => ({
        apiCode: a.apiCode,
        dataCategories: a.dataCategories,
        purpose: a.purpose,
      })),
      description: 'Reminders and more.',
    });
    expect(same.status).toBe(200);

    for (const change of [
      { apis: [{ apiCode: 'students', dataCategories: ['identity', 'civic_number'], purpose: current.apis[0].purpose }] },
      { apis: [{ apiCode: 'students', dataCategories: current.apis[0].dataCategories, purpose: 'Something else entirely' }] },
      { redirectUris: ['https://planner.example/other'] },
      { name: 'Renamed' },
    ]) {
      const res = await client.patch(`/api/v1/partner/apps/${id}`, { ...change, description: 'should not be saved' });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('app_locked');
    }
    const after = await client.get(`/api/v1/partner/apps/${id}`);
    expect(after.body).toMatchObject({ description: 'Reminders and more.', name: 'Huiswerkplanner', apis: current.apis });

    await setStatus(h, id, 'suspended');
    expect((await client.patch(`/api/v1/partner/apps/${id}`, { name: 'X' })).body.code).toBe('app_locked');
    expect((await client.patch(`/api/v1/partner/apps/${id}`, { description: 'While suspended' })).status).toBe(200);
  });

  it('archives an app, which is read-only afterwards; the log names the schools whose grants it held', async () => {
    const h = harness();
    const { client } = await signedInPartner(h, 'Archiver');
    const id = (await client.post('/api/v1/partner/apps', appBody())).body.id as string;
    const clientId = await approveAsOperator(h, id);
    await h.ctx.db.insertInto('institutions').values({ number: '001057', name: 'Hof van Nassau', active_from_year: 2000 }).execute();
    await h.ctx.db.insertInto('grants').values({ id: crypto.randomUUID(), client_id: clientId, api_code: 'students', institution_number: '001057' }).execute();

    const archived = await client.post(`/api/v1/partner/apps/${id}/archive`, { reason: 'Product discontinued' });
    expect(archived.status).toBe(200);
    expect(archived.body).toMatchObject({ status: 'archived', editable: 'none', statusReason: 'Product discontinued' });
    for (const res of [
      await client.patch(`/api/v1/partner/apps/${id}`, { description: 'x' }),
      await client.post(`/api/v1/partner/apps/${id}/archive`),
      await client.post(`/api/v1/partner/apps/${id}/submit`),
    ]) {
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('app_archived');
    }
    const [entry] = (await client.get(`/api/v1/partner/apps/${id}/log?limit=1`)).body.data;
    expect(entry).toMatchObject({ action: 'app.archived', reason: 'Product discontinued', institutionNumbers: ['001057'], clientId });
  });
});

describe('isolation between partners', () => {
  it("answers 404 app_not_found on every route for another partner's app", async () => {
    const h = harness();
    const a = await signedInPartner(h, 'Alpha');
    const b = await signedInPartner(h, 'Beta');
    const id = (await a.client.post('/api/v1/partner/apps', appBody())).body.id as string;
    await approveAsOperator(h, id);

    const routes: [string, string, unknown?][] = [
      ['GET', `/api/v1/partner/apps/${id}`],
      ['PATCH', `/api/v1/partner/apps/${id}`, { description: 'mine now' }],
      ['POST', `/api/v1/partner/apps/${id}/submit`, {}],
      ['POST', `/api/v1/partner/apps/${id}/archive`, {}],
      ['GET', `/api/v1/partner/apps/${id}/client`],
      ['POST', `/api/v1/partner/apps/${id}/client/secrets`, {}],
      ['POST', `/api/v1/partner/apps/${id}/client/link`, { clientId: crypto.randomUUID(), clientSecret: 'x' }],
      ['GET', `/api/v1/partner/apps/${id}/invitations`],
      ['POST', `/api/v1/partner/apps/${id}/invitations`, { emails: ['admin@school.example'] }],
      ['GET', `/api/v1/partner/apps/${id}/log`],
      ['GET', `/api/v1/partner/apps/${id}/grants`],
    ];
    for (const [method, path, body] of routes) {
      const res = await b.client.request(method, path, body);
      expect({ route: `${method} ${path}`, status: res.status, code: res.body.code }).toEqual({
        route: `${method} ${path}`,
        status: 404,
        code: 'app_not_found',
      });
    }
    expect((await b.client.get('/api/v1/partner/apps')).body.data).toHaveLength(0);
    // Nothing B tried left a trace on A's app.
    const app = await a.client.get(`/api/v1/partner/apps/${id}`);
    expect(app.body).toMatchObject({ status: 'approved', description: 'Plans homework from the class timetable.' });
    expect(
      await h.ctx.db.selectFrom('client_secrets as s').innerJoin('clients as c', 'c.id', 's.client_id').select('s.id').where('c.app_id', '=', id).execute(),
    ).toHaveLength(0);
    expect(await h.ctx.db.selectFrom('invitations').select('id').where('app_id', '=', id).execute()).toHaveLength(0);

    const notUuid = await b.client.get('/api/v1/partner/apps/not-a-uuid');
    expect(notUuid.status).toBe(400);
    expect(notUuid.body.field).toBe('params.appId');
    expect((await h.client().get(`/api/v1/partner/apps/${id}`)).status).toBe(401);
  });
});

describe('the app log and grants', () => {
  it('pages the log newest first with a keyset cursor', async () => {
    const h = harness();
    const { client } = await signedInPartner(h, 'Logger');
    const id = (await client.post('/api/v1/partner/apps', appBody())).body.id as string;
    for (let i = 1; i <= 4; i += 1) {
      h.clock.advance(60_000);
      await client.patch(`/api/v1/partner/apps/${id}`, { description: `Version ${i}` });
    }
    const first = await client.get(`/api/v1/partner/apps/${id}/log?limit=2`);
    expect(first.body.data.map((e: { after: { description: string } }) => e.after.description)).toEqual(['Version 4', 'Version 3']);
    expect(first.body.data[0]).toMatchObject({ action: 'app.updated', actor: { kind: 'partner' }, before: { description: 'Version 3' } });
    expect(first.body.data[0].actor.label).toContain('Logger member');
    const second = await client.get(`/api/v1/partner/apps/${id}/log?limit=2&before=${first.body.nextBefore}`);
    expect(second.body.data.map((e: { after: { description: string } }) => e.after.description)).toEqual(['Version 2', 'Version 1']);
    const third = await client.get(`/api/v1/partner/apps/${id}/log?limit=2&before=${second.body.nextBefore}`);
    expect(third.body.data.map((e: { action: string }) => e.action)).toEqual(['app.created']);
    expect(third.body.nextBefore).toBeNull();
    expect(new Date(first.body.data[0].at).getTime()).toBeGreaterThan(new Date(first.body.data[1].at).getTime());
    for (const bad of ['before=abc', 'before=-1', 'limit=0', 'limit=1000', 'before=99999999999999999999999']) {
      const res = await client.get(`/api/v1/partner/apps/${id}/log?${bad}`);
      expect(res.status).toBe(400);
      expect(res.body.field).toMatch(/^querystring\./);
    }
  });

  it('never shows secret-looking members of an entry, whoever wrote it', async () => {
    const h = harness();
    const { client, partnerId } = await signedInPartner(h, 'Careful');
    const id = (await client.post('/api/v1/partner/apps', appBody())).body.id as string;
    await h.ctx.db
      .insertInto('audit_log')
      .values({
        at: h.clock.now(),
        actor_label: 'Importer',
        actor_kind: 'system',
        action: 'client.imported',
        subject_type: 'client',
        subject_id: id,
        partner_id: partnerId,
        app_id: id,
        before: null,
        after: JSON.stringify({ hint: 'abcd', clientSecret: 'LEAKED-1', nested: [{ secret_hash: 'LEAKED-2', password: 'LEAKED-3', keep: 'visible' }] }),
      })
      .execute();
    const res = await client.get(`/api/v1/partner/apps/${id}/log?limit=1`);
    expect(res.body.data[0]).toMatchObject({ action: 'client.imported', after: { hint: 'abcd', nested: [{ keep: 'visible' }] }, before: null });
    expect(JSON.stringify(res.body)).not.toMatch(/LEAKED/);
  });

  it("lists the app's grants with API, institution and access group names", async () => {
    const h = harness();
    const { client } = await signedInPartner(h, 'Granted');
    const id = (await client.post('/api/v1/partner/apps', appBody())).body.id as string;
    expect((await client.get(`/api/v1/partner/apps/${id}/grants`)).body.data).toEqual([]);
    const clientId = await approveAsOperator(h, id);
    await h.ctx.db.insertInto('institutions').values({ number: '002001', name: 'Sint-Jan', active_from_year: 2000 }).execute();
    const groupId = crypto.randomUUID();
    await h.ctx.db.insertInto('access_groups').values({ id: groupId, name: 'Scholengroep Noord' }).execute();
    await h.ctx.db
      .insertInto('grants')
      .values({ id: crypto.randomUUID(), client_id: clientId, api_code: 'students', institution_number: '002001', reason: 'Pilot' })
      .execute();
    await h.ctx.db.insertInto('grants').values({ id: crypto.randomUUID(), client_id: clientId, api_code: 'invoices', access_group_id: groupId }).execute();
    const res = await client.get(`/api/v1/partner/apps/${id}/grants`);
    expect(res.body.data).toMatchObject([
      { apiCode: 'students', apiName: 'Students', institutionNumber: '002001', institutionName: 'Sint-Jan', accessGroupId: null, reason: 'Pilot' },
      { apiCode: 'invoices', institutionNumber: null, accessGroupId: groupId, accessGroupName: 'Scholengroep Noord' },
    ]);
  });
});
