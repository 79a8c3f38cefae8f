/**
 * Client reports in the browser: what an app's client sent to POST /log and POST /statistics shows
 * on the operator's app page (every report) and in the school admin's "Client reports" tab (only
 * reports concerning the admin's institutions), in Chromium against the real server.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, SCHOOLS, seedSchools, unitId, type People } from './fixtures.ts';
import { startE2E, type E2E, type Person } from './support.ts';
import { createApp, grantAll, Ss12000Client } from '../ss12000/support.ts';

describe('client reports, in Chromium', () => {
  let e2e: E2E;
  let people: People;
  let appId = '';

  beforeAll(async () => {
    e2e = await startE2E();
    const seeded = await seedSchools(e2e.harness.ctx);
    people = seeded.people;
    const { ctx, url } = e2e.harness;
    // Granted at the admin's first school and at a school the admin holds no right on.
    const app = await createApp(ctx, { students: ['identity'] });
    appId = app.appId;
    await grantAll(ctx, app.clientId, 'students', [SCHOOLS[0]!, SCHOOLS[2]!]);
    const client = new Ss12000Client(`${url}/ss12000/v2.0`, `${url}/oidc/token`, app.clientId, app.secret);
    const report = async (path: string, body: unknown) => expect((await client.request('POST', path, body)).status).toBe(201);
    await report('/log', {
      message: 'Class 1A has no mentor here.',
      severityLevel: 'Warning',
      resourceType: 'Organisation',
      resourceId: unitId(seeded.world, SCHOOLS[0]!),
    });
    await report('/log', {
      message: 'Unknown course at the third school.',
      severityLevel: 'Error',
      resourceType: 'Organisation',
      resourceId: unitId(seeded.world, SCHOOLS[2]!),
    });
    await report('/statistics', { resourceType: 'Person', newCount: 12, updatedCount: 234, deletedCount: 3 });
  });
  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail') console.error('screenshots:', await e2e.snapshot(task.name));
  });
  afterAll(async () => {
    await e2e?.stop();
  });

  async function signedIn(email: string, path: string, locale = 'en-GB'): Promise<Person> {
    const person = await e2e.person(locale);
    await person.goto(path);
    await person.page.waitForURL('**/sign-in?next=*');
    await person.page
      .getByLabel(/e-mail|e-post/i)
      .first()
      .fill(email);
    await person.page.getByLabel(/password|lösenord/i).fill(PASSWORD);
    await person.page.locator('form button[type=submit]').click();
    return person;
  }

  it("the school admin sees the reports about their school in the app's tab, not those about another school", async () => {
    const admin = await signedIn(people.admin, `/school/apps/${appId}?tab=reports`);
    const table = admin.page.getByTestId('client-reports-table');
    await table.getByText('Class 1A has no mentor here.').waitFor();
    await table.locator('.ant-tag', { hasText: 'Warning' }).waitFor();
    expect(await table.getByText('Unknown course at the third school.').count()).toBe(0);
    await admin.page.getByText('Only reports concerning your institutions are shown.').waitFor();
    await admin.page.getByText('Statistics', { exact: true }).click();
    await table.getByRole('cell', { name: '234' }).waitFor();
    // The statistics name no school: they concern every granted school, here only the admin's is shown.
    await table.getByRole('cell', { name: SCHOOLS[0]!, exact: true }).waitFor();
    await admin.expectNoMissingKeys();
  });

  it('the operator sees every report on the app page, in Swedish too', async () => {
    const operator = await signedIn(people.operator, `/operator/apps/${appId}`, 'sv-SE');
    const table = operator.page.getByTestId('client-reports-table');
    await table.getByText('Unknown course at the third school.').waitFor();
    await table.getByText('Class 1A has no mentor here.').waitFor();
    await table.locator('.ant-tag', { hasText: 'Varning' }).waitFor();
    await operator.page.getByText('Statistik', { exact: true }).click();
    await table.getByRole('cell', { name: `${SCHOOLS[0]}, ${SCHOOLS[2]}` }).waitFor();
    await operator.expectNoMissingKeys();
  });
});
