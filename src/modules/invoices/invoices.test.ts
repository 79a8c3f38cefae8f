/**
 * The invoices API (Rekeningen) end to end through the real server: ingestion through the batch
 * route (all or nothing, idempotent, unknown members dropped and reported), reads under live grants
 * per access group (an access-group grant reaches exactly the invoices of that group at its member
 * institutions; another group's grant none of them; revoking, or an institution leaving the group,
 * counts from the next request), the release declaration with protected identity, paging, filters,
 * deletions, the access log crediting each read to its access group and institution, and the
 * generator.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { useHarness } from '../../../test/support/harness.ts';
import { createApp, ensureInstitutions, Ss12000Client } from '../../../test/ss12000/support.ts';
import { generateWorld } from '../../generator/index.ts';
import { generateInvoices } from '../../generator/invoices.ts';
import { insertAccessGroup, insertClient, insertGrant, insertUser } from '../../seed/builders.ts';
import { ingestInvoices } from './ingest.ts';

const harness = useHarness();
const ACTOR = { id: null, label: 'test', kind: 'system' as const };
let seq = 310000 + Math.floor(Math.random() * 60000);
const institution = () => String(seq++).padStart(6, '0');

/** An invoice with every member filled: two lines (one with VAT), a reminder, a debtor with an invoice address. */
function invoice(group: string, inst: string, over: Record<string, unknown> = {}, debtor: Record<string, unknown> = {}, student: Record<string, unknown> = {}) {
  return {
    id: randomUUID(),
    invoiceNumber: `2026-${seq}`,
    accessGroup: { id: group },
    institution: { institutionNumber: inst },
    schoolYear: 2026,
    student: { personId: randomUUID(), givenName: 'Lotte', familyName: 'Peeters', securityMarking: 'Ingen', ...student },
    debtor: {
      id: randomUUID(),
      kind: 'guardian',
      givenName: 'An',
      familyName: 'Peeters',
      securityMarking: 'Ingen',
      invoiceAddress: { streetAddress: 'Kerkstraat 1', postalCode: '8000', locality: 'Brugge', countryCode: 'BE', email: 'an.peeters@example.be' },
      ...debtor,
    },
    status: 'open',
    issueDate: '2026-09-15',
    dueDate: '2026-10-15',
    currency: 'EUR',
    totalNet: 4600,
    totalVat: 210,
    totalGross: 4810,
    amountPaid: 0,
    lines: [
      { description: 'Warme maaltijden', quantity: 8, unitPrice: 450, vatRate: 0, net: 3600, vat: 0 },
      { description: 'Turnkledij', quantity: 1, unitPrice: 1000, vatRate: 21, net: 1000, vat: 210 },
    ],
    reminders: [{ sentDate: '2026-10-29', level: 1, channel: 'email' }],
    ...over,
  };
}

/** Two access groups sharing institution `b`: G1 = {a, b}, G2 = {b, c}; a third, G3 = {d}. */
async function groups() {
  const { ctx } = harness();
  const [a, b, c, d] = [institution(), institution(), institution(), institution()];
  await ensureInstitutions(ctx, [a, b, c, d]);
  const g1 = await insertAccessGroup(ctx.db, { name: `G1 ${a}`, institutionNumbers: [a, b] });
  const g2 = await insertAccessGroup(ctx.db, { name: `G2 ${a}`, institutionNumbers: [b, c] });
  const g3 = await insertAccessGroup(ctx.db, { name: `G3 ${a}`, institutionNumbers: [d] });
  return { a, b, c, d, g1, g2, g3 };
}

async function reader(categories: string[], accessGroups: string[]) {
  const { ctx, url } = harness();
  const app = await createApp(ctx, { invoices: ['identity', ...categories] });
  for (const g of accessGroups) await insertGrant(ctx.db, { clientId: app.clientId, apiCode: 'invoices', accessGroupId: g });
  return { app, client: new Ss12000Client(`${url}/invoices/v1`, `${url}/oidc/token`, app.clientId, app.secret) };
}

const ids = (list: { id: string }[]) => list.map((r) => r.id).sort();

