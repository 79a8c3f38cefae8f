import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUser } from '../../src/seed/builders.ts';
import { PASSWORD } from './fixtures.ts';
import { startE2E, unlabelledControls, type E2E } from './support.ts';

const IST = resolve(import.meta.dirname, '..', '..', 'docs/catalog/ist.yaml');
const OPERATOR = 'operator@schoolgate.test';

describe('the operator’s catalog screen', () => {
  let e2e: E2E;
  beforeAll(async () => {
    // The IST-like example: names no web locale holds, so what the screen shows comes from the API.
    e2e = await startE2E({ CATALOG_FILE: IST });
    await insertUser(e2e.harness.ctx.db, { email: OPERATOR, password: PASSWORD, displayName: 'Olga Operator', kind: 'operator' });
  });
  afterAll(async () => {
    await e2e?.stop();
  });

  it('shows the configured catalog in the reader’s language, where each API is served, and every language of an entry', async () => {
    const op = await e2e.person('sv-SE');
    const { page } = op;
    await op.goto('/operator/catalog');
    await page.waitForURL('**/sign-in?next=*');
    await page.locator('input[autocomplete=username]').fill(OPERATOR);
    await page.locator('input[type=password]').fill(PASSWORD);
    await page.locator('form button[type=submit]').click();

    const apis = page.getByTestId('catalog-apis');
    const meals = apis.locator('tr', { hasText: 'school_meals' });
    await meals.getByText('Skolmåltider', { exact: true }).waitFor();
    await meals.getByText('Åtkomstgrupp').waitFor();
    await meals.getByText('Specialkost', { exact: true }).waitFor();
    await meals.getByText('Inga data tillhandahålls ännu').waitFor();

    const students = apis.locator('tr', { hasText: 'students' }).first();
    await students.getByText('Elevadministration eller Skoladministration').waitFor();
    const openapi = students.getByRole('link', { name: 'OpenAPI-dokument' });
    expect(await openapi.getAttribute('href')).toBe(`${e2e.harness.url}/ss12000/v2.0/openapi.json`);
    await students.getByText(`${e2e.harness.url}/ss12000/v2.0`, { exact: true }).waitFor();

    // Expanded, an entry shows its name and description in each of the four languages.
    await meals.getByRole('button', { name: /expand|expandera|visa/i }).click();
    const expanded = apis.locator('.ant-table-expanded-row');
    await expanded.getByText('Repas scolaires').waitFor();
    await expanded.getByText('Schoolmaaltijden').waitFor();
    await expanded.getByText('School meals', { exact: true }).waitFor();

    const categories = page.getByTestId('catalog-categories');
    await categories.locator('tr', { hasText: 'civic_number' }).getByText('persons.civicNo').waitFor();
    await categories.locator('tr', { hasText: 'special_diets' }).getByText('Tillhandahålls inte via SS 12000').waitFor();
    // Expand buttons, copy buttons and links all have a name a screen reader can say.
    expect(await unlabelledControls(page)).toEqual([]);
    await op.expectNoMissingKeys();
  });
});
