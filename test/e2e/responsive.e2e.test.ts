import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertApp, insertClient, insertGrant, insertUser } from '../../src/seed/builders.ts';
import { TestClient } from '../support/harness.ts';
import { axeViolations } from './axe.ts';
import { PASSWORD, SCHOOLS, seedSchools, type People } from './fixtures.ts';
import { studentAt, type EndUser } from './signin-fixtures.ts';
import { startE2E, type E2E } from './support.ts';

/** The two screens every page must work on: a phone held upright, and a common laptop. */
const SIZES = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'laptop', width: 1366, height: 768 },
] as const;
type Size = (typeof SIZES)[number];

/** Narrower than this, a table cell holding text shows it a letter or two per line. */
const MIN_CELL_WIDTH = 48;
/** A header on one row; the phone's must leave the first screen to the page. */
const MAX_HEADER_HEIGHT = 65;

/** The menu entries each role must be able to reach, by path (other entries may come and go). */
const MENU_PATHS: Record<string, string[]> = {
  visitor: ['/public/partners', '/public/register', '/my/apps'],
  partner: ['/partner/apps', '/partner/profile'],
  schoolAdmin: ['/school/apps', '/school/api-access', '/school/reads', '/school/disclosures'],
  operator: [
    '/operator/dashboard',
    '/operator/review',
    '/operator/partners',
    '/operator/legacy-clients',
    '/operator/catalog',
    '/operator/identity-providers',
    '/operator/ingestion-clients',
    '/operator/mailbox',
    '/operator/audit',
    '/school/disclosures',
    '/operator/readout',
  ],
};

/**
 * What is wrong with the layout of the page as it stands, in words: the page scrolling sideways, an
 * element sticking out on the right that no box of its own scrolls or clips, and squeezed table
 * cells (narrower than MIN_CELL_WIDTH, or a word broken over two lines).
 */
async function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate((minCell) => {
    const problems: string[] = [];
    const describe = (el: Element) => {
      const text = (el as HTMLElement).innerText?.trim().replace(/\s+/g, ' ').slice(0, 40) ?? '';
      const cls = typeof el.className === 'string' ? el.className.split(/\s+/).slice(0, 2).join('.') : '';
      return `${el.tagName.toLowerCase()}${cls ? `.${cls}` : ''} "${text}"`;
    };
    const scroller = document.scrollingElement!;
    if (scroller.scrollWidth > scroller.clientWidth)
      problems.push(`the page scrolls sideways: ${scroller.scrollWidth}px of content in ${scroller.clientWidth}px`);

    const right = document.documentElement.clientWidth + 1;
    const root = document.querySelector('.ant-layout') ?? document.body;
    const sticksOut = new Set<Element>();
    for (const el of root.querySelectorAll('*')) {
      const rect = el.getBoundingClientRect();
      if (rect.width === 0 || rect.height === 0 || rect.right <= right) continue;
      if (getComputedStyle(el).visibility === 'hidden' || el.closest('[aria-hidden=true]')) continue;
      let contained = false;
      for (let a = el.parentElement; a && a !== root.parentElement; a = a.parentElement) {
        if (getComputedStyle(a).overflowX !== 'visible' && a.getBoundingClientRect().right <= right) {
          contained = true;
          break;
        }
      }
      if (!contained) sticksOut.add(el);
    }
    // Name only the outermost element of each overhang.
    for (const el of sticksOut) {
      if (!el.parentElement || !sticksOut.has(el.parentElement)) problems.push(`${describe(el)} ends at ${Math.round(el.getBoundingClientRect().right)}px`);
    }

    for (const cell of document.querySelectorAll('.ant-table-thead > tr > th, .ant-table-tbody > tr > td')) {
      const rect = cell.getBoundingClientRect();
      const text = (cell as HTMLElement).innerText.trim();
      if (rect.width === 0 || rect.height === 0 || text.length < 2) continue;
      if (rect.width < minCell) problems.push(`table cell ${describe(cell)} is ${Math.round(rect.width)}px wide`);
      // A run of letters or digits only breaks over lines when the cell is too narrow for it.
      const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (const m of (node.textContent ?? '').matchAll(/[\p{L}\p{N}]{2,24}/gu)) {
          const range = document.createRange();
          range.setStart(node, m.index);
          range.setEnd(node, m.index + m[0].length);
          const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
          if (lines.size > 1) {
            problems.push(`"${m[0]}" in table cell ${describe(cell)} is broken over ${lines.size} lines`);
            break;
          }
        }
      }
    }
    return problems;
  }, MIN_CELL_WIDTH);
}

