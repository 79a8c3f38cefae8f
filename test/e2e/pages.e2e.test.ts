import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { insertAdminRight, insertApp, insertClient, insertGrant, insertPartner, insertUser } from '../../src/seed/builders.ts';
import { TestClient } from '../support/harness.ts';
import { PASSWORD, SCHOOL_YEAR, SCHOOLS, seedSchools, type People } from './fixtures.ts';
import { startE2E, unlabelledControls, type E2E, type Person } from './support.ts';

/** What each language calls the Apps table's columns (the Informat manual's words in Dutch). */
const LANGUAGES = [
  {
    locale: 'en-GB',
    lang: 'en',
    headers: ['App', 'Status', 'Partner', 'Client', 'Active', 'API', 'Created', 'Modified', 'For my institutions'],
    approved: 'Approved',
    students: 'Students',
  },
  {
    locale: 'nl-BE',
    lang: 'nl',
    headers: ['App', 'Status', 'Partner', 'Client', 'Actief', 'API', 'Aangemaakt', 'Gewijzigd op', 'Voor mijn instellingen'],
    approved: 'Goedgekeurd',
    students: 'Leerlingen',
  },
  {
    locale: 'fr-BE',
    lang: 'fr',
    headers: ['Application', 'Statut', 'Partenaire', 'Client', 'Active', 'API', 'Créée', 'Modifiée le', 'Pour mes établissements'],
    approved: 'Approuvée',
    students: 'Élèves',
  },
  {
    locale: 'sv-SE',
    lang: 'sv',
    headers: ['App', 'Status', 'Partner', 'Klient', 'Aktiv', 'API', 'Skapad', 'Ändrad', 'För mina skolor'],
    approved: 'Godkänd',
    students: 'Elever',
  },
];

