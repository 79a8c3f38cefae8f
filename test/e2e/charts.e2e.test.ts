/**
 * Charts in the browser (issue 14 point 9): reads per day on the school admin's access log, on the
 * partner's app page and on the operator's dashboard, each with its summary and its table, in
 * English and in Dutch, at phone and laptop width. The world is built by hand and every number
 * expected below is counted from it here, not taken from the server.
 */
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { insertGrants } from '../../src/modules/access/grants.ts';
import { insertApp, insertClient, insertPartner, insertUser } from '../../src/seed/builders.ts';
import { axeViolations } from './axe.ts';
import { PASSWORD, SCHOOLS, seedSchools, type People } from './fixtures.ts';
import { startE2E, type E2E, type Person } from './support.ts';

const [S1, S2, S3] = SCHOOLS as [string, string, string];
const PARTNER = 'lena@homework.example';

describe('charts, in Chromium', () => {
  let e2e: E2E;
  let people: People;
  let hub = '';

  beforeAll(async () => {
    e2e = await startE2E();
    const { ctx } = e2e.harness;
    ({ people } = await seedSchools(ctx));
    const apis = [{ apiCode: 'students', dataCategories: ['identity'], purpose: 'Homework' }];
    const lena = await insertUser(ctx.db, { email: PARTNER, password: PASSWORD, displayName: 'Lena', kind: 'partner' });
    const p = await insertPartner(ctx.db, { name: 'Homework Ltd', contactEmail: 'info@homework.example', memberUserIds: [lena] });
    const q = await insertPartner(ctx.db, { name: 'Timetables Ltd', contactEmail: 'info@timetables.example' });
    hub = await insertApp(ctx.db, { partnerId: p, name: 'Homework Hub', status: 'approved', apis });
    const pro = await insertApp(ctx.db, { partnerId: q, name: 'Timetable Pro', status: 'approved', apis });
    await insertApp(ctx.db, { partnerId: q, name: 'Timetable Beta', status: 'submitted', apis });
    const log = (app: string, partner: string, at: string, status: number, institutions: Record<string, number>) => ({
      at: new Date(at),
      client_id: null,
      app_id: app,
      partner_id: partner,
      method: 'GET',
      endpoint: '/persons',
      status,
      record_count: Object.values(institutions).reduce((a, b) => a + b, 0),
      institution_numbers: Object.keys(institutions),
      released: JSON.stringify(status < 300 ? [{ api: 'students', entity: 'persons', categories: ['identity'], institutions }] : []),
    });
    // The admin holds rights on S1 and S2, not S3. The harness clock stands on 2026-11-22.
    await ctx.db
      .insertInto('ss12000_access_log')
      .values([
        log(hub, p, '2026-11-20T09:00:00Z', 200, { [S1]: 3 }),
        log(hub, p, '2026-11-20T10:00:00Z', 200, { [S1]: 2, [S3]: 5 }),
        log(hub, p, '2026-11-21T09:00:00Z', 200, { [S2]: 4 }),
        log(hub, p, '2026-11-21T14:00:00Z', 403, {}),
        log(pro, q, '2026-11-21T12:00:00Z', 200, { [S2]: 6 }),
        log(pro, q, '2026-11-21T13:00:00Z', 200, { [S3]: 9 }),
      ])
      .execute();
    const ch = (await insertClient(ctx.db, { appId: hub, name: 'Homework Hub' })).clientId;
    const cp = (await insertClient(ctx.db, { appId: pro, name: 'Timetable Pro' })).clientId;
    const give = (client: string, institutionNumber: string, at: string) =>
      insertGrants(ctx.db, client, [{ apiCode: 'students', institutionNumber, accessGroupId: null }], { grantedBy: null, reason: null, at: new Date(at) });
    await give(ch, S1, '2026-10-02T10:00:00Z'); // before the 30 days
    await give(ch, S2, '2026-11-19T10:00:00Z');
    await give(cp, S2, '2026-11-19T11:00:00Z');
  });
  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail') console.error('screenshots:', await e2e.snapshot(task.name));
  });
  afterAll(async () => {
    await e2e?.stop();
  });

  async function signedIn(email: string, path: string, locale: string, width = 1366): Promise<Person> {
    const person = await e2e.person(locale);
    await person.page.setViewportSize({ width, height: width < 500 ? 844 : 768 });
    await person.goto(path);
    await person.page.waitForURL('**/sign-in?next=*');
    await person.page.locator('input[autocomplete=username]').fill(email);
    await person.page.locator('input[type=password]').fill(PASSWORD);
    await person.page.locator('form button[type=submit]').click();
    await person.page.waitForURL((u) => !u.pathname.startsWith('/sign-in'));
    return person;
  }

  const day = (d: string, locale: string) => new Intl.DateTimeFormat(locale, { dateStyle: 'medium' }).format(new Date(`${d}T12:00:00`));

  /** Waits for the figure's summary to show. */
  const summaryOf = async (page: Page, figure: string) => {
    await page.getByTestId(`${figure}-summary`).waitFor({ timeout: 30_000 });
  };

  /** The rows of the figure's table, opened as a person would, each as its cells' text. */
  async function tableRows(page: Page, figure: string): Promise<string[][]> {
    const fig = page.getByTestId(figure);
    await fig.getByRole('button').first().click();
    const rows = fig.locator('.ant-table-tbody tr.ant-table-row');
    await rows.first().waitFor();
    return rows.evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td as HTMLElement).innerText.trim())));
  }

  /** The value labels the drawing shows on its marks (text in its SVG, not its axes). */
  async function chartValues(page: Page, figure: string): Promise<string[]> {
    const drawing = page.getByTestId(`${figure}-chart`);
    await drawing.locator('svg').first().waitFor();
    await expect.poll(() => drawing.locator('svg .label text, svg text.label').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    const texts = await drawing.locator('svg .label text, svg text.label').evaluateAll((els) => els.map((e) => e.textContent?.trim() ?? ''));
    return texts.filter(Boolean).sort();
  }

  /** Every text of the drawing (axis labels, value labels), once it has drawn some. */
  async function axisTexts(page: Page, figure: string): Promise<string[]> {
    const drawing = page.getByTestId(`${figure}-chart`);
    await drawing.locator('svg').first().waitFor();
    await expect.poll(() => drawing.locator('svg text').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    return drawing.locator('svg text').evaluateAll((els) => els.map((e) => e.textContent?.trim() ?? '').filter(Boolean));
  }

  for (const [locale, lang] of [
    ['en-GB', 'en'],
    ['nl-BE', 'nl'],
  ] as const) {
    const summaries = {
      en: {
        school: `4 reads in 30 days (15 records), most on ${day('2026-11-20', 'en')}: 2.`,
        partner: `3 reads in 30 days (14 records), most on ${day('2026-11-20', 'en')}: 2.`,
        reads: `5 reads in 30 days (29 records), most on ${day('2026-11-21', 'en')}: 3.`,
        status: '3 apps: Draft 0, Submitted 1, Approved 2, Rejected 0, Suspended 0, Archived 0.',
        grants: '3 grants in force at the end of the period; 2 given in it.',
      },
      nl: {
        school: `4 leesacties in 30 dagen (15 records), de meeste op ${day('2026-11-20', 'nl')}: 2.`,
        partner: `3 leesacties in 30 dagen (14 records), de meeste op ${day('2026-11-20', 'nl')}: 2.`,
        reads: `5 leesacties in 30 dagen (29 records), de meeste op ${day('2026-11-21', 'nl')}: 3.`,
        status: null,
        grants: '3 geldige toegangen aan het einde van de periode; 2 in de periode gegeven.',
      },
    }[lang];

    it(`the school admin's data reads, per day and app, only of their institutions (${locale})`, { timeout: 120_000 }, async () => {
      const admin = await signedIn(people.admin, '/school/reads', locale);
      const { page } = admin;
      await summaryOf(page, 'reads-chart');
      await expect.poll(() => page.getByTestId('reads-chart-summary').innerText(), { timeout: 15_000 }).toBe(summaries.school);
      // Stacked per app: Homework Hub 2 on the 20th, Homework Hub 1 and Timetable Pro 1 on the 21st.
      expect(await chartValues(page, 'reads-chart')).toEqual(['1', '1', '2']);
      expect(await tableRows(page, 'reads-chart')).toEqual([
        [day('2026-11-21', lang), 'Homework Hub', '1', '4'],
        [day('2026-11-21', lang), 'Timetable Pro', '1', '6'],
        [day('2026-11-20', lang), 'Homework Hub', '2', '5'],
      ]);
      await admin.expectNoMissingKeys();
    });

    it(`the partner's app page shows its reads per day (${locale})`, { timeout: 120_000 }, async () => {
      const partner = await signedIn(PARTNER, `/partner/apps/${hub}?tab=reads`, locale);
      const { page } = partner;
      await summaryOf(page, 'reads-chart');
      await expect.poll(() => page.getByTestId('reads-chart-summary').innerText(), { timeout: 15_000 }).toBe(summaries.partner);
      expect(await chartValues(page, 'reads-chart')).toEqual(['1', '2']);
      expect(await tableRows(page, 'reads-chart')).toEqual([
        [day('2026-11-21', lang), '1', '4'],
        [day('2026-11-20', lang), '2', '10'],
      ]);
      await partner.expectNoMissingKeys();
    });

    it(`the operator's dashboard: apps by status, grants in force, reads per day, usable on a phone (${locale})`, { timeout: 180_000 }, async () => {
      const operator = await signedIn(people.operator, '/operator/dashboard', locale, 390);
      const { page } = operator;
      await summaryOf(page, 'reads-chart');
      await expect.poll(() => page.getByTestId('reads-chart-summary').innerText(), { timeout: 15_000 }).toBe(summaries.reads);
      if (summaries.status) expect(await page.getByTestId('status-chart-summary').innerText()).toBe(summaries.status);
      expect(await page.getByTestId('grants-chart-summary').innerText()).toBe(summaries.grants);
      expect(await chartValues(page, 'status-chart')).toEqual(['1', '2']);
      expect(await chartValues(page, 'reads-chart')).toEqual(['2', '3']);
      // Count axes show whole numbers only: with counts up to 3, G2's own ticks include 0.5, 1.5, ….
      for (const figure of ['status-chart', 'grants-chart', 'reads-chart']) {
        const texts = await axisTexts(page, figure);
        expect([figure, texts.filter((s) => /\d[.,]\d/.test(s))]).toEqual([figure, []]);
        expect([figure, texts.some((s) => s === '1')]).toEqual([figure, true]);
      }
      const status = await tableRows(page, 'status-chart');
      expect(status.map((r) => r[1])).toEqual(['0', '1', '2', '0', '0', '0']);
      const grants = await tableRows(page, 'grants-chart');
      expect(grants.slice(0, 4)).toEqual([
        [day('2026-11-22', lang), '0', '3'],
        [day('2026-11-21', lang), '0', '3'],
        [day('2026-11-20', lang), '0', '3'],
        [day('2026-11-19', lang), '2', '3'],
      ]);
      expect(grants[4]).toEqual([day('2026-11-18', lang), '0', '1']);
      const reads = await tableRows(page, 'reads-chart');
      expect(reads.slice(0, 3)).toEqual([
        [day('2026-11-22', lang), '0', '0'],
        [day('2026-11-21', lang), '3', '19'],
        [day('2026-11-20', lang), '2', '10'],
      ]);
      // The page, its charts and open tables fit the phone and pass axe.
      expect(await page.evaluate(() => document.scrollingElement!.scrollWidth <= document.scrollingElement!.clientWidth)).toBe(true);
      expect(await axeViolations(page)).toEqual([]);
      await operator.expectNoMissingKeys();
    });
  }
});
