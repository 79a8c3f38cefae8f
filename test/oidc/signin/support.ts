import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { AppContext } from '../../../src/context.ts';
import type { RelationKind } from '../../../src/modules/ss12000/model.ts';
import { newId } from '../../../src/lib/ids.ts';
import { insertApp, insertClient, insertEndUserAccount, insertGrant, insertInstitution, insertPartner } from '../../../src/seed/builders.ts';
import type { TestClient } from '../../support/harness.ts';
import { basic, postTokenEndpoint } from '../fixtures.ts';
import { storedBody } from '../../support/stored.ts';

/**
 * Fixtures and a hand-driven browser for the "Log in with Schoolgate" tests: the test plays the
 * partner app (PKCE, state, nonce, token requests) and the person's browser (cookies, redirects
 * followed one by one, the JSON steps the sign-in page calls).
 */

export const PASSWORD = 'correct horse battery';
export const REDIRECT = 'https://homework.example/callback';

let seq = 300000 + Math.floor(Math.random() * 600000);

/** A school: an institution and its SS 12000 school unit (organisation_code = institution number). */
export async function createSchool(ctx: AppContext, name = `School ${seq}`, town = 'Malmö') {
  const number = String(seq++);
  await insertInstitution(ctx.db, { number, name, town });
  const unitId = newId();
  const now = new Date();
  await ctx.db
    .insertInto('ss12000_organisations')
    .values({
      id: unitId,
      ...storedBody('organisations', { id: unitId, displayName: name, organisationType: 'Skolenhet', organisationCode: number }),
      hash: randomBytes(8).toString('hex'),
      created_at: now,
      modified_at: now,
      display_name: name,
      organisation_type: 'Skolenhet',
      organisation_code: number,
    })
    .execute();
  return { number, name, unitId };
}

/** A person of the SS 12000 store with relations to school units, and optionally a sign-in account. */
export async function createPerson(
  ctx: AppContext,
  p: { given: string; family: string; email?: string; relations: { kind: RelationKind; unitId: string; endDate?: string }[]; login?: string | null },
) {
  const id = newId();
  const now = new Date();
  const displayName = `${p.given} ${p.family}`;
  await ctx.db
    .insertInto('ss12000_persons')
    .values({
      id,
      ...storedBody('persons', { id, givenName: p.given, familyName: p.family, ...(p.email ? { emails: [{ value: p.email, type: 'Privat' }] } : {}) }),
      hash: randomBytes(8).toString('hex'),
      created_at: now,
      modified_at: now,
      given_name: p.given,
      family_name: p.family,
      display_name: displayName,
      search_name: displayName.toLowerCase(),
    })
    .execute();
  for (const r of p.relations) {
    await ctx.db
      .insertInto('ss12000_person_relations')
      .values({
        person_id: id,
        kind: r.kind,
        organisation_id: r.unitId,
        start_date: '2020-01-01',
        end_date: r.endDate ?? null,
        source_type: 'persons',
        source_id: id,
      })
      .execute();
  }
  const login = p.login === undefined ? `${p.given}.${p.family}.${seq++}@school.example`.toLowerCase() : p.login;
  if (login) await insertEndUserAccount(ctx.db, { personId: id, login, password: PASSWORD });
  return { id, displayName, login: login ?? '' };
}

/** An approved app of a partner (new unless given) with redirect URIs and one client. */
export async function createSigninApp(
  ctx: AppContext,
  o: {
    partnerId?: string;
    clientType?: 'confidential' | 'public';
    redirectUris?: string[];
    apis?: Record<string, string[]>;
    status?: 'approved' | 'suspended';
  } = {},
) {
  const partnerId = o.partnerId ?? (await insertPartner(ctx.db, { name: `Partner ${seq++}`, contactEmail: 'partner@example.test' }));
  const appId = await insertApp(ctx.db, {
    partnerId,
    name: `Homework ${seq++}`,
    status: o.status ?? 'approved',
    redirectUris: o.redirectUris ?? [REDIRECT],
    apis: Object.entries(o.apis ?? { students: ['identity', 'groups'] }).map(([apiCode, dataCategories]) => ({
      apiCode,
      dataCategories,
      purpose: `Homework planning (${apiCode})`,
    })),
  });
  if (o.clientType === 'public') await ctx.db.updateTable('apps').set({ client_type: 'public' }).where('id', '=', appId).execute();
  const { clientId, secret } = await insertClient(ctx.db, { appId, name: 'Homework client' });
  return { partnerId, appId, clientId, secret: o.clientType === 'public' ? undefined : secret };
}

export const grantTo = (ctx: AppContext, clientId: string, apiCode: string, institutionNumber: string) =>
  insertGrant(ctx.db, { clientId, apiCode, institutionNumber });

/** A student and a teacher at a school the app was granted students and staff at. */
export async function world(ctx: AppContext, appOptions: Parameters<typeof createSigninApp>[1] = {}) {
  const school = await createSchool(ctx);
  const app = await createSigninApp(ctx, { apis: { students: ['identity', 'groups'], staff: ['identity'] }, ...appOptions });
  await grantTo(ctx, app.clientId, 'students', school.number);
  const student = await createPerson(ctx, {
    given: 'Elsa',
    family: 'Lind',
    email: 'elsa@home.example',
    relations: [{ kind: 'enrolment', unitId: school.unitId }],
  });
  return { school, app, student };
}

