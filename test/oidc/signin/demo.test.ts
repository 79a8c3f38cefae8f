import { describe, expect, it } from 'vitest';
import { useHarness } from '../../support/harness.ts';
import { DEMO_CLIENT, DEMO_END_USERS, DEMO_PASSWORD, DEMO_REDIRECT_URI, demoBanner, seedDemo } from '../../../src/seed/demo.ts';
import { exchangeCode, pkcePair, resume, startSignin } from './support.ts';

const harness = useHarness();

describe('demo seed: "Log in with Schoolgate"', () => {
  it('gives a student, their guardian and a teacher of 001057 accounts; the demo app signs the student in on localhost:4000', async () => {
    const { ctx, url } = harness();
    await seedDemo(ctx);
    const accounts = await ctx.db.selectFrom('end_user_accounts').select(['login', 'person_id']).orderBy('login').execute();
    expect(accounts.map((a) => a.login).sort()).toEqual(DEMO_END_USERS.map((u) => u.login).sort());
    expect(demoBanner(url)).toContain('student.001057@schoolgate.demo');

    const login = async (who: string, decide: boolean) => {
      const browser = harness().client();
      const pkce = pkcePair();
      const uid = await startSignin(browser, { clientId: DEMO_CLIENT.clientId, redirectUri: DEMO_REDIRECT_URI, pkce });
      const picker = await browser.get(`/signin/${uid}/institutions?q=brugge`);
      // Students granted at 001057 and 001073, staff at 010025; the other Brugge schools are not listed.
      expect(picker.body.items.map((i: any) => i.number).sort()).toEqual(['001057', '001073', '010025']);
      expect((await browser.post(`/signin/${uid}/school`, { institution: '001057' })).status).toBe(200);
      const res = await browser.post(`/signin/${uid}/login`, { login: who, password: DEMO_PASSWORD });
      if (!decide) return res;
      const consent = await browser.post(`/signin/${uid}/consent`, { decision: 'allow' });
      const callback = await resume(browser, consent.body.redirectTo);
      expect(callback.origin + callback.pathname).toBe(DEMO_REDIRECT_URI);
      return exchangeCode(url, { clientId: DEMO_CLIENT.clientId, secret: DEMO_CLIENT.secret }, callback, pkce.verifier, DEMO_REDIRECT_URI);
    };
    const student = await login(DEMO_END_USERS[0].login, true);
    expect(student.status, JSON.stringify(student.body)).toBe(200);
    const guardian = await login(DEMO_END_USERS[1].login, true);
    expect(guardian.status).toBe(200);
    const teacher = await login(DEMO_END_USERS[2].login, false);
    expect(teacher.status).toBe(403);
    expect(teacher.body.code).toBe('role_not_granted');
  }, 120_000);
});
