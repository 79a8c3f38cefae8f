import { readFile } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { insertApp, insertClient, insertGrant, insertPartner, insertUser } from '../../src/seed/builders.ts';
import { TestClient } from '../support/harness.ts';
import { PASSWORD, SCHOOLS, seedSchools, type People } from './fixtures.ts';
import { startE2E, type E2E, type Person } from './support.ts';

/*
 * The audit log in words, as the operator meets it: entries read as sentences in the browser's
 * language, the app filter is chosen by name through the autocomplete, and the CSV download holds
 * what the filters selected.
 */

const REASON = 'Second school joins';

/** What each language says; written from the product's words, not from the server's declaration. */
const LANGUAGES = [
  {
    locale: 'en-GB',
    grant: `Anna Admin changed the Students API access of the app Study Planner at Skola ${SCHOOLS[1]} (${SCHOOLS[1]}). Reason: ${REASON}`,
    approval: 'Olga Operator approved the app Homework Radar of Planner AB. Reason: Looks fine',
    appLabel: 'App',
    filter: 'Filter',
    download: 'Download CSV',
    csvHeader: 'When (UTC),Who,Action,What happened,App,Partner,Institutions,Reason,Changes',
    changedInstitutions: 'Institutions:',
  },
  {
    locale: 'fr-BE',
    grant: `Anna Admin a modifié l’accès à l’API Élèves de l’application Study Planner pour Skola ${SCHOOLS[1]} (${SCHOOLS[1]}). Motif\u202f: ${REASON}`,
    approval: 'Olga Operator a approuvé l’application Homework Radar de Planner AB. Motif\u202f: Looks fine',
    appLabel: 'Application',
    filter: 'Filtrer',
    download: 'Télécharger le CSV',
    csvHeader: 'Quand (UTC),Qui,Action,Ce qui s’est passé,Application,Partenaire,Établissements,Motif,Modifications',
    changedInstitutions: 'Établissements\u202f:',
  },
];

describe('the audit log in words', () => {
  let e2e: E2E;
  let people: People;

  beforeAll(async () => {
    e2e = await startE2E();
    const { ctx, url } = e2e.harness;
    ({ people } = await seedSchools(ctx));
    const member = await insertUser(ctx.db, { email: 'lars@planner.example', password: PASSWORD, displayName: 'Lars Planner', kind: 'partner' });
    const partnerId = await insertPartner(ctx.db, { name: 'Planner AB', contactEmail: 'info@planner.example', memberUserIds: [member] });
    const planner = await insertApp(ctx.db, {
      partnerId,
      name: 'Study Planner',
      status: 'approved',
      apis: [{ apiCode: 'students', dataCategories: ['identity'], purpose: 'Weekly study plans per student.' }],
    });
    const { clientId } = await insertClient(ctx.db, { appId: planner, name: 'Study Planner' });
    await insertGrant(ctx.db, { clientId, apiCode: 'students', institutionNumber: SCHOOLS[0]!, reason: 'Seeded' });
    const radar = await insertApp(ctx.db, {
      partnerId,
      name: 'Homework Radar',
      status: 'submitted',
      apis: [{ apiCode: 'students', dataCategories: ['identity'], purpose: 'Homework reminders.' }],
    });
    // Two changes through the API, as people make them: a school admin's grant and an approval.
    const admin = new TestClient(url);
    expect((await admin.login(people.admin, PASSWORD)).status).toBe(200);
    const put = await admin.put(`/api/v1/school/apps/${planner}/api-access/students`, { institutionNumbers: [SCHOOLS[0], SCHOOLS[1]], reason: REASON });
    expect(put.status).toBe(200);
    e2e.harness.clock.advance(60_000);
    const operator = new TestClient(url);
    expect((await operator.login(people.operator, PASSWORD)).status).toBe(200);
    expect((await operator.post(`/api/v1/operator/apps/${radar}/approve`, { notes: 'Looks fine' })).status).toBe(200);
  });
  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail') console.error('screenshots:', await e2e.snapshot(task.name));
  });
  afterAll(async () => {
    await e2e?.stop();
  });

  async function operatorAt(locale: string, path: string): Promise<Person> {
    const person = await e2e.person(locale);
    await person.goto(path);
    await person.page.waitForURL('**/sign-in?next=*');
    await person.page.locator('input[autocomplete=username]').fill(people.operator);
    await person.page.locator('input[type=password]').fill(PASSWORD);
    await person.page.locator('form button[type=submit]').click();
    return person;
  }

  for (const l of LANGUAGES) {
    it(`reads as sentences, filters by app name and downloads CSV in ${l.locale}`, async () => {
      const op = await operatorAt(l.locale, '/operator/audit');
      const { page } = op;
      const table = page.getByTestId('audit-table');
      // Sentences, not codes or JSON.
      await table.getByText(l.grant).waitFor();
      await table.getByText(l.approval).waitFor();
      expect(await table.innerText()).not.toMatch(/grants\.replaced|app\.approved|\{"/);
      const grantRow = table.locator('tr', { hasText: l.grant });
      expect(await grantRow.getByTestId('audit-changes').innerText()).toContain(l.changedInstitutions);

      // The app filter is chosen by name: type part of it, pick the suggestion.
      const appFilter = page.getByLabel(l.appLabel, { exact: true });
      await appFilter.click();
      await appFilter.fill('radar');
      await page.locator('.ant-select-item-option', { hasText: 'Homework Radar (Planner AB)' }).click();
      await page.getByRole('button', { name: l.filter, exact: true }).click();
      await table.getByText(l.grant).waitFor({ state: 'detached' });
      await table.getByText(l.approval).waitFor();
      expect(await table.getByTestId('audit-sentence').allInnerTexts()).toEqual([l.approval]);

      // The CSV holds what the filters selected, in the same language.
      const downloading = page.waitForEvent('download');
      await page.getByRole('link', { name: l.download }).click();
      const download = await downloading;
      const csv = (await readFile((await download.path())!, 'utf8')).replace(/^\uFEFF/, '');
      const lines = csv.trimEnd().split('\r\n');
      expect(lines[0]).toBe(l.csvHeader);
      expect(lines).toHaveLength(2);
      expect(lines[1]).toContain(l.approval);
      expect(lines[1]).not.toContain('Study Planner');
      await op.expectNoMissingKeys();
    });
  }
});
