/**
 * One sign-in spread over two Schoolgate servers on one database: every step (authorization,
 * interaction endpoints, resume, token, refresh) may land on either, because oidc-provider's state
 * lives in oidc_payloads and the cookie keys derive from the shared signing keys. With
 * TEST_DATABASE_URL these are two real processes on a fresh PostgreSQL database; on PGlite two servers
 * in this process sharing the database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTwoServers, TWO_SERVERS_PUBLIC_URL } from '../../support/two-servers.ts';
import type { AppContext } from '../../../src/context.ts';
import { testConfig } from '../../../src/config.ts';
import { systemClock } from '../../../src/lib/clock.ts';
import { TestClient } from '../../support/harness.ts';
import { authorizePath, claimsOf, exchangeCode, PASSWORD, pkcePair, tokenRequest, world } from './support.ts';

let urls: [string, string];
let ctx: AppContext;
let stopServers: (() => Promise<void>) | undefined;

beforeAll(async () => {
  const two = await startTwoServers('sg_signin_two');
  stopServers = two.stop;
  urls = two.urls;
  const database = two.database;
  ctx = { db: database.db, clock: systemClock, config: testConfig({ PUBLIC_URL: TWO_SERVERS_PUBLIC_URL }) } as AppContext;
}, 180_000);

afterAll(async () => {
  await stopServers?.();
});

/** The same browser (one cookie jar) talking to server 0 or 1. */
function browserOn(jar: TestClient, server: 0 | 1): TestClient {
  const other = new TestClient(urls[server]);
  (other as unknown as { cookies: unknown }).cookies = (jar as unknown as { cookies: unknown }).cookies;
  return other;
}

const local = (location: string) => {
  const u = new URL(location, 'http://x');
  return u.pathname + u.search;
};

describe('a sign-in across two servers on one database', () => {
  it('starts on one, continues on the other, and the tokens work on both', async () => {
    const { school, app, student } = await world(ctx);
    const jar = new TestClient(urls[0]);
    const pkce = pkcePair();
    const start = await browserOn(jar, 0).get(authorizePath({ clientId: app.clientId, pkce, state: 'two' }), { accept: 'text/html' });
    expect(start.status).toBe(303);
    const uid = /^\/signin\/([^/?]+)$/.exec(start.headers.get('location')!)![1]!;
    expect((await browserOn(jar, 1).get(`/signin/${uid}/state`)).body.step).toBe('school');
    expect((await browserOn(jar, 0).post(`/signin/${uid}/school`, { institution: school.number })).body.step).toBe('login');
    expect((await browserOn(jar, 1).post(`/signin/${uid}/login`, { login: student.login, password: PASSWORD })).body.step).toBe('consent');
    const decided = await browserOn(jar, 0).post(`/signin/${uid}/consent`, { decision: 'allow' });
    expect(decided.status).toBe(200);
    // Resume on server 1, then follow oidc-provider's redirects alternating servers.
    let res = await browserOn(jar, 1).get(local(decided.body.redirectTo), { accept: 'text/html' });
    for (let i = 0; i < 10 && res.status === 303 && !res.headers.get('location')!.startsWith('https://homework.example'); i++) {
      res = await browserOn(jar, (i % 2) as 0 | 1).get(local(res.headers.get('location')!), { accept: 'text/html' });
    }
    expect(res.status, JSON.stringify(res.body)).toBe(303);
    const callback = new URL(res.headers.get('location')!);
    expect(callback.searchParams.get('state')).toBe('two');
    const tokens = await exchangeCode(urls[0], app, callback, pkce.verifier);
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    expect(claimsOf(tokens.body.access_token).consent).toBeTruthy();
    const refreshed = await tokenRequest(urls[1], app.clientId, app.secret, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token });
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    const reused = await tokenRequest(urls[0], app.clientId, app.secret, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token });
    expect(reused.status).toBe(400);
  });
});
