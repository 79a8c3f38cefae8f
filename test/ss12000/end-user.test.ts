import { importJWK, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.ts';
import { generateWorld, type World } from '../../src/generator/index.ts';
import { ingestBatch } from '../../src/modules/ss12000/ingest.ts';
import { loadKeys } from '../../src/modules/access/tokens/keys.ts';
import { dataApiResource, issuerOf } from '../../src/modules/access/tokens/urls.ts';
import { insertAccessGroup, insertGrant } from '../../src/seed/builders.ts';
import { newId } from '../../src/lib/ids.ts';
import { createApp, ensureInstitutions, grantAll, Ss12000Client } from './support.ts';

/**
 * The access token of an end user's sign-in (claim `consent`) reads only that person's own records at
 * the school of the consent, checked live. Tokens are signed here with the server's key, the way
 * oidc-provider signs them, so the test does not depend on the sign-in flow.
 */
const harness = useHarness();
const NUMBERS = ['320001', '320002'];
const SYSTEM = { id: null, label: 'test loader', kind: 'system' as const };
const ENDPOINTS = ['organisations', 'persons', 'placements', 'duties', 'groups', 'activities', 'syllabuses', 'programmes', 'studyplans'] as const;
type Endpoint = (typeof ENDPOINTS)[number];
type Role = 'student' | 'guardian' | 'staff';
let world: World;
let unitOf: Map<string, string>;

beforeAll(async () => {
  const { ctx } = harness();
  world = generateWorld({ seed: 11, schools: 2, students: 120, institutionNumbers: NUMBERS, today: '2026-11-22' });
  await ensureInstitutions(ctx, NUMBERS);
  await ingestBatch(ctx, { upsert: world as never }, SYSTEM);
  unitOf = new Map(world.organisations.filter((o) => o.organisationType === 'Skolenhet').map((o) => [o.organisationCode!, o.id]));
}, 60_000);

/** What a person's own records at a school are, computed from the world, independently of the server. */
function ownRecords(personId: string, role: Role, number: string): Record<Endpoint, Set<string>> {
  const unit = unitOf.get(number)!;
  const groups = world.groups.filter((g) => g.organisation.id === unit && (g.groupMemberships ?? []).some((m) => m.person.id === personId));
  const groupIds = new Set(groups.map((g) => g.id));
  const activities = world.activities.filter((a) => a.organisation.id === unit && a.groups.some((g) => groupIds.has(g.id)));
  const person = world.persons.find((p) => p.id === personId)!;
  return {
    organisations: new Set([unit]),
    persons: new Set([personId]),
    placements: new Set(role === 'student' ? world.placements.filter((p) => p.child.id === personId && p.placedAt.id === unit).map((p) => p.id) : []),
    duties: new Set(role === 'staff' ? world.duties.filter((d) => d.person?.id === personId && d.dutyAt.id === unit).map((d) => d.id) : []),
    groups: groupIds,
    activities: new Set(activities.map((a) => a.id)),
    syllabuses: new Set(activities.map((a) => a.syllabus?.id).filter((x): x is string => !!x)),
    programmes: new Set(role === 'student' ? (person.enrolments ?? []).filter((e) => e.enroledAt.id === unit && e.programme).map((e) => e.programme!.id) : []),
    studyplans: new Set(role === 'student' ? world.studyplans.filter((s) => s.student.id === personId).map((s) => s.id) : []),
  };
}

/** People of the world to sign in: students with groups at both schools, a guardian and a teacher of the first. */
function cast() {
  const [u1, u2] = NUMBERS.map((n) => unitOf.get(n)!);
  const memberOf = (id: string, unit: string) =>
    world.groups.some((g) => g.organisation.id === unit && (g.groupMemberships ?? []).some((m) => m.person.id === id));
  const students = (unit: string) => world.persons.filter((p) => (p.enrolments ?? []).some((e) => e.enroledAt.id === unit) && memberOf(p.id, unit));
  const s1 = students(u1!);
  const student1 = s1[0]!;
  const student1b = s1[1]!;
  const student2 = students(u2!)[0]!;
  const guardian = world.persons.find((p) => p.id === (student1.responsibles ?? [])[0]?.person.id)!;
  const teacherDuty = world.duties.find((d) => d.dutyAt.id === u1 && d.person && (d.assignmentRole ?? []).length)!;
  return {
    student1: { id: student1.id, role: 'student' as Role, number: NUMBERS[0]! },
    student1b: { id: student1b.id, role: 'student' as Role, number: NUMBERS[0]! },
    student2: { id: student2.id, role: 'student' as Role, number: NUMBERS[1]! },
    guardian: { id: guardian.id, role: 'guardian' as Role, number: NUMBERS[0]! },
    teacher: { id: teacherDuty.person!.id, role: 'staff' as Role, number: NUMBERS[0]! },
  };
}

async function consent(clientId: string, who: { id: string; role: Role; number: string }, categories: string[]) {
  const { ctx } = harness();
  const id = newId();
  const now = ctx.clock.now();
  await ctx.db
    .insertInto('end_user_consents')
    .values({
      id,
      person_id: who.id,
      client_id: clientId,
      institution_number: who.number,
      role: who.role,
      api_code: who.role === 'staff' ? 'staff' : 'students',
      scopes: ['openid', 'profile', 'data'],
      data_categories: categories,
      consented_at: now,
      updated_at: now,
    })
    .execute();
  return id;
}

/** An access token as oidc-provider issues it for a sign-in: pairwise sub, client_id, consent. */
async function userToken(clientId: string, consentId: string | undefined, sub = 'pairwise-' + newId()) {
  const { ctx } = harness();
  const [key] = await loadKeys(ctx.db, ctx.clock);
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ client_id: clientId, ...(consentId ? { consent: consentId } : {}), scope: 'openid data' })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: key!.kid })
    .setIssuer(issuerOf(ctx.config))
    .setAudience(dataApiResource(ctx.config))
    .setSubject(sub)
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .setJti(newId())
    .sign(await importJWK(key!.privateJwk, 'ES256'));
}

