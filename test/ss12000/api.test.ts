import { beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { useHarness } from '../support/harness.ts';
import { generateWorld, type World } from '../../src/generator/index.ts';
import { ingestBatch } from '../../src/modules/ss12000/ingest.ts';
import { allowed, createApp, ensureInstitutions, grantAll, protectedLeaks, Ss12000Client } from './support.ts';

const harness = useHarness();
const NUMBERS = ['310001', '310002', '310003', '310004'];
const SYSTEM = { id: null, label: 'test loader', kind: 'system' as const };
let world: World;

const client = (app: { clientId: string; secret: string }, auth: 'basic' | 'post' = 'post') =>
  new Ss12000Client(`${harness().url}/ss12000/v2.0`, `${harness().url}/oidc/token`, app.clientId, app.secret, auth);

beforeAll(async () => {
  const { ctx } = harness();
  world = generateWorld({ seed: 7, schools: 4, students: 160, institutionNumbers: NUMBERS, today: '2026-11-22' });
  await ensureInstitutions(ctx, NUMBERS);
  await ingestBatch(ctx, { upsert: world as never }, SYSTEM);
}, 60_000);

describe('SS 12000 read API, as a client written for EduCloud uses it', () => {
  it('pages through exactly the persons of the granted school units, with Basic and with form-post credentials', async () => {
    const { ctx } = harness();
    const app = await createApp(ctx, { students: ['identity'], staff: ['identity'] });
    await grantAll(ctx, app.clientId, 'students', [NUMBERS[0]!, NUMBERS[1]!]);
    await grantAll(ctx, app.clientId, 'staff', [NUMBERS[0]!]);
    const expected = allowed(world, { students: [NUMBERS[0]!, NUMBERS[1]!], staff: [NUMBERS[0]!] }, false);
    for (const auth of ['basic', 'post'] as const) {
      const { items, pages } = await client(app, auth).crawl('/persons', 17);
      const ids = items.map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(new Set(ids)).toEqual(expected.persons);
      expect(pages).toBe(Math.ceil(expected.persons.size / 17) || 1);
    }
  });

  it('leaves out fields of data categories the app is not approved for (absent, not null)', async () => {
    const { ctx } = harness();
    const app = await createApp(ctx, { students: ['identity'] });
    await grantAll(ctx, app.clientId, 'students', [NUMBERS[0]!]);
    const { items } = await client(app).crawl('/persons', 1000);
    expect(items.length).toBeGreaterThan(10);
    for (const p of items) {
      for (const f of ['civicNo', 'addresses', 'phoneNumbers', 'photo', 'birthDate', 'sex', 'responsibles']) expect(p).not.toHaveProperty(f);
      for (const e of p.emails ?? []) expect(e.type).not.toBe('Privat');
      expect(p.meta.created).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    }
  });

  it('releases approved categories, but never civicNo, addresses or contact data of a protected person', async () => {
    const { ctx } = harness();
    const all = ['identity', 'civic_number', 'birth_date', 'sex', 'addresses', 'phone_numbers', 'private_email', 'photo', 'guardians'];
    const app = await createApp(ctx, { students: all, staff: all });
    await grantAll(ctx, app.clientId, 'students', NUMBERS);
    await grantAll(ctx, app.clientId, 'staff', NUMBERS);
    const c = client(app);
    const { items } = await c.crawl('/persons', 1000);
    const expected = allowed(world, { students: NUMBERS, staff: NUMBERS }, true);
    expect(new Set(items.map((p) => p.id))).toEqual(expected.persons);
    const visible = items.filter((p) => p.securityMarking !== 'Skyddad folkbokföring');
    expect(visible.some((p) => p.civicNo && p.addresses && p.birthDate)).toBe(true);
    expect(visible.some((p) => p.responsibles?.length)).toBe(true);
    // Make sure there is a protected person to test with.
    const victim = items.find((p) => p.securityMarking !== 'Skyddad folkbokföring' && p.enrolments)!;
    const body = world.persons.find((p) => p.id === victim.id)!;
    await ingestBatch(ctx, { upsert: { persons: [{ ...body, securityMarking: 'Skyddad folkbokföring' }] } }, SYSTEM);
    const protectedIds = new Set(world.persons.filter((p) => p.securityMarking === 'Skyddad folkbokföring').map((p) => p.id));
    protectedIds.add(victim.id);
    const responses = [
      (await c.crawl('/persons', 1000)).items,
      (await c.crawl('/persons?expand=responsibleFor,groupMemberships', 1000)).items,
      (await c.crawl('/placements?expand=child,owners', 1000)).items,
      (await c.crawl('/duties?expand=person', 1000)).items,
      (await c.request('POST', '/persons/lookup', { ids: [...protectedIds] })).body,
      (await c.get(`/persons/${victim.id}`)).body,
    ];
    expect((await c.get(`/persons/${victim.id}`)).body.securityMarking).toBe('Skyddad folkbokföring');
    expect(protectedLeaks(responses, protectedIds)).toEqual([]);
    await ingestBatch(ctx, { upsert: { persons: [body] } }, SYSTEM);
  });

  it('finds a person by civic number only where the number could be read (never a protected one)', async () => {
    const { ctx } = harness();
    const unit = world.organisations.find((o) => o.organisationCode === NUMBERS[0])!;
    const pupils = world.persons.filter((p) => p.enrolments?.some((e) => e.enroledAt.id === unit.id));
    const open = pupils.find((p) => p.securityMarking !== 'Skyddad folkbokföring')!;
    const shielded = { ...pupils.find((p) => p.id !== open.id)!, securityMarking: 'Skyddad folkbokföring' as const };
    await ingestBatch(ctx, { upsert: { persons: [shielded] } }, SYSTEM);
    const withCivic = await createApp(ctx, { students: ['identity', 'civic_number'] });
    const without = await createApp(ctx, { students: ['identity'] });
    for (const app of [withCivic, without]) await grantAll(ctx, app.clientId, 'students', [NUMBERS[0]!]);
    const a = client(withCivic);
    const b = client(without);
    const civicNos = [open.civicNo!.value, shielded.civicNo!.value];
    expect((await a.request('POST', '/persons/lookup', { civicNos })).body.map((p: { id: string }) => p.id)).toEqual([open.id]);
    expect((await a.get(`/persons?civicNo=${open.civicNo!.value}`)).body.data.map((p: { id: string }) => p.id)).toEqual([open.id]);
    expect((await a.get(`/persons?civicNo=${shielded.civicNo!.value}`)).body.data).toEqual([]);
    expect((await b.request('POST', '/persons/lookup', { civicNos })).body).toEqual([]);
    expect((await b.get(`/persons?civicNo=${open.civicNo!.value}`)).body.data).toEqual([]);
    await ingestBatch(ctx, { upsert: { persons: [world.persons.find((p) => p.id === shielded.id)!] } }, SYSTEM);
  });

  it('answers errors as flat {code, message}: no token, bad parameters, pageToken with filters, unknown id', async () => {
    const { ctx, url } = harness();
    const anonymous = await fetch(`${url}/ss12000/v2.0/persons`);
    expect(anonymous.status).toBe(401);
    expect(Object.keys(await anonymous.json()).sort()).toEqual(['code', 'message', 'requestId']);
    const app = await createApp(ctx, { students: ['identity'] });
    await grantAll(ctx, app.clientId, 'students', [NUMBERS[0]!]);
    const c = client(app);
    const first = await c.get('/persons?limit=2');
    const forged = (sortkey: string, value: string) =>
      Buffer.from(
        JSON.stringify({
          v: 1,
          e: sortkey === 'StartDateAsc' ? 'groups' : 'persons',
          q: { filters: {}, expand: [], expandReferenceNames: false, sortkey },
          l: 5,
          k: [value, '6f1c1d8e-2a0b-4c59-9b0e-7d3c2a1b0f9e'],
        }),
      ).toString('base64url');
    const modifiedPage = await c.get('/persons?limit=2&sortkey=ModifiedDesc');
    const secondPage = await c.get(`/persons?pageToken=${modifiedPage.body.pageToken}`);
    expect(secondPage.status).toBe(200);
    expect(secondPage.body.data.length).toBe(2);
    expect(first.body.pageToken).toBeTruthy();
    for (const [path, code] of [
      [`/persons?pageToken=${first.body.pageToken}&nameContains=a`, 'page_token_with_filters'],
      ['/persons?pageToken=garbage', 'invalid_page_token'],
      [`/persons?pageToken=${forged('ModifiedDesc', 'not a time')}`, 'invalid_page_token'],
      [`/groups?pageToken=${forged('StartDateAsc', '2026-13-45')}`, 'invalid_page_token'],
      ['/persons?limit=0', 'invalid_parameter'],
      ['/persons?sortkey=Nope', 'invalid_parameter'],
      ['/persons?colour=blue', 'unknown_parameter'],
      ['/groups?groupType=Klassrum', 'invalid_parameter'],
      ['/persons?meta.modified.after=yesterday', 'invalid_parameter'],
      ['/groups?startDate.onOrAfter=2026-02-30', 'invalid_parameter'],
      ['/persons/not-a-uuid', 'invalid_id'],
    ] as const) {
      const res = await c.get(path);
      expect(res.status, path).toBe(400);
      expect(res.body.code, path).toBe(code);
      expect(Object.keys(res.body).sort()).toEqual(['code', 'message', 'requestId']);
    }
    const otherSchoolsPerson = world.persons.find((p) =>
      p.enrolments?.some((e) => e.enroledAt.id === world.organisations.find((o) => o.organisationCode === NUMBERS[3])!.id),
    )!;
    const missing = await c.get(`/persons/${otherSchoolsPerson.id}`);
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('not_found');
  });

  it('stops at once when a grant is revoked or the app is suspended', async () => {
    const { ctx } = harness();
    const app = await createApp(ctx, { students: ['identity'] });
    await grantAll(ctx, app.clientId, 'students', [NUMBERS[0]!, NUMBERS[1]!]);
    const c = client(app);
    const before = (await c.crawl('/organisations')).items.map((o) => o.organisationCode).sort();
    expect(before).toEqual([NUMBERS[0], NUMBERS[1]]);
    await ctx.db.deleteFrom('grants').where('client_id', '=', app.clientId).where('institution_number', '=', NUMBERS[1]!).execute();
    expect((await c.crawl('/organisations')).items.map((o) => o.organisationCode)).toEqual([NUMBERS[0]]);
    await ctx.db.updateTable('apps').set({ status: 'suspended' }).where('id', '=', app.appId).execute();
    const refused = await c.get('/organisations');
    expect(refused.status).toBe(403);
    expect(Object.keys(refused.body).sort()).toEqual(['code', 'message', 'requestId']);
  });

  it('authorizes every read before its request is judged, and releases nothing its live grants no longer reach', async () => {
    const { ctx } = harness();
    const app = await createApp(ctx, { students: ['identity'] });
    await grantAll(ctx, app.clientId, 'students', [NUMBERS[0]!, NUMBERS[1]!]);
    const c = client(app);
    // The first read makes the process know the client's scope, so the next ones are authorized in
    // the statement that reads their records (routes.ts): a bad request must not skip that.
    const first = await c.get('/organisations');
    expect(first.status).toBe(200);
    const second = first.body.data.find((o: { organisationCode: string }) => o.organisationCode === NUMBERS[1]);
    let remaining = Number(first.headers.get('ratelimit-remaining'));
    const bad = [
      await c.get('/organisations?limit=zero'),
      await c.get('/organisations/not-a-uuid'),
      await c.get(`/organisations/${second.id}?expand=nothing`),
      await c.request('POST', '/organisations/lookup', { ids: 'not a list' }),
    ];
    for (const res of bad) {
      expect(res.status).toBe(400);
      expect(Number(res.headers.get('ratelimit-remaining'))).toBe(--remaining);
      const logged = await ctx.db
        .selectFrom('ss12000_access_log')
        .select(['status', 'record_count'])
        .where('client_id', '=', app.clientId)
        .where('request_id', '=', res.headers.get('x-request-id')!)
        .execute();
      expect(logged).toEqual([{ status: 400, record_count: 0 }]);
    }
    // Read by id and by lookup while the process knows the grant, then once it is gone.
    expect((await c.get(`/organisations/${second.id}`)).status).toBe(200);
    expect((await c.request('POST', '/organisations/lookup', { ids: [second.id] })).body).toHaveLength(1);
    await ctx.db.deleteFrom('grants').where('client_id', '=', app.clientId).where('institution_number', '=', NUMBERS[1]!).execute();
    expect((await c.get(`/organisations/${second.id}`)).status).toBe(404);
    expect((await c.request('POST', '/organisations/lookup', { ids: [second.id] })).body).toEqual([]);
    await ctx.db.updateTable('apps').set({ status: 'suspended' }).where('id', '=', app.appId).execute();
    for (const res of [
      await c.get('/organisations?limit=zero'),
      await c.get('/organisations/not-a-uuid'),
      await c.request('POST', '/organisations/lookup', { ids: 'not a list' }),
    ]) {
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('client_not_allowed');
    }
  });

  it('filters: array parameters as repeated keys, key[]= and comma lists; UTF-8 values; dates; names', async () => {
    const { ctx } = harness();
    const app = await createApp(ctx, { students: ['identity'], staff: ['identity'] });
    await grantAll(ctx, app.clientId, 'students', NUMBERS);
    await grantAll(ctx, app.clientId, 'staff', NUMBERS);
    const c = client(app);
    const want = world.groups
      .filter((g) => g.groupType === 'Klass' || g.groupType === 'Undervisning')
      .map((g) => g.id)
      .sort();
    for (const q of ['groupType=Klass&groupType=Undervisning', 'groupType[]=Klass&groupType[]=Undervisning', 'groupType=Klass,Undervisning']) {
      const { items } = await c.crawl(`/groups?${q}`);
      expect(items.map((g) => g.id).sort(), q).toEqual(want);
    }
    const teachers = await c.crawl(`/duties?dutyRole=${encodeURIComponent('Lärare')}`);
    expect(teachers.items.length).toBe(world.duties.filter((d) => d.dutyRole === 'Lärare').length);
    expect(teachers.items.every((d) => d.dutyRole === 'Lärare')).toBe(true);
    const avd = await c.crawl(`/groups?groupType=${encodeURIComponent('Övrigt')}`);
    expect(avd.items).toEqual([]);
    const students = world.persons.filter((p) => p.enrolments?.length);
    const someone = students.find((p) => /[åäö]/i.test(p.familyName)) ?? students[0]!;
    const needle = someone.familyName.slice(0, 4).toUpperCase();
    const byName = await c.crawl(`/persons?nameContains=${encodeURIComponent(needle)}`);
    expect(byName.items.some((p) => p.id === someone.id)).toBe(true);
    expect(byName.items.every((p) => `${p.givenName} ${p.familyName}`.toLowerCase().includes(needle.toLowerCase()))).toBe(true);
    // Enrolments that ended yesterday are excluded by endDate.onOrAfter=today (open-ended kept).
    const unit = world.organisations.find((o) => o.organisationCode === NUMBERS[0])!;
    const current = await c.crawl(`/persons?relationship.entity.type=enrolment&relationship.organisation=${unit.id}&relationship.endDate.onOrAfter=2026-11-22`);
    const expectedCurrent = world.persons.filter((p) => p.enrolments?.some((e) => e.enroledAt.id === unit.id && (!e.endDate || e.endDate >= '2026-11-22')));
    expect(new Set(current.items.map((p) => p.id))).toEqual(new Set(expectedCurrent.map((p) => p.id)));
    const sorted = await c.crawl('/persons?sortkey=FamilyNameDesc', 23);
    const names = sorted.items.map((p) => p.familyName);
    expect(sorted.items.length).toBe(new Set(sorted.items.map((p) => p.id)).size);
    expect(sorted.items.length).toBe(allowed(world, { students: NUMBERS, staff: NUMBERS }, false).persons.size);
    const byDb = await c.get('/persons?sortkey=FamilyNameDesc&limit=1000');
    expect(names).toEqual(byDb.body.data.map((p: { familyName: string }) => p.familyName));
  });

  it('filters by start and end dates (open-ended records always pass endDate filters) and by meta times', async () => {
    const { ctx } = harness();
    const app = await createApp(ctx, { students: ['identity'], staff: ['identity'] });
    await grantAll(ctx, app.clientId, 'students', NUMBERS);
    await grantAll(ctx, app.clientId, 'staff', NUMBERS);
    const c = client(app);
    const ids = (items: { id: string }[]) => new Set(items.map((i) => i.id));
    const startedLater = await c.crawl('/duties?startDate.onOrAfter=2026-11-23');
    expect(ids(startedLater.items)).toEqual(new Set(world.duties.filter((d) => d.startDate >= '2026-11-23').map((d) => d.id)));
    const endedBefore = await c.crawl('/duties?endDate.onOrBefore=2026-11-21');
    expect(ids(endedBefore.items)).toEqual(new Set(world.duties.filter((d) => !d.endDate || d.endDate <= '2026-11-21').map((d) => d.id)));
    const stillOn = await c.crawl('/duties?endDate.onOrAfter=2026-11-22&startDate.onOrBefore=2026-11-22');
    expect(ids(stillOn.items)).toEqual(
      new Set(world.duties.filter((d) => (!d.endDate || d.endDate >= '2026-11-22') && d.startDate <= '2026-11-22').map((d) => d.id)),
    );
    const now = harness().clock.now().toISOString();
    expect((await c.crawl(`/groups?meta.created.after=${encodeURIComponent(now)}`)).items).toEqual([]);
    expect((await c.crawl(`/groups?meta.created.before=${encodeURIComponent(now)}`)).items.length).toBe(world.groups.length);
  });

  it('expands and names references on request', async () => {
    const { ctx } = harness();
    const app = await createApp(ctx, { students: ['identity'], staff: ['identity'] });
    await grantAll(ctx, app.clientId, 'students', [NUMBERS[0]!]);
    await grantAll(ctx, app.clientId, 'staff', [NUMBERS[0]!]);
    const c = client(app);
    const acts = await c.get('/activities?limit=5&expand=groups,teachers,syllabus&expandReferenceNames=true');
    expect(acts.status).toBe(200);
    const a = acts.body.data[0];
    expect(a._embedded.groups[0].id).toBe(a.groups[0].id);
    expect(a._embedded.teachers[0].id).toBe(a.teachers[0].duty.id);
    expect(a._embedded.syllabus.id).toBe(a.syllabus.id);
    expect(a.organisation.displayName).toBeTruthy();
    const plain = await c.get('/activities?limit=5');
    expect(plain.body.data[0].organisation).not.toHaveProperty('displayName');
    const groups = await c.crawl('/groups?groupType=Klass&expand=assignmentRoles');
    expect(groups.items.some((g) => g._embedded.assignmentRoles.some((r: { assignmentRoleType: string }) => r.assignmentRoleType === 'Mentor'))).toBe(true);
    for (const g of groups.items) {
      const expected = world.duties.flatMap((d) =>
        (d.assignmentRole ?? [])
          .filter((a) => a.group.id === g.id)
          .map((a) => ({ duty: { id: d.id }, assignmentRoleType: a.assignmentRoleType, startDate: a.startDate, endDate: a.endDate })),
      );
      const byDuty = (x: { duty: { id: string } }, y: { duty: { id: string } }) => x.duty.id.localeCompare(y.duty.id);
      expect([...g._embedded.assignmentRoles].sort(byDuty)).toEqual(expected.map((e) => JSON.parse(JSON.stringify(e))).sort(byDuty));
    }
    // Without the staff API the roles (which name duties) are not there.
    const studentsOnly = await createApp(ctx, { students: ['identity'] });
    await grantAll(ctx, studentsOnly.clientId, 'students', [NUMBERS[0]!]);
    const s = await client(studentsOnly).crawl('/groups?groupType=Klass&expand=assignmentRoles');
    expect(s.items.length).toBe(groups.items.length);
    expect(s.items.every((g) => g._embedded.assignmentRoles.length === 0)).toBe(true);
  });

  it('records every request in the access log', async () => {
    const { ctx } = harness();
    const app = await createApp(ctx, { students: ['identity'] });
    await grantAll(ctx, app.clientId, 'students', [NUMBERS[2]!]);
    const c = client(app);
    await c.get('/persons?limit=3');
    await c.get('/organisations');
    // Each row is committed before its response is sent: no waiting.
    const rows = await ctx.db.selectFrom('ss12000_access_log').selectAll().where('app_id', '=', app.appId).orderBy('id').execute();
    expect(rows.map((r) => [r.endpoint, r.record_count, r.institution_numbers])).toEqual([
      ['/persons', 3, [NUMBERS[2]]],
      ['/organisations', 1, [NUMBERS[2]]],
    ]);
  });

  it('limits requests per client, counted in the database, with 429 and Retry-After', async () => {
    const { ctx } = harness();
    const app = await createApp(ctx, { students: ['identity'] });
    await ctx.db.insertInto('ss12000_rate_limits').values({ app_id: app.appId, requests_per_minute: 3 }).execute();
    const c = client(app);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push(await c.get('/organisations'));
    expect(statuses.map((s) => s.status)).toEqual([200, 200, 200, 429]);
    expect(statuses[0]!.headers.get('ratelimit-limit')).toBe('3');
    expect(statuses[3]!.body.code).toBe('rate_limited');
    expect(Number(statuses[3]!.headers.get('retry-after'))).toBeGreaterThan(0);
    harness().clock.advance(61_000);
    expect((await c.get('/organisations')).status).toBe(200);
  });

  it('refuses a client over its limit without a database call, while other clients are served; a raised limit counts within a second', async () => {
    const { ctx } = harness();
    const hammering = await createApp(ctx, { students: ['identity'] });
    await ctx.db.insertInto('ss12000_rate_limits').values({ app_id: hammering.appId, requests_per_minute: 2 }).execute();
    const other = await createApp(ctx, { students: ['identity'] });
    const h = client(hammering);
    const o = client(other);
    const counted = async () =>
      Number(
        (
          await ctx.db
            .selectFrom('ss12000_rate_windows')
            .select((eb) => eb.fn.sum<string>('count').as('n'))
            .where('client_id', '=', hammering.clientId)
            .executeTakeFirst()
        )?.n ?? 0,
      );
    const first = [];
    for (let i = 0; i < 3; i++) first.push((await h.get('/organisations')).status);
    expect(first).toEqual([200, 200, 429]);
    expect(await counted()).toBe(3);
    const burst = await Promise.all(Array.from({ length: 20 }, () => h.get('/organisations')));
    expect(burst.map((r) => r.status)).toEqual(Array(20).fill(429));
    expect(burst.every((r) => r.headers.get('ratelimit-remaining') === '0' && Number(r.headers.get('retry-after')) > 0)).toBe(true);
    // Refused in this process without counting them again in the database …
    expect(await counted()).toBe(3);
    // … while another client is served.
    expect((await o.get('/organisations')).status).toBe(200);
    // The operator raises the limit: after a second the database is asked again.
    await ctx.db.updateTable('ss12000_rate_limits').set({ requests_per_minute: 100 }).where('app_id', '=', hammering.appId).execute();
    expect((await h.get('/organisations')).status).toBe(429);
    harness().clock.advance(1_000);
    const after = await h.get('/organisations');
    expect(after.status).toBe(200);
    expect(after.headers.get('ratelimit-limit')).toBe('100');
  });

  it('counts a burst of first requests of a minute exactly', async () => {
    const { ctx } = harness();
    const app = await createApp(ctx, { students: ['identity'] });
    await ctx.db.insertInto('ss12000_rate_limits').values({ app_id: app.appId, requests_per_minute: 10 }).execute();
    const c = client(app);
    // Every one of them may be the minute's first: on a server they race to write the window's row.
    const burst = await Promise.all(Array.from({ length: 20 }, () => c.get('/organisations')));
    expect(burst.filter((r) => r.status === 200)).toHaveLength(10);
    expect(burst.filter((r) => r.status === 429)).toHaveLength(10);
    const remaining = burst.filter((r) => r.status === 200).map((r) => Number(r.headers.get('ratelimit-remaining')));
    expect(remaining.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    harness().clock.advance(60_000);
    expect((await c.get('/organisations')).headers.get('ratelimit-remaining')).toBe('9');
  });

  it('counts a request without writing a row version: the stored rate rows stay as they are', async () => {
    // Each request used to update one of a few counter rows, and a busy client's dead versions made
    // every count slower through the minute (migration 0081). Only a minute's first request writes.
    const { ctx } = harness();
    const app = await createApp(ctx, { students: ['identity'] });
    const c = client(app);
    // Every version of the client's rows in the tables the count is kept in: (table, ctid, xmin).
    const versions = async () => {
      const tables = await sql<{ name: string }>`
        SELECT relname AS name FROM pg_class
         WHERE relkind = 'r' AND relnamespace = current_schema()::regnamespace AND relname LIKE 'ss12000_rate%' AND relname <> 'ss12000_rate_limits'`.execute(
        ctx.db,
      );
      const all: string[] = [];
      for (const { name } of tables.rows) {
        const rows = await sql<{ v: string }>`SELECT ctid::text || ' ' || xmin::text AS v FROM ${sql.table(name)} WHERE client_id = ${app.clientId}`.execute(
          ctx.db,
        );
        all.push(...rows.rows.map((r) => `${name} ${r.v}`));
      }
      return all.sort();
    };
    expect((await c.get('/organisations')).status).toBe(200);
    const before = await versions();
    expect(before.length).toBeGreaterThan(0);
    for (let i = 0; i < 5; i++) expect((await c.get('/organisations')).status).toBe(200);
    expect(await versions()).toEqual(before);
    const counted = await ctx.db.selectFrom('ss12000_rate_windows').select('count').where('client_id', '=', app.clientId).execute();
    expect(counted.map((r) => r.count)).toEqual([6]);
    // A deleted client's counter goes with it.
    const counter = `ss12000_rate_${app.clientId.replaceAll('-', '')}`;
    const exists = async () => (await sql<{ n: string | null }>`SELECT to_regclass(${counter})::text AS n`.execute(ctx.db)).rows[0]!.n;
    expect(await exists()).toBe(counter);
    await ctx.db.deleteFrom('clients').where('id', '=', app.clientId).execute();
    expect(await exists()).toBeNull();
    expect(await versions()).toEqual([]);
  });

  it('serves its own OpenAPI', async () => {
    const res = await fetch(`${harness().url}/ss12000/v2.0/openapi.json`);
    const doc = await res.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/persons', '/persons/{id}', '/persons/lookup', '/deletedEntities']));
  });
});
