/**
 * The boarders API (Internen) end to end through the real server: ingestion through the batch route
 * (all or nothing, idempotent, unknown members dropped and reported, persons that must be in the
 * SS 12000 store), reads under live grants (list, single, lookup, paging, filters, deletions), the
 * release declaration with protected identity read live from the SS 12000 person, the access log's
 * exact rows, the rate limit, the catalog pointing at it, and the generator.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { useHarness } from '../../../test/support/harness.ts';
import { createApp, ensureInstitutions, grantAll, Ss12000Client } from '../../../test/ss12000/support.ts';
import { generateWorld } from '../../generator/index.ts';
import { generateBoarders } from '../../generator/boarders.ts';
import type { AppContext } from '../../context.ts';
import { insertClient, insertUser } from '../../seed/builders.ts';
import { ingestBatch } from '../ss12000/ingest.ts';
import { ingestBoarders } from './ingest.ts';

const harness = useHarness();
const ACTOR = { id: null, label: 'test', kind: 'system' as const };
let seq = 330000 + Math.floor(Math.random() * 60000);
const institution = () => String(seq++).padStart(6, '0');

/** SS 12000 persons in the store (the boarders refer to them), with their markings. */
async function persons(ctx: AppContext, list: { id?: string; givenName?: string; familyName?: string; securityMarking?: string }[]) {
  const rows = list.map((p) => ({
    id: p.id ?? randomUUID(),
    givenName: p.givenName ?? 'Lotte',
    familyName: p.familyName ?? 'Peeters',
    securityMarking: p.securityMarking ?? 'Ingen',
  }));
  await ingestBatch(ctx, { upsert: { persons: rows } } as never, ACTOR);
  return rows.map((r) => r.id);
}

/** A stay with every member filled (guardian with contact data). */
function stay(inst: string, personId: string, over: Record<string, unknown> = {}) {
  return {
    id: randomUUID(),
    institution: { institutionNumber: inst },
    person: { id: personId },
    boardingHouse: { name: 'Internaat De Linde', address: { streetAddress: 'Kasteelstraat 3', postalCode: '8400', locality: 'Oostende', countryCode: 'BE' } },
    room: '2.14',
    group: 'Leefgroep 2',
    startDate: '2026-09-01',
    endDate: '2027-06-30',
    arrangement: { nights: ['monday', 'tuesday', 'wednesday', 'thursday'], weekends: 'home' },
    guardians: [
      {
        givenName: 'An',
        familyName: 'Peeters',
        relation: 'parent',
        email: 'an.peeters@example.be',
        phone: '+32 470 11 22 33',
        address: { streetAddress: 'Kerkstraat 1', postalCode: '8000', locality: 'Brugge' },
      },
    ],
    ...over,
  };
}

async function reader(categories: string[], grantedAt: string[]) {
  const { ctx, url } = harness();
  const app = await createApp(ctx, { boarders: ['identity', ...categories] });
  await grantAll(ctx, app.clientId, 'boarders', grantedAt);
  return { app, client: new Ss12000Client(`${url}/boarders/v1`, `${url}/oidc/token`, app.clientId, app.secret) };
}

const withoutMeta = ({ meta: _meta, ...rest }: Record<string, unknown>) => rest;

