import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { World } from '../../src/generator/index.ts';
import { PASSWORD, SCHOOLS, seedSchools } from './fixtures.ts';
import { startHomeworkApp, type HomeworkApp } from './homework-app.ts';
import { seedHomeworkApp, staffAt, studentAt, type EndUser } from './signin-fixtures.ts';
import { signIn, startE2E, type E2E, type Person } from './support.ts';
import { startUpstreamIdp, type UpstreamIdp } from '../oidc/upstream/upstream-idp.ts';
import { insertPartner, insertUser } from '../../src/seed/builders.ts';

/**
 * "Log in with Schoolgate" in a real browser (issue 5): a partner's homework app, served by the test
 * on its own port with openid-client, sends a student to Schoolgate; the student picks the school
 * (only schools that granted the app are listed), signs in, consents, and the app shows their name
 * and classes read from the SS 12000 API with the user's token. The student then withdraws in "My
 * connected apps" and the app's next token refresh fails. Another student denies, and the app gets
 * access_denied. The student's screens run at phone size.
 */
/** The school picker step (in English): search for the school and choose it. */
async function pickSchool(page: Page, name: string): Promise<void> {
  await page.getByLabel('Search your school by name, number or town').fill(name);
  await page
    .getByTestId('school-list')
    .getByRole('button', { name: new RegExp(name) })
    .click();
}

/**
 * Clicks "Sign in" once the form is not busy. After a refused attempt the button's accessible name
 * reads "loading Sign in" until antd's icon has finished animating out, which on a starved CI machine
 * outlasted the click's timeout once: wait for the button's state, not for the animation.
 */
async function clickSignIn(page: Page): Promise<void> {
  const button = page.getByRole('button', { name: /^(loading )?Sign in$/ });
  await expect.poll(async () => (await button.getAttribute('class')) ?? '', { timeout: 10_000 }).not.toContain('ant-btn-loading');
  await button.click();
}

