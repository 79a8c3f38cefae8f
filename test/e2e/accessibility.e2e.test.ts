import { createHash, randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { insertApp, insertClient, insertGrant, insertPartner, insertUser } from '../../src/seed/builders.ts';
import { PASSWORD, SCHOOLS, seedSchools, type People } from './fixtures.ts';
import { studentAt, type EndUser } from './signin-fixtures.ts';
import { axeViolations } from './axe.ts';
import { startE2E, type E2E, type Person } from './support.ts';

/** Presses Tab until the focused element matches, so a test proves a control is keyboard-reachable. */
async function tabTo(page: Page, matches: (el: { label: string; text: string; tag: string; type: string }) => boolean, what: string, max = 80): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const el = await page.evaluate(() => {
      const a = document.activeElement as HTMLElement | null;
      return {
        label: a?.getAttribute('aria-label') ?? '',
        text: a?.textContent?.trim() ?? '',
        tag: a?.tagName.toLowerCase() ?? '',
        type: a?.getAttribute('type') ?? '',
      };
    });
    if (matches(el)) return;
  }
  throw new Error(`${what} is not reachable with Tab`);
}

describe('accessibility: axe on the main screens, and the grant Transfer from the keyboard', () => {
  let e2e: E2E;
  let people: People;
  let appId = '';
  let quizClientId = '';
  let student: EndUser;
  const partnerEmail = 'pia@quiz.example';
  // Never reached: the sign-in screens are checked before the browser would go back to the app.
  const quizRedirect = 'http://127.0.0.1:9/callback';

  beforeAll(async () => {
    e2e = await startE2E();
    const { ctx } = e2e.harness;
    const seeded = await seedSchools(ctx);
    people = seeded.people;
    student = await studentAt(ctx, seeded.world, SCHOOLS[0]!, 0, 'sam.student@school.test');
    const member = await insertUser(ctx.db, { email: partnerEmail, password: PASSWORD, displayName: 'Pia Quiz', kind: 'partner' });
    const partnerId = await insertPartner(ctx.db, { name: 'Quiz Oy', contactEmail: 'info@quiz.example', memberUserIds: [member] });
    appId = await insertApp(ctx.db, {
      partnerId,
      name: 'Quiz Master',
      status: 'approved',
      redirectUris: [quizRedirect],
      apis: [{ apiCode: 'students', dataCategories: ['identity'], purpose: 'Quizzes per class.' }],
    });
    const { clientId } = await insertClient(ctx.db, { appId, name: 'Quiz Master' });
    quizClientId = clientId;
    await insertGrant(ctx.db, { clientId, apiCode: 'students', institutionNumber: SCHOOLS[0]!, reason: 'Seeded' });
    // Waits in the operator's review queue.
    await insertApp(ctx.db, {
      partnerId,
      name: 'Quiz Reports',
      status: 'submitted',
      apis: [{ apiCode: 'students', dataCategories: ['identity'], purpose: 'Termly reports.' }],
    });
  });
  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail') console.error('screenshots:', await e2e.snapshot(task.name));
  });
  afterAll(async () => {
    await e2e?.stop();
  });

  async function signedIn(locale: string, email: string, path: string): Promise<Person> {
    const person = await e2e.person(locale);
    await person.goto(path);
    await person.page.waitForURL('**/sign-in?next=*');
    await person.page.locator('input[autocomplete=username]').fill(email);
    await person.page.locator('input[type=password]').fill(PASSWORD);
    await person.page.locator('form button[type=submit]').click();
    return person;
  }

  /** Sends a browser to the authorization endpoint as the Quiz Master app would; it lands on /signin/<uid>. */
  async function startSignin(person: Person): Promise<void> {
    const verifier = randomBytes(32).toString('base64url');
    const q = new URLSearchParams({
      client_id: quizClientId,
      response_type: 'code',
      redirect_uri: quizRedirect,
      scope: 'openid profile',
      state: 'a11y-state',
      nonce: 'a11y-nonce',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    });
    await person.goto(`/oidc/auth?${q}`);
    await person.page.waitForURL('**/signin/*');
  }

  for (const locale of ['en-GB', 'nl-BE']) {
    it(`finds no contrast, naming or ARIA violation on the end-user sign-in screens in ${locale}, at phone size`, async () => {
      const found: Record<string, string[]> = {};
      const person = await e2e.person(locale);
      const { page } = person;
      await page.setViewportSize({ width: 390, height: 844 });
      await startSignin(person);
      await page.getByTestId('school-list').getByRole('button').first().waitFor();
      found.signinSchool = await axeViolations(page);
      await page.getByTestId('school-list').getByRole('button').first().click();
      await page.getByTestId('signin-step-login').waitFor();
      found.signinLogin = await axeViolations(page);
      await page.locator('input[autocomplete=username]').fill(student.login);
      await page.locator('input[type=password]').fill(PASSWORD);
      await page.locator('form button[type=submit]').click();
      await page.getByTestId('signin-step-consent').waitFor();
      // The pointer rests where the Sign in button was, over Allow: measure the button as it stands, not hovered.
      await page.mouse.move(0, 0);
      found.signinConsent = await axeViolations(page);
      // The sign-in left an end-user session: "My connected apps" shows the (empty) list.
      await person.goto('/my/apps');
      await page.getByTestId('my-signed-in-as').waitFor();
      found.myApps = await axeViolations(page);
      const visitor = await e2e.person(locale);
      await visitor.page.setViewportSize({ width: 390, height: 844 });
      await visitor.goto('/my/apps');
      await visitor.page.getByTestId('my-signin').waitFor();
      found.mySignIn = await axeViolations(visitor.page);
      const operator = await signedIn(locale, people.operator, '/operator/identity-providers');
      await operator.page.getByTestId('idp-table').waitFor();
      found.identityProviders = await axeViolations(operator.page);
      expect(found).toEqual({ signinSchool: [], signinLogin: [], signinConsent: [], myApps: [], mySignIn: [], identityProviders: [] });
      await person.expectNoMissingKeys();
      await visitor.expectNoMissingKeys();
    });
  }

  it('signs in to an app with the keyboard only: school, user name, password, Allow reachable with Tab', async () => {
    const person = await e2e.person('en-GB');
    const { page } = person;
    await startSignin(person);
    await page.getByTestId('school-list').getByRole('button').first().waitFor();
    await tabTo(page, (el) => el.tag === 'button' && el.text.includes(SCHOOLS[0]!), `the school ${SCHOOLS[0]}`);
    await page.keyboard.press('Enter');
    await page.getByTestId('signin-step-login').waitFor();
    // The user name field has the focus as soon as the step shows.
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('autocomplete'))).toBe('username');
    await page.keyboard.type(student.login);
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByTestId('signin-step-consent').waitFor();
    await tabTo(page, (el) => el.tag === 'button' && el.text === 'Allow', 'the Allow button');
    await tabTo(page, (el) => el.tag === 'button' && el.text === 'Deny', 'the Deny button');
    await person.expectNoMissingKeys();
  });

  for (const locale of ['en-GB', 'nl-BE']) {
    it(`finds no contrast, naming or ARIA violation on the main screens in ${locale}`, async () => {
      const found: Record<string, string[]> = {};

      const visitor = await e2e.person(locale);
      await visitor.goto('/sign-in');
      await visitor.page.locator('input[autocomplete=username]').waitFor();
      found.signIn = await axeViolations(visitor.page);
      await visitor.goto('/public/register');
      await visitor.page.getByTestId('register-table').getByText('Quizzes per class.').waitFor();
      found.register = await axeViolations(visitor.page);
      await visitor.goto('/public/partners');
      await visitor.page.getByText('Quiz Oy').first().waitFor();
      found.directory = await axeViolations(visitor.page);

      const admin = await signedIn(locale, people.admin, '/school/apps');
      await admin.page.getByTestId('school-apps-table').getByRole('link', { name: 'Quiz Master' }).waitFor();
      found.schoolApps = await axeViolations(admin.page);
      await admin.goto(`/school/apps/${appId}?tab=access`);
      await admin.page.getByTestId('app-access-table').waitFor();
      await admin.page.getByRole('tabpanel').getByRole('button').first().click();
      await admin.page.getByTestId('transfer-students').waitFor();
      found.schoolAccessEdit = await axeViolations(admin.page);

      const partner = await signedIn(locale, partnerEmail, '/partner/apps');
      await partner.page.getByTestId('partner-apps-table').getByText('Quiz Master').waitFor();
      found.partnerApps = await axeViolations(partner.page);
      await partner.goto(`/partner/apps/${appId}`);
      await partner.page.getByRole('tab').first().waitFor();
      await partner.page.getByText('Quizzes per class.').first().waitFor();
      found.partnerApp = await axeViolations(partner.page);

      const operator = await signedIn(locale, people.operator, '/operator/review');
      await operator.page.getByTestId('review-table').getByText('Quiz Reports').waitFor();
      found.review = await axeViolations(operator.page);

      expect(found).toEqual({ signIn: [], register: [], directory: [], schoolApps: [], schoolAccessEdit: [], partnerApps: [], partnerApp: [], review: [] });
    });
  }

  it('grants an institution with the keyboard only: select it, move it right with ">", Save', async () => {
    const admin = await signedIn('en-GB', people.admin, `/school/apps/${appId}?tab=access`);
    const { page } = admin;
    const item = `${SCHOOLS[1]} - Skola ${SCHOOLS[1]}`;
    await page.getByTestId('app-access-table').getByText(`${SCHOOLS[0]} - Skola ${SCHOOLS[0]}`).waitFor();
    expect(await page.getByTestId('app-access-table').getByText(item).count()).toBe(0);

    await tabTo(page, (el) => el.tag === 'button' && el.text === 'Edit', 'the Edit button');
    await page.keyboard.press('Enter');
    await page.getByTestId('transfer-students').waitFor();
    await tabTo(page, (el) => el.type === 'checkbox' && el.label === item, `the checkbox of ${item}`);
    await page.keyboard.press('Space');
    await tabTo(page, (el) => el.tag === 'button' && el.label.startsWith('> Move the selected'), 'the ">" button');
    await page.keyboard.press('Enter');
    await tabTo(page, (el) => el.tag === 'button' && el.text === 'Save', 'the Save button');
    await page.keyboard.press('Enter');

    await page.getByTestId('app-access-table').getByText(item).waitFor();
    const grants = await e2e.harness.ctx.db.selectFrom('grants').select('institution_number').where('institution_number', '=', SCHOOLS[1]!).execute();
    expect(grants.length).toBe(1);
    await admin.expectNoMissingKeys();
  });

  it('shows the operator the dev mailbox entry outside production only', async () => {
    const op = await signedIn('en-GB', people.operator, '/operator/review');
    const { page } = op;
    const nav = page.getByRole('navigation');
    await nav.getByRole('link', { name: 'Dev mailbox' }).waitFor();
    const config = e2e.harness.ctx.config;
    const before = config.NODE_ENV;
    // The API reads the mode per request; flipping it here is how this server looks in production.
    config.NODE_ENV = 'production';
    try {
      await page.reload();
      await nav.getByRole('link', { name: 'Audit log' }).waitFor();
      await page.waitForLoadState('networkidle');
      expect(await nav.getByRole('link', { name: 'Dev mailbox' }).count()).toBe(0);
    } finally {
      config.NODE_ENV = before;
    }
  });
});
