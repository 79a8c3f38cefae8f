import { describe, expect, it } from 'vitest';
import { insertPartner, insertUser } from '../../../src/seed/builders.ts';
import { useHarness } from '../../support/harness.ts';
import { claimsOf, createPerson, createSchool, createSigninApp, exchangeCode, grantTo, pkcePair, signIn } from './support.ts';

/*
 * Partners read their apps' audit rows. A person who consented to `openid` only (no `profile`) must
 * not be named to the partner there: consent and withdrawal rows name the actor by the pairwise sub
 * the partner already has, with actor kind 'person'; neither the name nor Schoolgate's person id.
 */
const harness = useHarness();

describe("the partner's audit view of end users' consents", () => {
  it('names the person by their pairwise sub only, for consent given, updated and withdrawn', async () => {
    const { url, ctx } = harness();
    const member = await insertUser(ctx.db, { email: 'dev@homework.example', password: 'partner password', displayName: 'Dev', kind: 'partner' });
    const partnerId = await insertPartner(ctx.db, { name: 'Homework Inc', contactEmail: 'info@homework.example', memberUserIds: [member] });
    const school = await createSchool(ctx);
    const app = await createSigninApp(ctx, { partnerId });
    await grantTo(ctx, app.clientId, 'students', school.number);
    const student = await createPerson(ctx, {
      given: 'Wilma',
      family: 'Sjöberg',
      email: 'wilma@home.example',
      relations: [{ kind: 'enrolment', unitId: school.unitId }],
    });

    const browser = harness().client();
    const pkce = pkcePair();
    const first = await signIn(browser, { clientId: app.clientId, pkce, scope: 'openid' }, { login: student.login, institution: school.number });
    const tokens = await exchangeCode(url, app, first.callback, pkce.verifier);
    const sub = claimsOf(tokens.body.id_token).sub as string;
    expect(claimsOf(tokens.body.id_token)).not.toHaveProperty('name');
    // More scopes: the consent is updated (a second audit row).
    const second = await signIn(
      browser,
      { clientId: app.clientId, pkce: pkcePair(), scope: 'openid data' },
      { login: student.login, institution: school.number },
    );
    expect(second.consentAsked).toBe(true);
    const session = await browser.get('/api/v1/my/session');
    browser.csrfToken = session.body.csrfToken;
    const consent = await ctx.db.selectFrom('end_user_consents').select('id').where('person_id', '=', student.id).executeTakeFirstOrThrow();
    expect((await browser.post(`/api/v1/my/apps/${consent.id}/withdraw`)).status).toBe(204);

    const partner = harness().client();
    expect((await partner.login('dev@homework.example', 'partner password')).status).toBe(200);
    const log = await partner.get(`/api/v1/partner/apps/${app.appId}/log`);
    expect(log.status, JSON.stringify(log.body)).toBe(200);
    const rows = log.body.data.filter((e: { subjectType: string }) => e.subjectType === 'end_user_consent');
    expect(rows.map((e: { action: string }) => e.action)).toEqual(['consent.withdrawn', 'end_user_consent.updated', 'end_user_consent.given']);
    for (const row of rows) expect(row.actor).toEqual({ kind: 'person', label: `End user ${sub}` });
    const audit = await partner.get('/api/v1/audit-log');
    expect(audit.status, JSON.stringify(audit.body)).toBe(200);
    expect(audit.body.data.filter((e: { subjectId: string }) => e.subjectId === consent.id)).toHaveLength(3);
    for (const body of [log.body, audit.body]) {
      const text = JSON.stringify(body);
      for (const secret of ['Wilma', 'Sjöberg', student.id, student.login]) expect(text).not.toContain(secret);
    }
  });
});