describe('every screen in every language, the refusals a school user can meet', () => {
  let e2e: E2E;
  let people: People;
  let appId = '';
  let legacyClientId = '';
  let unclientedAppId = '';
  const partnerEmail = 'lars@planner.example';

  beforeAll(async () => {
    e2e = await startE2E();
    const { ctx } = e2e.harness;
    ({ people } = await seedSchools(ctx));
    const member = await insertUser(ctx.db, { email: partnerEmail, password: PASSWORD, displayName: 'Lars Planner', kind: 'partner' });
    const partnerId = await insertPartner(ctx.db, { name: 'Planner AB', contactEmail: 'info@planner.example', memberUserIds: [member] });
    appId = await insertApp(ctx.db, {
      partnerId,
      name: 'Study Planner',
      status: 'approved',
      apis: [{ apiCode: 'students', dataCategories: ['identity'], purpose: 'Weekly study plans per student.' }],
    });
    const { clientId } = await insertClient(ctx.db, { appId, name: 'Study Planner' });
    await insertGrant(ctx.db, { clientId, apiCode: 'students', institutionNumber: SCHOOLS[0]!, reason: 'Seeded' });
    // Approved before the portal existed: its old key will be linked to it from the partner portal.
    unclientedAppId = await insertApp(ctx.db, {
      partnerId,
      name: 'Planner Sync',
      status: 'approved',
      apis: [{ apiCode: 'students', dataCategories: ['identity'], purpose: 'Nightly sync of classes.' }],
    });
    const legacy = await insertClient(ctx.db, { appId: null, name: 'old-sync-key', origin: 'legacy' });
    legacyClientId = legacy.clientId;
    await insertGrant(ctx.db, { clientId: legacyClientId, apiCode: 'students', institutionNumber: SCHOOLS[1]! });
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

  for (const l of LANGUAGES) {
    it(`renders the school back-office in ${l.lang} (language from the browser) without a missing key`, async () => {
      const admin = await signedIn(l.locale, people.admin, '/school/apps');
      const { page } = admin;
      const table = page.getByTestId('school-apps-table');
      await table.getByRole('link', { name: 'Study Planner' }).waitFor();
      expect(await page.evaluate(() => document.documentElement.lang)).toBe(l.lang);
      const headers = (await table.locator('thead th').allInnerTexts()).map((h) => h.trim()).filter(Boolean);
      expect(headers).toEqual(l.headers);
      await table.getByText(l.approved).waitFor();
      await table.getByText(l.students).waitFor();
      // Sortable headers are reachable and usable from the keyboard.
      const sortable = table.locator('thead th.ant-table-column-has-sorters').first();
      await sortable.focus();
      await page.keyboard.press('Enter');
      expect(await sortable.getAttribute('aria-sort')).toMatch(/ascending|descending/);

      await table.getByRole('link', { name: 'Study Planner' }).click();
      await page.getByTestId('general-tab').getByText('Planner AB').waitFor();
      for (const tab of [1, 2]) {
        await page.getByRole('tab').nth(tab).click();
        await page.getByRole('tabpanel').first().waitFor();
      }
      await page.getByTestId('app-log-table').waitFor();
      await page.getByRole('tab').nth(1).click();
      await page.getByTestId('app-access-table').getByText(`${SCHOOLS[0]} - Skola ${SCHOOLS[0]}`).waitFor();

      await admin.goto('/school/api-access');
      const access = page.getByTestId('school-access-table');
      await access.getByText('old-sync-key').or(access.getByText(legacyClientId)).first().waitFor();
      await admin.goto(`/school/clients/${legacyClientId}`);
      await page.locator('[data-testid^="not-editable-"]').first().waitFor();
      await admin.goto('/public/register');
      await page.getByTestId('register-table').getByText('Weekly study plans per student.').waitFor();
      await admin.goto('/public/partners');
      await page.getByText('Planner AB').first().waitFor();
      await admin.expectNoMissingKeys();
    });
  }

  it('labels every control on the main screens (accessibility)', async () => {
    const admin = await signedIn('en-GB', people.admin, `/school/apps`);
    const { page } = admin;
    const found: Record<string, string[]> = {};
    await page.getByTestId('school-apps-table').getByRole('link', { name: 'Study Planner' }).waitFor();
    found.apps = await unlabelledControls(page);
    await admin.goto(`/school/apps/${appId}?tab=access`);
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByTestId('transfer-students').waitFor();
    found.edit = await unlabelledControls(page);
    await admin.goto('/school/api-access');
    await page.getByTestId('school-access-table').waitFor();
    found.access = await unlabelledControls(page);
    const partner = await signedIn('en-GB', partnerEmail, '/partner/apps/new');
    await partner.page.getByTestId('add-api').click();
    found.appForm = await unlabelledControls(partner.page);
    await partner.goto(`/partner/apps/${appId}?tab=invitations`);
    await partner.page.getByTestId('invitations-table').waitFor();
    found.invitations = await unlabelledControls(partner.page);
    const visitor = await e2e.person('en-GB');
    await visitor.goto('/sign-up');
    await visitor.page.getByRole('button', { name: 'Sign up' }).waitFor();
    found.signUp = await unlabelledControls(visitor.page);
    expect(found).toEqual({ apps: [], edit: [], access: [], appForm: [], invitations: [], signUp: [] });
  });

  it('switches language with the picker and keeps the choice', async () => {
    const admin = await signedIn('en-GB', people.admin, '/school/apps');
    const { page } = admin;
    await page.getByTestId('school-apps-table').getByText('Modified').waitFor();
    await page.getByRole('combobox', { name: 'Language' }).click();
    await page.locator('.ant-select-item-option', { hasText: 'Svenska' }).click();
    await page.getByTestId('school-apps-table').getByText('Ändrad').waitFor();
    await page.reload();
    await page.getByTestId('school-apps-table').getByText('Ändrad').waitFor();
    await admin.expectNoMissingKeys();
  });

  it('shows "insufficient rights" naming the right needed, with Edit disabled', async () => {
    const staff = await signedIn('en-GB', people.staffAdmin, `/school/apps/${appId}?tab=access`);
    const { page } = staff;
    const reason = page.getByTestId('not-editable-students');
    await reason.getByText('Insufficient rights for the Students API: you need iBasis or iLeerlingen.').waitFor();
    expect(await reason.getAttribute('data-reason')).toBe('insufficient_rights');
    expect(await page.getByRole('button', { name: 'Edit' }).isDisabled()).toBe(true);
    await staff.expectNoMissingKeys();
  });

  it('shows a legacy client without an app read-only, with the reason', async () => {
    const admin = await signedIn('nl-BE', people.admin, `/school/clients/${legacyClientId}`);
    const { page } = admin;
    const why = page.getByText('deze client is niet aan een applicatie gekoppeld', { exact: false });
    await why.first().waitFor();
    // Said once, though it holds for every API of the client.
    expect(await why.count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Bewerken' }).isDisabled()).toBe(true);
    await page.getByTestId('app-access-table').getByText(`${SCHOOLS[1]} - Skola ${SCHOOLS[1]}`).waitFor();
    await admin.expectNoMissingKeys();
  });

  it('sends a SIS user without user-management access to the "no access" page', async () => {
    const teacher = await signedIn('en-GB', people.teacher, '/school/apps');
    const { page } = teacher;
    await page.waitForURL('**/no-access');
    await page.getByTestId('no-access').getByText('No access', { exact: true }).waitFor();
    await teacher.goto(`/school/apps/${appId}`);
    await page.waitForURL('**/no-access');
    await teacher.expectNoMissingKeys();
  });

  it('lets the partner rotate the secret and shows how long the old one keeps working', async () => {
    const partner = await signedIn('en-GB', partnerEmail, `/partner/apps/${appId}?tab=client`);
    const { page } = partner;
    await page.getByTestId('secrets-table').locator('tbody tr').first().waitFor();
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await page.getByText('you will not see this again').waitFor();
    const overlap = await page.getByTestId('overlap').innerText();
    expect(overlap).toMatch(/keeps working until .*2026/);
    await page.getByRole('button', { name: 'I have stored it' }).click();
    await page.getByTestId('secrets-table').locator('tbody tr').nth(1).waitFor();
    await partner.expectNoMissingKeys();
  });

  it('the operator creates a legacy client (secret shown once) and the partner links it to an app by proving the secret', async () => {
    const op = await signedIn('en-GB', people.operator, '/operator/legacy-clients');
    let page = op.page;
    await page.getByLabel('Client name').fill('school-export-2019');
    await page.getByRole('button', { name: 'Add scope' }).click();
    await page.getByLabel('Institution number or access group id').fill(SCHOOLS[2]!);
    await page.getByRole('button', { name: 'Create legacy client' }).click();
    const clientId = (await page.getByTestId('legacy-client-id').textContent())!.trim();
    const secret = (await page.getByTestId('legacy-secret').textContent())!.trim();
    expect(clientId).toMatch(/^[0-9a-f-]{36}$/);
    await page
      .getByRole('row', { name: /school-export-2019/ })
      .getByText('Not linked')
      .waitFor();
    await op.expectNoMissingKeys();

    const partner = await signedIn('en-GB', partnerEmail, `/partner/apps/${unclientedAppId}?tab=client`);
    page = partner.page;
    await page.getByLabel('Client ID').fill(clientId);
    await page.getByLabel('Client secret').fill('not-the-secret');
    await page.getByRole('button', { name: 'Link client' }).click();
    await page.getByTestId('error').getByText('The client id or secret is wrong.').waitFor();
    await page.getByLabel('Client secret').fill(secret);
    await page.getByRole('button', { name: 'Link client' }).click();
    await page.getByText('Legacy client (linked)').waitFor();
    expect((await page.getByTestId('client-id').textContent())!.trim()).toBe(clientId);
    await partner.expectNoMissingKeys();

    await op.goto('/operator/legacy-clients');
    await op.page
      .getByRole('row', { name: /school-export-2019/ })
      .getByRole('link', { name: /Planner Sync/ })
      .waitFor();
  });

  it('the operator creates an ingestion client (secret shown once), rotates its secret and revokes it with a reason', async () => {
    const op = await signedIn('nl-BE', people.operator, '/operator/ingestion-clients');
    const { page } = op;
    await page.getByText('Geen inlaadclients.').waitFor();
    await page.getByLabel('Client Naam').fill('IST nightly loader');
    await page.getByRole('button', { name: 'Inlaadclient aanmaken' }).click();
    const clientId = (await page.getByTestId('ingestion-client-id').textContent())!.trim();
    const first = (await page.getByTestId('ingestion-secret').textContent())!.trim();
    expect(clientId).toMatch(/^[0-9a-f-]{36}$/);
    const row = page.getByRole('row', { name: /IST nightly loader/ });
    await row.getByText(`…${first.slice(-4)}`).waitFor();
    // The secret is shown once: after "stored" it is nowhere on the page.
    await page.getByRole('button', { name: 'Ik heb het bewaard' }).click();
    await expect.poll(() => page.content()).not.toContain(first);

    await row.getByRole('button', { name: 'Secret vernieuwen: IST nightly loader' }).click();
    const second = (await page.getByTestId('ingestion-secret').textContent())!.trim();
    expect(second).not.toBe(first);
    // The old secret keeps working for the overlap, and the page says until when.
    await page.getByText(`Het vorige secret (…${first.slice(-4)}) blijft werken tot`).waitFor();
    await row.getByText(`…${second.slice(-4)}`).waitFor();

    await row.getByRole('button', { name: 'Intrekken: IST nightly loader' }).click();
    await page.getByRole('dialog').getByLabel('Reden (bewaard in het auditlog)').fill('Vervangen door de nieuwe export');
    await page.getByRole('dialog').getByRole('button', { name: 'Intrekken' }).click();
    await page.getByText('Geen inlaadclients.').waitFor();
    const audit = await e2e.harness.ctx.db
      .selectFrom('audit_log')
      .select('reason')
      .where('action', '=', 'ingestion_client.revoked')
      .where('client_id', '=', clientId)
      .execute();
    expect(audit).toEqual([{ reason: 'Vervangen door de nieuwe export' }]);
    await op.expectNoMissingKeys();
  });

  it('gives the operator the catalog, partners, legacy clients, mailbox and a filtered audit log', async () => {
    const op = await signedIn('fr-BE', people.operator, '/operator/catalog');
    const { page } = op;
    await page.getByText('iBasis ou iLeerlingen').first().waitFor();
    await op.goto('/operator/partners');
    await page.getByText('Planner AB').waitFor();
    await op.goto('/operator/legacy-clients');
    await page.getByText('old-sync-key').waitFor();
    await op.goto('/operator/mailbox');
    await page.getByTestId('mailbox-table').waitFor();
    await op.goto('/operator/audit');
    await page.getByTestId('audit-table').waitFor();
    await page.getByLabel('Action').fill('grants.*');
    await page.getByRole('button', { name: 'Filtrer' }).click();
    await page.getByTestId('audit-table').waitFor();
    await op.expectNoMissingKeys();
  });

  // These two change the world (time moves on, the app is suspended): they run last.
  it('tells an admin that an invitation link has expired', async () => {
    const { ctx, url, clock } = e2e.harness;
    const newcomer = 'newcomer@school.test';
    const id = await insertUser(ctx.db, { email: newcomer, password: PASSWORD, displayName: 'Nora Newcomer', kind: 'school', userManagementAccess: true });
    await insertAdminRight(ctx.db, { userId: id, right: 'iLeerlingen', institutionNumber: SCHOOLS[2]!, schoolYear: SCHOOL_YEAR });
    const partnerApi = new TestClient(url);
    expect((await partnerApi.login(partnerEmail, PASSWORD)).status).toBe(200);
    const invited = await partnerApi.post(`/api/v1/partner/apps/${appId}/invitations`, { emails: [newcomer] });
    expect(invited.status).toBe(201);
    const link = new URL(invited.body.data[0].link);
    clock.advanceDays(32);
    const admin = await signedIn('nl-BE', newcomer, link.pathname + link.search);
    await admin.page.getByTestId('error').getByText('Deze uitnodigingslink is verlopen', { exact: false }).waitFor();
    expect(await admin.page.getByTestId('error').getAttribute('data-code')).toBe('invitation_expired');
    await admin.expectNoMissingKeys();
  });

  it('disables Edit with the reason when the app is no longer approved', async () => {
    const operatorApi = new TestClient(e2e.harness.url);
    expect((await operatorApi.login(people.operator, PASSWORD)).status).toBe(200);
    expect((await operatorApi.post(`/api/v1/operator/apps/${appId}/suspend`, { reason: 'Security review.' })).status).toBe(200);
    const admin = await signedIn('en-GB', people.admin, `/school/apps/${appId}?tab=access`);
    const { page } = admin;
    const why = page.getByText('You cannot edit: the app is not approved.');
    await why.first().waitFor();
    // One warning, not one per API and again beside the button.
    expect(await why.count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Edit' }).isDisabled()).toBe(true);
    await page.getByRole('tab', { name: 'General' }).click();
    await page.getByTestId('general-tab').getByRole('img', { name: 'No' }).waitFor();
    await admin.expectNoMissingKeys();
  });
});
