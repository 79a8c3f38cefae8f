/**
 * Sign-in throttling as an attacker meets it: a client cannot pick its own address with
 * X-Forwarded-For unless the proxy it came through is configured (TRUST_PROXY), and guessing at
 * somebody's password slows the guesser down without locking the owner out.
 */
import { describe, expect, it } from 'vitest';
import { insertUser } from '../../src/seed/builders.ts';
import { useHarness, type TestClient } from '../support/harness.ts';
import { createPerson, createSchool, PASSWORD as SIGNIN_PASSWORD } from '../oidc/signin/support.ts';

const PASSWORD = 'the right password';
const login = (c: TestClient, email: string, password: string, from?: string) =>
  c.post('/api/v1/auth/login', { email, password }, from ? { 'x-forwarded-for': from } : {});

describe('without a trusted proxy (the default)', () => {
  const harness = useHarness();

  it('ignores X-Forwarded-For: rotating it does not escape the per-address limit', async () => {
    const c = harness().client();
    const statuses: number[] = [];
    for (let i = 0; i < 32; i++) statuses.push((await login(c, `nobody${i}@school.example`, 'guess', `198.51.100.${i}`)).status);
    expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(30)).toEqual([429, 429]);
  });
});

describe('behind a trusted proxy (TRUST_PROXY=127.0.0.1)', () => {
  const harness = useHarness({ TRUST_PROXY: '127.0.0.1' });

  it('does not let anybody lock the owner out: the guesser is held back, the owner gets in from elsewhere', async () => {
    await insertUser(harness().ctx.db, { email: 'op2@informat.example', password: PASSWORD, displayName: 'Operator', kind: 'operator' });
    const attacker = harness().client();
    let refused = 0;
    for (let i = 0; i < 40; i++) {
      const res = await login(attacker, 'op2@informat.example', `guess ${i}`, '203.0.113.7');
      if (res.status === 429) refused++;
      else expect(res.status).toBe(401);
    }
    // After five wrong passwords from one address, that address waits (and waits longer each time).
    expect(refused).toBe(35);
    const held = await login(attacker, 'op2@informat.example', PASSWORD, '203.0.113.7');
    expect(held.status).toBe(429);
    expect(Number(held.headers.get('retry-after'))).toBeGreaterThanOrEqual(60);
    // The owner, from their own address, signs in at once: five failures never lock an account.
    const owner = harness().client();
    expect((await login(owner, 'op2@informat.example', PASSWORD, '192.0.2.10')).status).toBe(200);
  });

  it('slows a guess spread over many addresses to at most half a minute per attempt, never a lockout', async () => {
    await insertUser(harness().ctx.db, { email: 'sam2@school.example', password: PASSWORD, displayName: 'Sam', kind: 'school' });
    const c = harness().client();
    for (let i = 0; i < 25; i++) {
      const res = await login(c, 'sam2@school.example', `guess ${i}`, `203.0.113.${100 + i}`);
      if (res.status === 429) {
        expect(Number(res.headers.get('retry-after'))).toBeLessThanOrEqual(30);
        harness().clock.advance(Number(res.headers.get('retry-after')) * 1000);
      }
    }
    const owner = await login(harness().client(), 'sam2@school.example', PASSWORD, '192.0.2.20');
    if (owner.status === 429) {
      expect(Number(owner.headers.get('retry-after'))).toBeLessThanOrEqual(30);
      harness().clock.advance(30_000);
      expect((await login(harness().client(), 'sam2@school.example', PASSWORD, '192.0.2.20')).status).toBe(200);
    } else expect(owner.status).toBe(200);
  });
});

describe('a school account used on the staff sign-in', () => {
  const harness = useHarness();

  it('is pointed to My connected apps, and only with the right password', async () => {
    const { ctx } = harness();
    const school = await createSchool(ctx, 'Ekbackeskolan', 'Örebro');
    await createPerson(ctx, { given: 'Lina', family: 'Berg', relations: [{ kind: 'enrolment', unitId: school.unitId }], login: 'lina.berg@elev.example' });
    const c = harness().client();
    const right = await login(c, 'lina.berg@elev.example', SIGNIN_PASSWORD);
    expect(right.status).toBe(401);
    expect(right.body).toMatchObject({ code: 'end_user_account', signInUrl: '/my/apps' });
    // A wrong password says only that it is wrong: nothing about whose account the address is.
    const wrong = await login(c, 'lina.berg@elev.example', 'not the password');
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('invalid_credentials');
    // The account works where it belongs.
    const my = await c.post('/api/v1/my/session', { login: 'lina.berg@elev.example', password: SIGNIN_PASSWORD });
    expect(my.status).toBe(200);
  });
});
