/**
 * POST /log and POST /statistics of the SS 12000 data API, and the management API that shows what
 * clients reported: driven through the real server, a real database and real tokens. The oracle
 * of "which institutions a report concerns" is written here from the world itself (the school unit
 * with that organisation code), not from the scope code.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness, type TestClient } from '../../../test/support/harness.ts';
import { createApp, ensureInstitutions, grantAll, Ss12000Client } from '../../../test/ss12000/support.ts';
import { generateWorld, type World } from '../../generator/index.ts';
import { currentSchoolYear } from '../../lib/school-year.ts';
import { ingestBatch } from '../ss12000/ingest.ts';
import { insertAdminRight, insertUser } from '../../seed/builders.ts';

const harness = useHarness();
const NUMBERS = ['360001', '360002', '360003'];
const [A, B, C] = NUMBERS as [string, string, string];
const PASSWORD = 'correct horse battery';
let world: World;
let client: Ss12000Client;
let clientId: string;
let appId: string;
/** The school unit (organisation id) of each institution, from the world. */
const unit: Record<string, string> = {};

beforeAll(async () => {
  const { ctx, url } = harness();
  world = generateWorld({ seed: 17, schools: 3, students: 20, institutionNumbers: NUMBERS, today: '2026-11-22' });
  await ensureInstitutions(ctx, NUMBERS);
  await ingestBatch(ctx, { upsert: world as never }, { id: null, label: 'test', kind: 'system' });
  for (const o of world.organisations) if (o.organisationType === 'Skolenhet' && o.organisationCode) unit[o.organisationCode] = o.id;
  expect(Object.keys(unit).sort()).toEqual(NUMBERS);
  // Granted at A and B, not at C.
  const app = await createApp(ctx, { students: ['identity'] });
  await grantAll(ctx, app.clientId, 'students', [A, B]);
  ({ clientId, appId } = app);
  client = new Ss12000Client(`${url}/ss12000/v2.0`, `${url}/oidc/token`, app.clientId, app.secret);
  const year = currentSchoolYear(ctx.clock.now(), { start: ctx.config.SCHOOL_YEAR_START, timeZone: ctx.config.TZ });
  for (const [email, inst, access] of [
    ['rektor-a@skola.example', A, true],
    ['rektor-c@skola.example', C, true],
    ['larare-a@skola.example', A, false],
  ] as const) {
    const id = await insertUser(ctx.db, { email, password: PASSWORD, displayName: email, kind: 'school', userManagementAccess: access });
    await insertAdminRight(ctx.db, { userId: id, right: 'iBasis', institutionNumber: inst, schoolYear: year });
  }
  await insertUser(ctx.db, { email: 'operator@sis.example', password: PASSWORD, displayName: 'Olle', kind: 'operator' });
  await insertUser(ctx.db, { email: 'partner@app.example', password: PASSWORD, displayName: 'Pia', kind: 'partner' });
}, 120_000);

const login = async (email: string): Promise<TestClient> => {
  const c = harness().client();
  expect((await c.login(email, PASSWORD)).status).toBe(200);
  return c;
};