describe('Log in with Schoolgate, end to end in Chromium', () => {
  let e2e: E2E;
  let world: World;
  let hw: HomeworkApp;
  let student: EndUser;
  let otherStudent: EndUser;
  let teacher: EndUser;
  let browser: Person;
  let appId = '';
  let idp: UpstreamIdp;
  let boardName = '';
  const upstreamStudentEppn = 'stina@board.example';
  const granted = SCHOOLS[0]!;
  const notGranted = SCHOOLS[1]!;

  beforeAll(async () => {
    e2e = await startE2E();
    const { ctx } = e2e.harness;
    ({ world } = await seedSchools(ctx));
    hw = await startHomeworkApp();
    const app = await seedHomeworkApp(ctx, hw.redirectUri, [granted]);
    appId = app.appId;
    await hw.configure({
      issuer: `${e2e.harness.url}/oidc`,
      clientId: app.clientId,
      clientSecret: app.secret,
      apiBase: `${e2e.harness.url}/ss12000/v2.0`,
      // `data`: the app reads /persons and /groups, so it needs the data API's token (RFC 8707).
      scope: 'openid profile data offline_access',
    });
    student = await studentAt(ctx, world, granted, 0, 'sam.student@school.test');
    otherStudent = await studentAt(ctx, world, granted, 1, 'stina.student@school.test');
    teacher = await staffAt(ctx, world, granted, 0, 'tilda.teacher@school.test');
    // The school board's own identity provider (a second oidc-provider) for the upstream sign-in.
    idp = await startUpstreamIdp(`${e2e.harness.url}/signin/upstream/callback`);
    const board = await boardOf(granted);
    boardName = board;
    await ctx.db
      .updateTable('ss12000_persons')
      .set({ eppns: [upstreamStudentEppn] })
      .where('id', '=', otherStudent.personId)
      .execute();
    browser = await e2e.person('en-GB');
    await browser.page.setViewportSize({ width: 390, height: 844 });
  });
  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail') console.error('screenshots:', await e2e.snapshot(task.name));
  });
  afterAll(async () => {
    await hw?.stop();
    await idp?.stop();
    await e2e?.stop();
  });

  /** The name of the school board (Huvudman) above the school unit of `institution`, through parent_id. */
  async function boardOf(institution: string): Promise<string> {
    const db = e2e.harness.ctx.db;
    let org = await db
      .selectFrom('ss12000_organisations')
      .select(['id', 'parent_id', 'organisation_type', 'display_name'])
      .where('organisation_code', '=', institution)
      .where('organisation_type', '=', 'Skolenhet')
      .executeTakeFirstOrThrow();
    for (let i = 0; i < 5 && org.organisation_type !== 'Huvudman' && org.parent_id; i++) {
      org = await db
        .selectFrom('ss12000_organisations')
        .select(['id', 'parent_id', 'organisation_type', 'display_name'])
        .where('id', '=', org.parent_id)
        .executeTakeFirstOrThrow();
    }
    if (org.organisation_type !== 'Huvudman') throw new Error(`no board above ${institution}`);
    return org.display_name;
  }

  /** From the homework app's start page to Schoolgate's school picker. */
  async function startAtHomeworkApp(person: Person): Promise<void> {
    const { page } = person;
    await page.goto(hw.url);
    await page.getByTestId('hw-login').click();
    await page.waitForURL('**/signin/*');
    await page.getByTestId('signin-step-school').waitFor();
  }

  it('lists only schools that granted the app, explains a missing school, and picks one', async () => {
    await startAtHomeworkApp(browser);
    const { page } = browser;
    await expect.poll(() => page.getByTestId('signin-app').textContent()).toContain('Homework App');
    expect(await page.getByTestId('signin-app').textContent()).toContain('Homework Heroes');
    await page.getByRole('heading', { level: 1, name: 'Choose your school' }).waitFor();

    // The school without a grant is not found, by number or by name; the seed's explanation is there.
    await page.getByLabel('Search your school by name, number or town').fill(notGranted);
    await page.getByTestId('school-count').getByText('No school found.').waitFor();
    expect(await page.getByTestId('school-list').getByRole('button').count()).toBe(0);
    const notListed = page.getByTestId('school-not-listed');
    await notListed.getByRole('heading', { name: 'Your school is not listed?' }).waitFor();
    expect(await notListed.textContent()).toContain('it has not granted this app access');

    await page.getByLabel('Search your school by name, number or town').fill(granted);
    const school = page.getByTestId('school-list').getByRole('button', { name: new RegExp(granted) });
    await school.waitFor();
    expect(await page.getByTestId('school-list').getByRole('button').count()).toBe(1);
    await school.click();
    await page.getByTestId('signin-step-login').waitFor();
    expect(await page.getByTestId('chosen-school').textContent()).toContain(granted);
    await browser.expectNoMissingKeys();
  });

  it('refuses a wrong password with a clear message, then signs the student in and asks for consent', async () => {
    const { page } = browser;
    await page.getByLabel('User name or e-mail address').fill(student.login);
    await page.getByLabel('Password', { exact: true }).fill('not the password at all');
    await clickSignIn(page);
    const error = page.getByTestId('error');
    await error.waitFor();
    expect(await error.getAttribute('data-code')).toBe('invalid_credentials');
    expect(await error.textContent()).toContain('The user name or password is wrong.');

    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await clickSignIn(page);
    await page.getByTestId('signin-step-consent').waitFor();
    await browser.expectNoMissingKeys();
  });

  it('shows the app, partner, data with its purpose and the register link; Allow returns to the app with the name and classes', async () => {
    const { page } = browser;
    await page.getByRole('heading', { level: 1, name: 'Allow Homework App to use your data?' }).waitFor();
    expect(await page.getByTestId('consent-person').textContent()).toContain(`${student.givenName} ${student.familyName}`);
    const items = page.getByTestId('consent-items');
    expect(await items.textContent()).toContain('Your name');
    const category = items.getByTestId('consent-category').first();
    expect(await category.textContent()).toContain('Identity (name, class, school)');
    expect(await category.textContent()).toContain('Plans homework per class.');
    expect(await page.getByTestId('register-link').getAttribute('href')).toBeTruthy();
    // Where to withdraw later is a link, not only a name.
    expect(await page.getByTestId('withdraw-hint').getByRole('link', { name: 'My connected apps' }).getAttribute('href')).toBe('/my/apps');
    await browser.expectNoMissingKeys();

    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${hw.url}/**`);
    const welcome = page.getByTestId('hw-student');
    await welcome.waitFor();
    expect(await welcome.textContent()).toContain(`${student.givenName} ${student.familyName}`);
    const classes = (await page.getByTestId('hw-classes').locator('li').allTextContents()).sort();
    expect(classes.length).toBeGreaterThan(0);
    for (const c of classes) expect(student.classes).toContain(c);
    expect(await page.getByTestId('hw-school').textContent()).toContain(granted);

    // The refresh token works while the consent is live (and the app reads again with the new token).
    await page.getByTestId('hw-refresh').click();
    await page.getByTestId('hw-message').getByText('Connection refreshed.').waitFor();
  });

  it('the school admin sees on the app page how many of their students consented', async () => {
    const admin = await e2e.person('en-GB');
    await admin.goto(`/sign-in?next=/school/apps/${appId}`);
    await signIn(admin.page, 'admin@school.test', PASSWORD);
    const counts = admin.page.getByTestId('consent-counts');
    await counts.waitFor();
    expect(await counts.textContent()).toContain(granted);
    expect(await counts.textContent()).toContain('1 students consented');
    await admin.expectNoMissingKeys();
  });

  it('a second login (school and password again) skips the consent question and goes straight back to the app', async () => {
    const { page } = browser;
    await page.goto(hw.url);
    await page.getByTestId('hw-login').click();
    await page.waitForURL('**/signin/*');
    await pickSchool(page, granted);
    await page.getByLabel('User name or e-mail address').fill(student.login);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${hw.url}/**`);
    await page.getByTestId('hw-message').getByText('Signed in with Schoolgate.').waitFor();
    expect(await page.getByTestId('hw-student').textContent()).toContain(student.givenName);
  });

  it('a sign-in without `data` is covered by the consent and gets the name from userinfo (opaque token), reading no school data', async () => {
    const { page } = browser;
    await page.goto(`${hw.url}/login?scope=${encodeURIComponent('openid profile offline_access')}`);
    await page.waitForURL('**/signin/*');
    await pickSchool(page, granted);
    await page.getByLabel('User name or e-mail address').fill(student.login);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${hw.url}/**`);
    await page.getByTestId('hw-message').getByText('Signed in with Schoolgate.').waitFor();
    expect(await page.getByTestId('hw-student').textContent()).toContain(`${student.givenName} ${student.familyName}`);
    const source = await page.getByTestId('hw-source').textContent();
    expect(source).toContain('From userinfo');
    expect(source).toContain('"roles":["student"]');
    expect(source).not.toContain('email');
    expect(await page.getByTestId('hw-classes').locator('li').count()).toBe(0);
  });

  it('lists the app in "My connected apps" with its reads, and withdraws it after a confirmation', async () => {
    const { page } = browser;
    // The sign-in left an end-user session on Schoolgate: no second password.
    await page.goto(`${e2e.harness.url}/my/apps`);
    await page.getByRole('heading', { level: 1, name: 'My connected apps' }).waitFor();
    expect(await page.getByTestId('my-signed-in-as').textContent()).toContain(student.givenName);
    const card = page.getByTestId('my-app').filter({ hasText: 'Homework App' });
    await card.waitFor();
    expect(await card.textContent()).toContain('Homework Heroes');
    expect(await card.textContent()).toContain('Plans homework per class.');
    expect(await card.textContent()).toContain(granted);
    // Two reads at sign-in (persons, groups) and two after the refresh.
    expect(await card.getByTestId('my-reads-total').textContent()).toMatch(/Reads: \d/);
    await browser.expectNoMissingKeys();

    await card.getByRole('button', { name: 'Withdraw' }).click();
    const dialog = page.getByRole('dialog', { name: 'Withdraw your consent for Homework App?' });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('Homework Heroes is told');
    await dialog.getByRole('button', { name: 'Withdraw' }).click();
    await page.getByText('You have not connected any app.').waitFor();

    const rows = await e2e.harness.ctx.db.selectFrom('end_user_consents').select(['withdrawn_at']).where('person_id', '=', student.personId).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.withdrawn_at).not.toBeNull();
  });

  it('the homework app’s next token refresh fails after the withdrawal, and the app says so', async () => {
    const { page } = browser;
    await page.goto(`${hw.url}/refresh`);
    const failed = page.getByTestId('hw-refresh-failed');
    await failed.waitFor();
    expect(await failed.textContent()).toContain('invalid_grant');
  });

  it('a second student denies, in Dutch, and the app receives access_denied', async () => {
    const other = await e2e.person('nl-BE');
    await other.page.setViewportSize({ width: 390, height: 844 });
    await startAtHomeworkApp(other);
    const { page } = other;
    await page.getByRole('heading', { level: 1, name: 'Kies je school' }).waitFor();
    await page.getByLabel('Zoek je school op naam, nummer of gemeente').fill(granted);
    await page
      .getByTestId('school-list')
      .getByRole('button', { name: new RegExp(granted) })
      .click();
    await page.getByLabel('Gebruikersnaam of e-mailadres').fill(otherStudent.login);
    await page.getByLabel('Wachtwoord', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Aanmelden', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Homework App toegang geven tot je gegevens?' }).waitFor();
    await other.expectNoMissingKeys();
    await page.getByRole('button', { name: 'Weigeren' }).click();
    await page.waitForURL(`${hw.url}/**`);
    expect(await page.getByTestId('hw-error').textContent()).toContain('access_denied');
    const rows = await e2e.harness.ctx.db.selectFrom('end_user_consents').select('id').where('person_id', '=', otherStudent.personId).execute();
    expect(rows).toHaveLength(0);
  });

  it('a teacher, whose role the school did not grant the app, is told so at sign-in', async () => {
    const staff = await e2e.person('en-GB');
    await startAtHomeworkApp(staff);
    const { page } = staff;
    await pickSchool(page, granted);
    await page.getByLabel('User name or e-mail address').fill(teacher.login);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    const error = page.getByTestId('error');
    await error.waitFor();
    expect(await error.getAttribute('data-code')).toBe('role_not_granted');
    expect(await error.textContent()).toContain('has not granted Homework App access for people in your role');
    await staff.expectNoMissingKeys();
  });

  it('"My connected apps" asks a signed-out person to sign in, then lists nothing for a person without consents', async () => {
    const visitor = await e2e.person('en-GB');
    await visitor.page.setViewportSize({ width: 390, height: 844 });
    await visitor.goto('/my/apps');
    const { page } = visitor;
    await page.getByTestId('my-signin').waitFor();
    // School first, then the school's credentials.
    await pickSchool(page, granted);
    await page.getByTestId('chosen-school').waitFor();
    await page.getByLabel('User name or e-mail address').fill(otherStudent.login);
    await page.getByLabel('Password', { exact: true }).fill('wrong password entirely');
    await clickSignIn(page);
    expect(await page.getByTestId('error').getAttribute('data-code')).toBe('invalid_credentials');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await clickSignIn(page);
    await page.getByText('You have not connected any app.').waitFor();
    await visitor.expectNoMissingKeys();
  });
  it('a student who uses the staff sign-in is pointed to "My connected apps", which the sign-in page also links (in Dutch)', async () => {
    const visitor = await e2e.person('nl-BE');
    await visitor.goto('/sign-in');
    const { page } = visitor;
    // The public menu has the entry.
    await page.getByRole('navigation').getByRole('link', { name: 'Mijn gekoppelde apps' }).waitFor();
    await page.getByLabel('E-mailadres').fill(otherStudent.login);
    await page.getByLabel('Wachtwoord', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: /^(loading )?Aanmelden$/ }).click();
    const error = page.getByTestId('error');
    await error.waitFor();
    expect(await error.getAttribute('data-code')).toBe('end_user_account');
    expect(await error.textContent()).toContain('Mijn gekoppelde apps');
    await page.getByTestId('end-user-hint').getByRole('link', { name: 'Mijn gekoppelde apps' }).click();
    await page.waitForURL('**/my/apps');
    await page.getByTestId('my-signin').waitFor();
    await visitor.expectNoMissingKeys();
  });

  it("the operator adds the school board's identity provider on the Identity providers screen, and edits it", async () => {
    const operator = await e2e.person('en-GB');
    const { page } = operator;
    await operator.goto('/sign-in?next=/operator/identity-providers');
    await signIn(page, 'operator@schoolgate.test', PASSWORD);
    await page.getByRole('heading', { level: 1, name: 'Identity providers' }).waitFor();
    await page.getByRole('button', { name: 'Add identity provider' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('School board').click();
    await dialog.getByLabel('School board').fill(boardName);
    await page.locator('.ant-select-item-option', { hasText: granted }).click();
    await dialog.getByLabel('Button name').fill('Board Login');
    await dialog.getByLabel('Issuer').fill(idp.issuer);
    await dialog.getByLabel('Client ID').fill(idp.clientId);
    await dialog.getByLabel('Client secret').fill(idp.clientSecret);
    await dialog.getByRole('button', { name: 'Save' }).click();
    const table = page.getByTestId('idp-table');
    await table.getByText('Board Login').waitFor();
    expect(await table.textContent()).toContain(`${e2e.harness.url}/signin/upstream/callback`);
    expect(await table.textContent()).toContain(boardName);

    // Edit: a new button name; the secret field left empty keeps the stored secret.
    await table.getByRole('button', { name: 'Edit Board Login' }).click();
    await dialog.getByLabel('Button name').fill('Skol-ID');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await table.getByText('Skol-ID').waitFor();
    const row = await e2e.harness.ctx.db.selectFrom('upstream_identity_providers').select(['display_name', 'client_secret']).executeTakeFirstOrThrow();
    expect(row).toEqual({ display_name: 'Skol-ID', client_secret: idp.clientSecret });
    await operator.expectNoMissingKeys();
  });

  it('a student signs in with "Sign in with <board>" instead of a password, consents, and the app shows their name', async () => {
    idp.next = { accountId: 'board-user-stina', claims: { eppn: upstreamStudentEppn } };
    const person = await e2e.person('en-GB');
    await person.page.setViewportSize({ width: 390, height: 844 });
    await startAtHomeworkApp(person);
    const { page } = person;
    await pickSchool(page, granted);
    await page.getByTestId('upstream-signin').getByText('Sign in with Skol-ID').click();
    await page.getByTestId('signin-step-consent').waitFor();
    expect(await page.getByTestId('consent-person').textContent()).toContain(`${otherStudent.givenName} ${otherStudent.familyName}`);
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${hw.url}/**`);
    expect(await page.getByTestId('hw-student').textContent()).toContain(`${otherStudent.givenName} ${otherStudent.familyName}`);
    await person.expectNoMissingKeys();
  });

  it("a refusal at the board's provider is explained on the sign-in step", async () => {
    idp.next = { accountId: 'board-user-stina', claims: { eppn: upstreamStudentEppn }, deny: true };
    const person = await e2e.person('en-GB');
    await startAtHomeworkApp(person);
    const { page } = person;
    await pickSchool(page, granted);
    await page.getByTestId('upstream-signin').click();
    const error = page.getByTestId('upstream-error');
    await error.waitFor();
    expect(await error.getAttribute('data-code')).toBe('upstream_denied');
    expect(await error.textContent()).toContain('cancelled or refused');
    await person.expectNoMissingKeys();
  });

  it('the operator deletes the provider after a confirmation, and the button is gone from the sign-in step', async () => {
    const operator = await e2e.person('en-GB');
    const { page } = operator;
    await operator.goto('/sign-in?next=/operator/identity-providers');
    await signIn(page, 'operator@schoolgate.test', PASSWORD);
    const table = page.getByTestId('idp-table');
    await table.getByRole('button', { name: 'Delete Skol-ID' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete “Skol-ID”?' });
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await table.getByText('No identity provider configured.').waitFor();

    const person = await e2e.person('en-GB');
    await startAtHomeworkApp(person);
    await pickSchool(person.page, granted);
    await person.page.getByTestId('signin-step-login').waitFor();
    expect(await person.page.getByTestId('upstream-signin').count()).toBe(0);
  });
  it('a partner registers a public client (mobile app): the form explains it, the app is stored and shown as public', async () => {
    const { ctx } = e2e.harness;
    const member = await insertUser(ctx.db, { email: 'mia@mobile.example', password: PASSWORD, displayName: 'Mia Mobile', kind: 'partner' });
    await insertPartner(ctx.db, { name: 'Mobile Homework', contactEmail: 'info@mobile.example', memberUserIds: [member] });
    const partner = await e2e.person('en-GB');
    const { page } = partner;
    await partner.goto('/sign-in?next=/partner/apps/new');
    await signIn(page, 'mia@mobile.example', PASSWORD);
    await page.getByLabel('Name', { exact: true }).fill('Homework Pocket');
    await page.getByLabel('Contact e-mail address').fill('apps@mobile.example');
    const clientType = page.getByTestId('client-type');
    expect(await clientType.textContent()).toContain('cannot keep a secret');
    await clientType.getByLabel(/^Public/).check();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/partner\/apps\/[0-9a-f-]{36}$/);
    await page.getByText('Public', { exact: true }).waitFor();
    const row = await ctx.db.selectFrom('apps').select('client_type').where('name', '=', 'Homework Pocket').executeTakeFirstOrThrow();
    expect(row.client_type).toBe('public');
    await partner.expectNoMissingKeys();
  });
});
