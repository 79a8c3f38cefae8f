/**
 * The pre-enrolments API (Voorinschrijvingen) end to end through the real server: ingestion through
 * the batch route (all or nothing, idempotent, unknown members dropped and reported), reads under
 * live grants (list, single, lookup, paging, filters, deletions), the release declaration with
 * protected identity, the access log's exact rows, the rate limit, and the catalog pointing at it.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useHarness } from '../../../test/support/harness.ts';
import { createApp, ensureInstitutions, grantAll, Ss12000Client } from '../../../test/ss12000/support.ts';
import { insertClient, insertUser } from '../../seed/builders.ts';
import { generatePreEnrolments } from './generate.ts';
import { ingestPreEnrolments } from './ingest.ts';

const harness = useHarness();
const ACTOR = { id: null, label: 'test', kind: 'system' as const };
let seq = 130000 + Math.floor(Math.random() * 60000);
const institution = () => String(seq++).padStart(6, '0');

/** A pre-enrolment with every member filled (guardians with contact data). */
function application(inst: string, over: Record<string, unknown> = {}, child: Record<string, unknown> = {}) {
  return {
    id: randomUUID(),
    institution: { institutionNumber: inst },
    schoolYear: 2027,
    grade: '1',
    status: 'submitted',
    submittedDate: '2026-10-12',
    desiredStartDate: '2027-09-01',
    child: {
      givenName: 'Lotte',
      familyName: 'Peeters',
      securityMarking: 'Ingen',
      birthDate: '2021-03-04',
      address: { streetAddress: 'Kerkstraat 1', postalCode: '8000', locality: 'Brugge', countryCode: 'BE' },
      ...child,
    },
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
  const app = await createApp(ctx, { pre_enrolments: ['identity', ...categories] });
  await grantAll(ctx, app.clientId, 'pre_enrolments', grantedAt);
  return { app, client: new Ss12000Client(`${url}/pre-enrolments/v1`, `${url}/oidc/token`, app.clientId, app.secret) };
}

describe('pre-enrolments: ingestion', () => {
  it('loads a batch all or nothing through the operator’s ingestion route, idempotently, dropping unknown members', async () => {
    const { ctx } = harness();
    const inst = institution();
    await ensureInstitutions(ctx, [inst]);
    await insertUser(ctx.db, { email: `op-${inst}@schoolgate.test`, password: 'operator password 1', displayName: 'Op', kind: 'operator' });
    const op = harness().client();
    expect((await op.login(`op-${inst}@schoolgate.test`, 'operator password 1')).status).toBe(200);

    const good = application(inst, { lockerCode: 'B12' }, { nationalNumber: '21.03.04-123.45' });
    const unknownSchool = application('999998');
    const badStatus = application(inst, { status: 'pending' });
    const refused = await op.post('/api/v1/ingestion/pre-enrolments', { upsert: [good, unknownSchool, badStatus] });
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('invalid_batch');
    expect(refused.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['upsert.1.institution.institutionNumber', 'upsert.2.status']);
    expect(await ctx.db.selectFrom('pre_enrolments').select('id').where('institution_number', '=', inst).execute()).toEqual([]);

    const loaded = await op.post('/api/v1/ingestion/pre-enrolments', { upsert: [good] });
    expect(loaded.status, JSON.stringify(loaded.body)).toBe(200);
    expect(loaded.body).toMatchObject({ created: 1, updated: 0, unchanged: 0, deleted: 0, noChange: false });
    expect(loaded.body.unknownMembers).toEqual({ lockerCode: 1, 'child.nationalNumber': 1 });
    const again = await op.post('/api/v1/ingestion/pre-enrolments', { upsert: [good] });
    expect(again.body).toMatchObject({ created: 0, updated: 0, unchanged: 1, noChange: true });
    const stored = await ctx.db.selectFrom('pre_enrolments').select('body').where('id', '=', good.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(stored.body)).not.toContain('B12');
    expect(JSON.stringify(stored.body)).not.toContain('123.45');
    // An unknown top-level member of the batch itself is refused, not ignored.
    expect((await op.post('/api/v1/ingestion/pre-enrolments', { upserts: [good] })).status).toBe(400);
    const audit = await ctx.db
      .selectFrom('audit_log')
      .select(['action', 'subject_type'])
      .where('subject_type', '=', 'pre_enrolments')
      .where('actor_label', 'like', `%op-${inst}@%`)
      .execute();
    expect(audit).toEqual([{ action: 'ss12000.data_loaded', subject_type: 'pre_enrolments' }]);
  });
});

describe('pre-enrolments: ingestion clients', () => {
  it('takes a batch from an ingestion client’s bearer token, and refuses an app’s data token', async () => {
    const { ctx, url } = harness();
    const inst = institution();
    await ensureInstitutions(ctx, [inst]);
    const loader = await insertClient(ctx.db, { appId: null, name: `Loader ${inst}`, origin: 'ingestion' });
    const token = await new Ss12000Client(url, `${url}/oidc/token`, loader.clientId, loader.secret).fetchToken();
    const post = (bearer: string) =>
      fetch(`${url}/api/v1/ingestion/pre-enrolments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        body: JSON.stringify({ upsert: [application(inst)] }),
      });
    const loaded = await post(token);
    expect(loaded.status).toBe(200);
    expect(await loaded.json()).toMatchObject({ created: 1 });
    const { client } = await reader([], [inst]);
    const refused = await post(await client.fetchToken());
    expect(refused.status).toBe(403);
  });
});

describe('pre-enrolments: reads under live grants', () => {
  it('serves list, single and lookup at granted institutions only, with approved categories, protected identity honoured', async () => {
    const { ctx } = harness();
    const [a, b] = [institution(), institution()];
    await ensureInstitutions(ctx, [a, b]);
    const plain = application(a);
    const hidden = application(a, {}, { securityMarking: 'Skyddad folkbokföring', givenName: 'Noor' });
    const elsewhere = application(b);
    await ingestPreEnrolments(ctx, { upsert: [plain, hidden, elsewhere] }, ACTOR);

    const { client } = await reader(['birth_date', 'addresses', 'guardians'], [a]);
    const list = await client.get('/preEnrolments');
    expect(list.status, JSON.stringify(list.body)).toBe(200);
    expect(list.headers.get('ratelimit-limit')).toBe('1200');
    const byId = new Map(list.body.data.map((r: { id: string }) => [r.id, r]));
    expect([...byId.keys()].sort()).toEqual([plain.id, hidden.id].sort());
    const shown = byId.get(plain.id) as any;
    expect(shown.child).toEqual({ givenName: 'Lotte', familyName: 'Peeters', securityMarking: 'Ingen', birthDate: '2021-03-04', address: plain.child.address });
    expect(shown.guardians).toEqual([plain.guardians[0]]);
    expect(shown.meta.modified).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    const guarded = byId.get(hidden.id) as any;
    expect(guarded.child).toEqual({ givenName: 'Noor', familyName: 'Peeters', securityMarking: 'Skyddad folkbokföring', birthDate: '2021-03-04' });
    expect(guarded.guardians).toEqual([{ givenName: 'An', familyName: 'Peeters', relation: 'parent' }]);

    expect((await client.get(`/preEnrolments/${plain.id}`)).body.id).toBe(plain.id);
    const other = await client.get(`/preEnrolments/${elsewhere.id}`);
    expect(other.status).toBe(404);
    expect(other.body.code).toBe('not_found');
    expect((await client.get('/preEnrolments/not-a-uuid')).body.code).toBe('invalid_id');
    const lookup = await client.request('POST', '/preEnrolments/lookup', { ids: [plain.id, elsewhere.id, randomUUID()] });
    expect(lookup.status).toBe(200);
    expect(lookup.body.map((r: { id: string }) => r.id)).toEqual([plain.id]);
    expect((await client.request('POST', '/preEnrolments/lookup', { id: [plain.id] })).body.code).toBe('invalid_lookup');

    // Identity only: no birth date, no address, no guardians.
    const { client: narrow } = await reader([], [a, b]);
    const few = await narrow.get(`/preEnrolments/${plain.id}`);
    expect(few.body.child).toEqual({ givenName: 'Lotte', familyName: 'Peeters', securityMarking: 'Ingen' });
    expect(few.body.guardians).toBeUndefined();

    // A removed grant counts from the next request.
    const { app, client: revoked } = await reader([], [a]);
    expect((await revoked.get('/preEnrolments')).body.data).toHaveLength(2);
    await ctx.db.deleteFrom('grants').where('client_id', '=', app.clientId).execute();
    expect((await revoked.get('/preEnrolments')).body.data).toEqual([]);
    expect((await revoked.get(`/preEnrolments/${plain.id}`)).status).toBe(404);
  });

  it('pages with page tokens, filters by school year, status and meta.modified.after, and refuses unknown parameters', async () => {
    const { ctx, clock } = harness();
    const inst = institution();
    await ensureInstitutions(ctx, [inst]);
    const first = Array.from({ length: 5 }, (_, i) => application(inst, { status: i % 2 ? 'accepted' : 'submitted' }));
    await ingestPreEnrolments(ctx, { upsert: first }, ACTOR);
    clock.advance(60_000);
    const cut = clock.now().toISOString();
    clock.advance(60_000);
    const later = application(inst, { schoolYear: 2028 });
    await ingestPreEnrolments(ctx, { upsert: [later] }, ACTOR);

    const { client } = await reader([], [inst]);
    const all = await client.crawl('/preEnrolments', 2);
    expect(all.pages).toBe(3);
    expect(all.items.map((r) => r.id)).toEqual([...first, later].map((r) => r.id).sort());
    const changed = await client.get(`/preEnrolments?meta.modified.after=${encodeURIComponent(cut)}`);
    expect(changed.body.data.map((r: { id: string }) => r.id)).toEqual([later.id]);
    const accepted = await client.crawl('/preEnrolments?status=accepted&schoolYear=2027', 1);
    expect(accepted.items.map((r) => r.id).sort()).toEqual(
      first
        .filter((r) => r.status === 'accepted')
        .map((r) => r.id)
        .sort(),
    );
    expect(accepted.pages).toBe(2);

    const page = await client.get('/preEnrolments?limit=2&status=submitted');
    expect((await client.get(`/preEnrolments?pageToken=${page.body.pageToken}&status=accepted`)).body.code).toBe('page_token_with_filters');
    expect((await client.get('/preEnrolments?pageToken=garbage')).body.code).toBe('invalid_page_token');
    expect((await client.get('/preEnrolments?meta.modifiedAfter=2026-01-01')).body.code).toBe('unknown_parameter');
    expect((await client.get('/preEnrolments?status=pending')).body.code).toBe('invalid_parameter');
    expect((await client.get('/preEnrolments?limit=0')).status).toBe(400);
  });

  it('feeds deletions at the granted institutions', async () => {
    const { ctx, clock } = harness();
    const [a, b] = [institution(), institution()];
    await ensureInstitutions(ctx, [a, b]);
    const gone = application(a);
    const goneElsewhere = application(b);
    await ingestPreEnrolments(ctx, { upsert: [gone, goneElsewhere] }, ACTOR);
    const before = clock.now().toISOString();
    clock.advance(1000);
    await ingestPreEnrolments(ctx, { delete: [gone.id, goneElsewhere.id] }, ACTOR);
    const { client } = await reader([], [a]);
    const deleted = await client.get(`/deletedEntities?after=${encodeURIComponent(before)}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ data: { preEnrolments: [gone.id] } });
    expect((await client.get(`/preEnrolments/${gone.id}`)).status).toBe(404);
  });
});