describe('boarders: ingestion', () => {
  it('loads a batch all or nothing through the operator’s route, idempotently, dropping unknown members, refusing unknown persons and NUL', async () => {
    const { ctx } = harness();
    const inst = institution();
    await ensureInstitutions(ctx, [inst]);
    const [person] = await persons(ctx, [{}]);
    await insertUser(ctx.db, { email: `op-${inst}@schoolgate.test`, password: 'operator password 1', displayName: 'Op', kind: 'operator' });
    const op = harness().client();
    expect((await op.login(`op-${inst}@schoolgate.test`, 'operator password 1')).status).toBe(200);

    const good = { ...stay(inst, person!, { lockerCode: 'B12' }), person: { id: person!, nationalNumber: '21.03.04-123.45' } };
    const unknownPerson = stay(inst, randomUUID());
    const badNight = stay(inst, person!, { arrangement: { nights: ['monday', 'monday'], weekends: 'home' } });
    const backwards = stay(inst, person!, { startDate: '2027-01-01', endDate: '2026-12-31' });
    const nul = stay(inst, person!, { room: 'A\u00001' });
    const refused = await op.post('/api/v1/ingestion/boarders', { upsert: [good, unknownPerson, badNight, backwards, nul] });
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('invalid_batch');
    expect(refused.body.errors.map((e: { field: string }) => e.field)).toEqual([
      'upsert.1.person.id',
      'upsert.2.arrangement.nights',
      'upsert.3.endDate',
      'upsert.4',
    ]);
    expect(await ctx.db.selectFrom('boarders').select('id').where('institution_number', '=', inst).execute()).toEqual([]);

    const loaded = await op.post('/api/v1/ingestion/boarders', { upsert: [good] });
    expect(loaded.status, JSON.stringify(loaded.body)).toBe(200);
    expect(loaded.body).toMatchObject({ created: 1, updated: 0, unchanged: 0, deleted: 0, noChange: false });
    expect(loaded.body.unknownMembers).toEqual({ lockerCode: 1, 'person.nationalNumber': 1 });
    expect((await op.post('/api/v1/ingestion/boarders', { upsert: [good] })).body).toMatchObject({ unchanged: 1, noChange: true });
    const stored = await ctx.db.selectFrom('boarders').select('body').where('id', '=', good.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(stored.body)).not.toContain('B12');
    expect(JSON.stringify(stored.body)).not.toContain('123.45');
    expect((await op.post('/api/v1/ingestion/boarders', { upserts: [good] })).status).toBe(400);
    const audit = await ctx.db
      .selectFrom('audit_log')
      .select(['action', 'subject_type'])
      .where('subject_type', '=', 'boarders')
      .where('actor_label', 'like', `%op-${inst}@%`)
      .execute();
    expect(audit).toEqual([{ action: 'ss12000.data_loaded', subject_type: 'boarders' }]);
  });

  it('takes a batch from an ingestion client’s bearer token, and refuses an app’s data token', async () => {
    const { ctx, url } = harness();
    const inst = institution();
    await ensureInstitutions(ctx, [inst]);
    const [person] = await persons(ctx, [{}]);
    const loader = await insertClient(ctx.db, { appId: null, name: `Loader ${inst}`, origin: 'ingestion' });
    const token = await new Ss12000Client(url, `${url}/oidc/token`, loader.clientId, loader.secret).fetchToken();
    const post = (bearer: string) =>
      fetch(`${url}/api/v1/ingestion/boarders`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        body: JSON.stringify({ upsert: [stay(inst, person!)] }),
      });
    const loaded = await post(token);
    expect(loaded.status).toBe(200);
    expect(await loaded.json()).toMatchObject({ created: 1 });
    const { client } = await reader([], [inst]);
    expect((await post(await client.fetchToken())).status).toBe(403);
  });
});