const pathsOf = (links: Element[]) => links.map((a) => new URL((a as HTMLAnchorElement).href).pathname);

/** The pathnames of the links in the open menu drawer. */
async function drawerPaths(page: Page): Promise<string[]> {
  const links = page.locator('.app-menu-drawer nav a[href]');
  await links.first().waitFor();
  return links.evaluateAll(pathsOf);
}

/**
 * The entries of the header's menu row a person sees, each with its top edge and whether it opens a
 * submenu ("More", a group). The row keeps entries that do not fit in the DOM, invisible (opacity 0).
 */
async function rowEntries(page: Page): Promise<{ top: number; submenu: boolean; text: string }[]> {
  return page.locator('header nav .ant-menu-horizontal > li').evaluateAll((items) =>
    items
      .filter((li) => {
        const rect = li.getBoundingClientRect();
        return rect.width > 0 && rect.height > 0 && getComputedStyle(li).opacity !== '0' && !li.closest('[aria-hidden=true]');
      })
      .map((li) => ({
        top: Math.round(li.getBoundingClientRect().top),
        submenu: li.classList.contains('ant-menu-submenu'),
        text: (li as HTMLElement).innerText.trim(),
      })),
  );
}

/**
 * The pathnames a person reaches from the header menu at desktop size: the links in the row, and
 * those under each submenu ("More", a group), opened by pointing at it as a person would.
 */
async function rowMenuPaths(page: Page): Promise<string[]> {
  const paths = new Set<string>();
  const entries = await rowEntries(page);
  const row = page.locator('header nav .ant-menu-horizontal > li');
  for (const entry of entries) {
    const li = row.filter({ hasText: entry.text }).first();
    if (!entry.submenu) {
      for (const p of await li.locator('a[href]').evaluateAll(pathsOf)) paths.add(p);
      continue;
    }
    await li.hover();
    const popup = page.locator('.ant-menu-submenu-popup:visible').first();
    await popup.waitFor();
    // A group that itself went under "More" is a submenu of that popup.
    const nested = popup.locator('.ant-menu-submenu-title');
    const own = await popup.locator('a[href]').count();
    for (let j = 0; j < (await nested.count()); j++) {
      await nested.nth(j).hover();
      // The nested popup opens after antd's hover delay, later on a busy machine: wait for its links.
      await expect.poll(() => page.locator('.ant-menu-submenu-popup:visible a[href]').count(), { timeout: 10_000 }).toBeGreaterThan(own);
      for (const p of await page.locator('.ant-menu-submenu-popup:visible a[href]').evaluateAll(pathsOf)) paths.add(p);
    }
    for (const p of await popup.locator('a[href]').evaluateAll(pathsOf)) paths.add(p);
    await page.mouse.move(5, 700);
    await page.locator('.ant-menu-submenu-popup:visible').first().waitFor({ state: 'hidden' });
  }
  return [...paths].sort();
}

/**
 * What is wrong with the header: taller than one row, a menu spread over several rows at desktop
 * size, or at phone size a menu in the header instead of behind the menu button.
 */
async function headerProblems(page: Page, size: Size): Promise<string[]> {
  const problems: string[] = [];
  const box = await page.locator('header').first().boundingBox();
  if (!box || box.height > MAX_HEADER_HEIGHT) problems.push(`the header is ${Math.round(box?.height ?? 0)}px high`);
  const tops = new Set((await rowEntries(page)).map((e) => e.top));
  if (size.name === 'phone') {
    if (!(await page.getByTestId('menu-button').isVisible())) problems.push('no menu button');
    if (tops.size > 0) problems.push('menu entries in the header');
  } else if (tops.size !== 1) problems.push(`the menu spreads over ${tops.size} rows`);
  return problems;
}

