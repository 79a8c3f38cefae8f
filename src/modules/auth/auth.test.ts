import { describe, expect, it } from 'vitest';
import { useHarness } from '../../../test/support/harness.ts';
import { insertUser } from '../../seed/builders.ts';

const harness = useHarness();

async function confirmationToken(email: string): Promise<string> {
  const mail = await harness()
    .ctx.db.selectFrom('mail_outbox')
    .selectAll()
    .where('to_address', '=', email)
    .where('template', '=', 'email_confirmation')
    .orderBy('created_at', 'desc')
    .executeTakeFirstOrThrow();
  const match = /confirm-email\?token=([\w-]+)/.exec(mail.body_text);
  if (!match) throw new Error('no confirmation link in the mail');
  return match[1]!;
}

describe('partner sign-up and e-mail confirmation', () => {
  it('allows five sign-ups per client address an hour, then 429 with Retry-After', async () => {
    // Other tests of this file sign up from the same address: start a fresh hour.
    harness().clock.advance(2 * 3_600_000);
    const c = harness().client();
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++)
      statuses.push((await c.post('/api/v1/auth/signup', { email: `flood${i}@x.example`, password: 'long enough pw', displayName: 'F' })).status);
    expect(statuses).toEqual([202, 202, 202, 202, 202, 429, 429]);
    const refused = await c.post('/api/v1/auth/signup', { email: 'flood9@x.example', password: 'long enough pw', displayName: 'F' });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.body.code).toBe('too_many_requests');
    expect(await harness().ctx.db.selectFrom('users').select('id').where('email', 'like', 'flood%').execute()).toHaveLength(5);
    harness().clock.advance(2 * 3_600_000);
  });

  it('signs up, cannot act before confirming, confirms once through the mailed link', async () => {
    const c = harness().client();
    const signup = await c.post('/api/v1/auth/signup', {
      email: 'Ann@Partner.example',
      password: 'correct horse battery',
      displayName: 'Ann',
      language: 'nl',
    });
    expect(signup.status).toBe(202);
    expect((await c.login('ann@partner.example', 'correct horse battery')).status).toBe(200);
    const session = await c.get('/api/v1/auth/session');
    expect(session.body.user).toMatchObject({ email: 'ann@partner.example', kind: 'partner', emailConfirmed: false, language: 'nl' });

    const token = await confirmationToken('ann@partner.example');
    const anon = harness().client();
    expect((await anon.post('/api/v1/auth/confirm-email', { token })).status).toBe(200);
    const again = await anon.post('/api/v1/auth/confirm-email', { token });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('confirmation_used');
    expect((await c.get('/api/v1/auth/session')).body.user.emailConfirmed).toBe(true);
  });

  it('refuses a taken address, a weak password and malformed input, naming the field', async () => {
    const c = harness().client();
    await c.post('/api/v1/auth/signup', { email: 'bob@x.example', password: 'long enough pw', displayName: 'Bob' });
    // A taken address gets the very same answer (nobody learns who has an account); its owner is mailed.
    const taken = await c.post('/api/v1/auth/signup', { email: 'BOB@x.example', password: 'long enough pw', displayName: 'Bob' });
    expect(taken.status).toBe(202);
    expect(taken.body).toEqual({ emailConfirmationSent: true });
    const toBob = await harness().ctx.db.selectFrom('mail_outbox').select('template').where('to_address', '=', 'bob@x.example').orderBy('created_at').execute();
    expect(toBob.map((m) => m.template)).toEqual(['email_confirmation', 'signup_existing_account']);
    expect(await harness().ctx.db.selectFrom('users').select('id').where('email', '=', 'bob@x.example').execute()).toHaveLength(1);
    const weak = await c.post('/api/v1/auth/signup', { email: 'c@x.example', password: 'short', displayName: 'C' });
    expect(weak.status).toBe(400);
    expect(weak.body).toMatchObject({ code: 'weak_password', field: 'body.password' });
    const bad = await c.post('/api/v1/auth/signup', { email: 'not-an-email', password: 'long enough pw', displayName: 'C' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'validation_failed', field: 'body.email' });
    const junk = await c.request('POST', '/api/v1/auth/signup', '{"email":', { 'content-type': 'application/json' });
    expect(junk.status).toBe(400);
    expect(junk.headers.get('content-type')).toContain('application/problem+json');
    const nul = await c.post('/api/v1/auth/signup', { email: 'd@x.example', password: 'long enough pw', displayName: 'D\u0000' });
    expect(nul.status).toBe(400);
    expect(await harness().ctx.db.selectFrom('users').select('id').where('email', 'in', ['c@x.example', 'd@x.example']).execute()).toHaveLength(0);
  });
});

describe('sign-in, session cookie and CSRF', () => {
  it('sets an httpOnly SameSite cookie and requires the CSRF token on state changes', async () => {
    await insertUser(harness().ctx.db, { email: 'op@vendor.example', password: 'operator password', displayName: 'Op', kind: 'operator' });
    const res = await fetch(`${harness().url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'op@vendor.example', password: 'operator password' }),
    });
    const cookie = res.headers.getSetCookie()[0]!;
    expect(cookie).toMatch(/^sg_session=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    // Its lifetime as Max-Age, counted by the browser from receipt: a browser clock ahead of the
    // server's (the test clock stands still, the browser's does not) must not drop the session early.
    expect(cookie).toMatch(new RegExp(`Max-Age=${harness().ctx.config.SESSION_TTL_HOURS * 3600}(;|$)`));
    expect(cookie).not.toMatch(/Expires=/i);

    const c = harness().client();
    await c.login('op@vendor.example', 'operator password');
    const withoutCsrf = await c.post('/api/v1/auth/logout', {}, { 'x-csrf-token': 'wrong' });
    expect(withoutCsrf.status).toBe(403);
    expect(withoutCsrf.body.code).toBe('csrf_token_invalid');
    expect((await c.post('/api/v1/auth/logout')).status).toBe(204);
    expect((await c.get('/api/v1/auth/session')).status).toBe(401);
  });

  it('says the same for an unknown account and a wrong password, and throttles per account', async () => {
    await insertUser(harness().ctx.db, { email: 'sam@school.example', password: 'school password', displayName: 'Sam', kind: 'school' });
    const c = harness().client();
    const unknown = await c.login('nobody@school.example', 'whatever pw');
    const wrong = await c.login('sam@school.example', 'wrong password');
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(unknown.body.code).toBe(wrong.body.code);
    for (let i = 0; i < 4; i++) await c.login('sam@school.example', 'wrong password');
    const locked = await c.login('sam@school.example', 'school password');
    expect(locked.status).toBe(429);
    expect(locked.body.code).toBe('too_many_attempts');
    harness().clock.advance(16 * 60_000);
    expect((await c.login('sam@school.example', 'school password')).status).toBe(200);
  });
});
