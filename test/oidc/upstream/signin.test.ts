import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../../src/config.ts';
import { startServer } from '../../../src/server.ts';
import { useHarness, type TestClient } from '../../support/harness.ts';
import { claimsOf, createPerson, createSigninApp, exchangeCode, grantTo, pkcePair, resume, startSignin } from '../signin/support.ts';
import { createBoardWithSchool, operatorClient } from './fixtures.ts';
import { startUpstreamIdp, throughUpstream, type UpstreamIdp } from './upstream-idp.ts';

/**
 * Sign-in through a school board's own OpenID Connect provider: a second oidc-provider runs on
 * another port as the board's provider; the test drives the person's browser at both servers by
 * hand, redirect by redirect.
 */
const harness = useHarness();
let idp: UpstreamIdp;
let w: Awaited<ReturnType<typeof setup>>;

async function setup() {
  const h = harness();
  const ctx = h.ctx;
  const boardA = await createBoardWithSchool(ctx, 'Lunds kommun');
  const boardB = await createBoardWithSchool(ctx, 'Eslövs kommun');
  const app = await createSigninApp(ctx, { apis: { students: ['identity', 'groups'] } });
  await grantTo(ctx, app.clientId, 'students', boardA.school.number);
  await grantTo(ctx, app.clientId, 'students', boardB.school.number);
  const elsa = await createPerson(ctx, {
    given: 'Elsa',
    family: 'Lind',
    email: 'Elsa.Lind@Lund.example',
    relations: [{ kind: 'enrolment', unitId: boardA.school.unitId }],
    login: null,
  });
  await ctx.db
    .updateTable('ss12000_persons')
    .set({ eppns: ['elsa.lind@lund.example'] })
    .where('id', '=', elsa.id)
    .execute();
  // Known to the store and to the board's provider, but a student of the other board's school only.
  const olle = await createPerson(ctx, { given: 'Olle', family: 'Berg', relations: [{ kind: 'enrolment', unitId: boardB.school.unitId }], login: null });
  await ctx.db
    .updateTable('ss12000_persons')
    .set({ eppns: ['olle.berg@eslov.example'] })
    .where('id', '=', olle.id)
    .execute();

  const operator = await operatorClient(h);
  const created = await operator.post('/api/v1/operator/identity-providers', {
    boardId: boardA.boardId,
    displayName: 'Lund Skolinlogg',
    issuer: idp.issuer,
    clientId: idp.clientId,
    clientSecret: idp.clientSecret,
    personClaim: 'eppn',
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return { boardA, boardB, app, elsa, olle, operator, providerId: created.body.id as string };
}

beforeAll(async () => {
  idp = await startUpstreamIdp(`${harness().url}/signin/upstream/callback`);
  w = await setup();
}, 60_000);
afterAll(async () => {
  await idp?.stop();
});

/** Starts a sign-in of the app at a school; returns the browser and the interaction uid. */
async function atLoginStep(institution: string) {
  const browser = harness().client();
  const pkce = pkcePair();
  const uid = await startSignin(browser, { clientId: w.app.clientId, pkce, scope: 'openid profile' });
  const school = await browser.post(`/signin/${uid}/school`, { institution });
  expect(school.status, JSON.stringify(school.body)).toBe(200);
  return { browser, uid, pkce };
}

/** Clicks "Sign in with <board>": returns where Schoolgate sent the browser (the upstream's authorization endpoint). */
async function clickUpstream(browser: TestClient, uid: string): Promise<URL> {
  const state = await browser.get(`/signin/${uid}/state`);
  expect(state.body.loginMethods.upstream, JSON.stringify(state.body)).not.toBeNull();
  const res = await browser.get(state.body.loginMethods.upstream.url, { accept: 'text/html' });
  expect(res.status, JSON.stringify(res.body)).toBe(303);
  return new URL(res.headers.get('location')!);
}

/** The whole round trip at the upstream; returns the callback URL the upstream sent the browser to. */
async function upstreamCallback(browser: TestClient, uid: string): Promise<URL> {
  const authorize = await clickUpstream(browser, uid);
  const callback = await throughUpstream(idp.browser(), authorize);
  expect(callback.origin + callback.pathname).toBe(`${harness().url}/signin/upstream/callback`);
  return callback;
}

const get = (browser: TestClient, url: URL) => browser.get(url.pathname + url.search, { accept: 'text/html' });

describe("sign-in through the school board's identity provider", () => {
  it("offers the board's provider, signs the person in by eppn, and the sign-in goes on to consent and a code for the app", async () => {
    idp.next = { accountId: 'board-user-1', claims: { eppn: 'elsa.lind@lund.example' } };
    const { browser, uid, pkce } = await atLoginStep(w.boardA.school.number);
    const state = await browser.get(`/signin/${uid}/state`);
    expect(state.body.step).toBe('login');
    expect(state.body.loginMethods).toEqual({ password: true, upstream: { name: 'Lund Skolinlogg', url: `/signin/${uid}/upstream` } });

    const authorize = await clickUpstream(browser, uid);
    expect(authorize.origin).toBe(idp.issuer);
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${harness().url}/signin/upstream/callback`);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('client_id')).toBe(idp.clientId);
    const upstreamState = authorize.searchParams.get('state')!;
    expect(upstreamState).toBeTruthy();
    expect(authorize.searchParams.get('nonce')).toBeTruthy();
    // The transaction is in the database (another process may get the callback), not in memory.
    const tx = await harness()
      .ctx.db.selectFrom('oidc_payloads')
      .select(['uid', 'payload'])
      .where('type', '=', 'UpstreamSignin')
      .where('id', '=', upstreamState)
      .executeTakeFirstOrThrow();
    expect(tx.uid).toBe(uid);
    expect(JSON.stringify(tx.payload)).not.toContain(authorize.searchParams.get('code_challenge')!);

    const callback = await throughUpstream(idp.browser(), authorize);
    const back = await get(browser, callback);
    expect(back.status).toBe(303);
    expect(back.headers.get('location')).toBe(`/signin/${uid}`);

    const after = await browser.get(`/signin/${uid}/state`);
    expect(after.body).toMatchObject({ step: 'consent', person: { displayName: 'Elsa Lind' } });
    // Signed in on Schoolgate too: "My connected apps" knows the person right away.
    const session = await browser.get('/api/v1/my/session');
    expect(session.status).toBe(200);
    expect(session.body.person.displayName).toBe('Elsa Lind');

    const decided = await browser.post(`/signin/${uid}/consent`, { decision: 'allow' });
    expect(decided.status, JSON.stringify(decided.body)).toBe(200);
    const appCallback = await resume(browser, decided.body.redirectTo);
    const tokens = await exchangeCode(harness().url, w.app, appCallback, pkce.verifier);
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    expect(claimsOf(tokens.body.id_token).sub).toBeTruthy();
    const consent = await harness().ctx.db.selectFrom('end_user_consents').selectAll().where('person_id', '=', w.elsa.id).executeTakeFirstOrThrow();
    expect(consent).toMatchObject({ client_id: w.app.clientId, institution_number: w.boardA.school.number, role: 'student' });

    // The transaction was single use: the same answer again belongs to no sign-in.
    const replay = await get(browser, callback);
    expect(replay.status).toBe(400);
    expect(replay.body).toContain('data-error="upstream_state_invalid"');
  });

  it('refuses an answer with a state of no sign-in, and the genuine answer still works', async () => {
    idp.next = { accountId: 'board-user-1', claims: { eppn: 'elsa.lind@lund.example' } };
    const { browser, uid } = await atLoginStep(w.boardA.school.number);
    const callback = await upstreamCallback(browser, uid);
    const forged = new URL(callback);
    forged.searchParams.set('state', 'not-the-state-we-sent');
    const refused = await get(browser, forged);
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toContain('text/html');
    expect(refused.body).toContain('data-error="upstream_state_invalid"');
    const noState = await browser.get('/signin/upstream/callback?code=abc', { accept: 'text/html' });
    expect(noState.status).toBe(400);
    expect((await browser.get(`/signin/${uid}/state`)).body.person).toBeNull();

    const back = await get(browser, callback);
    expect(back.headers.get('location')).toBe(`/signin/${uid}`);
    expect((await browser.get(`/signin/${uid}/state`)).body.person).toEqual({ displayName: 'Elsa Lind' });
  });

  it('refuses an ID token whose nonce is not the one of the transaction', async () => {
    idp.next = { accountId: 'board-user-1', claims: { eppn: 'elsa.lind@lund.example' } };
    const { browser, uid } = await atLoginStep(w.boardA.school.number);
    const callback = await upstreamCallback(browser, uid);
    // The upstream signed the nonce it was sent; Schoolgate now expects another one.
    const db = harness().ctx.db;
    const row = await db
      .selectFrom('oidc_payloads')
      .select('payload')
      .where('type', '=', 'UpstreamSignin')
      .where('id', '=', callback.searchParams.get('state')!)
      .executeTakeFirstOrThrow();
    await db
      .updateTable('oidc_payloads')
      .set({ payload: JSON.stringify({ ...row.payload, nonce: 'a-nonce-never-sent' }) })
      .where('type', '=', 'UpstreamSignin')
      .where('id', '=', callback.searchParams.get('state')!)
      .execute();
    const back = await get(browser, callback);
    expect(back.headers.get('location')).toBe(`/signin/${uid}?error=upstream_failed`);
    const state = await browser.get(`/signin/${uid}/state`);
    expect(state.body).toMatchObject({ step: 'login', person: null });
    expect((await browser.get('/api/v1/my/session')).status).toBe(401);
  });

  it('refuses an answer that comes back after the transaction expired, and sweeps abandoned transactions', async () => {
    idp.next = { accountId: 'board-user-1', claims: { eppn: 'elsa.lind@lund.example' } };
    const h = harness();
    const { browser, uid } = await atLoginStep(w.boardA.school.number);
    const callback = await upstreamCallback(browser, uid);
    const state = callback.searchParams.get('state')!;
    const saved = h.clock.now();
    h.clock.advance(11 * 60_000);
    try {
      const late = await get(browser, callback);
      expect(late.status).toBe(400);
      expect(late.body).toContain('data-error="upstream_state_invalid"');
      expect((await browser.get(`/signin/${uid}/state`)).body.person).toBeNull();
      // An abandoned one (the person never came back) is removed by the next sign-in that starts.
      const abandoned = await atLoginStep(w.boardA.school.number);
      const authorize = await clickUpstream(abandoned.browser, abandoned.uid);
      h.clock.advance(11 * 60_000);
      await clickUpstream(abandoned.browser, abandoned.uid);
      const left = await h.ctx.db
        .selectFrom('oidc_payloads')
        .select('id')
        .where('type', '=', 'UpstreamSignin')
        .where('id', 'in', [state, authorize.searchParams.get('state')!])
        .execute();
      expect(left).toEqual([]);
    } finally {
      h.clock.set(saved);
    }
  });

  it("says so when the board's provider names nobody the school data knows", async () => {
    idp.next = { accountId: 'board-user-9', claims: { eppn: 'someone.else@lund.example' } };
    const { browser, uid } = await atLoginStep(w.boardA.school.number);
    const back = await get(browser, await upstreamCallback(browser, uid));
    expect(back.headers.get('location')).toBe(`/signin/${uid}?error=upstream_person_not_found`);
    expect((await browser.get(`/signin/${uid}/state`)).body).toMatchObject({ step: 'login', person: null });

    // No claim at all is the same answer.
    idp.next = { accountId: 'board-user-10', claims: {} };
    const again = await get(browser, await upstreamCallback(browser, uid));
    expect(again.headers.get('location')).toBe(`/signin/${uid}?error=upstream_person_not_found`);
  });

  it('refuses a person the store knows but who has no role at the chosen school', async () => {
    idp.next = { accountId: 'board-user-2', claims: { eppn: 'olle.berg@eslov.example' } };
    const { browser, uid } = await atLoginStep(w.boardA.school.number);
    const back = await get(browser, await upstreamCallback(browser, uid));
    expect(back.headers.get('location')).toBe(`/signin/${uid}?error=role_not_granted`);
    expect((await browser.get(`/signin/${uid}/state`)).body.person).toBeNull();
  });

  it("comes back with upstream_denied when the person cancels at the board's provider", async () => {
    idp.next = { accountId: 'board-user-1', claims: { eppn: 'elsa.lind@lund.example' }, deny: true };
    const { browser, uid } = await atLoginStep(w.boardA.school.number);
    const callback = await upstreamCallback(browser, uid);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    const back = await get(browser, callback);
    expect(back.headers.get('location')).toBe(`/signin/${uid}?error=upstream_denied`);
    expect((await browser.get(`/signin/${uid}/state`)).body).toMatchObject({ step: 'login', person: null });
  });

  it('does not accept an answer in another browser than the one that started the sign-in', async () => {
    idp.next = { accountId: 'board-user-1', claims: { eppn: 'elsa.lind@lund.example' } };
    const { browser, uid } = await atLoginStep(w.boardA.school.number);
    const callback = await upstreamCallback(browser, uid);
    const other = harness().client();
    const back = await get(other, callback);
    expect(back.headers.get('location')).toBe(`/signin/${uid}?error=upstream_failed`);
    expect((await other.get('/api/v1/my/session')).status).toBe(401);
    expect((await browser.get(`/signin/${uid}/state`)).body.person).toBeNull();
    // Nor may another browser start the upstream sign-in of someone else's interaction.
    const start = await other.get(`/signin/${uid}/upstream`, { accept: 'text/html' });
    expect(start.status).toBe(410);
  });

  it('offers no upstream button at a school whose board has no provider', async () => {
    const { browser, uid } = await atLoginStep(w.boardB.school.number);
    const state = await browser.get(`/signin/${uid}/state`);
    expect(state.body.loginMethods).toEqual({ password: true, upstream: null });
    const forced = await browser.get(`/signin/${uid}/upstream`, { accept: 'text/html' });
    expect(forced.status).toBe(303);
    expect(forced.headers.get('location')).toBe(`/signin/${uid}?error=upstream_not_configured`);
  });

  it('finds the person by e-mail (from userinfo, any case) and honours "no passwords" for the board', async () => {
    const patched = await w.operator.patch(`/api/v1/operator/identity-providers/${w.providerId}`, { personClaim: 'email', passwordAllowed: false });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    try {
      idp.next = { accountId: 'board-user-1', claims: { email: 'ELSA.LIND@lund.example', email_verified: true } };
      const { browser, uid } = await atLoginStep(w.boardA.school.number);
      const state = await browser.get(`/signin/${uid}/state`);
      expect(state.body.loginMethods).toEqual({ password: false, upstream: { name: 'Lund Skolinlogg', url: `/signin/${uid}/upstream` } });
      const password = await browser.post(`/signin/${uid}/login`, { login: 'elsa', password: 'whatever it is' });
      expect(password.status).toBe(403);
      expect(password.body.code).toBe('password_login_disabled');
      const authorize = await clickUpstream(browser, uid);
      expect(authorize.searchParams.get('scope')).toBe('openid email');
      const back = await get(browser, await throughUpstream(idp.browser(), authorize));
      expect(back.headers.get('location')).toBe(`/signin/${uid}`);
      expect((await browser.get(`/signin/${uid}/state`)).body.person).toEqual({ displayName: 'Elsa Lind' });

      // An address the provider says it has not verified identifies nobody.
      idp.next = { accountId: 'board-user-1', claims: { email: 'elsa.lind@lund.example', email_verified: false } };
      const second = await atLoginStep(w.boardA.school.number);
      const refused = await get(second.browser, await upstreamCallback(second.browser, second.uid));
      expect(refused.headers.get('location')).toBe(`/signin/${second.uid}?error=upstream_person_not_found`);
    } finally {
      const restored = await w.operator.patch(`/api/v1/operator/identity-providers/${w.providerId}`, { personClaim: 'eppn', passwordAllowed: true });
      expect(restored.status).toBe(200);
    }
  });

  it('finds the person by civic number, written with or without the dash', async () => {
    await harness().ctx.db.updateTable('ss12000_persons').set({ civic_no: '201003142388' }).where('id', '=', w.elsa.id).execute();
    const patched = await w.operator.patch(`/api/v1/operator/identity-providers/${w.providerId}`, { personClaim: 'civic_no' });
    expect(patched.status).toBe(200);
    try {
      idp.next = { accountId: 'board-user-1', claims: { civic_no: '20100314-2388' } };
      const { browser, uid } = await atLoginStep(w.boardA.school.number);
      const back = await get(browser, await upstreamCallback(browser, uid));
      expect(back.headers.get('location')).toBe(`/signin/${uid}`);
      expect((await browser.get(`/signin/${uid}/state`)).body.person).toEqual({ displayName: 'Elsa Lind' });
      // Ten digits leave the century open: not guessed.
      idp.next = { accountId: 'board-user-1', claims: { civic_no: '100314-2388' } };
      const second = await atLoginStep(w.boardA.school.number);
      const refused = await get(second.browser, await upstreamCallback(second.browser, second.uid));
      expect(refused.headers.get('location')).toBe(`/signin/${second.uid}?error=upstream_person_not_found`);
    } finally {
      await w.operator.patch(`/api/v1/operator/identity-providers/${w.providerId}`, { personClaim: 'eppn' });
    }
  });

  it('completes when the answer reaches another server on the same database than the one that sent the browser away', async () => {
    const h = harness();
    // A second process behind the same public URL (a load balancer): nothing of the sign-in is in memory.
    const other = await startServer(testConfig({ PORT: '0', HOST: '127.0.0.1', PUBLIC_URL: h.url }), {
      database: h.ctx.database,
      clock: h.clock,
      workers: false,
    });
    try {
      idp.next = { accountId: 'board-user-1', claims: { eppn: 'elsa.lind@lund.example' } };
      const { browser, uid } = await atLoginStep(w.boardA.school.number);
      const state = await browser.get(`/signin/${uid}/state`);
      const start = await browser.get(state.body.loginMethods.upstream.url, { accept: 'text/html' });
      const binding = start.headers
        .getSetCookie()
        .find((c) => c.startsWith('sg_upstream_'))!
        .split(';')[0]!;
      const callback = await throughUpstream(idp.browser(), new URL(start.headers.get('location')!));
      const res = await fetch(`http://127.0.0.1:${other.port}${callback.pathname}${callback.search}`, { headers: { cookie: binding }, redirect: 'manual' });
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe(`/signin/${uid}`);
      const after = await browser.get(`/signin/${uid}/state`);
      expect(after.body.person).toEqual({ displayName: 'Elsa Lind' });
      // 'done' when her consent of an earlier test covers the request already.
      expect(['consent', 'done']).toContain(after.body.step);
    } finally {
      await other.stop();
    }
  });
});