describe('invoices: ingestion', () => {
  it('loads a batch all or nothing through the operator’s ingestion route, idempotently, dropping unknown members', async () => {
    const { ctx } = harness();
    const { a, c, g1 } = await groups();
    await insertUser(ctx.db, { email: `op-${a}@schoolgate.test`, password: 'operator password 1', displayName: 'Op', kind: 'operator' });
    const op = harness().client();
    expect((await op.login(`op-${a}@schoolgate.test`, 'operator password 1')).status).toBe(200);

    const good = invoice(g1, a, { costCentre: 'K12' }, { bankAccount: 'BE71 0961 2345 6769' });
    const refused = await op.post('/api/v1/ingestion/invoices', {
      upsert: [
        good,
        invoice(randomUUID(), a),
        invoice(g1, c),
        invoice(g1, a, { totalNet: 1 }),
        invoice(g1, a, { status: 'paid' }),
        invoice(g1, a, { status: 'overdue' }),
      ],
    });
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('invalid_batch');
    expect(refused.body.errors.map((e: { field: string; code: string }) => `${e.field} ${e.code}`)).toEqual([
      'upsert.1.accessGroup.id unknown_reference',
      'upsert.2.institution.institutionNumber not_in_access_group',
      'upsert.3.totalNet custom',
      'upsert.3.totalGross custom',
      'upsert.4.paidDate custom',
      'upsert.5.status invalid_value',
    ]);
    expect(await ctx.db.selectFrom('invoices').select('id').where('access_group_id', '=', g1).execute()).toEqual([]);

    const loaded = await op.post('/api/v1/ingestion/invoices', { upsert: [good] });
    expect(loaded.status, JSON.stringify(loaded.body)).toBe(200);
    expect(loaded.body).toMatchObject({ created: 1, updated: 0, unchanged: 0, deleted: 0, noChange: false });
    expect(loaded.body.unknownMembers).toEqual({ costCentre: 1, 'debtor.bankAccount': 1 });
    const again = await op.post('/api/v1/ingestion/invoices', { upsert: [good] });
    expect(again.body).toMatchObject({ created: 0, updated: 0, unchanged: 1, noChange: true });
    const stored = await ctx.db.selectFrom('invoices').select('body').where('id', '=', good.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(stored.body)).not.toContain('K12');
    expect(JSON.stringify(stored.body)).not.toContain('BE71');
    expect((await op.post('/api/v1/ingestion/invoices', { upserts: [good] })).status).toBe(400);
    // A NUL byte is refused as bad input, not a server error.
    const nul = await op.post('/api/v1/ingestion/invoices', { upsert: [invoice(g1, a, { invoiceNumber: 'A\u0000B' })] });
    expect(nul.status).toBe(400);
    const audit = await ctx.db
      .selectFrom('audit_log')
      .select(['action', 'subject_type'])
      .where('subject_type', '=', 'invoices')
      .where('actor_label', 'like', `%op-${a}@%`)
      .execute();
    expect(audit).toEqual([{ action: 'ss12000.data_loaded', subject_type: 'invoices' }]);
  });

  it('takes a batch from an ingestion client’s bearer token, and refuses an app’s data token', async () => {
    const { ctx, url } = harness();
    const { a, g1 } = await groups();
    const loader = await insertClient(ctx.db, { appId: null, name: `Loader ${a}`, origin: 'ingestion' });
    const token = await new Ss12000Client(url, `${url}/oidc/token`, loader.clientId, loader.secret).fetchToken();
    const post = (bearer: string) =>
      fetch(`${url}/api/v1/ingestion/invoices`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        body: JSON.stringify({ upsert: [invoice(g1, a)] }),
      });
    const loaded = await post(token);
    expect(loaded.status).toBe(200);
    expect(await loaded.json()).toMatchObject({ created: 1 });
    const { client } = await reader([], [g1]);
    expect((await post(await client.fetchToken())).status).toBe(403);
  });
});

