import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { TestClient } from '../support/harness.ts';
import { insertAdminRight, insertInstitution, insertPartner, insertUser } from '../../src/seed/builders.ts';
import { axeViolations } from './axe.ts';
import { PASSWORD, SCHOOL_YEAR } from './fixtures.ts';
import { clickUntilGone, signIn, startE2E, type E2E, type Person } from './support.ts';

/**
 * Write grants in a real browser (issue 17, point 4): a partner asks for one API read-write and
 * another read-only, the operator sees each level in the review and approves, and a school admin's
 * grant editor — on a phone — offers the read-write tick box for that API only; granted with it, the
 * grants list says "Read and write" there and "Read" elsewhere. The editor fits 390 px without
 * sideways scrolling, speaks English and Dutch without a missing key, and axe finds nothing.
 * The words are written here from the locales' meaning, not imported from them.
 */
const SCHOOLS = ['320001', '320002'];
const PHONE = { width: 390, height: 844 };

describe('write grants, from the request to the tick box', () => {
  let e2e: E2E;
  let partner: Person;
  let operator: Person;
  let admin: Person;
  const emails = { partner: 'wanda@writers.example', operator: 'olga@schoolgate.test', admin: 'anna@write-school.test' };
  let appPath = '';
  let appId = '';
  let invitationLink = '';

  beforeAll(async () => {
    e2e = await startE2E();
    const { db } = e2e.harness.ctx;
    for (const n of SCHOOLS) await insertInstitution(db, { number: n, name: `Skola ${n}` });
    await insertUser(db, { email: emails.operator, password: PASSWORD, displayName: 'Olga Operator', kind: 'operator' });
    const anna = await insertUser(db, { email: emails.admin, password: PASSWORD, displayName: 'Anna Admin', kind: 'school', userManagementAccess: true });
    // The rights of Students (iLeerlingen) and of Attendance (iBasis, iAfwezigheden) at both schools.
    for (const right of ['iLeerlingen', 'iBasis', 'iAfwezigheden'])
      for (const n of SCHOOLS) await insertAdminRight(db, { userId: anna, right, institutionNumber: n, schoolYear: SCHOOL_YEAR });
    const wanda = await insertUser(db, { email: emails.partner, password: PASSWORD, displayName: 'Wanda Writer', kind: 'partner' });
    await insertPartner(db, { name: 'Writers AB', contactEmail: 'info@writers.example', memberUserIds: [wanda] });
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

  /**
   * Picks `name` in the `index`-th API select of the app form, in the dropdown that select opened:
   * the previous select's dropdown may still be fading out (a slow machine), holding the same names.
   */
  async function chooseApi(page: Page, index: number, name: string) {
    const select = page.getByRole('combobox', { name: 'API' }).nth(index);
    await select.click();
    // An open select names its list (aria-controls); the list sits in the dropdown it opened.
    await page.waitForFunction((el) => !!el?.getAttribute('aria-controls'), await select.elementHandle());
    const list = (await select.getAttribute('aria-controls'))!;
    const dropdown = page.locator('.ant-select-dropdown').filter({ has: page.locator(`[id="${list}"]`) });
    const option = dropdown.locator('.ant-select-item-option', { hasText: new RegExp(`^${name}$`) });
    // A click that lands while the list is still opening may select nothing and leave it open.
    await clickUntilGone(option, dropdown);
  }

  /** Whether the page scrolls sideways, and which parts of the grant editor stick out on the right. */
  async function overflow(page: Page): Promise<string[]> {
    return page.evaluate(() => {
      const out: string[] = [];
      const scroller = document.scrollingElement!;
      if (scroller.scrollWidth > scroller.clientWidth) out.push(`page: ${scroller.scrollWidth}px in ${scroller.clientWidth}px`);
      const right = document.documentElement.clientWidth + 1;
      for (const el of document.querySelectorAll('[data-testid=access-tab] .ant-card, [data-testid^=grant-read-write-], .ant-transfer-list'))
        if (el.getBoundingClientRect().right > right) out.push(`${el.className} ends at ${Math.round(el.getBoundingClientRect().right)}px`);
      return out;
    });
  }

  it('the partner asks for Attendance read-write and Students read-only, and submits', async () => {
    const { page } = partner;
    await partner.goto('/partner/apps');
    await page.waitForURL('**/sign-in?next=*');
    await signIn(page, emails.partner, PASSWORD);
    await page.getByRole('button', { name: 'Register an app' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Register Right');
    await page.getByLabel('Description').fill('Registers attendance per lesson.');
    await page.getByLabel('Contact e-mail address').fill('apps@writers.example');

    await page.getByTestId('add-api').click();
    await chooseApi(page, 0, 'Students');
    await page.getByTestId('purposes-0').getByLabel('English').fill('Show the pupils of each lesson.');
    await page.getByTestId('add-api').click();
    await chooseApi(page, 1, 'Attendance');
    await page.getByTestId('access-level-1').getByLabel('Read and write').check();
    await page.getByTestId('purposes-1').getByLabel('English').fill('Register who is present in each lesson.');
    // Students stays read-only: the default.
    expect(await page.getByTestId('access-level-0').getByLabel('Read', { exact: true }).isChecked()).toBe(true);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/partner\/apps\/[0-9a-f-]{36}$/);
    appPath = new URL(page.url()).pathname;
    appId = appPath.split('/').pop()!;
    await page.getByTestId('submit-app').click();
    await page.locator('.ant-tag', { hasText: 'Submitted' }).waitFor();
    await partner.expectNoMissingKeys();
  });

  it('the operator sees each level in the review and approves', async () => {
    const { page } = operator;
    await operator.goto('/operator/review');
    await page.waitForURL('**/sign-in?next=*');
    await signIn(page, emails.operator, PASSWORD);
    await page.getByRole('link', { name: 'Register Right' }).click();
    const attendance = page.getByTestId('api-request-attendance');
    await attendance.getByTestId('request-access-level').getByText('Read and write').waitFor();
    expect((await page.getByTestId('api-request-students').getByTestId('request-access-level').textContent())?.trim()).toBe('Access: Read');
    await page.getByTestId('decision-approve').click();
    await page.getByTestId('decision-text').fill('Writes attendance only; reviewed.');
    await page.locator('.ant-modal').getByRole('button', { name: 'Approve' }).click();
    await page.locator('.ant-tag', { hasText: 'Approved' }).waitFor();
    await operator.expectNoMissingKeys();

    // The partner invites the school admin (through the API, as the story test does in the browser).
    const wanda = new TestClient(e2e.harness.url);
    expect((await wanda.login(emails.partner, PASSWORD)).status).toBe(200);
    const invited = await wanda.post(`/api/v1/partner/apps/${appId}/invitations`, { emails: [emails.admin] });
    expect(invited.status, JSON.stringify(invited.body)).toBe(201);
    invitationLink = invited.body.data[0].link;
    expect(invitationLink).toContain('invitation=');
  });

  it('on a phone, the admin is offered the tick box for Attendance only, grants it, and the list shows the levels', async () => {
    const { page } = admin;
    await page.setViewportSize(PHONE);
    const link = new URL(invitationLink);
    await admin.goto(link.pathname + link.search);
    await page.waitForURL('**/sign-in?next=*');
    await signIn(page, emails.admin, PASSWORD);
    await page.waitForURL((u) => u.pathname === link.pathname);
    await page.getByRole('heading', { name: 'Register Right' }).waitFor();
    await page.getByRole('tab', { name: 'API access' }).click();
    await page.getByRole('button', { name: 'Edit' }).click();

    // antd puts the test id on the checkbox's input itself.
    const tick = page.getByTestId('grant-read-write-attendance');
    await tick.waitFor({ state: 'attached' });
    expect(await page.getByTestId('grant-read-write-students').count()).toBe(0);
    await page
      .getByTestId('transfer-students')
      .locator('xpath=ancestor::div[contains(@class,"ant-card")][1]')
      .getByText('The app asked for read access only.')
      .waitFor();
    // Never ticked on its own.
    expect(await tick.isChecked()).toBe(false);
    expect(await overflow(page)).toEqual([]);
    expect(await axeViolations(page)).toEqual([]);

    for (const api of ['students', 'attendance']) {
      const transfer = page.getByTestId(`transfer-${api}`);
      await transfer.getByText(`${SCHOOLS[0]} - Skola ${SCHOOLS[0]}`).click();
      await transfer.getByRole('button', { name: '> Move the selected to “Active institutions”' }).click();
    }
    await page.getByText('Also allow this app to write (read-write)').click();
    expect(await tick.isChecked()).toBe(true);
    await page.getByLabel('Reason (optional)').fill('Attendance registered in the app.');
    expect(await overflow(page)).toEqual([]);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved. The changes apply at once').waitFor();

    const table = page.getByTestId('app-access-table');
    const row = (api: string) => table.locator('tbody tr', { hasText: api });
    await row('Attendance').getByText('Read and write').waitFor();
    expect(await row('Attendance').textContent()).toContain(`${SCHOOLS[0]} - Skola ${SCHOOLS[0]}`);
    expect(await row('Students').textContent()).toContain('Read');
    expect(await row('Students').textContent()).not.toContain('Read and write');
    expect(await overflow(page)).toEqual([]);
    expect(await axeViolations(page)).toEqual([]);
    await admin.expectNoMissingKeys();

    // What the server holds: read-write where ticked, read elsewhere.
    const grants = await e2e.harness.ctx.db.selectFrom('grants').select(['api_code', 'institution_number', 'access_level']).orderBy('api_code').execute();
    expect(grants).toEqual([
      { api_code: 'attendance', institution_number: SCHOOLS[0], access_level: 'read_write' },
      { api_code: 'students', institution_number: SCHOOLS[0], access_level: 'read' },
    ]);
  });

  it('in Dutch on a phone, the editor shows the tick box ticked where granted, fits, and misses no word', async () => {
    const dutch = await e2e.person('nl-BE');
    const { page } = dutch;
    await page.setViewportSize(PHONE);
    await dutch.goto(`/school/apps/${appId}`);
    await page.waitForURL('**/sign-in?next=*');
    await signIn(page, emails.admin, PASSWORD);
    await page.waitForURL((u) => u.pathname === `/school/apps/${appId}`);
    await page.getByRole('tab', { name: 'API toegang' }).click();
    const table = page.getByTestId('app-access-table');
    await table.locator('tbody tr', { hasText: 'Aanwezigheden' }).getByText('Lezen en schrijven').waitFor();
    await page.getByRole('button', { name: 'Bewerken' }).click();
    const tick = page.getByTestId('grant-read-write-attendance');
    await page.getByText('Deze app ook laten schrijven (lezen en schrijven)').waitFor();
    expect(await tick.isChecked()).toBe(true);
    expect(await page.getByTestId('grant-read-write-students').count()).toBe(0);
    expect(await overflow(page)).toEqual([]);
    expect(await axeViolations(page)).toEqual([]);
    await dutch.expectNoMissingKeys();
  });
});
