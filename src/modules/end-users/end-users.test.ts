import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sql } from 'kysely';
import { startHarness, type Harness, type TestClient } from '../../../test/support/harness.ts';
import { stopHarness } from '../../../test/jobs/support.ts';
import { startSmtpPeer } from '../../../test/mail/smtp-peer.ts';
import { currentSchoolYear } from '../../lib/school-year.ts';
import { newId, sha256 } from '../../lib/ids.ts';
import {
  insertAdminRight,
  insertApp,
  insertClient,
  insertEndUserAccount,
  insertGrant,
  insertInstitution,
  insertPartner,
  insertUser,
} from '../../seed/builders.ts';
import type { EndUserRole } from '../../db/schema.ts';
import { END_USER_COOKIE, startEndUserSession } from './session.ts';
import { storedBody } from '../../../test/support/stored.ts';

/*
 * "My connected apps" against a real server with a real SMTP peer. Two schools, two partners with
 * one app each, two people with consents at both apps: every route is tried by each person on the
 * other's consents. Consents are inserted directly (the OIDC flow that creates them is tested in
 * test/oidc/signin); the oidc-provider records of a Grant are inserted as the adapter stores them.
 */

let peer: Awaited<ReturnType<typeof startSmtpPeer>>;
let h: Harness;

beforeAll(async () => {
  peer = await startSmtpPeer();
  h = await startHarness({ SMTP_URL: peer.url });
}, 60_000);

afterAll(async () => {
  await stopHarness(h);
  await peer?.close();
});

const PASSWORD = 'end user password';
const SCHOOL_A = '410001';
const SCHOOL_B = '410002';
const eventually = <T>(check: () => T | Promise<T>) => vi.waitFor(check, { timeout: 20_000, interval: 50 });

interface World {
  partner1: string;
  partner2: string;
  app1: string;
  app2: string;
  client1: string;
  client2: string;
  alice: string;
  bob: string;
  /** consent ids: alice@app1, alice@app2, bob@app1, bob@app2 */
  consents: { alice1: string; alice2: string; bob1: string; bob2: string };
  grants: { alice1: string; alice2: string; bob1: string; bob2: string };
}
let w: World;

async function insertPerson(displayName: string): Promise<string> {
  const id = newId();
  const [given, family] = displayName.split(' ') as [string, string];
  await h.ctx.db
    .insertInto('ss12000_persons')
    .values({
      id,
      ...storedBody('persons', { id, givenName: given, familyName: family }),
      hash: sha256(id),
      created_at: h.clock.now(),
      modified_at: h.clock.now(),
      given_name: given,
      family_name: family,
      display_name: displayName,
      search_name: displayName.toLowerCase(),
      civic_no: null,
      eppns: [],
      security_marking: null,
    })
    .execute();
  return id;
}

/** A consent as helper "oidc"'s consent step stores it, plus the Grant, a refresh token and a code in oidc_payloads. */
async function insertConsent(personId: string, clientId: string, institution: string, role: EndUserRole, apiCode: string) {
  const id = newId();
  const grantId = `grant-${newId()}`;
  const now = h.clock.now();
  await h.ctx.db
    .insertInto('end_user_consents')
    .values({
      id,
      person_id: personId,
      client_id: clientId,
      institution_number: institution,
      role,
      api_code: apiCode,
      scopes: ['openid', 'profile', 'offline_access'],
      data_categories: ['identity', 'groups'],
      oidc_grant_id: grantId,
      consented_at: now,
      updated_at: now,
    })
    .execute();
  const expires = new Date(now.getTime() + 3_600_000);
  await h.ctx.db
    .insertInto('oidc_payloads')
    .values([
      { id: grantId, type: 'Grant', payload: JSON.stringify({ jti: grantId, clientId, accountId: personId }), grant_id: null, expires_at: expires },
      { id: `rt-${newId()}`, type: 'RefreshToken', payload: JSON.stringify({ grantId }), grant_id: grantId, expires_at: expires },
      { id: `ac-${newId()}`, type: 'AuthorizationCode', payload: JSON.stringify({ grantId }), grant_id: grantId, expires_at: expires },
    ])
    .execute();
  return { id, grantId };
}