/** A raw POST to the data API with the client's token. */
async function post(path: string, body: string, contentType = 'application/json') {
  const token = await client.fetchToken();
  const res = await fetch(`${client.baseUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, body });
  const text = await res.text();
  return { status: res.status, text, json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

/** The reports stored for the test's client, newest first, straight from the database. */
async function stored() {
  const { ctx } = harness();
  const rows = await ctx.db.selectFrom('client_reports').selectAll().where('client_id', '=', clientId).orderBy('id', 'desc').execute();
  const links = await ctx.db.selectFrom('client_report_institutions').selectAll().execute();
  return rows.map((r) => ({
    ...r,
    institutions: links
      .filter((l) => String(l.report_id) === String(r.id))
      .map((l) => l.institution_number)
      .sort(),
  }));
}

function expectSsError(res: { status: number; json?: Record<string, unknown> }, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(Object.keys(res.json ?? {}).sort()).toEqual(['code', 'message', 'requestId']);
  expect(res.json!.code).toBe(code);
}

describe('POST /log and POST /statistics', () => {
  it('store a log entry with the client; naming no school unit, it concerns every institution of the grants', async () => {
    const res = await post(
      '/log/',
      JSON.stringify({ message: 'courseCode "MAT101" has no known course.', messageType: 'ValueMapping', resourceType: 'Syllabus', severityLevel: 'Warning' }),
    );
    expect(res.status).toBe(201);
    expect(res.text).toBe('');
    const [row] = await stored();
    expect(row).toMatchObject({
      kind: 'log',
      message: 'courseCode "MAT101" has no known course.',
      message_type: 'ValueMapping',
      resource_type: 'Syllabus',
      severity_level: 'Warning',
      institutions: [A, B],
    });
    // The request is in the access log, under the request id the report keeps.
    const logged = await harness()
      .ctx.db.selectFrom('ss12000_access_log')
      .select(['endpoint', 'method', 'status', 'client_id', 'record_count'])
      .where('request_id', '=', row!.request_id)
      .execute();
    expect(logged).toEqual([{ endpoint: '/log', method: 'POST', status: 201, client_id: clientId, record_count: 0 }]);
  });

  it('bind a report that names a school unit (resourceId of an Organisation, organisation= or /organisations/{id} in resourceUrl) to its institution', async () => {
    expect(
      (await post('/log', JSON.stringify({ message: 'm', severityLevel: 'Info', resourceType: 'Organisation', resourceId: unit[B]!.toUpperCase() }))).status,
    ).toBe(201);
    expect((await stored())[0]!.institutions).toEqual([B]);
    const at = '2026-11-21T08:30:00+01:00';
    const stats = {
      resourceType: 'Activity',
      resourceUrl: `https://schoolgate.example/ss12000/v2.0/activities?organisation=${unit[A]}&expand=syllabus`,
      newCount: 2,
      updatedCount: 234,
      deletedCount: 0,
      timeOfOccurance: at,
    };
    expect((await post('/statistics', JSON.stringify(stats))).status).toBe(201);
    const [row] = await stored();
    expect(row).toMatchObject({ kind: 'statistics', resource_type: 'Activity', institutions: [A], resource_url: stats.resourceUrl });
    expect([row!.new_count, row!.updated_count, row!.deleted_count].map(Number)).toEqual([2, 234, 0]);
    expect(new Date(row!.occurred_at!).toISOString()).toBe(new Date(at).toISOString());
    const path = { ...stats, resourceUrl: `https://schoolgate.example/ss12000/v2.0/organisations/${unit[B]}` };
    expect((await post('/statistics', JSON.stringify(path))).status).toBe(201);
    expect((await stored())[0]!.institutions).toEqual([B]);
  });

  it('refuse a report naming a school unit outside the grants (403, the same for an id that does not exist), storing nothing', async () => {
    const before = (await stored()).length;
    for (const body of [
      { message: 'm', severityLevel: 'Error', resourceType: 'Organisation', resourceId: unit[C] },
      { message: 'm', severityLevel: 'Error', resourceUrl: `https://x.example/groups?organisation=${unit[A]},${unit[C]}` },
      { message: 'm', severityLevel: 'Error', resourceType: 'Organisation', resourceId: '0b8f3c57-1d7e-4c6e-9a55-3f0c2f7f1a11' },
    ]) {
      const res = await post('/log', JSON.stringify(body));
      expectSsError(res, 403, 'organisation_out_of_scope');
    }
    expectSsError(
      await post(
        '/statistics',
        JSON.stringify({ resourceType: 'Group', newCount: 0, updatedCount: 0, deletedCount: 0, resourceUrl: `https://x.example/organisations/${unit[C]}` }),
      ),
      403,
      'organisation_out_of_scope',
    );
    expect((await stored()).length).toBe(before);
  });

  it('answer bodies it cannot take with 400 invalid_body naming the member, in the {code, message, requestId} shape', async () => {
    const cases: [string, unknown, string][] = [
      ['/log', { severityLevel: 'Info' }, 'message'],
      ['/log', { message: 'm' }, 'severityLevel'],
      ['/log', { message: 'm', severityLevel: 'Fatal' }, 'severityLevel'],
      ['/log', { message: 'a\u0000b', severityLevel: 'Info' }, 'message'],
      ['/log', { message: 'x'.repeat(4001), severityLevel: 'Info' }, 'message'],
      ['/log', { message: 'm', severityLevel: 'Info', colour: 'blue' }, 'colour'],
      ['/log', { message: 'm', severityLevel: 'Info', resourceId: 'not-a-uuid' }, 'resourceId'],
      ['/log', { message: 'm', severityLevel: 'Info', resourceUrl: 'javascript:alert(1)' }, 'resourceUrl'],
      ['/log', { message: 'm', severityLevel: 'Info', timeOfOccurance: 'yesterday' }, 'timeOfOccurance'],
      ['/log', { message: 'm', severityLevel: 'Info', resourceType: 'Pupil' }, 'resourceType'],
      ['/statistics', { resourceType: 'Person', newCount: 1, updatedCount: 1 }, 'deletedCount'],
      ['/statistics', { resourceType: 'Person', newCount: -1, updatedCount: 1, deletedCount: 0 }, 'newCount'],
      ['/statistics', { resourceType: 'Person', newCount: 1.5, updatedCount: 1, deletedCount: 0 }, 'newCount'],
      ['/statistics', { newCount: 1, updatedCount: 1, deletedCount: 0 }, 'resourceType'],
      ['/statistics', [], 'body'],
    ];
    for (const [path, body, member] of cases) {
      const res = await post(path, JSON.stringify(body));
      expectSsError(res, 400, 'invalid_body');
      expect(res.json!.message, `${path} ${JSON.stringify(body).slice(0, 80)}`).toContain(member === 'body' ? 'JSON object' : member);
    }
    // Not JSON, or too large: still a 4xx in the same shape.
    for (const [body, type] of [
      ['{"message": ', 'application/json'],
      ['message=m', 'application/x-www-form-urlencoded'],
      [JSON.stringify({ message: 'x'.repeat(70_000), severityLevel: 'Info' }), 'application/json'],
    ] as const) {
      const res = await post('/log', body, type);
      expect(res.status, `${type} ${body.slice(0, 40)}`).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(Object.keys(res.json ?? {}).sort()).toEqual(['code', 'message', 'requestId']);
    }
  });

  it('property: no JSON body is a 5xx; every refusal is {code, message, requestId}', async () => {
    const member = fc.oneof(
      fc.constantFrom(
        'message',
        'messageType',
        'resourceType',
        'resourceId',
        'resourceUrl',
        'severityLevel',
        'timeOfOccurance',
        'newCount',
        'updatedCount',
        'deletedCount',
      ),
      fc.string({ maxLength: 8 }),
    );
    const value = fc.oneof(
      fc.string({ maxLength: 30, unit: 'binary' }),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.constantFrom('Info', 'Person', unit[A]!, 'https://x.example/?organisation=' + unit[C]),
      fc.array(fc.string(), { maxLength: 2 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/log', '/statistics'), fc.dictionary(member, value, { maxKeys: 6 }), async (path, body) => {
        const res = await post(path, JSON.stringify(body));
        expect(res.status, `${path} ${JSON.stringify(body)} → ${res.text}`).toBeLessThan(500);
        if (res.status >= 400) expect(Object.keys(res.json ?? {}).sort()).toEqual(['code', 'message', 'requestId']);
        else expect(res.status).toBe(201);
      }),
      { numRuns: 60 },
    );
  });

  it('need a token of a client with a live grant', async () => {
    const res = await fetch(`${client.baseUrl}/log`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'm', severityLevel: 'Info' }),
    });
    expect(res.status).toBe(401);
  });
});