describe('pre-enrolments: access log and rate limit', () => {
  it('logs each page exactly: per institution the records released, with their categories, before the answer leaves', async () => {
    const { ctx } = harness();
    const [a, b] = [institution(), institution()];
    await ensureInstitutions(ctx, [a, b]);
    await ingestPreEnrolments(ctx, { upsert: [application(a), application(a), application(b), application(b), application(b)] }, ACTOR);
    const { app, client } = await reader(['guardians'], [a, b]);
    const page = await client.get('/preEnrolments?limit=3');
    expect(page.status).toBe(200);
    const requestId = page.headers.get('x-request-id')!;
    const counted: Record<string, number> = {};
    for (const r of page.body.data as { institution: { institutionNumber: string } }[]) {
      counted[r.institution.institutionNumber] = (counted[r.institution.institutionNumber] ?? 0) + 1;
    }
    const row = await ctx.db.selectFrom('ss12000_access_log').selectAll().where('request_id', '=', requestId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ app_id: app.appId, client_id: app.clientId, endpoint: '/pre-enrolments/v1/preEnrolments', status: 200, record_count: 3 });
    expect(row.institution_numbers).toEqual(Object.keys(counted).sort());
    expect(row.released).toEqual([{ api: 'pre_enrolments', entity: 'preEnrolments', categories: ['identity', 'guardians'], institutions: counted }]);

    // A refusal is logged too, releasing nothing.
    const missing = await client.get(`/preEnrolments/${randomUUID()}`);
    const refusal = await ctx.db
      .selectFrom('ss12000_access_log')
      .selectAll()
      .where('request_id', '=', missing.headers.get('x-request-id')!)
      .executeTakeFirstOrThrow();
    expect(refusal).toMatchObject({ status: 404, record_count: 0, released: [], endpoint: '/pre-enrolments/v1/preEnrolments/{id}' });
  });

  it('refuses a client over its rate limit with 429, logged', async () => {
    const { ctx } = harness();
    const inst = institution();
    await ensureInstitutions(ctx, [inst]);
    const { app, client } = await reader([], [inst]);
    await ctx.db.insertInto('ss12000_rate_limits').values({ app_id: app.appId, requests_per_minute: 2 }).execute();
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await client.get('/preEnrolments')).status);
    expect(statuses).toEqual([200, 200, 429]);
    const logged = await ctx.db.selectFrom('ss12000_access_log').select('status').where('client_id', '=', app.clientId).orderBy('id').execute();
    expect(logged.map((r) => r.status)).toEqual([200, 200, 429]);
  });
});

