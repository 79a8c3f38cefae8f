import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness, type TestClient } from '../support/harness.ts';
import { generateWorld, type World } from '../../src/generator/index.ts';
import { sha256 } from '../../src/lib/ids.ts';
import { insertAdminRight, insertPartner, insertUser } from '../../src/seed/builders.ts';
import { currentSchoolYear } from '../../src/lib/school-year.ts';
import { requestToken, myGrants } from '../oidc/fixtures.ts';
import { createApp, ensureInstitutions, grantAll } from './support.ts';

const harness = useHarness();
const NUMBERS = ['330001', '330002'];
const PASSWORD = 'correct horse battery';
let world: World;
let operator: TestClient;

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

beforeAll(async () => {
  const { ctx } = harness();
  world = generateWorld({ seed: 7, schools: 2, students: 30, institutionNumbers: NUMBERS, today: '2026-11-22' });
  await ensureInstitutions(ctx, NUMBERS);
  await insertUser(ctx.db, { email: 'operator@sis.example', password: PASSWORD, displayName: 'Olle Operatör', kind: 'operator' });
  operator = harness().client();
  expect((await operator.login('operator@sis.example', PASSWORD)).status).toBe(200);
}, 60_000);

/** Creates an ingestion client as the operator and returns its id and the once-shown secret. */
async function createLoader(name: string) {
  const res = await operator.post('/api/v1/operator/ingestion-clients', { name });
  expect(res.status).toBe(201);
  return res.body as { clientId: string; name: string; secret: string };
}

async function tokenOf(clientId: string, secret: string) {
  const res = await requestToken(harness().url, clientId, secret, 'basic');
  expect(res.status).toBe(200);
  return res.body.access_token as string;
}

