import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertInstitution } from '../../src/seed/builders.ts';
import { useHarness, type TestClient } from '../support/harness.ts';
import { createPerson, createSchool, PASSWORD } from '../oidc/signin/support.ts';
import { createBoardWithSchool, operatorClient } from '../oidc/upstream/fixtures.ts';
import { startUpstreamIdp, throughUpstream, type UpstreamIdp } from '../oidc/upstream/upstream-idp.ts';

/**
 * "My connected apps" signs in school first, then with that school's credentials (issue 14,
 * point 5): the picker lists the schools whose people can sign in (a Schoolgate password or the
 * board's own provider), the password sign-in is bound to the chosen school, and a school with an
 * upstream provider sends the person there and back to /my/apps, signed in.
 */
const harness = useHarness();
let idp: UpstreamIdp;
let w: Awaited<ReturnType<typeof setup>>;

async function setup() {
  const h = harness();
  const ctx = h.ctx;
  // A board with its own sign-in; its school's people have no Schoolgate password.
  const board = await createBoardWithSchool(ctx, 'Lunds kommun');
  const elsa = await createPerson(ctx, { given: 'Elsa', family: 'Lind', relations: [{ kind: 'enrolment', unitId: board.school.unitId }], login: null });
  await ctx.db
    .updateTable('ss12000_persons')
    .set({ eppns: ['elsa.lind@lund.example'] })
    .where('id', '=', elsa.id)
    .execute();
  // A school with Schoolgate passwords.
  const park = await createSchool(ctx, 'Parkskolan', 'Malmö');
  const pia = await createPerson(ctx, { given: 'Pia', family: 'Park', relations: [{ kind: 'enrolment', unitId: park.unitId }] });
  // A school in the school data whose people have no way in, and an institution without school data.
  const north = await createSchool(ctx, 'Nordskolan', 'Malmö');
  await createPerson(ctx, { given: 'Nils', family: 'Nord', relations: [{ kind: 'enrolment', unitId: north.unitId }], login: null });
  await insertInstitution(ctx.db, { number: '499999', name: 'Skolan utan data', town: 'Malmö' });
  // Known to the board's provider, but a student of Parkskolan, not of the board's school.
  await ctx.db
    .updateTable('ss12000_persons')
    .set({ eppns: ['pia.park@lund.example'] })
    .where('id', '=', pia.id)
    .execute();

  const operator = await operatorClient(h);
  const created = await operator.post('/api/v1/operator/identity-providers', {
    boardId: board.boardId,
    displayName: 'Lund Skolinlogg',
    issuer: idp.issuer,
    clientId: idp.clientId,
    clientSecret: idp.clientSecret,
    personClaim: 'eppn',
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return { board, elsa, park, pia, north, providerId: created.body.id as string };
}

beforeAll(async () => {
  idp = await startUpstreamIdp(`${harness().url}/signin/upstream/callback`);
  w = await setup();
}, 60_000);
afterAll(async () => {
  await idp?.stop();
});

const numbers = (res: { body: { items: { number: string }[] } }) => res.body.items.map((i) => i.number).sort();

describe('"My connected apps": school first, then its credentials', () => {
  it('lists the schools whose people can sign in, searchable by name, number or town, with their ways in', async () => {
    const browser = harness().client();
    const all = await browser.get('/api/v1/my/schools');
    expect(all.status).toBe(200);
    expect(numbers(all)).toEqual([w.board.school.number, w.park.number].sort());
    expect(all.body.items.find((i: { number: string }) => i.number === w.park.number)).toEqual({
      number: w.park.number,
      name: 'Parkskolan',
      town: 'Malmö',
      password: true,
      upstream: null,
    });
    expect(all.body.items.find((i: { number: string }) => i.number === w.board.school.number)).toMatchObject({
      password: true,
      upstream: { name: 'Lund Skolinlogg', url: `/signin/upstream/my?institution=${w.board.school.number}` },
    });
    expect(numbers(await browser.get('/api/v1/my/schools?q=PARK'))).toEqual([w.park.number]);
    expect(numbers(await browser.get(`/api/v1/my/schools?q=${w.park.number}`))).toEqual([w.park.number]);
    expect(numbers(await browser.get('/api/v1/my/schools?q=malm'))).toEqual([w.board.school.number, w.park.number].sort());
    expect(numbers(await browser.get('/api/v1/my/schools?q=nord'))).toEqual([]);
    expect((await browser.get(`/api/v1/my/schools?q=${'x'.repeat(101)}`)).status).toBe(400);
  });

  it("signs in with a password at the person's own school only", async () => {
    const browser = harness().client();
    const at = (institution: string, password = PASSWORD) => browser.post('/api/v1/my/session', { login: w.pia.login, password, institution });
    const elsewhere = await at(w.north.number);
    expect([elsewhere.status, elsewhere.body.code]).toEqual([400, 'institution_not_available']);
    const unknown = await at('499999');
    expect([unknown.status, unknown.body.code]).toEqual([400, 'institution_not_available']);
    const bad = await browser.post('/api/v1/my/session', { login: w.pia.login, password: PASSWORD, institution: '12' });
    expect(bad.status).toBe(400);
    // The right password, but Pia is not of the board's school.
    const notHers = await at(w.board.school.number);
    expect([notHers.status, notHers.body.code]).toEqual([403, 'not_at_school']);
    const wrong = await at(w.park.number, 'not the password');
    expect([wrong.status, wrong.body.code]).toEqual([401, 'invalid_credentials']);
    expect((await browser.get('/api/v1/my/session')).status).toBe(401);
    const ok = await at(w.park.number);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.person.displayName).toBe('Pia Park');
    expect((await browser.get('/api/v1/my/session')).body.person.displayName).toBe('Pia Park');
  });

  it('refuses a password where the board turned passwords off', async () => {
    const { ctx } = harness();
    await ctx.db.updateTable('upstream_identity_providers').set({ password_allowed: false }).where('id', '=', w.providerId).execute();
    try {
      const listed = await harness().client().get(`/api/v1/my/schools?q=${w.board.school.number}`);
      expect(listed.body.items[0]).toMatchObject({ password: false, upstream: { name: 'Lund Skolinlogg' } });
      const res = await harness().client().post('/api/v1/my/session', { login: w.pia.login, password: PASSWORD, institution: w.board.school.number });
      expect([res.status, res.body.code]).toEqual([403, 'password_login_disabled']);
    } finally {
      await ctx.db.updateTable('upstream_identity_providers').set({ password_allowed: true }).where('id', '=', w.providerId).execute();
    }
  });

  /** Follows "Sign in with <board>" from /my/apps through the upstream; returns where Schoolgate sends the browser at the end. */
  async function throughBoard(browser: TestClient, institution: string): Promise<string | null> {
    const listed = await browser.get(`/api/v1/my/schools?q=${institution}`);
    const start = await browser.get(listed.body.items[0].upstream.url, { accept: 'text/html' });
    expect(start.status, JSON.stringify(start.body)).toBe(303);
    const authorize = new URL(start.headers.get('location')!);
    expect(authorize.origin).toBe(idp.issuer);
    const callback = await throughUpstream(idp.browser(), authorize);
    expect(callback.origin + callback.pathname).toBe(`${harness().url}/signin/upstream/callback`);
    const back = await browser.get(callback.pathname + callback.search, { accept: 'text/html' });
    expect(back.status).toBe(303);
    return back.headers.get('location');
  }

  it("sends a school with its board's sign-in there, and back to My connected apps signed in", async () => {
    idp.next = { accountId: 'board-elsa', claims: { eppn: 'elsa.lind@lund.example' } };
    const browser = harness().client();
    expect(await throughBoard(browser, w.board.school.number)).toBe('/my/apps');
    const session = await browser.get('/api/v1/my/session');
    expect(session.status).toBe(200);
    expect(session.body.person.displayName).toBe('Elsa Lind');
  });

  it('signs nobody in whom the board knows but who is not of the chosen school', async () => {
    idp.next = { accountId: 'board-pia', claims: { eppn: 'pia.park@lund.example' } };
    const browser = harness().client();
    expect(await throughBoard(browser, w.board.school.number)).toBe('/my/apps?error=not_at_school');
    expect((await browser.get('/api/v1/my/session')).status).toBe(401);
  });

  it('sends a school without a board provider back with upstream_not_configured', async () => {
    const res = await harness().client().get(`/signin/upstream/my?institution=${w.park.number}`, { accept: 'text/html' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/my/apps?error=upstream_not_configured');
    expect((await harness().client().get('/signin/upstream/my?institution=abc', { accept: 'text/html' })).status).toBe(400);
  });
});
