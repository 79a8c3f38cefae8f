import { beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { useHarness } from '../support/harness.ts';
import { generateWorld, type World } from '../../src/generator/index.ts';
import { currentSchoolYear } from '../../src/lib/school-year.ts';
import { ingestBatch } from '../../src/modules/ss12000/ingest.ts';
import type { ReleasedPart } from '../../src/modules/ss12000/tables.ts';
import { insertAdminRight, insertApp, insertClient, insertGrant, insertPartner, insertUser } from '../../src/seed/builders.ts';
import { allowed, createApp, ensureInstitutions, grantAll, Ss12000Client } from './support.ts';

const harness = useHarness();
const NUMBERS = ['350001', '350002'];
const [A, B] = NUMBERS as [string, string];
const PASSWORD = 'correct horse battery';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
let appId: string;
let world: World;

beforeAll(async () => {
  const { ctx, url } = harness();
  world = generateWorld({ seed: 9, schools: 2, students: 40, institutionNumbers: NUMBERS, today: '2026-11-22' });
  await ensureInstitutions(ctx, NUMBERS);
  await ingestBatch(ctx, { upsert: world as never }, { id: null, label: 'test', kind: 'system' });
  const member = await insertUser(ctx.db, { email: 'anna@laxhjalpen.example', password: PASSWORD, displayName: 'Anna', kind: 'partner' });
  const partnerId = await insertPartner(ctx.db, { name: 'Läxhjälpen AB', contactEmail: 'info@laxhjalpen.example', memberUserIds: [member] });
  appId = await insertApp(ctx.db, {
    partnerId,
    name: 'Läxhjälpen',
    status: 'approved',
    apis: [{ apiCode: 'students', dataCategories: ['identity'], purpose: 'Läxor' }],
  });
  const client = await insertClient(ctx.db, { appId, name: 'Läxhjälpen' });
  await grantAll(ctx, client.clientId, 'students', NUMBERS);
  const c = new Ss12000Client(`${url}/ss12000/v2.0`, `${url}/oidc/token`, client.clientId, client.secret);
  await c.get('/persons?limit=5');
  await c.get('/persons?limit=5');
  await c.get('/organisations');
  const year = currentSchoolYear(ctx.clock.now(), { start: ctx.config.SCHOOL_YEAR_START, timeZone: ctx.config.TZ });
  const admin = await insertUser(ctx.db, {
    email: 'rektor@skola.example',
    password: PASSWORD,
    displayName: 'Rektor',
    kind: 'school',
    userManagementAccess: true,
  });
  await insertAdminRight(ctx.db, { userId: admin, right: 'iBasis', institutionNumber: A, schoolYear: year });
  await insertUser(ctx.db, { email: 'other@partner.example', password: PASSWORD, displayName: 'Other', kind: 'partner' }).then((id) =>
    insertPartner(ctx.db, { name: 'Other AB', contactEmail: 'o@partner.example', memberUserIds: [id] }),
  );
  await insertUser(ctx.db, { email: 'operator@sis.example', password: PASSWORD, displayName: 'Olle', kind: 'operator' });
}, 60_000);

const login = async (email: string) => {
  const client = harness().client();
  expect((await client.login(email, PASSWORD)).status).toBe(200);
  return client;
};

type Daily = {
  day: string;
  appId: string;
  institutionNumber: string | null;
  api: string | null;
  endpoint: string;
  entity: string | null;
  requests: number;
  records: number;
  categories: string[];
};

describe('access log, daily aggregate', () => {
  it('shows the partner its app per institution and endpoint, crediting each institution only with its own records', async () => {
    const res = await (await login('anna@laxhjalpen.example')).get('/api/v1/access-log/daily');
    expect(res.status).toBe(200);
    const persons = (res.body.data as Daily[]).filter((r) => r.endpoint === '/persons');
    expect(persons.every((r) => r.day === '2026-11-22' && r.appId === appId && r.api === 'students' && r.entity === 'persons')).toBe(true);
    expect(persons.every((r) => r.requests <= 2 && NUMBERS.includes(r.institutionNumber!))).toBe(true);
    // Two pages of five persons: ten records in all, each at the institution where the app sees it (a student of both counts at both).
    const sum = persons.reduce((n, r) => n + r.records, 0);
    expect(sum).toBeGreaterThanOrEqual(10);
    expect(sum).toBeLessThan(20);
    const organisations = (res.body.data as Daily[]).filter((r) => r.endpoint === '/organisations');
    expect(organisations.map((r) => [r.institutionNumber, r.records, r.categories])).toEqual([
      [A, 1, ['identity']],
      [B, 1, ['identity']],
    ]);
  });

  it('shows a school admin only their institutions, and another partner nothing', async () => {
    const admin = await (await login('rektor@skola.example')).get('/api/v1/access-log/daily');
    expect(admin.status).toBe(200);
    expect(new Set(admin.body.data.map((r: Daily) => r.institutionNumber))).toEqual(new Set([A]));
    const other = await (await login('other@partner.example')).get('/api/v1/access-log/daily');
    expect(other.body.data).toEqual([]);
    expect((await harness().client().get('/api/v1/access-log/daily')).status).toBe(401);
  });
});

describe('access log, exact per institution and API', () => {
  const unitOf = (n: string) => world.organisations.find((o) => o.organisationType === 'Skolenhet' && o.organisationCode === n)!.id;
  const STUDENT_CATEGORIES = ['identity', 'birth_date'];
  const STAFF_CATEGORIES = ['identity', 'private_email'];
  let client: Ss12000Client;
  let exactAppId: string;
  /** Request id → what the answer held, for the reads made in this block. */
  const reads = new Map<string, { endpoint: string; expected: ReleasedPart[]; total: number }>();

  const read = async (endpoint: string, path: string, expected: ReleasedPart[], total: number, body?: unknown) => {
    const res = await client.request(body === undefined ? 'GET' : 'POST', path, body);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const id = res.headers.get('x-request-id')!;
    expect(id).toMatch(UUID);
    reads.set(id, { endpoint, expected, total });
    return res.body;
  };
  const part = (institution: string, api: 'students' | 'staff', entity: string, records: number): ReleasedPart => ({
    institution,
    api,
    entity,
    records,
    categories: entity === 'persons' ? (api === 'students' ? STUDENT_CATEGORIES : STAFF_CATEGORIES) : ['identity'],
  });

  beforeAll(async () => {
    const { ctx, url } = harness();
    // The Students API at A only, the Staff API at B only.
    const app = await createApp(ctx, { students: STUDENT_CATEGORIES, staff: STAFF_CATEGORIES });
    exactAppId = app.appId;
    await insertGrant(ctx.db, { clientId: app.clientId, apiCode: 'students', institutionNumber: A });
    await insertGrant(ctx.db, { clientId: app.clientId, apiCode: 'staff', institutionNumber: B });
    client = new Ss12000Client(`${url}/ss12000/v2.0`, `${url}/oidc/token`, app.clientId, app.secret);
    const may = allowed(world, { students: [A], staff: [B] }, false);
    const [unitA, unitB] = [unitOf(A), unitOf(B)];

    const duties = world.duties.filter((d) => d.dutyAt.id === unitB);
    expect((await read('/duties', '/duties', [part(B, 'staff', 'duties', duties.length)], duties.length)).data).toHaveLength(duties.length);

    const persons = (await client.crawl('/persons', 1000)).items.map((p) => p.id as string);
    expect(new Set(persons)).toEqual(may.persons);
    const students = persons.filter((id) => may.studentIds.has(id)).length;
    const staff = persons.filter((id) => may.staffIds.has(id)).length;
    expect(students * staff).toBeGreaterThan(0);
    await read('/persons', '/persons?limit=1000', [part(A, 'students', 'persons', students), part(B, 'staff', 'persons', staff)], persons.length);

    const groupsA = world.groups.filter((g) => g.organisation.id === unitA).length;
    const groupsB = world.groups.filter((g) => g.organisation.id === unitB).length;
    await read('/groups', '/groups', [part(A, 'students', 'groups', groupsA), part(B, 'staff', 'groups', groupsB)], groupsA + groupsB);
    await read('/organisations', '/organisations', [part(A, 'students', 'organisations', 1), part(B, 'staff', 'organisations', 1)], 2);

    const student = [...may.studentIds].find((id) => !may.staffIds.has(id))!;
    const teacher = duties[0]!.person!.id;
    await read('/persons/lookup', '/persons/lookup', [part(A, 'students', 'persons', 1), part(B, 'staff', 'persons', 1)], 2, { ids: [student, teacher] });
    await read('/duties/{id}', `/duties/${duties[0]!.id}`, [part(B, 'staff', 'duties', 1)], 1);

    // Embedded records count as what they are: each duty's person is staff data of B too.
    const withPerson = await read('/duties', '/duties?expand=person', [], 0);
    const embedded = withPerson.data.filter((d: { _embedded?: { person?: unknown } }) => d._embedded?.person).length;
    expect(embedded).toBeGreaterThan(0);
    reads.set([...reads].at(-1)![0], {
      endpoint: '/duties',
      expected: [part(B, 'staff', 'duties', duties.length), part(B, 'staff', 'persons', embedded)],
      total: duties.length + embedded,
    });

    // A refusal is logged, releasing nothing.
    const missing = await client.get(`/persons/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`);
    expect(missing.status).toBe(404);
    reads.set(missing.headers.get('x-request-id')!, { endpoint: '/persons/{id}', expected: [], total: 0 });
    // Ids of deleted records are counted, at no institution.
    await ingestBatch(ctx, { delete: { duties: [duties.at(-1)!.id] } }, { id: null, label: 'test', kind: 'system' });
    const deleted = await client.get('/deletedEntities');
    expect(deleted.status).toBe(200);
    const ids = Object.values(deleted.body.data as Record<string, string[]>).flat().length;
    expect(ids).toBe(1);
    reads.set(deleted.headers.get('x-request-id')!, { endpoint: '/deletedEntities', expected: [], total: ids });
    // HEAD is answered from the GET route but sends no body: nothing released.
    const head = await client.request('HEAD', '/duties');
    expect(head.status).toBe(200);
    reads.set(head.headers.get('x-request-id')!, { endpoint: '/duties', expected: [], total: 0 });
  }, 60_000);

  it('stores per request exactly the institutions, APIs, counts and categories released, committed before the answer', async () => {
    const { ctx } = harness();
    // No waiting: the row of an answered read is in the database before its answer leaves.
    const rows = await ctx.db
      .selectFrom('ss12000_access_log')
      .selectAll()
      .select(sql<ReleasedPart[]>`(SELECT coalesce(jsonb_agg(p), '[]') FROM ss12000_access_log_parts(released) p)`.as('parts'))
      .where('request_id', 'in', [...reads.keys()])
      .execute();
    expect(rows).toHaveLength(reads.size);
    const sortParts = (parts: ReleasedPart[]) =>
      [...parts].sort((x, y) => `${x.institution}${x.api}${x.entity}`.localeCompare(`${y.institution}${y.api}${y.entity}`));
    for (const row of rows) {
      const want = reads.get(row.request_id!)!;
      expect({ endpoint: row.endpoint, released: sortParts(row.parts), total: row.record_count }).toEqual({
        endpoint: want.endpoint,
        released: sortParts(want.expected.filter((p) => p.records > 0)),
        total: want.total,
      });
      expect(row.institution_numbers).toEqual([...new Set(want.expected.filter((p) => p.records > 0).map((p) => p.institution))].sort());
    }
  });

  it('credits a person to the API of the role they were released in, when both APIs are granted at one unit', async () => {
    const { ctx, url } = harness();
    const app = await createApp(ctx, { students: STUDENT_CATEGORIES, staff: STAFF_CATEGORIES });
    await insertGrant(ctx.db, { clientId: app.clientId, apiCode: 'students', institutionNumber: A });
    await insertGrant(ctx.db, { clientId: app.clientId, apiCode: 'staff', institutionNumber: A });
    const both = new Ss12000Client(`${url}/ss12000/v2.0`, `${url}/oidc/token`, app.clientId, app.secret);
    const may = allowed(world, { students: [A], staff: [A] }, false);
    const res = await both.get('/persons?limit=1000');
    expect(res.status).toBe(200);
    const ids = res.body.data.map((p: { id: string }) => p.id as string);
    const [row] = await ctx.db
      .selectFrom('ss12000_access_log')
      .select(sql<ReleasedPart[]>`(SELECT coalesce(jsonb_agg(p), '[]') FROM ss12000_access_log_parts(released) p)`.as('parts'))
      .where('request_id', '=', res.headers.get('x-request-id')!)
      .execute();
    // A unit granted under both APIs: each person counts under the API of their role only, summed over institutions.
    const records = (api: string) => row!.parts.filter((p) => p.api === api && p.entity === 'persons').reduce((n, p) => n + p.records, 0);
    expect({ students: records('students'), staff: records('staff') }).toEqual({
      students: ids.filter((id: string) => may.studentIds.has(id)).length,
      staff: ids.filter((id: string) => may.staffIds.has(id)).length,
    });
    expect(records('students')).toBeLessThan(ids.length);
  });

  it('the daily aggregate credits only the institutions and APIs whose records were released', async () => {
    const res = await (await login('operator@sis.example')).get(`/api/v1/access-log/daily?appId=${exactAppId}`);
    expect(res.status).toBe(200);
    const data = res.body.data as Daily[];
    // Nothing of the Staff API at A, nothing of the Students API at B.
    expect(data.filter((r) => (r.institutionNumber === A && r.api !== 'students') || (r.institutionNumber === B && r.api !== 'staff'))).toEqual([]);
    const at = (institution: string | null, endpoint: string, entity: string | null) =>
      data
        .filter((r) => r.institutionNumber === institution && r.endpoint === endpoint && r.entity === entity)
        .map((r) => [r.api, r.requests, r.records, r.categories]);
    const duties = world.duties.filter((d) => d.dutyAt.id === unitOf(B)).length;
    expect(at(A, '/duties', 'duties')).toEqual([]);
    expect(at(B, '/duties', 'duties')).toEqual([['staff', 2, 2 * duties, ['identity']]]);
    expect(at(B, '/duties', 'persons')).toEqual([['staff', 1, expect.any(Number), STAFF_CATEGORIES]]);
    expect(at(B, '/duties/{id}', 'duties')).toEqual([['staff', 1, 1, ['identity']]]);
    expect(at(A, '/persons/lookup', 'persons')).toEqual([['students', 1, 1, STUDENT_CATEGORIES]]);
    expect(at(B, '/persons/lookup', 'persons')).toEqual([['staff', 1, 1, STAFF_CATEGORIES]]);
    // The crawl and the single page of /persons; the 404 released nothing and has no institution.
    expect(at(A, '/persons', 'persons')[0]).toEqual(['students', 2, expect.any(Number), STUDENT_CATEGORIES]);
    expect(at(null, '/persons/{id}', null)).toEqual([[null, 1, 0, []]]);
    expect(at(null, '/duties', null)).toEqual([[null, 1, 0, []]]);
  });

  it('reads rows written in the per-institution shape of migration 0047 as it reads the compact ones', async () => {
    const { ctx } = harness();
    const partnerId = await insertPartner(ctx.db, { name: 'Gamla AB', contactEmail: 'info@gamla.example' });
    const oldApp = await insertApp(ctx.db, {
      partnerId,
      name: 'Gamla appen',
      status: 'approved',
      apis: [{ apiCode: 'students', dataCategories: ['identity'], purpose: 'Läxor' }],
    });
    const row = { client_id: null, app_id: oldApp, partner_id: partnerId, method: 'GET', endpoint: '/persons', status: 200 };
    await ctx.db
      .insertInto('ss12000_access_log')
      .values([
        // As written between migrations 0047 and 0052: one element per institution.
        {
          ...row,
          at: ctx.clock.now(),
          institution_numbers: [A, B],
          record_count: 5,
          released: JSON.stringify([
            { institution: A, api: 'students', entity: 'persons', records: 3, categories: ['identity'] },
            { institution: B, api: 'students', entity: 'persons', records: 2, categories: ['identity'] },
          ]),
        },
        // As written since: one element per API and entity type, records per institution.
        {
          ...row,
          at: ctx.clock.now(),
          institution_numbers: [A],
          record_count: 4,
          released: JSON.stringify([{ api: 'students', entity: 'persons', categories: ['identity'], institutions: { [A]: 4 } }]),
        },
      ])
      .execute();
    const res = await (await login('operator@sis.example')).get(`/api/v1/access-log/daily?appId=${oldApp}`);
    expect(res.status).toBe(200);
    expect((res.body.data as Daily[]).map((r) => [r.institutionNumber, r.api, r.entity, r.requests, r.records])).toEqual([
      [A, 'students', 'persons', 2, 7],
      [B, 'students', 'persons', 1, 2],
    ]);
  });

  it('gives every answer its own X-Request-Id, whatever the client sends', async () => {
    const res = await fetch(`${harness().url}/ss12000/v2.0/organisations`, { headers: { 'x-request-id': 'mine' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('x-request-id')).toMatch(UUID);
  });

  it('answers 503 access_log_unavailable, not the data, when the read cannot be recorded', async () => {
    const { ctx } = harness();
    await sql`ALTER TABLE ss12000_access_log RENAME TO ss12000_access_log_away`.execute(ctx.db);
    try {
      const res = await client.get('/duties');
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ code: 'access_log_unavailable', message: expect.any(String), requestId: res.headers.get('x-request-id') });
    } finally {
      await sql`ALTER TABLE ss12000_access_log_away RENAME TO ss12000_access_log`.execute(ctx.db);
    }
    expect((await client.get('/duties')).status).toBe(200);
  });
});

describe('access log, a person released through two school units', () => {
  // The oracle, from this fixture alone: Alva is enrolled at both A and B, Bo at B only; Cia is
  // enrolled at A and has a duty at B (a student at one, staff at the other).
  const alva = randomUUID();
  const bo = randomUUID();
  const cia = randomUUID();
  const STUDENTS = ['identity', 'birth_date'];
  const STAFF = ['identity', 'private_email'];
  const unitOf = (n: string) => world.organisations.find((o) => o.organisationType === 'Skolenhet' && o.organisationCode === n)!.id;

  /** The stored row of one answered read: institutions, total and `released` as written, its groups sorted by API. */
  const logged = async (res: { status: number; headers: Headers; body: unknown }) => {
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const row = await harness()
      .ctx.db.selectFrom('ss12000_access_log')
      .select(['institution_numbers', 'record_count', 'released'])
      .where('request_id', '=', res.headers.get('x-request-id')!)
      .executeTakeFirstOrThrow();
    return { ...row, released: [...row.released].sort((x, y) => `${x.api}`.localeCompare(`${y.api}`)) };
  };
  const clientFor = async (categories: Record<string, string[]>, apis: string[]) => {
    const { ctx, url } = harness();
    const app = await createApp(ctx, categories);
    for (const api of apis) await grantAll(ctx, app.clientId, api, [A, B]);
    return new Ss12000Client(`${url}/ss12000/v2.0`, `${url}/oidc/token`, app.clientId, app.secret);
  };

  beforeAll(async () => {
    const { ctx } = harness();
    const enrolment = (unit: string) => ({ enroledAt: { id: unit }, schoolType: 'GR', startDate: '2026-08-18' });
    const [unitA, unitB] = [unitOf(A), unitOf(B)];
    await ingestBatch(
      ctx,
      {
        upsert: {
          persons: [
            { id: alva, givenName: 'Alva', familyName: 'Två', birthDate: '2013-04-02', enrolments: [enrolment(unitA), enrolment(unitB)] },
            { id: bo, givenName: 'Bo', familyName: 'En', birthDate: '2013-05-03', enrolments: [enrolment(unitB)] },
            { id: cia, givenName: 'Cia', familyName: 'Båda', birthDate: '2008-06-04', enrolments: [enrolment(unitA)] },
          ],
          duties: [{ id: randomUUID(), person: { id: cia }, dutyAt: { id: unitB }, dutyRole: 'Lärare', startDate: '2026-08-01' }],
        },
      },
      { id: null, label: 'test', kind: 'system' },
    );
  }, 60_000);

  it('credits a student of two granted schools once to each, and a student of one only there', async () => {
    const client = await clientFor({ students: STUDENTS }, ['students']);
    const one = await logged(await client.get(`/persons/${alva}`));
    expect(one).toEqual({
      institution_numbers: [A, B],
      record_count: 1,
      released: [{ api: 'students', entity: 'persons', categories: STUDENTS, institutions: { [A]: 1, [B]: 1 } }],
    });
    const lookup = await client.request('POST', '/persons/lookup', { ids: [alva, bo] });
    // A lookup answers a bare array.
    expect(lookup.body.map((p: { id: string }) => p.id).sort()).toEqual([alva, bo].sort());
    expect(await logged(lookup)).toEqual({
      institution_numbers: [A, B],
      record_count: 2,
      released: [{ api: 'students', entity: 'persons', categories: STUDENTS, institutions: { [A]: 1, [B]: 2 } }],
    });
  });

  it('credits a student at one granted school and staff at the other under each API at its own school', async () => {
    const client = await clientFor({ students: STUDENTS, staff: STAFF }, ['students', 'staff']);
    expect(await logged(await client.get(`/persons/${cia}`))).toEqual({
      institution_numbers: [A, B],
      record_count: 1,
      released: [
        { api: 'staff', entity: 'persons', categories: STAFF, institutions: { [B]: 1 } },
        { api: 'students', entity: 'persons', categories: STUDENTS, institutions: { [A]: 1 } },
      ],
    });
    const lookup = await client.request('POST', '/persons/lookup', { ids: [alva, bo, cia] });
    expect(lookup.body.map((p: { id: string }) => p.id).sort()).toEqual([alva, bo, cia].sort());
    expect(await logged(lookup)).toEqual({
      institution_numbers: [A, B],
      record_count: 3,
      released: [
        { api: 'staff', entity: 'persons', categories: STAFF, institutions: { [B]: 1 } },
        { api: 'students', entity: 'persons', categories: STUDENTS, institutions: { [A]: 2, [B]: 2 } },
      ],
    });
  });
});