async function call(token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${harness().url}/ss12000/v2.0${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

async function crawl(token: string, path: string) {
  const items: any[] = [];
  let res = await call(token, 'GET', `${path}${path.includes('?') ? '&' : '?'}limit=7`);
  for (;;) {
    expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(200);
    items.push(...res.body.data);
    if (!res.body.pageToken) return items;
    res = await call(token, 'GET', `${path.split('?')[0]}?limit=7&pageToken=${encodeURIComponent(res.body.pageToken)}`);
  }
}

const EXPANDS: Record<Endpoint, string> = {
  organisations: '',
  persons: 'expand=duties,responsibleFor,placements,ownedPlacements,groupMemberships&expandReferenceNames=true',
  placements: 'expand=child,owners&expandReferenceNames=true',
  duties: 'expand=person&expandReferenceNames=true',
  groups: 'expand=assignmentRoles&expandReferenceNames=true',
  activities: 'expand=groups,teachers,syllabus&expandReferenceNames=true',
  syllabuses: '',
  programmes: '',
  studyplans: 'expandReferenceNames=true',
};

/** Every UUID in a response (ids, references, embedded objects). */
function uuidsIn(value: unknown): Set<string> {
  const out = new Set<string>();
  JSON.stringify(value, (_k, v) => {
    if (typeof v === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(v)) out.add(v);
    return v;
  });
  return out;
}

describe("SS 12000 reads with an end user's sign-in token", () => {
  it('sees exactly their own records on every endpoint (list, expand, /{id}, lookup) and no other person anywhere', async () => {
    const { ctx } = harness();
    const app = await createApp(ctx, { students: ['identity', 'birth_date'], staff: ['identity'] });
    await grantAll(ctx, app.clientId, 'students', NUMBERS);
    await grantAll(ctx, app.clientId, 'staff', NUMBERS);
    // The app itself (client credentials) sees much more: the test below can fail.
    const appClient = new Ss12000Client(`${harness().url}/ss12000/v2.0`, `${harness().url}/oidc/token`, app.clientId, app.secret);
    const appView: Record<string, any[]> = {};
    for (const e of ENDPOINTS) appView[e] = (await appClient.crawl(`/${e}`, 1000)).items;
    expect(appView.persons!.length).toBeGreaterThan(50);
    expect(appView.groups!.length).toBeGreaterThan(4);
    const everyPerson = new Set(world.persons.map((p) => p.id));

    const people = cast();
    for (const [label, who] of Object.entries(people)) {
      const token = await userToken(app.clientId, await consent(app.clientId, who, ['identity', 'birth_date']));
      const own = ownRecords(who.id, who.role, who.number);
      // Other persons, and the duties of others (an activity's teachers, a group's assignment roles).
      const others = new Set([...everyPerson, ...world.duties.map((d) => d.id)].filter((id) => id !== who.id && !own.duties.has(id)));
      if (who.role === 'student') expect(own.groups.size, label).toBeGreaterThan(0);
      if (who.role === 'staff') expect(own.duties.size, label).toBeGreaterThan(0);
      for (const e of ENDPOINTS) {
        const plain = await crawl(token, `/${e}`);
        expect(new Set(plain.map((x) => x.id)), `${label} GET /${e}`).toEqual(own[e]);
        if (EXPANDS[e]) {
          const expanded = await crawl(token, `/${e}?${EXPANDS[e]}`);
          expect(new Set(expanded.map((x) => x.id)), `${label} GET /${e}?${EXPANDS[e]}`).toEqual(own[e]);
          const leaked = [...uuidsIn(expanded)].filter((id) => others.has(id));
          expect(leaked, `${label} GET /${e}?${EXPANDS[e]}: others' ids`).toEqual([]);
        }
        expect(
          [...uuidsIn(plain)].filter((id) => others.has(id)),
          `${label} GET /${e}: others' ids`,
        ).toEqual([]);
        // /{id}: their own records answer, everything else the app could see is 404.
        for (const id of own[e]) expect((await call(token, 'GET', `/${e}/${id}`)).status, `${label} /${e}/${id}`).toBe(200);
        const foreign = appView[e]!.map((x) => x.id).filter((id) => !own[e].has(id));
        for (const id of foreign.slice(0, 5)) expect((await call(token, 'GET', `/${e}/${id}`)).status, `${label} /${e}/{foreign}`).toBe(404);
        // Lookup of everything the app sees (and their own: a guardian is not in the app's view) returns only their own.
        const looked = await call(token, 'POST', `/${e}/lookup`, { ids: [...new Set([...own[e], ...appView[e]!.map((x) => x.id)])].slice(0, 1000) });
        expect(looked.status).toBe(200);
        expect(new Set(looked.body.map((x: { id: string }) => x.id)), `${label} lookup /${e}`).toEqual(own[e]);
      }
      const person = (await call(token, 'GET', `/persons/${who.id}`)).body;
      // Consented birth_date is there for a student/guardian (students API approved it), not for staff.
      if (who.role !== 'staff') expect(person).toHaveProperty('birthDate');
      else expect(person).not.toHaveProperty('birthDate');
      // Other members of their groups are not shown.
      for (const g of await crawl(token, '/groups')) for (const m of g.groupMemberships ?? []) expect(m.person.id).toBe(who.id);
      const deleted = await call(token, 'GET', '/deletedEntities');
      expect(deleted.status).toBe(200);
      expect(Object.values(deleted.body.data).flat()).toEqual([]);
      // Filters cannot widen the scope.
      const byName = await call(token, 'GET', `/persons?relationship.organisation=${unitOf.get(who.number)}`);
      expect(byName.body.data.map((p: { id: string }) => p.id)).toEqual([who.id]);
    }
  }, 120_000);

  it('data categories are those consented to AND approved for the app', async () => {
    const { ctx } = harness();
    const app = await createApp(ctx, { students: ['identity', 'birth_date', 'sex'] });
    await grantAll(ctx, app.clientId, 'students', [NUMBERS[0]!]);
    const who = cast().student1;
    // Consented: identity and civic_number (not approved for the app), not birth_date.
    const token = await userToken(app.clientId, await consent(app.clientId, who, ['identity', 'civic_number', 'sex']));
    const p = (await call(token, 'GET', `/persons/${who.id}`)).body;
    expect(p.id).toBe(who.id);
    expect(p).not.toHaveProperty('civicNo');
    expect(p).not.toHaveProperty('birthDate');
    const body = world.persons.find((x) => x.id === who.id)!;
    if (body.sex) expect(p.sex).toBe(body.sex);
  });

  it('a withdrawn consent is 401 and a removed school grant 403 on the very next request; the access log names the consent', async () => {
    const { ctx } = harness();
    const app = await createApp(ctx, { students: ['identity'] });
    await grantAll(ctx, app.clientId, 'students', NUMBERS);
    const who = cast().student1;
    const consentId = await consent(app.clientId, who, ['identity']);
    const token = await userToken(app.clientId, consentId);
    expect((await call(token, 'GET', '/persons')).status).toBe(200);
    const logged = await ctx.db
      .selectFrom('ss12000_access_log')
      .select(['consent_id', 'endpoint', 'record_count', 'institution_numbers'])
      .where('client_id', '=', app.clientId)
      .execute();
    expect(logged).toEqual([{ consent_id: consentId, endpoint: '/persons', record_count: 1, institution_numbers: [NUMBERS[0]] }]);

    // The school removes its grant of the students API: 403 next time, back once granted again.
    await ctx.db.deleteFrom('grants').where('client_id', '=', app.clientId).where('institution_number', '=', NUMBERS[0]!).execute();
    const refused = await call(token, 'GET', '/persons');
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('institution_not_granted');
    // A grant at another school or of another API does not count.
    await insertGrant(ctx.db, { clientId: app.clientId, apiCode: 'staff', institutionNumber: NUMBERS[0]! });
    expect((await call(token, 'GET', '/persons')).status).toBe(403);
    // Through an access group it does; removing the school from the group refuses again.
    const groupId = await insertAccessGroup(ctx.db, { name: 'Grupp', institutionNumbers: [NUMBERS[0]!] });
    await insertGrant(ctx.db, { clientId: app.clientId, apiCode: 'students', accessGroupId: groupId });
    expect((await call(token, 'GET', '/persons')).body.data.map((p: { id: string }) => p.id)).toEqual([who.id]);
    await ctx.db.deleteFrom('access_group_institutions').where('access_group_id', '=', groupId).execute();
    expect((await call(token, 'GET', `/persons/${who.id}`)).status).toBe(403);
    await grantAll(ctx, app.clientId, 'students', [NUMBERS[0]!]);
    expect((await call(token, 'GET', `/persons/${who.id}`)).status).toBe(200);

    // Withdrawn: 401 invalid_token at once.
    await ctx.db.updateTable('end_user_consents').set({ withdrawn_at: ctx.clock.now() }).where('id', '=', consentId).execute();
    const gone = await call(token, 'GET', `/persons/${who.id}`);
    expect(gone.status).toBe(401);
    expect(gone.body.code).toBe('invalid_token');
    expect(gone.headers.get('www-authenticate')).toContain('error="invalid_token"');

    // A suspended app: 403 for its users' tokens too.
    const fresh = await userToken(app.clientId, await consent(app.clientId, who, ['identity']));
    expect((await call(fresh, 'GET', '/organisations')).status).toBe(200);
    await ctx.db.updateTable('apps').set({ status: 'suspended' }).where('id', '=', app.appId).execute();
    const suspended = await call(fresh, 'GET', '/organisations');
    expect(suspended.status).toBe(403);
    expect(suspended.body.code).toBe('client_not_allowed');
  });

  it("refuses a consent of another app, an unknown consent, and a person's token without a consent claim", async () => {
    const { ctx } = harness();
    const app = await createApp(ctx, { students: ['identity'] });
    const other = await createApp(ctx, { students: ['identity'] });
    await grantAll(ctx, app.clientId, 'students', NUMBERS);
    await grantAll(ctx, other.clientId, 'students', NUMBERS);
    const who = cast().student1;
    const othersConsent = await consent(other.clientId, who, ['identity']);
    for (const token of [await userToken(app.clientId, othersConsent), await userToken(app.clientId, newId()), await userToken(app.clientId, undefined)]) {
      const res = await call(token, 'GET', '/persons');
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('invalid_token');
    }
    // The consent's own app works with it.
    expect((await call(await userToken(other.clientId, othersConsent), 'GET', '/persons')).status).toBe(200);
  });

  it('a person who no longer holds the role at the school is refused (403 role_ended)', async () => {
    const { ctx } = harness();
    const app = await createApp(ctx, { students: ['identity'], staff: ['identity'] });
    await grantAll(ctx, app.clientId, 'students', NUMBERS);
    await grantAll(ctx, app.clientId, 'staff', NUMBERS);
    // A student consenting as staff at their school has no such role there.
    const who = { ...cast().student1b, role: 'staff' as Role };
    const token = await userToken(app.clientId, await consent(app.clientId, who, ['identity']));
    const res = await call(token, 'GET', '/persons');
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('role_ended');
  });

  it("counts a user's requests against the app's rate limit", async () => {
    const { ctx } = harness();
    const app = await createApp(ctx, { students: ['identity'] });
    await grantAll(ctx, app.clientId, 'students', NUMBERS);
    await ctx.db.insertInto('ss12000_rate_limits').values({ app_id: app.appId, requests_per_minute: 3 }).execute();
    const a = await userToken(app.clientId, await consent(app.clientId, cast().student1, ['identity']));
    const b = await userToken(app.clientId, await consent(app.clientId, cast().student2, ['identity']));
    const statuses = [];
    for (const t of [a, b, a, b]) statuses.push((await call(t, 'GET', '/organisations')).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});
