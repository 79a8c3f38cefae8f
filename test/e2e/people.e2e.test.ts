import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { World } from '../../src/generator/index.ts';
import { insertApp, insertClient, insertGrant, insertPartner } from '../../src/seed/builders.ts';
import { authorizePath, pkcePair } from '../oidc/signin/support.ts';
import { PASSWORD, SCHOOLS, seedSchools, type People } from './fixtures.ts';
import { studentAt, type EndUser } from './signin-fixtures.ts';
import { signIn, startE2E, type E2E } from './support.ts';

/**
 * Issue 14 in a real browser, in English and in Dutch: a purpose the partner wrote in both languages
 * shows in the reader's language on the consent screen, in "My connected apps" and on the operator's
 * review page (point 4); "My connected apps" signs in school first, then with that school's
 * credentials, and says so when the person chose another school than their own (point 5).
 */
const EN = 'Plan homework and tests for each class.';
const NL = 'Huiswerk en toetsen plannen per klas.';

/** What each locale reads on screen (web/src/locales and catalog/informat.yaml), written out here. */
const WORDS = {
  'en-GB': {
    purpose: EN,
    identity: 'Identity (name, class, school)',
    search: 'Search your school by name, number or town',
    allow: 'Allow',
    notAtSchool: 'You are not a student',
  },
  'nl-BE': {
    purpose: NL,
    identity: 'Identiteit (naam, klas, school)',
    search: 'Zoek je school op naam, nummer of gemeente',
    allow: 'Toestaan',
    notAtSchool: 'Je bent geen leerling',
  },
} as const;
type Locale = keyof typeof WORDS;
/** A busy machine renders slower than expect.poll's default second. */
const POLL = { timeout: 15_000 };

