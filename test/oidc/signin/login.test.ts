import { describe, expect, it } from 'vitest';
import { useHarness } from '../../support/harness.ts';
import { createPerson, createSchool, grantTo, PASSWORD, pkcePair, startSignin, world } from './support.ts';

const harness = useHarness();

async function atLogin(clientId: string, institution: string) {
  const browser = harness().client();
  const uid = await startSignin(browser, { clientId, pkce: pkcePair() });
  expect((await browser.post(`/signin/${uid}/school`, { institution })).status).toBe(200);
  return { browser, uid };
}

describe('end-user login at the chosen school', () => {
  it('signs in with the account password (login case-insensitive), names the person and sets the sg_person session', async () => {
    const { ctx } = harness();
    const { school, app, student } = await world(ctx);
    const { browser, uid } = await atLogin(app.clientId, school.number);
    const res = await browser.post(`/signin/${uid}/login`, { login: student.login.toUpperCase(), password: PASSWORD });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ step: 'consent', person: { displayName: 'Elsa Lind' } });
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('sg_person='));
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(await ctx.db.selectFrom('end_user_sessions').select('person_id').where('person_id', '=', student.id).execute()).toHaveLength(1);
  });

  it('refuses a wrong password or unknown login alike, and throttles after repeated failures', async () => {
    const { ctx } = harness();
    const { school, app, student } = await world(ctx);
    const { browser, uid } = await atLogin(app.clientId, school.number);
    const unknown = await browser.post(`/signin/${uid}/login`, { login: 'nobody@school.example', password: PASSWORD });
    expect(unknown.status).toBe(401);
    expect(unknown.body.code).toBe('invalid_credentials');
    for (let i = 0; i < 5; i++) {
      const wrong = await browser.post(`/signin/${uid}/login`, { login: student.login, password: `${PASSWORD}x` });
      expect(wrong.status).toBe(401);
    }
    const locked = await browser.post(`/signin/${uid}/login`, { login: student.login, password: PASSWORD });
    expect(locked.status).toBe(429);
    expect(locked.body).toMatchObject({ code: 'too_many_attempts', retryAfterSeconds: expect.any(Number) });
    const empty = await browser.post(`/signin/${uid}/login`, { login: '', password: '' });
    expect(empty.status).toBe(400);
  });

  it('shares one failure budget with the "My connected apps" sign-in: guessing there locks the app sign-in too', async () => {
    const { ctx } = harness();
    const { school, app, student } = await world(ctx);
    const portal = harness().client();
    for (let i = 0; i < 5; i++) {
      expect((await portal.post('/api/v1/my/session', { login: student.login, password: `${PASSWORD}x` })).status).toBe(401);
    }
    const { browser, uid } = await atLogin(app.clientId, school.number);
    const locked = await browser.post(`/signin/${uid}/login`, { login: student.login, password: PASSWORD });
    expect(locked.status).toBe(429);
    expect(locked.body.code).toBe('too_many_attempts');
  });

  it('refuses a person without a role at that school covered by the grants (role_not_granted), and sets no session', async () => {
    const { ctx } = harness();
    const { school, app } = await world(ctx);
    const elsewhere = await createSchool(ctx);
    // A teacher where the app has only the students API; a student of another school; a former student.
    const teacher = await createPerson(ctx, { given: 'Tor', family: 'Berg', relations: [{ kind: 'duty', unitId: school.unitId }] });
    const other = await createPerson(ctx, { given: 'Ola', family: 'Sten', relations: [{ kind: 'enrolment', unitId: elsewhere.unitId }] });
    const former = await createPerson(ctx, { given: 'Kim', family: 'Ek', relations: [{ kind: 'enrolment', unitId: school.unitId, endDate: '2021-06-30' }] });
    for (const p of [teacher, other, former]) {
      const { browser, uid } = await atLogin(app.clientId, school.number);
      const res = await browser.post(`/signin/${uid}/login`, { login: p.login, password: PASSWORD });
      expect(res.status, p.displayName).toBe(403);
      expect(res.body.code).toBe('role_not_granted');
      expect(res.headers.getSetCookie().some((c) => c.startsWith('sg_person='))).toBe(false);
    }
    // Once the school grants staff too, the teacher signs in as staff.
    await grantTo(ctx, app.clientId, 'staff', school.number);
    const { browser, uid } = await atLogin(app.clientId, school.number);
    const res = await browser.post(`/signin/${uid}/login`, { login: teacher.login, password: PASSWORD });
    expect(res.status).toBe(200);
    expect(res.body.consent.categories).toEqual([
      {
        apiCode: 'staff',
        category: 'identity',
        name: 'Identity (name, class, school)',
        description: expect.any(String),
        purpose: 'Homework planning (staff)',
        purposeLanguage: 'en',
        purposes: { en: 'Homework planning (staff)' },
        fields: expect.arrayContaining(['givenName']),
      },
    ]);
  });

  it('signs a guardian in under the students API, and a person with several roles as student first', async () => {
    const { ctx } = harness();
    const { school, app } = await world(ctx);
    await grantTo(ctx, app.clientId, 'staff', school.number);
    const guardian = await createPerson(ctx, { given: 'Eva', family: 'Lind', relations: [{ kind: 'responsibleFor.enrolment', unitId: school.unitId }] });
    const both = await createPerson(ctx, {
      given: 'Sam',
      family: 'Ås',
      relations: [
        { kind: 'duty', unitId: school.unitId },
        { kind: 'enrolment', unitId: school.unitId },
      ],
    });
    for (const [p, role] of [
      [guardian, 'guardian'],
      [both, 'student'],
    ] as const) {
      const { browser, uid } = await atLogin(app.clientId, school.number);
      expect((await browser.post(`/signin/${uid}/login`, { login: p.login, password: PASSWORD })).status).toBe(200);
      expect((await browser.post(`/signin/${uid}/consent`, { decision: 'allow' })).status).toBe(200);
      const row = await ctx.db.selectFrom('end_user_consents').select(['role', 'api_code']).where('person_id', '=', p.id).executeTakeFirstOrThrow();
      expect(row).toEqual({ role, api_code: 'students' });
    }
  });

  it('needs the school first', async () => {
    const { ctx } = harness();
    const { app, student } = await world(ctx);
    const browser = harness().client();
    const uid = await startSignin(browser, { clientId: app.clientId, pkce: pkcePair() });
    const res = await browser.post(`/signin/${uid}/login`, { login: student.login, password: PASSWORD });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('school_not_chosen');
  });
});