async function signIn(login: string, password = PASSWORD): Promise<TestClient> {
  const c = h.client();
  const res = await c.post('/api/v1/my/session', { login, password });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  c.csrfToken = res.body.csrfToken;
  return c;
}

const oidcRows = (grantId: string) =>
  h.ctx.db
    .selectFrom('oidc_payloads')
    .select(['type'])
    .where((eb) => eb.or([eb('grant_id', '=', grantId), eb('id', '=', grantId)]))
    .execute();

beforeAll(async () => {
  const db = h.ctx.db;
  await insertInstitution(db, { number: SCHOOL_A, name: 'Norra skolan', town: 'Umeå' });
  await insertInstitution(db, { number: SCHOOL_B, name: 'Södra skolan', town: 'Lund' });
  // The contact of app 1 is a Dutch-speaking partner member: the mail goes out in Dutch.
  const member1 = await insertUser(db, {
    email: 'contact@leerwijs.example',
    password: 'partner password',
    displayName: 'Lea',
    kind: 'partner',
    language: 'nl',
  });
  const member2 = await insertUser(db, { email: 'dev@laxhjalpen.example', password: 'partner password', displayName: 'Dan', kind: 'partner' });
  const partner1 = await insertPartner(db, { name: 'Leerwijs', contactEmail: 'info@leerwijs.example', memberUserIds: [member1] });
  const partner2 = await insertPartner(db, { name: 'Läxhjälpen AB', contactEmail: 'info@laxhjalpen.example', memberUserIds: [member2] });
  const apis = [
    { apiCode: 'students', dataCategories: ['identity', 'groups'], purpose: 'Homework per class' },
    { apiCode: 'staff', dataCategories: ['identity'], purpose: 'Teacher accounts' },
  ];
  const app1 = await insertApp(db, { partnerId: partner1, name: 'Huiswerk <Pro>', status: 'approved', contactEmail: 'contact@leerwijs.example', apis });
  const app2 = await insertApp(db, { partnerId: partner2, name: 'Läxor', status: 'approved', contactEmail: 'apps@laxhjalpen.example', apis });
  const { clientId: client1 } = await insertClient(db, { appId: app1, name: 'Huiswerk' });
  const { clientId: client2 } = await insertClient(db, { appId: app2, name: 'Läxor' });
  for (const clientId of [client1, client2])
    for (const n of [SCHOOL_A, SCHOOL_B]) await insertGrant(db, { clientId, apiCode: 'students', institutionNumber: n });

  const alice = await insertPerson('Alice Andersson');
  const bob = await insertPerson('Bob Berg');
  await insertEndUserAccount(db, { personId: alice, login: 'alice@skola.example', password: PASSWORD, language: 'sv' });
  await insertEndUserAccount(db, { personId: bob, login: 'bob.berg', password: PASSWORD });
  const alice1 = await insertConsent(alice, client1, SCHOOL_A, 'student', 'students');
  const alice2 = await insertConsent(alice, client2, SCHOOL_A, 'student', 'students');
  const bob1 = await insertConsent(bob, client1, SCHOOL_B, 'guardian', 'students');
  const bob2 = await insertConsent(bob, client2, SCHOOL_B, 'guardian', 'students');
  w = {
    partner1,
    partner2,
    app1,
    app2,
    client1,
    client2,
    alice,
    bob,
    consents: { alice1: alice1.id, alice2: alice2.id, bob1: bob1.id, bob2: bob2.id },
    grants: { alice1: alice1.grantId, alice2: alice2.grantId, bob1: bob1.grantId, bob2: bob2.grantId },
  };
  // The apps' reads: three successful ones of Alice's data by app 1, one refused (not a read).
  const read = (consentId: string, minutesAgo: number, endpoint: string, records: number, status = 200) => ({
    at: new Date(h.clock.now().getTime() - minutesAgo * 60_000),
    client_id: client1,
    app_id: app1,
    partner_id: partner1,
    method: 'GET',
    endpoint,
    institution_numbers: [SCHOOL_A],
    record_count: records,
    status,
    consent_id: consentId,
  });
  await db
    .insertInto('ss12000_access_log')
    .values([
      read(alice1.id, 30, '/persons', 1),
      read(alice1.id, 20, '/groups', 3),
      read(alice1.id, 10, '/persons/{id}', 1),
      read(alice1.id, 5, '/activities', 0, 401),
    ])
    .execute();
}, 60_000);

