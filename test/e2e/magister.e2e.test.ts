import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { insertAdminRight, insertApp, insertClient, insertGrant, insertPartner, insertUser } from '../../src/seed/builders.ts';
import { PASSWORD, readOrganisation, SCHOOL_YEAR, SCHOOLS, seedSchools, unitId, type People } from './fixtures.ts';
import { startE2E, type E2E, type Person } from './support.ts';
import type { World } from '../../src/generator/index.ts';

/**
 * Magister's flow (issue 14, seed 000) in a real browser, in English and in Dutch: a school admin
 * finds an accredited app in the list, reads what it was accredited for, enables it for a school
 * without any invitation, switches it off with a reason (the app's next read is refused, another
 * school's access stays), sees that in the Apps list, and switches it on again.
 */
describe("Magister's flow: accredited list → enable → off → on", () => {
  let e2e: E2E;
  let world: World;
  let people: People;
  let clientId = '';
  let secret = '';
  const dutchAdmin = 'daan@school.test';

  beforeAll(async () => {
    e2e = await startE2E();
    const { ctx } = e2e.harness;
    ({ world, people } = await seedSchools(ctx));
    const partnerId = await insertPartner(ctx.db, { name: 'Huiswerk Instituut', contactEmail: 'info@huiswerk.example' });
    const appId = await insertApp(ctx.db, {
      partnerId,
      name: 'Studiewijzer',
      status: 'approved',
      contactEmail: 'apps@huiswerk.example',
      apis: [
        {
          apiCode: 'students',
          dataCategories: ['identity', 'birth_date'],
          purposes: { en: 'Plan homework per class with the student.', nl: 'Huiswerk per klas plannen met de leerling.' },
        },
      ],
    });
    ({ clientId, secret } = await insertClient(ctx.db, { appId, name: 'Studiewijzer' }));
    // The third school already uses the app; its admin writes Dutch.
    await insertGrant(ctx.db, { clientId, apiCode: 'students', institutionNumber: SCHOOLS[2]!, reason: 'Seeded' });
    const daan = await insertUser(ctx.db, {
      email: dutchAdmin,
      password: PASSWORD,
      displayName: 'Daan Directeur',
      kind: 'school',
      userManagementAccess: true,
      language: 'nl',
    });
    await insertAdminRight(ctx.db, { userId: daan, right: 'iLeerlingen', institutionNumber: SCHOOLS[2]!, schoolYear: SCHOOL_YEAR });
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
  const read = (n: string) => readOrganisation(e2e.harness.url, clientId, secret, unitId(world, n));
  const mails = async (template: string) =>
    (await e2e.harness.ctx.db.selectFrom('mail_outbox').select(['subject', 'body_text']).where('template', '=', template).execute()).map(
      (m) => `${m.subject}\n${m.body_text}`,
    );

  it('in English: finds the app, reads what it was accredited for, enables it without an invitation, switches it off and on', async () => {
    const admin = await signedIn('en-GB', people.admin, '/school/apps?view=accredited');
    const { page } = admin;
    const list = page.getByTestId('accredited-apps-table');
    await list.getByRole('link', { name: 'Studiewijzer' }).first().waitFor();
    await list.getByText('Plan homework per class with the student.').waitFor();
    await list.getByText('Date of birth').waitFor();
    // Searchable: a word of the purpose finds it, another word finds nothing.
    await page.getByTestId('accredited-search').locator('input').fill('nothing like this');
    await page.getByTestId('accredited-search').locator('input').press('Enter');
    await list.getByText('No accredited app matches.').waitFor();
    await page.getByTestId('accredited-search').locator('input').fill('homework');
    await page.getByTestId('accredited-search').locator('input').press('Enter');
    await list.getByRole('link', { name: 'Open Studiewijzer' }).click();

    await page.getByRole('heading', { name: 'Studiewijzer' }).waitFor();
    const approved = page.getByTestId('approved-for');
    await approved.getByText('What the app was accredited for').waitFor();
    await approved.getByText('Plan homework per class with the student.').waitFor();
    await approved.getByText('Seeded').waitFor(); // the reviewer's notes
    await page.getByTestId('switch-card').locator('[data-state=not_granted]').getByText('Not enabled').waitFor();

    // Enable for the first school with the same grant editor an invitation opens.
    await page.getByRole('tab', { name: 'API access' }).click();
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByTestId('editor-approved-students').getByText('Plan homework per class with the student.').waitFor();
    const transfer = page.getByTestId('transfer-students');
    await transfer.getByText(`${SCHOOLS[0]} - Skola ${SCHOOLS[0]}`).click();
    await transfer.getByRole('button', { name: '> Move the selected to “Active institutions”' }).click();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved. The changes apply at once').waitFor();
    expect(await read(SCHOOLS[0]!)).toBe(200);

    // Off, with a reason, after a confirmation.
    await page.getByRole('tab', { name: 'General' }).click();
    const card = page.getByTestId('switch-card');
    await card.locator('[data-state=on]').waitFor();
    await card.getByLabel('Reason (optional)').fill('Under review by the board');
    await card.getByTestId('switch-off').click();
    await page.locator('.ant-modal-confirm-title', { hasText: 'Switch Studiewijzer off for your institutions?' }).waitFor();
    await page.locator('.ant-modal').getByRole('button', { name: 'Switch off' }).click();
    await card.getByText('Switched off. The partner is informed by e-mail.').waitFor();
    await card.locator('[data-state=off]').waitFor();
    expect(await read(SCHOOLS[0]!)).toBe(404);
    // The third school is not Anna's: its access stays.
    expect(await read(SCHOOLS[2]!)).toBe(200);

    // The Apps list shows the state and the reason.
    await admin.goto('/school/apps');
    const row = page.getByTestId('school-apps-table').locator('tr', { hasText: 'Studiewijzer' });
    await row.getByText('Off', { exact: true }).waitFor();
    await row.getByText('Reason: Under review by the board').waitFor();
    expect((await mails('app_switched_off')).join('\n')).toContain('Under review by the board');

    // On again: exactly the access it had.
    await row.getByRole('link', { name: 'Studiewijzer' }).click();
    await page.getByTestId('switch-card').getByTestId('switch-on').click();
    await page.locator('.ant-modal').getByRole('button', { name: 'Switch on' }).click();
    await page.getByTestId('switch-card').getByText('Switched on again.', { exact: false }).waitFor();
    await page.getByTestId('switch-card').locator('[data-state=on]').waitFor();
    expect(await read(SCHOOLS[0]!)).toBe(200);
    await page.getByRole('tab', { name: 'Logs' }).click();
    await page.getByTestId('app-log-table').getByText('Switched off').waitFor();
    await page.getByTestId('app-log-table').getByText('Under review by the board').waitFor();
    await admin.expectNoMissingKeys();
    expect(admin.errors).toEqual([]);
  });

  it('in Dutch: the purpose in Dutch, and another school switches off only its own access', async () => {
    const admin = await signedIn('nl-BE', dutchAdmin, '/school/apps?view=accredited');
    const { page } = admin;
    const list = page.getByTestId('accredited-apps-table');
    await list.getByText('Huiswerk per klas plannen met de leerling.').waitFor();
    await list.getByText('Geboortedatum').waitFor();
    await list.locator('[data-state=on]').waitFor();
    await list.getByRole('link', { name: 'Openen Studiewijzer' }).click();
    await page.getByTestId('approved-for').getByText('Waarvoor de app geaccrediteerd is').waitFor();

    const card = page.getByTestId('switch-card');
    await card.getByLabel('Reden (optioneel)').fill('Contract loopt af');
    await card.getByTestId('switch-off').click();
    await page.locator('.ant-modal-confirm-title', { hasText: 'Studiewijzer uitzetten voor je instellingen?' }).waitFor();
    await page.locator('.ant-modal').getByRole('button', { name: 'Uitzetten' }).click();
    await card.getByText('Uitgezet. De partner krijgt een e-mail.').waitFor();
    expect(await read(SCHOOLS[2]!)).toBe(404);
    // Anna's school keeps its access.
    expect(await read(SCHOOLS[0]!)).toBe(200);

    await page.getByRole('link', { name: '← Apps' }).click();
    await page.getByRole('tab', { name: 'Mijn apps', selected: true }).waitFor();
    const row = page.getByTestId('school-apps-table').locator('tr', { hasText: 'Studiewijzer' });
    await row.getByText('Uit', { exact: true }).waitFor();
    await row.getByText('Reden: Contract loopt af').waitFor();

    await row.getByRole('link', { name: 'Studiewijzer' }).click();
    await page.getByTestId('switch-card').getByTestId('switch-on').click();
    await page.locator('.ant-modal').getByRole('button', { name: 'Aanzetten' }).click();
    await page.getByTestId('switch-card').locator('[data-state=on]').waitFor();
    expect(await read(SCHOOLS[2]!)).toBe(200);
    await admin.expectNoMissingKeys();
    expect(admin.errors).toEqual([]);
  });
});
