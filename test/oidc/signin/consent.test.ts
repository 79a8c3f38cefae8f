import { describe, expect, it } from 'vitest';
import { useHarness } from '../../support/harness.ts';
import { exchangeCode, pkcePair, PASSWORD, signIn, startSignin, world } from './support.ts';

const harness = useHarness();

describe('consent', () => {
  it('is asked once with the categories and purposes, stored with its audit row, and reused on the next sign-in', async () => {
    const { url, ctx } = harness();
    const { school, app, student } = await world(ctx);
    const first = await signIn(
      harness().client(),
      { clientId: app.clientId, pkce: pkcePair(), scope: 'openid profile data' },
      { login: student.login, institution: school.number },
    );
    expect(first.consentAsked).toBe(true);
    expect(first.consentState.consent).toEqual({
      scopes: ['openid', 'profile', 'data'],
      claims: ['sub', 'school', 'roles', 'name', 'given_name', 'family_name'],
      categories: [
        // Each category says which fields it releases (identity: the person's own, never a category-bound one).
        {
          apiCode: 'students',
          category: 'identity',
          // The catalog's name and description (catalog/informat.yaml), in English without ?language=.
          name: 'Identity (name, class, school)',
          description: expect.stringContaining('Name, school e-mail'),
          purpose: 'Homework planning (students)',
          purposeLanguage: 'en',
          purposes: { en: 'Homework planning (students)' },
          fields: expect.arrayContaining(['givenName', 'familyName']),
        },
        // Not a category of the catalog: its code is its name.
        {
          apiCode: 'students',
          category: 'groups',
          name: 'groups',
          description: '',
          purpose: 'Homework planning (students)',
          purposeLanguage: 'en',
          purposes: { en: 'Homework planning (students)' },
          fields: [],
        },
      ],
      added: [],
    });
    expect(first.consentState.app).toMatchObject({ id: app.appId, partnerName: expect.stringContaining('Partner') });
    const rows = await ctx.db.selectFrom('end_user_consents').selectAll().where('person_id', '=', student.id).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ scopes: ['openid', 'profile', 'data'], data_categories: ['identity', 'groups'], withdrawn_at: null });
    const audit = await ctx.db.selectFrom('audit_log').selectAll().where('subject_id', '=', rows[0]!.id).execute();
    expect(audit.map((a) => a.action)).toEqual(['end_user_consent.given']);
    expect(audit[0]).toMatchObject({ app_id: app.appId, client_id: app.clientId, institution_numbers: [school.number] });

    // A new browser, same app and scopes: no consent step; the code works.
    const pkce = pkcePair();
    const again = await signIn(
      harness().client(),
      { clientId: app.clientId, pkce, scope: 'openid profile data' },
      { login: student.login, institution: school.number },
    );
    expect(again.consentAsked).toBe(false);
    const tokens = await exchangeCode(url, app, again.callback, pkce.verifier);
    expect(tokens.status).toBe(200);
    expect(await ctx.db.selectFrom('end_user_consents').select('id').where('person_id', '=', student.id).execute()).toHaveLength(1);
  });

  it('is asked again when the app asks for more scopes, and the row is updated, not duplicated', async () => {
    const { ctx } = harness();
    const { school, app, student } = await world(ctx);
    await signIn(harness().client(), { clientId: app.clientId, pkce: pkcePair(), scope: 'openid' }, { login: student.login, institution: school.number });
    const more = await signIn(
      harness().client(),
      { clientId: app.clientId, pkce: pkcePair(), scope: 'openid email' },
      { login: student.login, institution: school.number },
    );
    expect(more.consentAsked).toBe(true);
    expect(more.consentState.consent.added).toEqual(['email']);
    const rows = await ctx.db.selectFrom('end_user_consents').selectAll().where('person_id', '=', student.id).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.scopes.sort()).toEqual(['email', 'openid']);
    const audit = await ctx.db.selectFrom('audit_log').select('action').where('subject_id', '=', rows[0]!.id).orderBy('id').execute();
    expect(audit.map((a) => a.action)).toEqual(['end_user_consent.given', 'end_user_consent.updated']);
    // Fewer scopes than consented: not asked.
    const fewer = await signIn(
      harness().client(),
      { clientId: app.clientId, pkce: pkcePair(), scope: 'openid' },
      { login: student.login, institution: school.number },
    );
    expect(fewer.consentAsked).toBe(false);
    // The app insists (prompt=consent): asked even though covered.
    const insist = await signIn(
      harness().client(),
      { clientId: app.clientId, pkce: pkcePair(), scope: 'openid', extra: { prompt: 'consent' } },
      { login: student.login, institution: school.number },
    );
    expect(insist.consentAsked).toBe(true);
  });

  it('lists no data categories without the data API, and asks for them (as added) when a later request adds `data`', async () => {
    const { ctx } = harness();
    const { school, app, student } = await world(ctx);
    const plain = await signIn(
      harness().client(),
      { clientId: app.clientId, pkce: pkcePair(), scope: 'openid profile' },
      { login: student.login, institution: school.number },
    );
    expect(plain.consentState.consent).toMatchObject({ scopes: ['openid', 'profile'], categories: [], added: [] });
    const row = await ctx.db.selectFrom('end_user_consents').selectAll().where('person_id', '=', student.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ scopes: ['openid', 'profile'], data_categories: [] });

    const withData = await signIn(
      harness().client(),
      { clientId: app.clientId, pkce: pkcePair(), scope: 'openid profile data' },
      { login: student.login, institution: school.number },
    );
    expect(withData.consentAsked).toBe(true);
    expect(withData.consentState.consent.categories.map((c: { category: string }) => c.category)).toEqual(['identity', 'groups']);
    expect(withData.consentState.consent.added).toEqual(['data', 'identity', 'groups']);
    const updated = await ctx.db.selectFrom('end_user_consents').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
    expect(updated).toMatchObject({ scopes: ['openid', 'profile', 'data'], data_categories: ['identity', 'groups'] });

    // resource=<data API> asks for the data API as the scope does: covered now, so not asked.
    const byResource = await signIn(
      harness().client(),
      { clientId: app.clientId, pkce: pkcePair(), scope: 'openid', extra: { resource: `${ctx.config.PUBLIC_URL}/ss12000` } },
      { login: student.login, institution: school.number },
    );
    expect(byResource.consentAsked).toBe(false);
    // Back to a sign-in without data: covered, and the categories consented stay.
    const plainAgain = await signIn(
      harness().client(),
      { clientId: app.clientId, pkce: pkcePair(), scope: 'openid' },
      { login: student.login, institution: school.number },
    );
    expect(plainAgain.consentAsked).toBe(false);
  });

  it('counts resource=<data API> without the data scope as asking for data', async () => {
    const { ctx } = harness();
    const { school, app, student } = await world(ctx);
    const first = await signIn(
      harness().client(),
      { clientId: app.clientId, pkce: pkcePair(), scope: 'openid', extra: { resource: `${ctx.config.PUBLIC_URL}/ss12000` } },
      { login: student.login, institution: school.number },
    );
    expect(first.consentState.consent).toMatchObject({ scopes: ['openid', 'data'], added: [] });
    expect(first.consentState.consent.categories).toHaveLength(2);
  });

  it('is asked again when the approved registration gains a data category', async () => {
    const { ctx } = harness();
    const { school, app, student } = await world(ctx);
    await signIn(harness().client(), { clientId: app.clientId, pkce: pkcePair() }, { login: student.login, institution: school.number });
    await ctx.db
      .updateTable('app_api_requests')
      .set({ data_categories: ['identity', 'groups', 'birth_date'] })
      .where('app_id', '=', app.appId)
      .where('api_code', '=', 'students')
      .execute();
    const again = await signIn(harness().client(), { clientId: app.clientId, pkce: pkcePair() }, { login: student.login, institution: school.number });
    expect(again.consentAsked).toBe(true);
    expect(again.consentState.consent.added).toEqual(['birth_date']);
  });

  it('deny sends access_denied with the state to the app and stores nothing', async () => {
    const { ctx } = harness();
    const { school, app, student } = await world(ctx);
    const { callback, consentAsked } = await signIn(
      harness().client(),
      { clientId: app.clientId, pkce: pkcePair(), state: 'deny-state' },
      { login: student.login, institution: school.number, decision: 'deny' },
    );
    expect(consentAsked).toBe(true);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe('deny-state');
    expect(callback.searchParams.get('code')).toBeNull();
    expect(await ctx.db.selectFrom('end_user_consents').select('id').where('person_id', '=', student.id).execute()).toEqual([]);
  });

  it('two windows allowing at once leave one live consent and no server error', async () => {
    const { ctx } = harness();
    const { school, app, student } = await world(ctx);
    const windows = await Promise.all(
      [0, 1].map(async () => {
        const browser = harness().client();
        const uid = await startSignin(browser, { clientId: app.clientId, pkce: pkcePair() });
        await browser.post(`/signin/${uid}/school`, { institution: school.number });
        expect((await browser.post(`/signin/${uid}/login`, { login: student.login, password: PASSWORD })).body.step).toBe('consent');
        return { browser, uid };
      }),
    );
    const answers = await Promise.all(windows.map(({ browser, uid }) => browser.post(`/signin/${uid}/consent`, { decision: 'allow' })));
    for (const a of answers) expect([200, 409]).toContain(a.status);
    expect(answers.some((a) => a.status === 200)).toBe(true);
    expect(await ctx.db.selectFrom('end_user_consents').select('id').where('person_id', '=', student.id).execute()).toHaveLength(1);
  });

  it('refuses the consent step before login and a finished interaction', async () => {
    const { ctx } = harness();
    const { school, app, student } = await world(ctx);
    const browser = harness().client();
    const uid = await startSignin(browser, { clientId: app.clientId, pkce: pkcePair() });
    expect((await browser.post(`/signin/${uid}/consent`, { decision: 'allow' })).status).toBe(409);
    expect((await browser.post(`/signin/${uid}/school`, { institution: school.number })).status).toBe(200);
    expect((await browser.post(`/signin/${uid}/login`, { login: student.login, password: PASSWORD })).body.step).toBe('consent');
    expect((await browser.post(`/signin/${uid}/consent`, { decision: 'maybe' })).status).toBe(400);
    expect((await browser.post(`/signin/${uid}/consent`, { decision: 'allow' })).status).toBe(200);
    const twice = await browser.post(`/signin/${uid}/consent`, { decision: 'allow' });
    expect(twice.status).toBe(410);
    expect(twice.body.code).toBe('interaction_expired');
  });
});