describe('boarders: reads under live grants', () => {
  it('serves list, single and lookup at granted institutions only, with approved categories and the person’s marking as it is now', async () => {
    const { ctx } = harness();
    const [a, b] = [institution(), institution()];
    await ensureInstitutions(ctx, [a, b]);
    const [open, hidden, other] = await persons(ctx, [{ givenName: 'Lotte' }, { givenName: 'Noor', securityMarking: 'Skyddad folkbokföring' }, {}]);
    const plain = stay(a, open!);
    const guarded = stay(a, hidden!);
    const elsewhere = stay(b, other!);
    await ingestBoarders(ctx, { upsert: [plain, guarded, elsewhere] }, ACTOR);

    const { client } = await reader(['addresses', 'phone_numbers', 'private_email', 'guardians'], [a]);
    const list = await client.get('/boarders');
    expect(list.status, JSON.stringify(list.body)).toBe(200);
    expect(list.headers.get('ratelimit-limit')).toBe('1200');
    const byId = new Map<string, any>(list.body.data.map((r: { id: string }) => [r.id, r]));
    expect([...byId.keys()].sort()).toEqual([plain.id, guarded.id].sort());
    const { person: _p, ...plainRest } = plain;
    expect(withoutMeta(byId.get(plain.id))).toEqual({ ...plainRest, person: { id: open, givenName: 'Lotte', familyName: 'Peeters' } });
    // Protected: no room, no boarding-house address, no guardian contact data; the stay itself and the name stay.
    expect(withoutMeta(byId.get(guarded.id))).toEqual({
      id: guarded.id,
      institution: { institutionNumber: a },
      person: { id: hidden, givenName: 'Noor', familyName: 'Peeters' },
      boardingHouse: { name: 'Internaat De Linde' },
      group: 'Leefgroep 2',
      startDate: '2026-09-01',
      endDate: '2027-06-30',
      arrangement: plain.arrangement,
      guardians: [{ givenName: 'An', familyName: 'Peeters', relation: 'parent' }],
    });

    expect((await client.get(`/boarders/${plain.id}`)).body.id).toBe(plain.id);
    const notHere = await client.get(`/boarders/${elsewhere.id}`);
    expect(notHere.status).toBe(404);
    expect(notHere.body.code).toBe('not_found');
    expect((await client.get('/boarders/not-a-uuid')).body.code).toBe('invalid_id');
    const lookup = await client.request('POST', '/boarders/lookup', { ids: [plain.id, elsewhere.id, randomUUID()] });
    expect(lookup.body.map((r: { id: string }) => r.id)).toEqual([plain.id]);
    expect((await client.request('POST', '/boarders/lookup', { id: [plain.id] })).body.code).toBe('invalid_lookup');

    // The marking is the SS 12000 person's as it is now: marked after the stay was loaded, withheld at once.
    await persons(ctx, [{ id: open!, givenName: 'Lotte', securityMarking: 'Sekretessmarkering' }]);
    const now = await client.get(`/boarders/${plain.id}`);
    expect(now.body.room).toBeUndefined();
    expect(now.body.boardingHouse).toEqual({ name: 'Internaat De Linde' });
    expect(now.body.guardians).toEqual([{ givenName: 'An', familyName: 'Peeters', relation: 'parent' }]);

    // Identity only: no addresses, no guardians; a guardian's e-mail needs private_email too.
    const { client: narrow } = await reader([], [a, b]);
    const few = await narrow.get(`/boarders/${elsewhere.id}`);
    expect(few.body.boardingHouse).toEqual({ name: 'Internaat De Linde' });
    expect(few.body.room).toBe('2.14');
    expect(few.body.guardians).toBeUndefined();
    const { client: noMail } = await reader(['guardians', 'phone_numbers'], [b]);
    expect((await noMail.get(`/boarders/${elsewhere.id}`)).body.guardians).toEqual([
      { givenName: 'An', familyName: 'Peeters', relation: 'parent', phone: '+32 470 11 22 33' },
    ]);

    // A removed grant counts from the next request.
    const { app, client: revoked } = await reader([], [a]);
    expect((await revoked.get('/boarders')).body.data).toHaveLength(2);
    await ctx.db.deleteFrom('grants').where('client_id', '=', app.clientId).execute();
    expect((await revoked.get('/boarders')).body.data).toEqual([]);
    expect((await revoked.get(`/boarders/${plain.id}`)).status).toBe(404);
  });

  it('serves a stay whose person left the SS 12000 store as protected, without a name', async () => {
    const { ctx } = harness();
    const inst = institution();
    await ensureInstitutions(ctx, [inst]);
    const [gone] = await persons(ctx, [{}]);
    const s = stay(inst, gone!);
    await ingestBoarders(ctx, { upsert: [s] }, ACTOR);
    await ingestBatch(ctx, { delete: { persons: [gone!] } } as never, ACTOR);
    const { client } = await reader(['addresses', 'phone_numbers', 'private_email', 'guardians'], [inst]);
    const got = await client.get(`/boarders/${s.id}`);
    expect(got.status).toBe(200);
    expect(got.body.person).toEqual({ id: gone });
    expect(got.body.room).toBeUndefined();
    expect(got.body.guardians).toEqual([{ givenName: 'An', familyName: 'Peeters', relation: 'parent' }]);
  });

  it('pages with page tokens, filters by person, period and meta.modified.after, and refuses unknown parameters', async () => {
    const { ctx, clock } = harness();
    const inst = institution();
    await ensureInstitutions(ctx, [inst]);
    const ids = await persons(ctx, [{}, {}, {}, {}, {}]);
    const first = ids.map((p, i) => stay(inst, p, { startDate: `2026-09-0${i + 1}`, endDate: i === 4 ? undefined : '2026-12-31' }));
    await ingestBoarders(ctx, { upsert: first }, ACTOR);
    clock.advance(60_000);
    const cut = clock.now().toISOString();
    clock.advance(60_000);
    const later = stay(inst, ids[0]!, { startDate: '2027-01-01', endDate: '2027-06-30' });
    await ingestBoarders(ctx, { upsert: [later] }, ACTOR);

    const { client } = await reader([], [inst]);
    const all = await client.crawl('/boarders', 2);
    expect(all.pages).toBe(3);
    expect(all.items.map((r) => r.id)).toEqual([...first, later].map((r) => r.id).sort());
    const changed = await client.get(`/boarders?meta.modified.after=${encodeURIComponent(cut)}`);
    expect(changed.body.data.map((r: { id: string }) => r.id)).toEqual([later.id]);
    const ofPerson = await client.get(`/boarders?person=${ids[0]}`);
    expect(ofPerson.body.data.map((r: { id: string }) => r.id).sort()).toEqual([first[0]!.id, later.id].sort());
    // Current on 2027-02-01: the later stay and the open-ended one.
    const current = await client.crawl('/boarders?startDate.onOrBefore=2027-02-01&endDate.onOrAfter=2027-02-01', 1);
    expect(current.items.map((r) => r.id).sort()).toEqual([first[4]!.id, later.id].sort());
    expect(current.pages).toBe(2);

    const page = await client.get('/boarders?limit=2');
    expect((await client.get(`/boarders?pageToken=${page.body.pageToken}&person=${ids[0]}`)).body.code).toBe('page_token_with_filters');
    expect((await client.get('/boarders?pageToken=garbage')).body.code).toBe('invalid_page_token');
    expect((await client.get('/boarders?room=2.14')).body.code).toBe('unknown_parameter');
    expect((await client.get('/boarders?endDate.onOrAfter=2027-02-30')).body.code).toBe('invalid_parameter');
    expect((await client.get('/boarders?person=nope')).body.code).toBe('invalid_parameter');
    expect((await client.get('/boarders?limit=0')).status).toBe(400);
    expect((await client.get('/boarders?%zz=1')).status).toBe(400);
  });

  it('feeds deletions at the granted institutions', async () => {
    const { ctx, clock } = harness();
    const [a, b] = [institution(), institution()];
    await ensureInstitutions(ctx, [a, b]);
    const [p, q] = await persons(ctx, [{}, {}]);
    const gone = stay(a, p!);
    const goneElsewhere = stay(b, q!);
    await ingestBoarders(ctx, { upsert: [gone, goneElsewhere] }, ACTOR);
    const before = clock.now().toISOString();
    clock.advance(1000);
    await ingestBoarders(ctx, { delete: [gone.id, goneElsewhere.id] }, ACTOR);
    const { client } = await reader([], [a]);
    const deleted = await client.get(`/deletedEntities?after=${encodeURIComponent(before)}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ data: { boarders: [gone.id] } });
    expect((await client.get(`/boarders/${gone.id}`)).status).toBe(404);

    // A stay that moves to another boarding school is gone from the first one's feed too.
    const [r] = await persons(ctx, [{}]);
    const moving = stay(a, r!);
    await ingestBoarders(ctx, { upsert: [moving] }, ACTOR);
    const beforeMove = clock.now().toISOString();
    clock.advance(1000);
    await ingestBoarders(ctx, { upsert: [{ ...moving, institution: { institutionNumber: b } }] }, ACTOR);
    expect((await client.get(`/deletedEntities?after=${encodeURIComponent(beforeMove)}`)).body).toEqual({ data: { boarders: [moving.id] } });
    expect((await client.get(`/boarders/${moving.id}`)).status).toBe(404);
  });
});

describe('boarders: access log and rate limit', () => {
  it('logs each page exactly: per institution the records released, with the categories they carry, before the answer leaves', async () => {
    const { ctx } = harness();
    const [a, b] = [institution(), institution()];
    await ensureInstitutions(ctx, [a, b]);
    const ids = await persons(ctx, [{}, {}, {}, {}, {}]);
    await ingestBoarders(ctx, { upsert: [stay(a, ids[0]!), stay(a, ids[1]!), stay(b, ids[2]!), stay(b, ids[3]!), stay(b, ids[4]!)] }, ACTOR);
    // private_email without guardians releases nothing more: the log does not claim it.
    const { app, client } = await reader(['guardians', 'private_email', 'addresses'], [a, b]);
    const { client: noGuardians } = await reader(['private_email'], [a]);
    const page = await client.get('/boarders?limit=3');
    expect(page.status).toBe(200);
    const counted: Record<string, number> = {};
    for (const r of page.body.data as { institution: { institutionNumber: string } }[]) {
      counted[r.institution.institutionNumber] = (counted[r.institution.institutionNumber] ?? 0) + 1;
    }
    const row = await ctx.db.selectFrom('ss12000_access_log').selectAll().where('request_id', '=', page.headers.get('x-request-id')!).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ app_id: app.appId, client_id: app.clientId, endpoint: '/boarders/v1/boarders', status: 200, record_count: 3 });
    expect(row.institution_numbers).toEqual(Object.keys(counted).sort());
    expect(row.released).toEqual([
      { api: 'boarders', entity: 'boarders', categories: ['identity', 'addresses', 'private_email', 'guardians'], institutions: counted },
    ]);
    const other = await noGuardians.get('/boarders');
    const otherRow = await ctx.db
      .selectFrom('ss12000_access_log')
      .select('released')
      .where('request_id', '=', other.headers.get('x-request-id')!)
      .executeTakeFirstOrThrow();
    expect(otherRow.released).toEqual([{ api: 'boarders', entity: 'boarders', categories: ['identity'], institutions: { [a]: 2 } }]);

    const missing = await client.get(`/boarders/${randomUUID()}`);
    const refusal = await ctx.db
      .selectFrom('ss12000_access_log')
      .selectAll()
      .where('request_id', '=', missing.headers.get('x-request-id')!)
      .executeTakeFirstOrThrow();
    expect(refusal).toMatchObject({ status: 404, record_count: 0, released: [], endpoint: '/boarders/v1/boarders/{id}' });
  });

  it('answers 503 access_log_unavailable, not the data, when the read cannot be recorded', async () => {
    const { ctx } = harness();
    const inst = institution();
    await ensureInstitutions(ctx, [inst]);
    const [person] = await persons(ctx, [{}]);
    await ingestBoarders(ctx, { upsert: [stay(inst, person!)] }, ACTOR);
    const { client } = await reader([], [inst]);
    await client.fetchToken();
    await sql`ALTER TABLE ss12000_access_log RENAME TO ss12000_access_log_away`.execute(ctx.db);
    try {
      const res = await client.get('/boarders');
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ code: 'access_log_unavailable', message: expect.any(String), requestId: res.headers.get('x-request-id') });
    } finally {
      await sql`ALTER TABLE ss12000_access_log_away RENAME TO ss12000_access_log`.execute(ctx.db);
    }
  });

  it('refuses a client over its rate limit with 429, logged, and refuses without a token', async () => {
    const { ctx, url } = harness();
    const inst = institution();
    await ensureInstitutions(ctx, [inst]);
    const { app, client } = await reader([], [inst]);
    await ctx.db.insertInto('ss12000_rate_limits').values({ app_id: app.appId, requests_per_minute: 2 }).execute();
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await client.get('/boarders')).status);
    expect(statuses).toEqual([200, 200, 429]);
    const logged = await ctx.db.selectFrom('ss12000_access_log').select('status').where('client_id', '=', app.clientId).orderBy('id').execute();
    expect(logged.map((r) => r.status)).toEqual([200, 200, 429]);
    expect((await fetch(`${url}/boarders/v1/boarders`)).status).toBe(401);
  });
});

describe('boarders in the person’s disclosure report (GDPR Art. 15)', () => {
  it('lists the app that read the person’s stay, under the boarders API at the boarding school', async () => {
    const { ctx } = harness();
    const inst = institution();
    await ensureInstitutions(ctx, [inst]);
    const [person, other] = await persons(ctx, [{}, {}]);
    await ingestBoarders(ctx, { upsert: [stay(inst, person!)] }, ACTOR);
    const { app, client } = await reader(['guardians'], [inst]);
    expect((await client.get('/boarders')).status).toBe(200);
    await insertUser(ctx.db, { email: `op-d-${inst}@schoolgate.test`, password: 'operator password 1', displayName: 'Op', kind: 'operator' });
    const op = harness().client();
    expect((await op.login(`op-d-${inst}@schoolgate.test`, 'operator password 1')).status).toBe(200);
    const res = await op.get(`/api/v1/school/persons/${person}/disclosures`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const entries = res.body.apps.filter((a: { app: { id: string } }) => a.app.id === app.appId).flatMap((a: { entries: unknown[] }) => a.entries);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ api: 'boarders', institution: { number: inst }, requests: 1 });
    expect(entries[0].categories.map((c: { category: string }) => c.category).sort()).toEqual(['guardians', 'identity']);
    // Someone who does not board there was not disclosed by that read.
    const theirs = await op.get(`/api/v1/school/persons/${other}/disclosures`);
    expect(theirs.status).toBe(200);
    expect(theirs.body.apps.filter((a: { app: { id: string } }) => a.app.id === app.appId)).toEqual([]);
  });
});

describe('boarders in the catalog and the purpose register', () => {
  it('is served at its own data API, whose OpenAPI document the catalog points at', async () => {
    const { url } = harness();
    const res = await harness().client().get('/api/v1/catalog/apis');
    const api = res.body.data.find((a: { code: string }) => a.code === 'boarders');
    expect([api.servedBy, api.baseUrl, api.openapiUrl]).toEqual(['boarders', `${url}/boarders/v1`, `${url}/boarders/v1/openapi.json`]);
    expect(api.dataCategories).toEqual(['identity', 'addresses', 'phone_numbers', 'private_email', 'guardians']);
    const doc = (await (await fetch(api.openapiUrl)).json()) as { openapi: string; servers: { url: string }[]; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers.map((s) => s.url)).toEqual([api.baseUrl]);
    expect(Object.keys(doc.paths)).toEqual(['/boarders', '/boarders/{id}', '/boarders/lookup', '/deletedEntities']);
  });

  it('says what each approved category releases, from its release declaration', async () => {
    const { app } = await reader(['guardians', 'addresses', 'phone_numbers'], []);
    const register = await harness().client().get('/api/v1/public/register');
    const entry = register.body.data.find((e: { app: { id: string } }) => e.app.id === app.appId);
    const api = entry.apis.find((a: { code: string }) => a.code === 'boarders');
    expect(api.releases.addresses).toEqual(['boarders.boardingHouse.address', 'boarders.guardians[].address']);
    expect(api.releases.phone_numbers).toEqual(['boarders.guardians[].phone']);
    expect(api.releases.identity).toEqual(expect.arrayContaining(['boarders.person.id', 'boarders.room', 'boarders.arrangement.nights']));
  });
});

describe('boarders: the generator', () => {
  it('makes about a tenth of a boarding school’s pupils boarders, with their SS 12000 guardians, the same for the same seed, loadable once', async () => {
    const { ctx } = harness();
    const [a, b] = [institution(), institution()];
    await ensureInstitutions(ctx, [a, b]);
    const world = generateWorld({ seed: 7, schools: 2, students: 400, institutionNumbers: [a, b], today: '2026-11-22' });
    await ingestBatch(ctx, { upsert: world } as never, ACTOR);
    const boarders = generateBoarders(world, { seed: 7, institutionNumbers: [a] });
    expect(generateBoarders(world, { seed: 7, institutionNumbers: [a] })).toEqual(boarders);
    expect(new Set(boarders.map((x) => x.institution.institutionNumber))).toEqual(new Set([a]));
    const unitA = world.organisations.find((o) => o.organisationType === 'Skolenhet' && o.organisationCode === a)!.id;
    const enrolled = world.persons.filter((p) => (p.enrolments ?? []).some((e) => e.enroledAt.id === unitA)).length;
    expect(boarders.length).toBeGreaterThan(enrolled * 0.04);
    expect(boarders.length).toBeLessThan(enrolled * 0.2);
    expect(boarders.some((x) => x.guardians.length > 0)).toBe(true);
    expect(await ingestBoarders(ctx, { upsert: boarders }, ACTOR)).toMatchObject({ created: boarders.length, unknownMembers: {} });
    expect(await ingestBoarders(ctx, { upsert: boarders }, ACTOR)).toMatchObject({ unchanged: boarders.length, noChange: true });
  });
});