export const b64url = (buf: Buffer) => buf.toString('base64url');

export function pkcePair() {
  const verifier = b64url(randomBytes(32));
  const challenge = b64url(createHash('sha256').update(verifier).digest());
  return { verifier, challenge };
}

export interface AuthRequest {
  clientId: string;
  redirectUri?: string;
  scope?: string;
  state?: string;
  nonce?: string;
  pkce?: { verifier: string; challenge: string } | null;
  extra?: Record<string, string>;
}

/** The authorization URL path (under /oidc) for a request. */
export function authorizePath(r: AuthRequest) {
  const q = new URLSearchParams({
    client_id: r.clientId,
    response_type: 'code',
    redirect_uri: r.redirectUri ?? REDIRECT,
    scope: r.scope ?? 'openid profile data',
    state: r.state ?? b64url(randomBytes(8)),
    nonce: r.nonce ?? b64url(randomBytes(8)),
  });
  if (r.pkce) {
    q.set('code_challenge', r.pkce.challenge);
    q.set('code_challenge_method', 'S256');
  }
  for (const [k, v] of Object.entries(r.extra ?? {})) q.set(k, v);
  return `/oidc/auth?${q}`;
}

/** Follows same-origin redirects one by one; stops at a page, a JSON answer or a redirect leaving the server. */
export async function follow(browser: TestClient, path: string) {
  let res = await browser.get(path, { accept: 'text/html' });
  for (let i = 0; i < 10 && res.status >= 300 && res.status < 400; i++) {
    const location = res.headers.get('location')!;
    const url = new URL(location, browser.baseUrl);
    if (url.origin !== browser.baseUrl) return { res, location: url };
    res = await browser.get(url.pathname + url.search, { accept: 'text/html' });
  }
  return { res, location: undefined as URL | undefined };
}

/** Starts an authorization; returns the interaction uid the browser was sent to (/signin/<uid>). */
export async function startSignin(browser: TestClient, r: AuthRequest): Promise<string> {
  const res = await browser.get(authorizePath(r), { accept: 'text/html' });
  expect(res.status, JSON.stringify(res.body)).toBe(303);
  const location = res.headers.get('location')!;
  const m = /^\/signin\/([^/?]+)$/.exec(location);
  expect(m, location).not.toBeNull();
  return m![1]!;
}

/** Browses to `redirectTo` (the resume URL) and returns the redirect back to the app. */
export async function resume(browser: TestClient, redirectTo: string): Promise<URL> {
  const url = new URL(redirectTo, browser.baseUrl);
  const { location, res } = await follow(browser, url.pathname + url.search);
  expect(location, `stopped at ${res.status} ${JSON.stringify(res.body)}`).toBeDefined();
  return location!;
}

/**
 * The whole sign-in up to the redirect back to the app: school, password, and consent (allowed)
 * when the page asks for it. Returns the callback URL and whether consent was asked.
 */
export async function signIn(
  browser: TestClient,
  r: AuthRequest,
  who: { login: string; institution: string; decision?: 'allow' | 'deny' },
): Promise<{ callback: URL; consentAsked: boolean; consentState: any }> {
  const uid = await startSignin(browser, r);
  const school = await browser.post(`/signin/${uid}/school`, { institution: who.institution });
  expect(school.status, JSON.stringify(school.body)).toBe(200);
  const login = await browser.post(`/signin/${uid}/login`, { login: who.login, password: PASSWORD });
  expect(login.status, JSON.stringify(login.body)).toBe(200);
  if (login.body.step === 'done') return { callback: await resume(browser, login.body.redirectTo), consentAsked: false, consentState: null };
  expect(login.body.step).toBe('consent');
  const decided = await browser.post(`/signin/${uid}/consent`, { decision: who.decision ?? 'allow' });
  expect(decided.status, JSON.stringify(decided.body)).toBe(200);
  return { callback: await resume(browser, decided.body.redirectTo), consentAsked: true, consentState: login.body };
}

/** POST /oidc/token as the app (client_secret_basic for confidential clients, client_id only for public ones). */
export async function tokenRequest(baseUrl: string, clientId: string, secret: string | undefined, fields: Record<string, string>) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  const body = new URLSearchParams(fields);
  if (secret) headers.authorization = basic(clientId, secret);
  else body.set('client_id', clientId);
  return postTokenEndpoint(baseUrl, headers, body);
}

/** Exchanges the code of a callback URL. */
export function exchangeCode(baseUrl: string, app: { clientId: string; secret?: string }, callback: URL, verifier: string, redirectUri = REDIRECT) {
  return tokenRequest(baseUrl, app.clientId, app.secret, {
    grant_type: 'authorization_code',
    code: callback.searchParams.get('code') ?? '',
    redirect_uri: redirectUri,
    code_verifier: verifier,
  });
}

/** The payload of a JWT, unverified (tests verify signatures where that is the point). */
export const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());