describe('ingestion clients', () => {
  it('the operator creates one: the secret is shown once and stored as SHA-256 only; the list shows a hint', async () => {
    const created = await createLoader('IST nightly loader');
    expect(created).toMatchObject({ name: 'IST nightly loader' });
    expect(created.secret.length).toBeGreaterThanOrEqual(43);

    const { ctx } = harness();
    const stored = await ctx.db.selectFrom('client_secrets').select(['secret_hash', 'hint']).where('client_id', '=', created.clientId).execute();
    expect(stored).toEqual([{ secret_hash: sha256(created.secret), hint: created.secret.slice(-4) }]);

    const list = await operator.get('/api/v1/operator/ingestion-clients');
    expect(list.status).toBe(200);
    const row = list.body.data.find((c: { id: string }) => c.id === created.clientId);
    expect(row).toMatchObject({ name: 'IST nightly loader', secrets: [{ hint: created.secret.slice(-4) }] });
    expect(JSON.stringify(list.body)).not.toContain(created.secret);

    const audit = await ctx.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'ingestion_client.created')
      .where('client_id', '=', created.clientId)
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor_kind: 'operator', subject_id: created.clientId });
  });

  it('loads a batch with its bearer token (client_secret_basic); loading it again changes nothing; the audit names the client', async () => {
    const loader = await createLoader('Loader A');
    const token = await tokenOf(loader.clientId, loader.secret);
    const api = harness().client();

    const first = await api.post('/api/v1/ingestion/batch', { upsert: world }, bearer(token));
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ noChange: false, created: { persons: world.persons.length } });

    harness().clock.advance(60_000);
    const again = await api.post('/api/v1/ingestion/batch', { upsert: world }, bearer(token));
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ noChange: true, created: { persons: 0 }, updated: { persons: 0 }, unchanged: { persons: world.persons.length } });

    const audit = await harness()
      .ctx.db.selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'ss12000.data_loaded')
      .where('client_id', '=', loader.clientId)
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor_kind: 'client', actor_user_id: null });
    expect(audit[0]!.actor_label).toContain(loader.clientId);
    expect(audit[0]!.actor_label).toContain('Loader A');
  });

  it('a bad batch from an ingestion client is a 400 and keeps nothing', async () => {
    const loader = await createLoader('Loader B');
    const token = await tokenOf(loader.clientId, loader.secret);
    const person = { ...world.persons[0]!, id: '0b9d7a52-0000-4000-8000-000000000001', securityMarking: 'Hemlig' };
    const res = await harness()
      .client()
      .post('/api/v1/ingestion/batch', { upsert: { persons: [person] } }, bearer(token));
    expect(res.status).toBe(400);
    const kept = await harness().ctx.db.selectFrom('ss12000_persons').select('id').where('id', '=', person.id).execute();
    expect(kept).toEqual([]);
  });

  it('its token reads no school data: /ss12000 and /api/v1/me/grants answer 403', async () => {
    const loader = await createLoader('Loader C');
    const token = await tokenOf(loader.clientId, loader.secret);
    const persons = await fetch(`${harness().url}/ss12000/v2.0/persons`, { headers: bearer(token) });
    expect(persons.status).toBe(403);
    expect(await persons.json()).toMatchObject({ code: 'client_not_allowed' });
    const organisations = await fetch(`${harness().url}/ss12000/v2.0/organisations`, { headers: bearer(token) });
    expect(organisations.status).toBe(403);
    expect((await myGrants(harness().url, token)).status).toBe(403);
  });

  it('cannot hold grants, not even written straight into the database', async () => {
    const loader = await createLoader('Loader D');
    await expect(grantAll(harness().ctx, loader.clientId, 'students', [NUMBERS[0]!])).rejects.toThrow(/ingestion client/);
  });

  it('a partner cannot link it to an app, even with its secret', async () => {
    const loader = await createLoader('Loader E');
    const { ctx } = harness();
    const email = 'linker@partner.example';
    const userId = await insertUser(ctx.db, { email, password: PASSWORD, displayName: 'Linker', kind: 'partner', emailVerified: true });
    await insertPartner(ctx.db, { name: 'Linker', contactEmail: 'l@example.test', memberUserIds: [userId] });
    const partner = harness().client();
    expect((await partner.login(email, PASSWORD)).status).toBe(200);
    const created = await partner.post('/api/v1/partner/apps', {
      name: 'Grabber',
      contactEmail: 'g@example.org',
      apis: [{ apiCode: 'students', dataCategories: ['identity'], purpose: 'Planning' }],
    });
    expect(created.status).toBe(201);
    const link = await partner.post(`/api/v1/partner/apps/${created.body.id}/client/link`, { clientId: loader.clientId, clientSecret: loader.secret });
    expect(link.status).toBe(403);
    expect(link.body.code).toBe('client_secret_invalid');
  });

  it("an app client's token cannot ingest (403), and no token and a bad token are 401", async () => {
    const { ctx, url } = harness();
    const app = await createApp(ctx, { students: ['identity'] });
    await grantAll(ctx, app.clientId, 'students', NUMBERS);
    const token = await tokenOf(app.clientId, app.secret);
    const api = harness().client();
    const res = await api.post('/api/v1/ingestion/batch', { upsert: { persons: [{ ...world.persons[0]!, givenName: 'Intrång' }] } }, bearer(token));
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('client_not_allowed');
    // Refused before the body is looked at: a bad batch gets the same 403, not a 400.
    expect((await api.post('/api/v1/ingestion/batch', { upsert: { persons: [{ bogus: true }] } }, bearer(token))).status).toBe(403);
    // The app client still reads as before.
    expect((await fetch(`${url}/ss12000/v2.0/persons`, { headers: bearer(token) })).status).toBe(200);

    expect((await api.post('/api/v1/ingestion/batch', { upsert: {} })).status).toBe(401);
    const bad = await api.post('/api/v1/ingestion/batch', { upsert: {} }, bearer('not.a.token'));
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toContain('invalid_token');
  });

  it('anonymous, partners and school admins cannot create or list ingestion clients', async () => {
    const { ctx } = harness();
    const anonymous = harness().client();
    expect((await anonymous.post('/api/v1/operator/ingestion-clients', { name: 'x' })).status).toBe(401);
    expect((await anonymous.get('/api/v1/operator/ingestion-clients')).status).toBe(401);

    await insertUser(ctx.db, { email: 'p@partner.example', password: PASSWORD, displayName: 'Pia', kind: 'partner', emailVerified: true });
    const adminId = await insertUser(ctx.db, {
      email: 'admin@school.example',
      password: PASSWORD,
      displayName: 'Ada',
      kind: 'school',
      userManagementAccess: true,
    });
    const schoolYear = currentSchoolYear(ctx.clock.now(), { start: '09-01', timeZone: 'Europe/Brussels' });
    await insertAdminRight(ctx.db, { userId: adminId, right: 'iBasis', institutionNumber: NUMBERS[0]!, schoolYear });
    for (const email of ['p@partner.example', 'admin@school.example']) {
      const human = harness().client();
      expect((await human.login(email, PASSWORD)).status).toBe(200);
      const res = await human.post('/api/v1/operator/ingestion-clients', { name: 'x' });
      expect(res.status).toBe(403);
      expect((await human.get('/api/v1/operator/ingestion-clients')).status).toBe(403);
      // … nor load data with their session.
      expect((await human.post('/api/v1/ingestion/batch', { upsert: {} })).status).toBe(403);
    }
    const count = await ctx.db
      .selectFrom('clients')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('name', '=', 'x')
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(0);
  });
});
