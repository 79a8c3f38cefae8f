import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TestClient } from '../support/harness.ts';
import { PASSWORD, readOrganisation, SCHOOLS, seedSchools, unitId, type People } from './fixtures.ts';
import { clickUntilGone, startE2E, type E2E, type Person } from './support.ts';
import type { World } from '../../src/generator/index.ts';

/**
 * The complete story of issue 4 in a real browser: a partner signs up and registers an app, the
 * operator approves it, the partner takes the secret and invites a school admin, the admin grants two
 * schools through the transfer list, the app reads data, the admin removes one school through the
 * warning, and the next read for that school is refused.
 */
describe('the consent story, end to end in Chromium', () => {
  let e2e: E2E;
  let world: World;
  let people: People;
  let partner: Person;
  let operator: Person;
  let admin: Person;
  const partnerEmail = 'pia@homework.example';
  let appPath = '';
  let clientId = '';
  let secret = '';
  let invitationLink = '';

  beforeAll(async () => {
    e2e = await startE2E();
    ({ world, people } = await seedSchools(e2e.harness.ctx));
    partner = await e2e.person('en-GB');
    operator = await e2e.person('en-GB');
    admin = await e2e.person('en-GB');
  });
  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail') console.error('screenshots:', await e2e.snapshot(task.name));
  });
  afterAll(async () => {
    await e2e?.stop();
  });

  /** The operator reads the dev mailbox through the API, as a developer would. */
  async function mailTo(to: string, template: string): Promise<{ links: string[]; subject: string }> {
    const op = new TestClient(e2e.harness.url);
    expect((await op.login(people.operator, PASSWORD)).status).toBe(200);
    const res = await op.get(`/api/v1/dev/mailbox?to=${encodeURIComponent(to)}&template=${template}`);
    expect(res.status).toBe(200);
    expect(res.body.data.length).toBeGreaterThan(0);
    return res.body.data[0];
  }

  it('a partner signs up, confirms the e-mail from the dev mailbox and creates the profile', async () => {
    const { page } = partner;
    await partner.goto('/sign-up');
    await page.getByLabel('Your name').fill('Pia Partner');
    await page.getByLabel('E-mail address').fill(partnerEmail);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByText('Check your mailbox').waitFor();

    const mail = await mailTo(partnerEmail, 'email_confirmation');
    const confirm = mail.links.find((l) => l.includes('/confirm-email?token='));
    expect(confirm).toBeDefined();
    await partner.goto(new URL(confirm!).pathname + new URL(confirm!).search);
    await page.getByTestId('email-confirmed').waitFor();

    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('E-mail address').fill(partnerEmail);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.locator('form').getByRole('button', { name: 'Sign in' }).click();
    // No profile yet: the partner lands on the profile page.
    await page.waitForURL('**/partner/profile');
    await page.getByLabel('Organisation name').fill('Homework Heroes');
    await page.getByLabel('Description').fill('Homework help after school.');
    await page.getByLabel('Contact e-mail address').fill('contact@homework.example');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    await partner.expectNoMissingKeys();
  });

  it('the partner registers an app with an API, data categories and a purpose, and submits it', async () => {
    const { page } = partner;
    await page.getByRole('link', { name: 'My apps' }).click();
    await page.getByRole('button', { name: 'Register an app' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Homework Planner');
    await page.getByLabel('Description').fill('Plans homework per class.');
    await page.getByLabel('Contact e-mail address').fill('apps@homework.example');
    await page.getByTestId('add-api').click();
    // Chosen with the keyboard: Students is the catalog's first API.
    await page.getByRole('combobox', { name: 'API' }).focus();
    await page.keyboard.press('ArrowDown');
    await page.locator('.ant-select-item-option-active', { hasText: 'Students' }).waitFor();
    await page.keyboard.press('Enter');
    await page.getByLabel('Date of birth').check();
    await page.getByTestId('purposes-0').getByLabel('English').fill('Show each student the homework of their own classes.');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/partner\/apps\/[0-9a-f-]{36}$/);
    appPath = new URL(page.url()).pathname;
    await page.getByTestId('submit-app').click();
    await page.locator('.ant-tag', { hasText: 'Submitted' }).waitFor();
    await partner.expectNoMissingKeys();
  });

  it('the operator finds it in the review queue and approves it with notes', async () => {
    const { page } = operator;
    await operator.goto('/operator/review');
    await page.waitForURL('**/sign-in?next=*');
    await page.getByLabel('E-mail address').fill(people.operator);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.locator('form').getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Homework Planner' }).click();
    await page.getByText('Show each student the homework of their own classes.').first().waitFor();
    await page.getByTestId('decision-approve').click();
    await page.getByTestId('decision-text').fill('Purpose and data are proportionate.');
    await page.locator('.ant-modal').getByRole('button', { name: 'Approve' }).click();
    await page.locator('.ant-tag', { hasText: 'Approved' }).waitFor();
    await operator.expectNoMissingKeys();
  });

  it('the partner creates the secret (shown once, with copy) and invites the school admin', async () => {
    const { page } = partner;
    await partner.goto(`${appPath}?tab=client`);
    await page.getByTestId('new-secret').click();
    await page.getByText('you will not see this again').waitFor();
    clientId = (await page.getByTestId('client-id').textContent())!.trim();
    secret = (await page.getByTestId('client-secret').textContent())!.trim();
    expect(clientId).toMatch(/^[0-9a-f-]{36}$/);
    expect(secret.length).toBeGreaterThanOrEqual(40);
    await expect(page.getByTestId('secret-once').getByRole('button', { name: /copy/i }).count()).resolves.toBeGreaterThan(0);
    // Once gone, the secret is never shown again: only its last characters.
    await page.getByRole('button', { name: 'I have stored it' }).click();
    await partner.goto(`${appPath}?tab=client`);
    await page
      .getByTestId('secrets-table')
      .getByText(`…${secret.slice(-4)}`)
      .waitFor();
    expect(await page.content()).not.toContain(secret);

    await page.getByRole('tab', { name: 'Invitations' }).click();
    const emails = page.getByLabel('E-mail addresses');
    await emails.fill(people.admin);
    await emails.press('Enter');
    await page.getByTestId('send-invitations').click();
    await page.getByText('Invitations sent.').waitFor();
    invitationLink = (await page.getByTestId('invitation-link').first().textContent())!.trim();
    expect(invitationLink).toContain(`/school/apps/`);
    expect(invitationLink).toContain('invitation=');
    const mail = await mailTo(people.admin, 'invitation');
    expect(mail.links).toContain(invitationLink);
    await partner.expectNoMissingKeys();
  });

  it('the admin follows the link, signs in, lands on the app page and grants two schools', async () => {
    const { page } = admin;
    const link = new URL(invitationLink);
    await admin.goto(link.pathname + link.search);
    await page.waitForURL('**/sign-in?next=*');
    await page.getByText('Sign in to open the app').waitFor();
    await page.getByLabel('E-mail address').fill(people.admin);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.locator('form').getByRole('button', { name: 'Sign in' }).click();
    // The deep link survived sign-in.
    await page.waitForURL((u) => u.pathname === link.pathname && u.search.includes('invitation='));
    await page.getByRole('heading', { name: 'Homework Planner' }).waitFor();
    await page.getByTestId('general-tab').getByText('Homework Heroes').waitFor();

    await page.getByRole('tab', { name: 'API access' }).click();
    await page.getByRole('button', { name: 'Edit' }).click();
    const transfer = page.getByTestId('transfer-students');
    await transfer.getByText('Institutions where you have rights').waitFor();
    await transfer.getByText('Active institutions').waitFor();
    for (const n of SCHOOLS.slice(0, 2)) await transfer.getByText(`${n} - Skola ${n}`).click();
    await transfer.getByRole('button', { name: '> Move the selected to “Active institutions”' }).click();
    await page.getByLabel('Reason (optional)').fill('Homework app chosen by the teachers.');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved. The changes apply at once').waitFor();
    const table = page.getByTestId('app-access-table');
    for (const n of SCHOOLS.slice(0, 2)) await table.getByText(`${n} - Skola ${n}`).waitFor();

    await page.getByRole('tab', { name: 'Logs' }).click();
    const log = page.getByTestId('app-log-table');
    await log.getByText('Anna Admin').first().waitFor();
    await log.getByText('Homework app chosen by the teachers.').waitFor();
    await admin.expectNoMissingKeys();
  });

  it('the app gets a token with that secret and reads both schools, not the third', async () => {
    const url = e2e.harness.url;
    expect(await readOrganisation(url, clientId, secret, unitId(world, SCHOOLS[0]!))).toBe(200);
    expect(await readOrganisation(url, clientId, secret, unitId(world, SCHOOLS[1]!))).toBe(200);
    expect(await readOrganisation(url, clientId, secret, unitId(world, SCHOOLS[2]!))).toBe(404);
  });

  it('the admin removes one school with the keyboard, sees the warning, and the next read for it is refused', async () => {
    const { page } = admin;
    await page.getByRole('tab', { name: 'API access' }).click();
    await page.getByRole('button', { name: 'Edit' }).click();
    const transfer = page.getByTestId('transfer-students');
    const right = transfer.locator('.ant-transfer-section').nth(1);
    const item = right.locator('.ant-transfer-list-content-item', { hasText: `${SCHOOLS[1]} - Skola ${SCHOOLS[1]}` });
    await item.locator('input[type=checkbox]').focus();
    await page.keyboard.press('Space');
    const back = transfer.getByRole('button', { name: '< Move the selected to “Institutions where you have rights”' });
    await back.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Save' }).click();
    const warning = page.getByTestId('removal-warning');
    await warning.getByText('The app loses access at once').waitFor();
    await warning.getByText(`Students: ${SCHOOLS[1]} - Skola ${SCHOOLS[1]}`).waitFor();
    // Nothing has changed until the warning is confirmed.
    expect(await readOrganisation(e2e.harness.url, clientId, secret, unitId(world, SCHOOLS[1]!))).toBe(200);
    // The dialog closes on the click that counts (a lost one, on a loaded machine, leaves it open).
    await clickUntilGone(page.getByRole('button', { name: 'Remove access and save' }), warning);
    await page.getByText('Saved. The changes apply at once').waitFor();

    expect(await readOrganisation(e2e.harness.url, clientId, secret, unitId(world, SCHOOLS[1]!))).toBe(404);
    expect(await readOrganisation(e2e.harness.url, clientId, secret, unitId(world, SCHOOLS[0]!))).toBe(200);

    await page.getByRole('tab', { name: 'Logs' }).click();
    await page
      .getByTestId('app-log-table')
      .locator('.ant-tag', { hasText: `Removed · Students · ${SCHOOLS[1]}` })
      .waitFor();

    // The access log: what the app read, per institution and day.
    await page.getByRole('tab', { name: 'Access log' }).click();
    const reads = page.getByTestId('access-log-table');
    await reads.getByRole('cell', { name: SCHOOLS[0]!, exact: true }).first().waitFor();
    await admin.expectNoMissingKeys();
  });

  it('the partner sees the grant and can copy the invitation link again from the log', async () => {
    const { page } = partner;
    await partner.goto(`${appPath}?tab=grants`);
    await page.getByTestId('grants-table').getByText(`${SCHOOLS[0]} - Skola ${SCHOOLS[0]}`).waitFor();
    expect(await page.getByTestId('grants-table').getByText(`${SCHOOLS[1]} - Skola ${SCHOOLS[1]}`).count()).toBe(0);
    await page.getByRole('tab', { name: 'Log', exact: true }).click();
    const log = page.getByTestId('partner-log-table');
    await log.getByText('Invitation sent').waitFor();
    await log.getByText(people.admin).first().waitFor();
    await partner.expectNoMissingKeys();
  });
});