describe('every main screen on a phone (390×844) and a laptop (1366×768): no sideways scroll, readable tables, a menu that fits', () => {
  let e2e: E2E;
  let people: People;
  let student: EndUser;
  let appId = '';
  const partnerEmail = 'lena@studyplanner.example';

  beforeAll(async () => {
    e2e = await startE2E();
    const { ctx, url } = e2e.harness;
    const seeded = await seedSchools(ctx);
    people = seeded.people;
    student = await studentAt(ctx, seeded.world, SCHOOLS[0]!, 0, 'sam.student@school.test');
    // Made through the API as people would, so the audit log and the app's log have rows to show.
    await insertUser(ctx.db, { email: partnerEmail, password: PASSWORD, displayName: 'Lena Lind', kind: 'partner' });
    const partner = new TestClient(url);
    await partner.login(partnerEmail, PASSWORD);
    const profile = await partner.put('/api/v1/partner/profile', {
      name: 'StudyPlanner Learning Solutions',
      description: 'Weekly planning for secondary schools.',
      website: 'https://studyplanner.example',
      contactEmail: 'hello@studyplanner.example',
      public: true,
    });
    expect(profile.status).toBe(201);
    const created = await partner.post('/api/v1/partner/apps', {
      name: 'StudyPlanner Web',
      description: 'Homework and test planning for students and their teachers.',
      contactEmail: 'apps@studyplanner.example',
      redirectUris: ['https://studyplanner.example/callback'],
      apis: [
        { apiCode: 'students', dataCategories: ['identity', 'birth_date'], purpose: 'Show each student the homework and tests of their own classes.' },
        { apiCode: 'staff', dataCategories: ['identity'], purpose: 'Let teachers plan tests for their groups.' },
      ],
    });
    expect(created.status).toBe(201);
    appId = created.body.id as string;
    await partner.post(`/api/v1/partner/apps/${appId}/submit`);
    const operator = new TestClient(url);
    await operator.login(people.operator, PASSWORD);
    expect((await operator.post(`/api/v1/operator/apps/${appId}/approve`, { notes: 'Purpose and data are proportionate.' })).status).toBe(200);
    await partner.post(`/api/v1/partner/apps/${appId}/client/secrets`);
    const invited = await partner.post(`/api/v1/partner/apps/${appId}/invitations`, { emails: [people.admin, 'it@skola.example'] });
    const link = new URL((invited.body.data as { email: string; link: string }[]).find((i) => i.email === people.admin)!.link);
    const admin = new TestClient(url);
    await admin.login(people.admin, PASSWORD);
    const granted = await admin.put(`/api/v1/school/apps/${appId}/api-access/students${link.search}`, {
      institutionNumbers: [SCHOOLS[0]],
      reason: 'Chosen by the teachers of the upper school.',
    });
    expect(granted.status).toBe(200);
    // Waits in the operator's review queue.
    const second = await partner.post('/api/v1/partner/apps', {
      name: 'StudyPlanner Mobile',
      description: 'The same planning on the phone.',
      contactEmail: 'apps@studyplanner.example',
      redirectUris: ['https://studyplanner.example/mobile'],
      apis: [{ apiCode: 'students', dataCategories: ['identity'], purpose: 'The same planning on the phone.' }],
    });
    await partner.post(`/api/v1/partner/apps/${second.body.id as string}/submit`);
    // A key from before the portal: a row of the school's API access without an app.
    const legacy = await insertClient(ctx.db, { appId: null, name: 'old-timetable-sync', origin: 'legacy' });
    await insertGrant(ctx.db, { clientId: legacy.clientId, apiCode: 'students', institutionNumber: SCHOOLS[1]! });
    // An unrelated approved app, so tables have more than one row.
    const other = await insertApp(ctx.db, {
      partnerId: (await ctx.db.selectFrom('apps').select('partner_id').where('id', '=', appId).executeTakeFirstOrThrow()).partner_id,
      name: 'StudyPlanner Reports',
      status: 'approved',
      apis: [{ apiCode: 'students', dataCategories: ['identity'], purpose: 'Termly reports per class.' }],
    });
    const { clientId } = await insertClient(ctx.db, { appId: other, name: 'StudyPlanner Reports' });
    await insertGrant(ctx.db, { clientId, apiCode: 'students', institutionNumber: SCHOOLS[0]!, reason: 'Seeded' });
  });
  afterAll(async () => {
    await e2e?.stop();
  });

  /** One screen: where it is (null: where the previous step left the page), and what shows once it is ready. */
  interface Screen {
    name: string;
    path: () => string | null;
    ready: (page: Page) => Promise<unknown>;
    /** False for the end-user frame, which has no back-office menu. */
    header?: boolean;
  }
  const row = (testId: string, text: string) => (page: Page) => page.getByTestId(testId).getByText(text).first().waitFor();
  const AREAS: { role: string; who: () => string | null; screens: Screen[] }[] = [
    {
      role: 'visitor',
      who: () => null,
      screens: [
        { name: 'sign-in', path: () => '/sign-in', ready: (page) => page.locator('input[autocomplete=username]').waitFor() },
        { name: 'purpose register', path: () => '/public/register', ready: row('register-table', 'Termly reports per class.') },
        { name: 'partner directory', path: () => '/public/partners', ready: (page) => page.getByText('StudyPlanner Learning Solutions').first().waitFor() },
        // "My connected apps" signs in school first (the picker), then with that school's credentials.
        {
          name: 'my apps: sign-in',
          path: () => '/my/apps',
          ready: (page) => page.locator('[data-testid=my-signin][data-step=school]').getByTestId('school-list').getByRole('button').first().waitFor(),
          header: false,
        },
        {
          name: 'my apps: credentials',
          path: () => null,
          ready: async (page) => {
            await page.locator('[data-testid=my-signin] input').first().fill(SCHOOLS[0]!);
            await page
              .getByTestId('school-list')
              .getByRole('button', { name: new RegExp(SCHOOLS[0]!) })
              .click();
            await page.locator('[data-testid=my-signin][data-step=credentials]').getByTestId('chosen-school').waitFor();
          },
          header: false,
        },
        {
          name: 'my apps',
          path: () => null,
          ready: async (page) => {
            await page.locator('input[autocomplete=username]').fill(student.login);
            await page.locator('input[type=password]').fill(PASSWORD);
            await page.locator('form button[type=submit]').click();
            await page.getByTestId('my-signed-in-as').waitFor();
          },
          header: false,
        },
      ],
    },
    {
      role: 'partner',
      who: () => partnerEmail,
      screens: [
        { name: 'partner apps', path: () => '/partner/apps', ready: row('partner-apps-table', 'StudyPlanner Mobile') },
        {
          name: 'partner app',
          path: () => `/partner/apps/${appId}`,
          ready: (page) => page.getByText('Let teachers plan tests for their groups.').first().waitFor(),
        },
        { name: 'partner app: client', path: () => `/partner/apps/${appId}?tab=client`, ready: (page) => page.getByTestId('secrets-table').waitFor() },
        { name: 'partner app: invitations', path: () => `/partner/apps/${appId}?tab=invitations`, ready: row('invitations-table', 'it@skola.example') },
        {
          name: 'partner app: reads',
          path: () => `/partner/apps/${appId}?tab=reads`,
          ready: (page) => page.getByTestId('reads-chart-chart').locator('svg').first().waitFor(),
        },
      ],
    },
    {
      role: 'schoolAdmin',
      who: () => people.admin,
      screens: [
        { name: 'school apps', path: () => '/school/apps', ready: row('school-apps-table', 'StudyPlanner Reports') },
        { name: 'school app', path: () => `/school/apps/${appId}`, ready: (page) => page.getByTestId('general-tab').waitFor() },
        {
          name: 'school app: API access',
          path: () => `/school/apps/${appId}?tab=access`,
          ready: row('app-access-table', `${SCHOOLS[0]} - Skola ${SCHOOLS[0]}`),
        },
        {
          name: 'school app: grant editor',
          path: () => null,
          ready: async (page) => {
            await page.getByRole('tabpanel').getByRole('button').first().click();
            await page.getByTestId('transfer-students').waitFor();
          },
        },
        {
          name: 'school app: logs',
          path: () => `/school/apps/${appId}?tab=logs`,
          ready: (page) => page.getByTestId('app-log-table').locator('.ant-table-row').first().waitFor(),
        },
        { name: 'school API access', path: () => '/school/api-access', ready: row('school-access-table', 'StudyPlanner Reports') },
        { name: 'school data reads', path: () => '/school/reads', ready: (page) => page.getByTestId('reads-chart-chart').locator('svg').first().waitFor() },
      ],
    },
    {
      role: 'operator',
      who: () => people.operator,
      screens: [
        { name: 'review queue', path: () => '/operator/review', ready: row('review-table', 'StudyPlanner Mobile') },
        {
          name: 'operator app',
          path: () => `/operator/apps/${appId}`,
          ready: (page) => page.getByText('Purpose and data are proportionate.').first().waitFor(),
        },
        {
          name: 'partners',
          path: () => '/operator/partners',
          ready: (page) => page.locator('main .ant-table-row').getByText('StudyPlanner Learning Solutions').waitFor(),
        },
        { name: 'audit log', path: () => '/operator/audit', ready: (page) => page.getByTestId('audit-table').locator('.ant-table-row').first().waitFor() },
        { name: 'API catalog', path: () => '/operator/catalog', ready: (page) => page.locator('main .ant-table-row').first().waitFor() },
        { name: 'dashboard', path: () => '/operator/dashboard', ready: (page) => page.getByTestId('reads-chart-chart').locator('svg').first().waitFor() },
        // No readout has run in this world: the page says so.
        { name: 'readout runs', path: () => '/operator/readout', ready: (page) => page.getByTestId('readout-empty').waitFor() },
      ],
    },
  ];

  for (const locale of ['en-GB', 'nl-BE']) {
    for (const size of SIZES) {
      for (const area of AREAS) {
        const what = size.name === 'phone' ? 'fit a phone, pass axe, and its menu is a drawer' : 'fit a laptop, with the menu on one row';
        it(`${area.role}: every main screen in ${locale} at ${size.width}×${size.height}: ${what}`, { timeout: 300_000 }, async () => {
          const found: Record<string, string[]> = {};
          const person = await e2e.person(locale);
          const { page } = person;
          // Sixteen cases of up to eight screens each: allow a busy machine more than the default 10 s a step.
          page.setDefaultTimeout(30_000);
          try {
            await page.setViewportSize({ width: size.width, height: size.height });
            const email = area.who();
            if (email) {
              await person.goto('/sign-in');
              await page.locator('input[autocomplete=username]').fill(email);
              await page.locator('input[type=password]').fill(PASSWORD);
              await page.locator('form button[type=submit]').click();
              await page.waitForURL((u) => !u.pathname.startsWith('/sign-in'));
            }
            let menu: string[] = [];
            for (const [i, screen] of area.screens.entries()) {
              const path = screen.path();
              if (path) await person.goto(path);
              await screen.ready(page);
              await page.waitForFunction(() => !document.querySelector('.ant-spin-spinning'));
              found[screen.name] = [...(await layoutProblems(page)), ...(screen.header === false ? [] : await headerProblems(page, size))];
              if (size.name === 'phone') found[screen.name]!.push(...(await axeViolations(page)));
              if (i > 0) continue;
              // The menu, from the area's first screen.
              if (size.name === 'phone' && !(await page.getByTestId('menu-button').isVisible())) {
                found['menu drawer'] = ['no menu button'];
              } else if (size.name === 'phone') {
                await page.getByTestId('menu-button').click();
                menu = (await drawerPaths(page)).sort();
                found['menu drawer'] = [...(await layoutProblems(page)), ...(await axeViolations(page))];
                // Choosing an entry goes there and closes the drawer.
                const last = page.locator('.app-menu-drawer nav a[href]').last();
                const target = new URL((await last.getAttribute('href'))!, 'http://x').pathname;
                await last.click();
                await page.locator('.app-menu-drawer nav').waitFor({ state: 'hidden' });
                expect(new URL(page.url()).pathname).toBe(target);
              } else {
                // Hover popups open after antd's delay and animate in: on a busy machine one pass can
                // read a popup before its entries are there (CI once missed a whole group). Read the
                // row again until every entry is found; a menu really missing one still fails.
                await expect.poll(async () => (menu = await rowMenuPaths(page)), { timeout: 45_000 }).toEqual(expect.arrayContaining(MENU_PATHS[area.role]!));
              }
            }
            expect(found).toEqual(Object.fromEntries(Object.keys(found).map((k) => [k, []])));
            expect(menu).toEqual(expect.arrayContaining(MENU_PATHS[area.role]!));
            await person.expectNoMissingKeys();
          } catch (e) {
            console.error('screenshot:', await e2e.snapshot(`${area.role}-${locale}-${size.name}`));
            throw e;
          } finally {
            // One Chromium per person: close it, or they pile up over the sixteen cases.
            await person.context.close();
          }
        });
      }
    }
  }
});