describe('issue 14 for the people who use it: purposes in their language, and their own sign-in', () => {
  let e2e: E2E;
  let world: World;
  let people: People;
  let appId = '';
  let clientId = '';
  const students: Partial<Record<Locale, EndUser>> = {};
  const redirect = () => `${e2e.harness.url}/callback-of-the-app`;

  beforeAll(async () => {
    e2e = await startE2E();
    const { ctx } = e2e.harness;
    ({ world, people } = await seedSchools(ctx));
    const partnerId = await insertPartner(ctx.db, { name: 'Leerwijs', contactEmail: 'hallo@leerwijs.example', memberUserIds: [] });
    appId = await insertApp(ctx.db, {
      partnerId,
      name: 'Leerwijs Planner',
      status: 'approved',
      redirectUris: [redirect()],
      apis: [{ apiCode: 'students', dataCategories: ['identity'], purposes: { en: EN, nl: NL } }],
    });
    ({ clientId } = await insertClient(ctx.db, { appId, name: 'Leerwijs Planner' }));
    await insertGrant(ctx.db, { clientId, apiCode: 'students', institutionNumber: SCHOOLS[0]! });
    students['en-GB'] = await studentAt(ctx, world, SCHOOLS[0]!, 0, 'emma.student@school.test');
    students['nl-BE'] = await studentAt(ctx, world, SCHOOLS[0]!, 1, 'noor.student@school.test');
  });
  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail') console.error('screenshots:', await e2e.snapshot(task.name));
  });
  afterAll(async () => {
    await e2e?.stop();
  });

  async function chooseSchool(page: Page, locale: Locale, number: string) {
    await page.getByLabel(WORDS[locale].search).fill(number);
    await page
      .getByTestId('school-list')
      .getByRole('button', { name: new RegExp(number) })
      .click();
  }

  for (const locale of ['en-GB', 'nl-BE'] as const) {
    it(
      `${locale}: the consent screen, My connected apps and the operator's review show the purpose in the reader's language`,
      { timeout: 120_000 },
      async () => {
        const words = WORDS[locale];
        const person = await e2e.person(locale);
        const { page } = person;
        await page.setViewportSize({ width: 390, height: 844 });
        await person.goto(authorizePath({ clientId, redirectUri: redirect(), scope: 'openid data', pkce: pkcePair() }));
        await page.getByTestId('signin-step-school').waitFor();
        await chooseSchool(page, locale, SCHOOLS[0]!);
        await page.getByTestId('signin-step-login').waitFor();
        await page.locator('input[autocomplete=username]').fill(students[locale]!.login);
        await page.locator('input[type=password]').fill(PASSWORD);
        await page.locator('form button[type=submit]').click();
        await page.getByTestId('signin-step-consent').waitFor();
        const category = page.getByTestId('consent-category').first();
        await expect.poll(() => category.getByTestId('consent-category-purpose').textContent(), POLL).toContain(words.purpose);
        expect(await category.textContent()).toContain(words.identity);
        // In the reader's own language: no "(written in …)" note.
        expect(await category.getByTestId('purpose-language').count()).toBe(0);
        await person.expectNoMissingKeys();
        await page.getByRole('button', { name: words.allow, exact: true }).click();
        await page.waitForURL((u) => u.pathname === '/callback-of-the-app');

        // The sign-in left an end-user session: "My connected apps" shows the same purpose.
        await person.goto('/my/apps');
        const app = page.getByTestId('my-app').filter({ hasText: 'Leerwijs Planner' });
        await expect.poll(() => app.getByTestId('my-app-purpose').textContent(), POLL).toContain(words.purpose);
        expect(await app.getByTestId('my-app-category').textContent()).toContain(words.identity);
        await person.expectNoMissingKeys();

        const operator = await e2e.person(locale);
        await operator.goto(`/sign-in?next=/operator/apps/${appId}`);
        await signIn(operator.page, people.operator, PASSWORD);
        const card = operator.page.getByTestId('api-request-students');
        await expect.poll(() => card.getByTestId('request-purpose').textContent(), POLL).toContain(words.purpose);
        expect(await card.getByTestId('request-categories').textContent()).toContain(words.identity);
        // The operator approves every language the partner wrote: the other one follows.
        expect(await card.getByTestId('request-purposes-other').textContent()).toContain(locale === 'en-GB' ? NL : EN);
        await operator.expectNoMissingKeys();
      },
    );
  }

  for (const [locale, size] of [
    ['en-GB', { width: 1366, height: 768 }],
    ['nl-BE', { width: 390, height: 844 }],
  ] as const) {
    it(
      `${locale} at ${size.width}px: My connected apps asks for the school first, then its credentials, and tells a person of another school`,
      { timeout: 120_000 },
      async () => {
        const person = await e2e.person(locale);
        const { page } = person;
        await page.setViewportSize(size);
        await person.goto('/my/apps');
        await page.locator('[data-testid=my-signin][data-step=school]').waitFor();
        // No password field before a school is chosen.
        expect(await page.locator('input[type=password]').count()).toBe(0);
        await page.getByTestId('school-list').getByRole('button').first().waitFor();
        // The second school's people have no Schoolgate password: nobody can sign in there, so it is not offered.
        await page.getByLabel(WORDS[locale].search).fill(SCHOOLS[1]!);
        // The search waits for typing to pause: poll until the list answers.
        await expect.poll(() => page.getByTestId('school-list').getByRole('button').count(), POLL).toBe(0);
        await chooseSchool(page, locale, SCHOOLS[0]!);
        const credentials = page.locator('[data-testid=my-signin][data-step=credentials]');
        expect(await credentials.getByTestId('chosen-school').textContent()).toContain(SCHOOLS[0]);
        await page.locator('input[autocomplete=username]').fill(students[locale]!.login);
        await page.locator('input[type=password]').fill(PASSWORD);
        await page.locator('form button[type=submit]').click();
        await page.getByTestId('my-signed-in-as').waitFor();
        const width = await page.evaluate(() => [document.scrollingElement!.scrollWidth, document.scrollingElement!.clientWidth]);
        expect(width[0]).toBeLessThanOrEqual(width[1]!);
        await person.expectNoMissingKeys();
      },
    );
  }

  it('nl-BE: a person who chose a school that is not theirs is told so, in Dutch', { timeout: 120_000 }, async () => {
    const { ctx } = e2e.harness;
    // A student of the third school with a password, so that school is offered too.
    await studentAt(ctx, world, SCHOOLS[2]!, 0, 'lotte.student@school.test');
    const person = await e2e.person('nl-BE');
    const { page } = person;
    await person.goto('/my/apps');
    await chooseSchool(page, 'nl-BE', SCHOOLS[2]!);
    await page.locator('input[autocomplete=username]').fill(students['nl-BE']!.login);
    await page.locator('input[type=password]').fill(PASSWORD);
    await page.locator('form button[type=submit]').click();
    const error = page.getByTestId('error');
    await error.waitFor();
    expect(await error.getAttribute('data-code')).toBe('not_at_school');
    expect(await error.textContent()).toContain(WORDS['nl-BE'].notAtSchool);
    await person.expectNoMissingKeys();
  });
});
