import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/modules/audit/record.ts';
import { createSandbox, SANDBOX_INSTITUTION } from '../../src/modules/sandbox/service.ts';
import { insertApp, insertClient, insertPartner, insertUser } from '../../src/seed/builders.ts';
import { PASSWORD } from './fixtures.ts';
import { startE2E, type E2E, type Person } from './support.ts';

/** The words each language uses on the Developers page (written here, not imported from the locales). */
const LANGUAGES = [
  {
    locale: 'en-GB',
    title: 'Developers',
    sandbox: 'Sandbox',
    dataApi: 'Data API (SS 12000)',
    oidc: 'OAuth / OpenID Connect',
    limits: 'Rate limit and errors',
    grantsTab: 'School access',
  },
  {
    locale: 'sv-SE',
    title: 'Utvecklare',
    sandbox: 'Sandlåda',
    dataApi: 'Data-API (SS 12000)',
    oidc: 'OAuth / OpenID Connect',
    limits: 'Anropsgräns och fel',
    grantsTab: 'Skolornas åtkomst',
  },
];

describe('the developer portal', () => {
  let e2e: E2E;
  let clientId = '';
  let appId = '';
  const partnerEmail = 'dev@builder.example';

  beforeAll(async () => {
    e2e = await startE2E();
    const { ctx } = e2e.harness;
    const member = await insertUser(ctx.db, { email: partnerEmail, password: PASSWORD, displayName: 'Dana Developer', kind: 'partner' });
    const partnerId = await insertPartner(ctx.db, { name: 'Builder AB', contactEmail: 'info@builder.example', memberUserIds: [member] });
    appId = await insertApp(ctx.db, {
      partnerId,
      name: 'Homework Helper',
      status: 'approved',
      apis: [{ apiCode: 'students', dataCategories: ['identity'], purpose: 'Homework per class.' }],
    });
    ({ clientId } = await insertClient(ctx.db, { appId, name: 'Homework Helper' }));
    // The server's sandbox, granted to every approved app (this one) when it is created.
    await createSandbox(ctx, systemActor);
  });
  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail') console.error('screenshots:', await e2e.snapshot(task.name));
  });
  afterAll(async () => {
    await e2e?.stop();
  });

  async function signedIn(locale: string, path: string): Promise<Person> {
    const person = await e2e.person(locale);
    await person.goto(path);
    await person.page.waitForURL('**/sign-in?next=*');
    await person.page.locator('input[autocomplete=username]').fill(partnerEmail);
    await person.page.locator('input[type=password]').fill(PASSWORD);
    await person.page.locator('form button[type=submit]').click();
    return person;
  }

  for (const l of LANGUAGES) {
    it(`shows the operations, the sandbox and a quick start with the app's client id (${l.locale})`, async () => {
      const person = await signedIn(l.locale, '/partner/apps');
      const { page } = person;
      // Reached from the partner menu.
      await page.getByRole('menuitem', { name: l.title }).click();
      await page.waitForURL('**/partner/developers');
      await page.getByRole('heading', { name: l.title }).waitFor();
      const alert = page.getByTestId('sandbox-alert');
      await alert.getByText(l.sandbox, { exact: true }).waitFor();
      expect(await alert.textContent()).toContain(SANDBOX_INSTITUTION.number);
      expect(await page.getByTestId('client-id').textContent()).toContain(clientId);
      const curl = await page.getByTestId('quickstart-curl').textContent();
      expect(curl).toContain(`CLIENT_ID=${clientId}`);
      expect(curl).toContain(`${e2e.harness.url}/oidc/token`);
      expect(curl).toContain(`${e2e.harness.url}/ss12000/v2.0/persons`);
      await page.getByRole('tab', { name: 'Python (requests)' }).click();
      expect(await page.getByTestId('quickstart-python').textContent()).toContain(clientId);

      await page.getByRole('tab', { name: l.dataApi }).click();
      const data = page.getByTestId('data-api-operations');
      await data.getByText('/persons', { exact: true }).first().waitFor();
      // An operation opens to its parameters.
      await data.getByText('/persons', { exact: true }).first().click();
      await data.getByText('pageToken', { exact: true }).first().waitFor();
      // School life the sandbox serves too (issue 17): lessons, attendance, absences, grades.
      for (const path of ['/calendarEvents', '/attendances', '/absences', '/attendanceSchedule', '/grades'])
        await data.getByText(path, { exact: true }).first().waitFor();

      await page.getByRole('tab', { name: l.oidc }).click();
      const oidc = page.getByTestId('oidc-operations');
      await oidc.getByText('/oidc/token', { exact: true }).waitFor();
      await oidc.getByText('/oidc/token', { exact: true }).click();
      await oidc.getByText('grant_type', { exact: true }).waitFor();
      await oidc.getByText('client_credentials', { exact: true }).first().waitFor();

      await page.getByRole('tab', { name: l.limits }).click();
      expect(await page.getByTestId('rate-limit').textContent()).toMatch(/\d+/);
      // Error codes as the data API's document and oidc-provider give them.
      await page
        .getByTestId('data-api-errors')
        .getByText(/rate_limited/)
        .waitFor();
      await page
        .getByTestId('data-api-errors')
        .getByText(/unknown_parameter/)
        .waitFor();
      await page.getByTestId('oidc-errors').getByText('invalid_client', { exact: true }).first().waitFor();

      // The app's own page marks the sandbox grant.
      await person.goto(`/partner/apps/${appId}`);
      await page.getByRole('tab', { name: l.grantsTab }).click();
      await page.getByTestId('grants-table').getByTestId('sandbox-tag').waitFor();
      await person.expectNoMissingKeys();
    });
  }
});