describe('pre-enrolments in the public purpose register', () => {
  it('says what each approved category releases in the pre-enrolments API, from its release declaration', async () => {
    const { app } = await reader(['guardians', 'addresses'], []);
    const register = await harness().client().get('/api/v1/public/register');
    const entry = register.body.data.find((e: { app: { id: string } }) => e.app.id === app.appId);
    const api = entry.apis.find((a: { code: string }) => a.code === 'pre_enrolments');
    expect(api.releases.guardians).toEqual(
      expect.arrayContaining(['preEnrolments.guardians', 'preEnrolments.guardians[].email', 'preEnrolments.guardians[].address']),
    );
    expect(api.releases.addresses).toEqual(['preEnrolments.child.address', 'preEnrolments.guardians[].address']);
    expect(api.releases.identity).toEqual(expect.arrayContaining(['preEnrolments.status', 'preEnrolments.child.givenName']));
    expect(api.releases.identity).not.toContain('preEnrolments.child.birthDate');
  });
});

describe('pre-enrolments: the generator', () => {
  it('makes one school year’s intake per institution, the same for the same seed, loadable and loaded once', async () => {
    const { ctx } = harness();
    const [a, b] = [institution(), institution()];
    await ensureInstitutions(ctx, [a, b]);
    const world = {
      seed: 3,
      schoolYear: 2027,
      perInstitution: 10,
      institutions: [
        { number: a, level: 'primary' as const },
        { number: b, level: 'secondary' as const },
      ],
    };
    const intake = generatePreEnrolments(world);
    expect(generatePreEnrolments(world)).toEqual(intake);
    expect(intake).toHaveLength(20);
    expect(new Set(intake.map((r) => r.schoolYear))).toEqual(new Set([2027]));
    expect(intake.filter((r) => r.institution.institutionNumber === b).every((r) => r.programme)).toBe(true);
    expect(await ingestPreEnrolments(ctx, { upsert: intake }, ACTOR)).toMatchObject({ created: 20, unknownMembers: {} });
    expect(await ingestPreEnrolments(ctx, { upsert: intake }, ACTOR)).toMatchObject({ unchanged: 20, noChange: true });
  });
});
