import { describe, expect, it } from 'vitest';
import { insertUser } from '../../src/seed/builders.ts';
import { useHarness } from '../support/harness.ts';
import { pkcePair, PASSWORD, resume, startSignin, world } from '../oidc/signin/support.ts';

/**
 * Purposes in the reader's language (issue 14, point 4) on the three screens that still showed the
 * partner's English: the consent step of an app's sign-in, "My connected apps" and the operator's
 * review page. The partner wrote the purpose in English and Dutch: a Dutch reader gets the Dutch
 * one, a Swedish reader the English one (the fallback: the reader's own, else English first), and
 * each category's name and description come from the catalog in the reader's language.
 */
const harness = useHarness();

const EN = 'Plan homework for each class.';
const NL = 'Huiswerk plannen per klas.';
// catalog/informat.yaml, written here as a reader sees them.
const IDENTITY = { en: 'Identity (name, class, school)', nl: 'Identiteit (naam, klas, school)', sv: 'Identitet (namn, klass, skola)' };

async function bilingualWorld() {
  const { ctx } = harness();
  const w = await world(ctx, { apis: { students: ['identity'] } });
  await ctx.db
    .updateTable('app_api_requests')
    .set({ purposes: JSON.stringify({ en: EN, nl: NL }) })
    .where('app_id', '=', w.app.appId)
    .execute();
  return w;
}

describe('purposes and categories in the reader’s language', () => {
  it('on the consent step: ?language= of each step, else the app’s ui_locales, else English', async () => {
    const w = await bilingualWorld();
    const consentIn = async (language: string | null, extra: Record<string, string> = {}) => {
      const browser = harness().client();
      const uid = await startSignin(browser, { clientId: w.app.clientId, pkce: pkcePair(), scope: 'openid data', extra });
      const q = language ? `?language=${language}` : '';
      expect((await browser.post(`/signin/${uid}/school${q}`, { institution: w.school.number })).status).toBe(200);
      const login = await browser.post(`/signin/${uid}/login${q}`, { login: w.student.login, password: PASSWORD });
      expect(login.body.step, JSON.stringify(login.body)).toBe('consent');
      const again = await browser.get(`/signin/${uid}/state${q}`);
      expect(again.body.consent).toEqual(login.body.consent);
      return { category: login.body.consent.categories[0], browser, uid };
    };
    const nl = await consentIn('nl');
    expect(nl.category).toMatchObject({ category: 'identity', name: IDENTITY.nl, purpose: NL, purposeLanguage: 'nl', purposes: { en: EN, nl: NL } });
    expect(nl.category.description).toMatch(/^Naam, school-e-mail/);
    const sv = await consentIn('sv');
    expect(sv.category).toMatchObject({ name: IDENTITY.sv, purpose: EN, purposeLanguage: 'en' });
    expect((await consentIn(null)).category).toMatchObject({ name: IDENTITY.en, purpose: EN, purposeLanguage: 'en' });
    expect((await consentIn(null, { ui_locales: 'de nl-BE' })).category).toMatchObject({ name: IDENTITY.nl, purpose: NL });
    // Any other language reads English, as an unknown one would.
    expect((await consentIn('de')).category).toMatchObject({ name: IDENTITY.en, purpose: EN });

    // Allowed in Dutch; "My connected apps" shows the same purpose in the reader's language.
    const decided = await nl.browser.post(`/signin/${nl.uid}/consent`, { decision: 'allow' });
    await resume(nl.browser, decided.body.redirectTo);
    const mine = async (q: string) => {
      const res = await nl.browser.get(`/api/v1/my/apps${q}`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body.items[0].categories[0];
    };
    expect(await mine('?language=nl')).toMatchObject({
      category: 'identity',
      name: IDENTITY.nl,
      purpose: NL,
      purposeLanguage: 'nl',
      purposes: { en: EN, nl: NL },
    });
    expect(await mine('?language=sv')).toMatchObject({ name: IDENTITY.sv, purpose: EN, purposeLanguage: 'en' });
    // Without ?language=, the language of the person's account.
    expect(await mine('')).toMatchObject({ name: IDENTITY.en, purpose: EN });
    await harness().ctx.db.updateTable('end_user_accounts').set({ language: 'nl' }).where('person_id', '=', w.student.id).execute();
    expect(await mine('')).toMatchObject({ name: IDENTITY.nl, purpose: NL });
    const bad = await nl.browser.get('/api/v1/my/apps?language=xx');
    expect([bad.status, bad.body.code]).toEqual([400, 'validation_failed']);
  });

  it("on the operator's review page: ?language=, else the operator's own language", async () => {
    const w = await bilingualWorld();
    const { ctx } = harness();
    await insertUser(ctx.db, { email: 'olga@vendor.example', password: PASSWORD, displayName: 'Olga', kind: 'operator', language: 'nl' });
    const op = harness().client();
    expect((await op.login('olga@vendor.example', PASSWORD)).status).toBe(200);
    const review = async (q: string) => {
      const res = await op.get(`/api/v1/operator/apps/${w.app.appId}${q}`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body.apis[0];
    };
    expect(await review('')).toMatchObject({
      code: 'students',
      purpose: NL,
      purposeLanguage: 'nl',
      purposes: { en: EN, nl: NL },
      categories: [{ code: 'identity', name: IDENTITY.nl, description: expect.stringMatching(/^Naam, school-e-mail/) }],
    });
    expect(await review('?language=sv')).toMatchObject({ purpose: EN, purposeLanguage: 'en', categories: [{ name: IDENTITY.sv }] });
    expect(await review('?language=en')).toMatchObject({ purpose: EN, categories: [{ name: IDENTITY.en }] });
    expect((await op.get(`/api/v1/operator/apps/${w.app.appId}?language=de`)).status).toBe(400);
  });
});