describe('invoices: reads under live access-group grants', () => {
  it('an access-group grant reaches exactly that group’s invoices at its member institutions; another group’s grant none of them', async () => {
    const { ctx } = harness();
    const { a, b, c, g1, g2, g3 } = await groups();
    const g1a = invoice(g1, a);
    const g1b = invoice(g1, b);
    const g2b = invoice(g2, b);
    const g2c = invoice(g2, c);
    await ingestInvoices(ctx, { upsert: [g1a, g1b, g2b, g2c] }, ACTOR);

    const { client: one } = await reader([], [g1]);
    expect(ids((await one.get('/invoices')).body.data)).toEqual(ids([g1a, g1b]));
    // Institution b is in both groups: only G1's invoice of b shows under G1's grant.
    expect(ids((await one.get(`/invoices?institution=${b}`)).body.data)).toEqual([g1b.id]);
    expect((await one.get(`/invoices/${g2b.id}`)).status).toBe(404);
    const lookup = await one.request('POST', '/invoices/lookup', { ids: [g1a.id, g2b.id, g2c.id, randomUUID()] });
    expect(ids(lookup.body)).toEqual([g1a.id]);

    const { client: two } = await reader([], [g2]);
    expect(ids((await two.get('/invoices')).body.data)).toEqual(ids([g2b, g2c]));
    const { client: both } = await reader([], [g1, g2]);
    expect(ids((await both.get(`/invoices?accessGroup=${g2}`)).body.data)).toEqual(ids([g2b, g2c]));
    expect((await both.get('/invoices')).body.data).toHaveLength(4);

    const { client: other } = await reader([], [g3]);
    expect((await other.get('/invoices')).body.data).toEqual([]);
    expect((await other.get(`/invoices/${g1a.id}`)).status).toBe(404);
    // A grant of another API at a member institution reaches no invoices.
    const { app: studentsApp, client: students } = await reader([], []);
    await insertGrant(ctx.db, { clientId: studentsApp.clientId, apiCode: 'students', institutionNumber: a });
    expect((await students.get('/invoices')).body.data).toEqual([]);
  });

  it('revoking the grant, or the institution leaving the access group, counts from the next request', async () => {
    const { ctx } = harness();
    const { a, b, g1 } = await groups();
    const atA = invoice(g1, a);
    const atB = invoice(g1, b);
    await ingestInvoices(ctx, { upsert: [atA, atB] }, ACTOR);
    const { app, client } = await reader([], [g1]);
    expect(ids((await client.get('/invoices')).body.data)).toEqual(ids([atA, atB]));
    await ctx.db.deleteFrom('access_group_institutions').where('access_group_id', '=', g1).where('institution_number', '=', a).execute();
    expect(ids((await client.get('/invoices')).body.data)).toEqual([atB.id]);
    expect((await client.get(`/invoices/${atA.id}`)).status).toBe(404);
    await ctx.db.deleteFrom('grants').where('client_id', '=', app.clientId).execute();
    expect((await client.get('/invoices')).body.data).toEqual([]);
    expect((await client.get(`/invoices/${atB.id}`)).status).toBe(404);
  });

  it('releases amounts with the invoices category and the invoice address with addresses, never a protected debtor’s or pupil’s address', async () => {
    const { ctx } = harness();
    const { a, g1 } = await groups();
    const plain = invoice(g1, a);
    const hiddenDebtor = invoice(g1, a, {}, { securityMarking: 'Skyddad folkbokföring', givenName: 'Noor' });
    const hiddenPupil = invoice(g1, a, {}, {}, { securityMarking: 'Sekretessmarkering' });
    await ingestInvoices(ctx, { upsert: [plain, hiddenDebtor, hiddenPupil] }, ACTOR);

    const { client: full } = await reader(['invoices', 'addresses'], [g1]);
    const byId = new Map((await full.get('/invoices')).body.data.map((r: { id: string }) => [r.id, r]));
    const shown = byId.get(plain.id) as any;
    const { securityMarking: _m, ...student } = plain.student;
    expect(shown).toMatchObject({ status: 'open', totalGross: 4810, lines: plain.lines, reminders: plain.reminders, student });
    expect(shown.student.securityMarking).toBeUndefined();
    expect(shown.debtor.invoiceAddress).toEqual(plain.debtor.invoiceAddress);
    expect((byId.get(hiddenDebtor.id) as any).debtor).toEqual({
      id: hiddenDebtor.debtor.id,
      kind: 'guardian',
      givenName: 'Noor',
      familyName: 'Peeters',
      securityMarking: 'Skyddad folkbokföring',
    });
    expect((byId.get(hiddenPupil.id) as any).debtor.invoiceAddress).toBeUndefined();
    expect((byId.get(hiddenPupil.id) as any).totalGross).toBe(4810);

    // Identity only: who and which invoice, no amounts, no lines, no address.
    const { client: narrow } = await reader([], [g1]);
    const few = (await narrow.get(`/invoices/${plain.id}`)).body;
    expect(Object.keys(few).sort()).toEqual(['accessGroup', 'debtor', 'id', 'institution', 'invoiceNumber', 'meta', 'schoolYear', 'student']);
    expect(few.debtor.invoiceAddress).toBeUndefined();
  });

  it('pages with page tokens, filters by school year, debtor and meta.modified.after, and refuses unknown parameters', async () => {
    const { ctx, clock } = harness();
    const { a, g1 } = await groups();
    const debtor = randomUUID();
    const first = Array.from({ length: 5 }, (_, i) => invoice(g1, a, {}, i % 2 ? { id: debtor } : {}));
    await ingestInvoices(ctx, { upsert: first }, ACTOR);
    clock.advance(60_000);
    const cut = clock.now().toISOString();
    clock.advance(60_000);
    const later = invoice(g1, a, { schoolYear: 2027 });
    await ingestInvoices(ctx, { upsert: [later] }, ACTOR);

    const { client } = await reader([], [g1]);
    const all = await client.crawl('/invoices', 2);
    expect(all.pages).toBe(3);
    expect(all.items.map((r) => r.id)).toEqual(ids([...first, later]));
    expect(ids((await client.get(`/invoices?meta.modified.after=${encodeURIComponent(cut)}`)).body.data)).toEqual([later.id]);
    const theirs = await client.crawl(`/invoices?debtor=${debtor}&schoolYear=2026`, 1);
    expect(theirs.items.map((r) => r.id)).toEqual(ids(first.filter((_, i) => i % 2)));
    expect(theirs.pages).toBe(2);

    const page = await client.get('/invoices?limit=2&schoolYear=2026');
    expect((await client.get(`/invoices?pageToken=${page.body.pageToken}&schoolYear=2027`)).body.code).toBe('page_token_with_filters');
    expect((await client.get('/invoices?pageToken=garbage')).body.code).toBe('invalid_page_token');
    expect((await client.get('/invoices?status=paid')).body.code).toBe('unknown_parameter');
    expect((await client.get('/invoices?accessGroup=nope')).body.code).toBe('invalid_parameter');
    expect((await client.get('/invoices?limit=0')).status).toBe(400);
    expect((await client.get('/invoices/not-a-uuid')).body.code).toBe('invalid_id');
    expect((await client.request('POST', '/invoices/lookup', { id: [later.id] })).body.code).toBe('invalid_lookup');
  });

  it('feeds deletions in the granted access groups only', async () => {
    const { ctx, clock } = harness();
    const { a, b, g1, g2 } = await groups();
    const gone = invoice(g1, a);
    const goneElsewhere = invoice(g2, b);
    await ingestInvoices(ctx, { upsert: [gone, goneElsewhere] }, ACTOR);
    const before = clock.now().toISOString();
    clock.advance(1000);
    await ingestInvoices(ctx, { delete: [gone.id, goneElsewhere.id] }, ACTOR);
    const { client } = await reader([], [g1]);
    const deleted = await client.get(`/deletedEntities?after=${encodeURIComponent(before)}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ data: { invoices: [gone.id] } });
    expect((await client.get(`/invoices/${gone.id}`)).status).toBe(404);
  });
});

describe('invoices: access log', () => {
  it('credits each page to the access group and institution of every invoice released, with its categories, before the answer leaves', async () => {
    const { ctx } = harness();
    const { a, b, c, g1, g2 } = await groups();
    await ingestInvoices(ctx, { upsert: [invoice(g1, a), invoice(g1, b), invoice(g1, b), invoice(g2, b), invoice(g2, c)] }, ACTOR);
    const { app, client } = await reader(['invoices'], [g1, g2]);
    const page = await client.get('/invoices');
    expect(page.status).toBe(200);
    const row = await ctx.db.selectFrom('ss12000_access_log').selectAll().where('request_id', '=', page.headers.get('x-request-id')!).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ app_id: app.appId, client_id: app.clientId, endpoint: '/invoices/v1/invoices', status: 200, record_count: 5 });
    expect(row.institution_numbers).toEqual([a, b, c].sort());
    const categories = ['identity', 'invoices'];
    expect(row.released).toEqual(
      [
        { api: 'invoices', entity: 'invoices', categories, institutions: { [a]: 1, [b]: 2 }, accessGroup: g1 },
        { api: 'invoices', entity: 'invoices', categories, institutions: { [b]: 1, [c]: 1 }, accessGroup: g2 },
      ].sort((x, y) => (x.accessGroup < y.accessGroup ? -1 : 1)),
    );
    // The one reading of the log (daily aggregate, disclosures) sees the access group of each part.
    const { rows } = await sql<{ part: Record<string, unknown> }>`SELECT ss12000_access_log_parts(${JSON.stringify(row.released)}::jsonb) AS part`.execute(
      ctx.db,
    );
    expect(rows.map((r) => `${r.part.accessGroup}/${r.part.institution}/${r.part.records}`).sort()).toEqual(
      [`${g1}/${a}/1`, `${g1}/${b}/2`, `${g2}/${b}/1`, `${g2}/${c}/1`].sort(),
    );

    const missing = await client.get(`/invoices/${randomUUID()}`);
    const refusal = await ctx.db
      .selectFrom('ss12000_access_log')
      .selectAll()
      .where('request_id', '=', missing.headers.get('x-request-id')!)
      .executeTakeFirstOrThrow();
    expect(refusal).toMatchObject({ status: 404, record_count: 0, released: [], endpoint: '/invoices/v1/invoices/{id}' });
  });
});

describe('invoices in the public purpose register', () => {
  it('says what each approved category releases in the invoices API, from its release declaration', async () => {
    const { app } = await reader(['invoices', 'addresses'], []);
    const register = await harness().client().get('/api/v1/public/register');
    const entry = register.body.data.find((e: { app: { id: string } }) => e.app.id === app.appId);
    const api = entry.apis.find((x: { code: string }) => x.code === 'invoices');
    expect(api.releases.addresses).toEqual(['invoices.debtor.invoiceAddress']);
    expect(api.releases.invoices).toEqual(expect.arrayContaining(['invoices.totalGross', 'invoices.lines', 'invoices.reminders', 'invoices.status']));
    expect(api.releases.identity).toEqual(expect.arrayContaining(['invoices.invoiceNumber', 'invoices.debtor.familyName']));
    expect(api.releases.identity).not.toContain('invoices.totalGross');
  });
});

describe('invoices: the generator', () => {
  it('invoices each pupil of a group’s institutions per term issued so far, to a guardian, the same for the same seed, loadable once', async () => {
    const { ctx } = harness();
    const [a, b] = [institution(), institution()];
    await ensureInstitutions(ctx, [a, b]);
    const g = await insertAccessGroup(ctx.db, { name: `Gen ${a}`, institutionNumbers: [a, b] });
    const world = generateWorld({ seed: 7, schools: 2, students: 30, institutionNumbers: [a, b], today: '2027-02-01' });
    const options = { seed: 7, schoolYear: 2026, accessGroups: [{ id: g, institutionNumbers: [a, b] }], world, today: '2027-02-01' };
    const invoices = generateInvoices(options);
    expect(generateInvoices(options)).toEqual(invoices);
    const pupils = new Set(invoices.map((i) => i.student.personId));
    // Two terms issued by 1 February (September and January).
    expect(invoices.length).toBe(pupils.size * 2);
    expect(invoices.every((i) => [a, b].includes(i.institution.institutionNumber) && i.accessGroup.id === g)).toBe(true);
    expect(invoices.some((i) => i.debtor.kind === 'guardian')).toBe(true);
    expect(invoices.some((i) => i.status === 'paid' && i.paidDate)).toBe(true);
    expect(invoices.some((i) => i.reminders.length > 0)).toBe(true);
    expect(await ingestInvoices(ctx, { upsert: invoices }, ACTOR)).toMatchObject({ created: invoices.length, unknownMembers: {} });
    expect(await ingestInvoices(ctx, { upsert: invoices }, ACTOR)).toMatchObject({ unchanged: invoices.length, noChange: true });
  });
});