describe('end-user session on Schoolgate', () => {
  it('signs in with the login and password, sets an httpOnly SameSite=Lax cookie whose token is stored only hashed', async () => {
    const res = await fetch(`${h.url}/api/v1/my/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'Alice@Skola.example', password: PASSWORD }),
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ person: { displayName: 'Alice Andersson', language: 'sv' } });
    expect(body.csrfToken).toMatch(/^[\w-]{20,}$/);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith(`${END_USER_COOKIE}=`))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).not.toMatch(/Secure/i); // plain http test server
    expect(res.headers.getSetCookie().some((c) => c.startsWith('sg_session='))).toBe(false);
    const token = /^sg_person=([^;]+)/.exec(cookie)![1]!;
    const rows = await h.ctx.db.selectFrom('end_user_sessions').selectAll().where('person_id', '=', w.alice).execute();
    expect(rows.map((r) => r.token_hash)).toContain(sha256(token));
    expect(rows.map((r) => r.token_hash)).not.toContain(token);
  });

  it('GET returns the person and CSRF token; DELETE needs the CSRF token and ends the session', async () => {
    const c = await signIn('bob.berg');
    const session = await c.get('/api/v1/my/session');
    expect(session.status).toBe(200);
    expect(session.body).toMatchObject({ person: { displayName: 'Bob Berg', language: 'en' }, csrfToken: c.csrfToken });
    const noCsrf = await c.delete('/api/v1/my/session', { 'x-csrf-token': 'forged' });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.body.code).toBe('csrf_token_invalid');
    expect((await c.get('/api/v1/my/session')).status).toBe(200);
    expect((await c.delete('/api/v1/my/session')).status).toBe(204);
    const after = await c.get('/api/v1/my/session');
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('unauthenticated');
    // Signing out without a session is a harmless no-op.
    expect((await h.client().delete('/api/v1/my/session')).status).toBe(204);
  });

  it('answers an unknown login and a wrong password alike, and throttles per account', async () => {
    const c = h.client();
    const unknown = await c.post('/api/v1/my/session', { login: 'nobody', password: 'whatever pw' });
    const wrong = await c.post('/api/v1/my/session', { login: 'bob.berg', password: 'wrong password' });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(unknown.body.code).toBe('invalid_credentials');
    expect(wrong.body.code).toBe('invalid_credentials');
    const bad = await c.post('/api/v1/my/session', { login: '', password: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'validation_failed', field: 'body.login' });
    for (let i = 0; i < 4; i++) await c.post('/api/v1/my/session', { login: 'bob.berg', password: 'wrong password' });
    const locked = await c.post('/api/v1/my/session', { login: 'bob.berg', password: PASSWORD });
    expect(locked.status).toBe(429);
    expect(locked.body.code).toBe('too_many_attempts');
    h.clock.advance(16 * 60_000);
    expect((await c.post('/api/v1/my/session', { login: 'bob.berg', password: PASSWORD })).status).toBe(200);
  });

  it('keeps end-user and staff sessions apart, and expires the end-user session', async () => {
    const c = await signIn('alice@skola.example');
    // The person cookie opens no staff route …
    expect((await c.get('/api/v1/auth/session')).status).toBe(401);
    // … and a staff session opens no /my route.
    const staff = h.client();
    expect((await staff.login('contact@leerwijs.example', 'partner password')).status).toBe(200);
    expect((await staff.get('/api/v1/my/apps')).status).toBe(401);
    h.clock.advance((h.ctx.config.SESSION_TTL_HOURS + 1) * 3_600_000);
    expect((await c.get('/api/v1/my/apps')).status).toBe(401);
  });

  it('startEndUserSession writes the cookie on a raw Node response, Secure when PUBLIC_URL is https, after cookies set before', async () => {
    const headers = new Map<string, unknown>([['set-cookie', '_interaction=abc; path=/signin/uid']]);
    const res = { getHeader: (n: string) => headers.get(n) as never, setHeader: (n: string, v: unknown) => void headers.set(n, v) as never };
    const ctx = { ...h.ctx, config: { ...h.ctx.config, PUBLIC_URL: 'https://schoolgate.example' } };
    const { csrfToken } = await startEndUserSession(ctx, res as never, w.bob);
    const lines = headers.get('set-cookie') as string[];
    expect(lines[0]).toBe('_interaction=abc; path=/signin/uid');
    // Max-Age (the session's lifetime), not Expires: a browser whose clock runs ahead keeps it as long.
    expect(lines[1]).toMatch(/^sg_person=[\w-]{43}; Path=\/; HttpOnly; SameSite=Lax; Secure; Max-Age=\d+$/);
    expect(Number(/Max-Age=(\d+)/.exec(lines[1]!)![1])).toBe(h.ctx.config.SESSION_TTL_HOURS * 3600);
    // The cookie works as a session of Bob.
    const c = h.client();
    const got = await c.get('/api/v1/my/session', { cookie: lines[1]!.split(';')[0]! });
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ person: { displayName: 'Bob Berg' }, csrfToken });
  });
});

describe('my connected apps', () => {
  it("lists exactly the person's own live consents, with categories, purposes and the app's reads", async () => {
    const alice = await signIn('alice@skola.example');
    const res = await alice.get('/api/v1/my/apps');
    expect(res.status).toBe(200);
    expect(res.body.items.map((i: { consentId: string }) => i.consentId).sort()).toEqual([w.consents.alice1, w.consents.alice2].sort());
    const one = res.body.items.find((i: { consentId: string }) => i.consentId === w.consents.alice1);
    expect(one).toMatchObject({
      app: { id: w.app1, name: 'Huiswerk <Pro>', partnerName: 'Leerwijs' },
      institution: { number: SCHOOL_A, name: 'Norra skolan' },
      role: 'student',
      scopes: ['openid', 'profile', 'offline_access'],
      categories: [
        { apiCode: 'students', category: 'identity', purpose: 'Homework per class' },
        { apiCode: 'students', category: 'groups', purpose: 'Homework per class' },
      ],
    });
    // The refused request is not a read of her data.
    expect(one.reads.total).toBe(3);
    expect(one.reads.recent.map((r: { endpoint: string }) => r.endpoint)).toEqual(['/persons/{id}', '/groups', '/persons']);
    expect(one.reads.recent[1]).toMatchObject({ records: 3 });
    expect(new Date(one.reads.lastAt).getTime()).toBe(new Date(one.reads.recent[0].at).getTime());
    const two = res.body.items.find((i: { consentId: string }) => i.consentId === w.consents.alice2);
    expect(two.reads).toEqual({ total: 0, lastAt: null, recent: [] });

    const bob = await signIn('bob.berg');
    const bobs = await bob.get('/api/v1/my/apps');
    expect(bobs.body.items.map((i: { consentId: string }) => i.consentId).sort()).toEqual([w.consents.bob1, w.consents.bob2].sort());
    expect(bobs.body.items.every((i: { role: string; reads: { total: number } }) => i.role === 'guardian' && i.reads.total === 0)).toBe(true);
    expect((await h.client().get('/api/v1/my/apps')).status).toBe(401);
  });

  it("refuses every route on another person's consent as if it did not exist, and changes nothing", async () => {
    const alice = await signIn('alice@skola.example');
    for (const foreign of [w.consents.bob1, w.consents.bob2, newId()]) {
      const res = await alice.post(`/api/v1/my/apps/${foreign}/withdraw`);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('consent_not_found');
    }
    const malformed = await alice.post('/api/v1/my/apps/not-a-uuid/withdraw');
    expect(malformed.status).toBe(400);
    expect(malformed.body.field).toBe('params.consentId');
    const noCsrf = await alice.post(`/api/v1/my/apps/${w.consents.alice2}/withdraw`, {}, { 'x-csrf-token': 'forged' });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.body.code).toBe('csrf_token_invalid');
    expect((await h.client().post(`/api/v1/my/apps/${w.consents.alice2}/withdraw`)).status).toBe(401);
    // A staff session (even the partner of the app) cannot withdraw for a person.
    const staff = h.client();
    await staff.login('contact@leerwijs.example', 'partner password');
    expect((await staff.post(`/api/v1/my/apps/${w.consents.alice1}/withdraw`)).status).toBe(401);

    const live = await h.ctx.db.selectFrom('end_user_consents').select('id').where('withdrawn_at', 'is', null).execute();
    expect(live).toHaveLength(4);
    for (const g of Object.values(w.grants)) expect(await oidcRows(g)).toHaveLength(3);
    expect(await h.ctx.db.selectFrom('partner_events').selectAll().execute()).toHaveLength(0);
  });

  it('rolls everything back when a part of the withdrawal fails', async () => {
    await sql`CREATE FUNCTION portal_test_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'event store down'; END $$`.execute(h.ctx.db);
    await sql`CREATE TRIGGER portal_test_fail BEFORE INSERT ON partner_events FOR EACH ROW EXECUTE FUNCTION portal_test_fail()`.execute(h.ctx.db);
    try {
      const alice = await signIn('alice@skola.example');
      const res = await alice.post(`/api/v1/my/apps/${w.consents.alice2}/withdraw`);
      expect(res.status).toBe(500);
    } finally {
      await sql`DROP TRIGGER portal_test_fail ON partner_events`.execute(h.ctx.db);
      await sql`DROP FUNCTION portal_test_fail()`.execute(h.ctx.db);
    }
    const consent = await h.ctx.db.selectFrom('end_user_consents').select('withdrawn_at').where('id', '=', w.consents.alice2).executeTakeFirstOrThrow();
    expect(consent.withdrawn_at).toBeNull();
    expect(await oidcRows(w.grants.alice2)).toHaveLength(3);
    expect(await h.ctx.db.selectFrom('audit_log').select('id').where('subject_id', '=', w.consents.alice2).execute()).toHaveLength(0);
    expect(await h.ctx.db.selectFrom('mail_outbox').select('id').where('template', '=', 'consent_withdrawn').execute()).toHaveLength(0);
  });

  it('withdraws: tokens and grant revoked, audit row, partner event with the pairwise sub, mail to the app contact in their language', async () => {
    const alice = await signIn('alice@skola.example');
    const before = h.clock.now();
    const res = await alice.post(`/api/v1/my/apps/${w.consents.alice1}/withdraw`);
    expect(res.status).toBe(204);

    const consent = await h.ctx.db.selectFrom('end_user_consents').selectAll().where('id', '=', w.consents.alice1).executeTakeFirstOrThrow();
    expect(consent.withdrawn_at).toEqual(before);
    // Refresh tokens, codes and the Grant of this consent are gone; every other grant is intact.
    expect(await oidcRows(w.grants.alice1)).toEqual([]);
    for (const g of [w.grants.alice2, w.grants.bob1, w.grants.bob2]) expect(await oidcRows(g)).toHaveLength(3);

    const salt = await h.ctx.db.selectFrom('instance_secrets').select('value').where('name', '=', 'pairwise_salt').executeTakeFirstOrThrow();
    const sub = createHmac('sha256', salt.value).update(`${w.partner1}:${w.alice}`).digest('base64url');

    const audit = await h.ctx.db.selectFrom('audit_log').selectAll().where('action', '=', 'consent.withdrawn').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actor_kind: 'person',
      actor_user_id: null,
      actor_label: `End user ${sub}`,
      subject_type: 'end_user_consent',
      subject_id: w.consents.alice1,
      partner_id: w.partner1,
      app_id: w.app1,
      client_id: w.client1,
      institution_numbers: [SCHOOL_A],
      before: {
        role: 'student',
        apiCode: 'students',
        scopes: ['openid', 'profile', 'offline_access'],
        dataCategories: ['identity', 'groups'],
        withdrawnAt: null,
      },
      after: { withdrawnAt: before.toISOString(), revokedOidcRecords: 3 },
    });
    // Nothing in the row names the person: the partner reads it in its app log.
    expect(JSON.stringify(audit[0])).not.toMatch(/Alice|Andersson/);
    expect(JSON.stringify(audit[0])).not.toContain(w.alice);

    // The partner reads the event; the other partner cannot see app 1's events.
    const partner = h.client();
    await partner.login('contact@leerwijs.example', 'partner password');
    const events = await partner.get(`/api/v1/partner/apps/${w.app1}/events`);
    expect(events.status).toBe(200);
    expect(events.body.items).toHaveLength(1);
    expect(events.body.items[0]).toMatchObject({
      type: 'consent.withdrawn',
      data: { sub, institution: SCHOOL_A, appId: w.app1, at: before.toISOString() },
    });
    expect(JSON.stringify(events.body)).not.toContain(w.alice);
    expect(events.body.nextAfter).toBe(events.body.items[0].seq);
    const rest = await partner.get(`/api/v1/partner/apps/${w.app1}/events?after=${events.body.nextAfter}`);
    expect(rest.body).toEqual({ items: [], nextAfter: null });
    const other = h.client();
    await other.login('dev@laxhjalpen.example', 'partner password');
    expect((await other.get(`/api/v1/partner/apps/${w.app1}/events`)).status).toBe(404);
    expect((await other.get(`/api/v1/partner/apps/${w.app2}/events`)).body.items).toEqual([]);

    // The partner's app log shows the withdrawal.
    const log = await partner.get(`/api/v1/partner/apps/${w.app1}/log`);
    expect(log.body.data[0]).toMatchObject({ action: 'consent.withdrawn', actor: { kind: 'person', label: `End user ${sub}` } });

    // The mail reached the app's contact over SMTP, in Dutch (the contact's language).
    const [mail] = await eventually(() => {
      const got = peer.received.filter((m) => m.to.includes('contact@leerwijs.example'));
      expect(got).toHaveLength(1);
      return got;
    });
    expect(mail!.subject).toBe('Schoolgate – Een gebruiker heeft de toestemming voor Huiswerk <Pro> ingetrokken');
    expect(mail!.text).toContain('Een leerling van 410001 Norra skolan');
    expect(mail!.text).toContain(`${h.url}/api/v1/partner/apps/${w.app1}/events`);
    expect(mail!.html).toContain('Huiswerk &lt;Pro&gt;');
    expect(mail!.text).not.toMatch(/Alice|Andersson/);

    // Gone from the list; a second withdrawal is a conflict, not a second event.
    const list = await alice.get('/api/v1/my/apps');
    expect(list.body.items.map((i: { consentId: string }) => i.consentId)).toEqual([w.consents.alice2]);
    const again = await alice.post(`/api/v1/my/apps/${w.consents.alice1}/withdraw`);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('consent_withdrawn');
    expect(await h.ctx.db.selectFrom('partner_events').select('id').execute()).toHaveLength(1);
  });

  it('gives two partners different subs for the same person', async () => {
    const bob = await signIn('bob.berg');
    expect((await bob.post(`/api/v1/my/apps/${w.consents.bob1}/withdraw`)).status).toBe(204);
    expect((await bob.post(`/api/v1/my/apps/${w.consents.bob2}/withdraw`)).status).toBe(204);
    const events = await h.ctx.db.selectFrom('partner_events').selectAll().where('type', '=', 'consent.withdrawn').orderBy('seq').execute();
    const bobs = events.slice(-2);
    expect(bobs.map((e) => e.partner_id)).toEqual([w.partner1, w.partner2]);
    const subs = bobs.map((e) => (e.data as { sub: string }).sub);
    expect(subs[0]).toMatch(/^[\w-]{43}$/);
    expect(subs[0]).not.toBe(subs[1]);
  });
});

describe('consent counts on the school app page', () => {
  it('shows an admin the live consents of their own institutions only, students in count, by role', async () => {
    const db = h.ctx.db;
    const year = currentSchoolYear(h.clock.now(), { start: h.ctx.config.SCHOOL_YEAR_START, timeZone: h.ctx.config.TZ });
    const adminA = await insertUser(db, {
      email: 'rektor@norra.example',
      password: 'school password',
      displayName: 'Rektor A',
      kind: 'school',
      userManagementAccess: true,
    });
    const adminB = await insertUser(db, {
      email: 'rektor@sodra.example',
      password: 'school password',
      displayName: 'Rektor B',
      kind: 'school',
      userManagementAccess: true,
    });
    await insertAdminRight(db, { userId: adminA, right: 'iLeerlingen', institutionNumber: SCHOOL_A, schoolYear: year });
    await insertAdminRight(db, { userId: adminB, right: 'iLeerlingen', institutionNumber: SCHOOL_B, schoolYear: year });
    // More consents for app 2: two more students and a staff member at A, a student at B, one withdrawn at A.
    const people = await Promise.all(['Cleo C', 'Dino D', 'Eva E', 'Finn F', 'Gus G'].map(insertPerson));
    await insertConsent(people[0]!, w.client2, SCHOOL_A, 'student', 'students');
    await insertConsent(people[1]!, w.client2, SCHOOL_A, 'student', 'students');
    await insertConsent(people[2]!, w.client2, SCHOOL_A, 'staff', 'staff');
    await insertConsent(people[3]!, w.client2, SCHOOL_B, 'student', 'students');
    const withdrawn = await insertConsent(people[4]!, w.client2, SCHOOL_A, 'student', 'students');
    await db.updateTable('end_user_consents').set({ withdrawn_at: h.clock.now() }).where('id', '=', withdrawn.id).execute();

    const a = h.client();
    await a.login('rektor@norra.example', 'school password');
    const pageA = await a.get(`/api/v1/school/apps/${w.app2}`);
    expect(pageA.status).toBe(200);
    // Alice's consent for app 2 is live: 3 students at A, plus the staff member.
    expect(pageA.body.consents).toEqual([{ institutionNumber: SCHOOL_A, count: 3, byRole: { student: 3, guardian: 0, staff: 1 } }]);
    const b = h.client();
    await b.login('rektor@sodra.example', 'school password');
    const pageB = await b.get(`/api/v1/school/apps/${w.app2}`);
    // Bob (a guardian) withdrew; one student at B.
    expect(pageB.body.consents).toEqual([{ institutionNumber: SCHOOL_B, count: 1, byRole: { student: 1, guardian: 0, staff: 0 } }]);
    const app1 = await b.get(`/api/v1/school/apps/${w.app1}`);
    expect(app1.body.consents).toEqual([]);
  });
});