describe('GET /api/v1/client-reports', () => {
  it('shows the operator every report, newest first, with client and app', async () => {
    const res = await (await login('operator@sis.example')).get(`/api/v1/client-reports?appId=${appId}`);
    expect(res.status).toBe(200);
    const all = await stored();
    expect(res.body.data.map((r: { id: string }) => r.id)).toEqual(all.map((r) => String(r.id)));
    const log = res.body.data.find((r: { kind: string; messageType: string | null }) => r.messageType === 'ValueMapping');
    expect(log).toMatchObject({
      kind: 'log',
      client: { id: clientId },
      app: { id: appId, name: 'Läxhjälpen' },
      institutionNumbers: [A, B],
      severityLevel: 'Warning',
    });
    const stats = (await (await login('operator@sis.example')).get(`/api/v1/client-reports?appId=${appId}&kind=statistics`)).body.data;
    expect(stats.length).toBe(all.filter((r) => r.kind === 'statistics').length);
    // The filters: period (days in the deployment's time zone; the clock stands on 2026-11-22), severity, institution.
    const op = await login('operator@sis.example');
    const ids = async (q: string) => (await op.get(`/api/v1/client-reports?appId=${appId}&${q}`)).body.data.map((r: { id: string }) => r.id);
    expect(await ids('from=2026-11-22&to=2026-11-22')).toEqual(all.map((r) => String(r.id)));
    expect(await ids('to=2026-11-21')).toEqual([]);
    expect(await ids('from=2026-11-23')).toEqual([]);
    expect(await ids('severityLevel=Warning')).toEqual(all.filter((r) => r.severity_level === 'Warning').map((r) => String(r.id)));
    expect(await ids(`institutionNumber=${B}`)).toEqual(all.filter((r) => r.institutions.includes(B)).map((r) => String(r.id)));
    expect((await op.get('/api/v1/client-reports?kind=audit')).status).toBe(400);
    expect(stats.find((s: { updatedCount: number }) => s.updatedCount === 234)).toMatchObject({
      newCount: 2,
      updatedCount: 234,
      deletedCount: 0,
      resourceType: 'Activity',
    });
  });

  it('shows a school admin only the reports concerning their institutions, naming only those; others get 403', async () => {
    const all = await stored();
    const a = await (await login('rektor-a@skola.example')).get('/api/v1/client-reports');
    expect(a.status).toBe(200);
    const expected = all.filter((r) => r.institutions.includes(A));
    expect(a.body.data.map((r: { id: string }) => r.id)).toEqual(expected.map((r) => String(r.id)));
    expect(expected.some((r) => r.institutions.includes(B))).toBe(true);
    for (const r of a.body.data) expect(r.institutionNumbers).toEqual([A]);
    // C's admin: the client has no grant at C, so no report concerns C.
    const c = await (await login('rektor-c@skola.example')).get('/api/v1/client-reports');
    expect(c.body.data).toEqual([]);
    for (const who of ['larare-a@skola.example', 'partner@app.example']) expect((await (await login(who)).get('/api/v1/client-reports')).status).toBe(403);
    expect((await harness().client().get('/api/v1/client-reports')).status).toBe(401);
  });
});
