/**
 * Screenshots of each main screen in each language, at desktop size (docs/screenshots/<lang>/<screen>.png)
 * and at phone size (docs/screenshots/<lang>/phone/<screen>.png, the first screen a phone shows), with
 * an index (docs/screenshots/README.md). Runs the real server on PGlite with a small world (made
 * through the API where a person would act), the built web app and Debian's Chromium.
 *
 *   npm run screenshots            every language
 *   npm run screenshots -- en nl   only these (the index still lists all)
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { insertApp, insertPartner, insertUser } from '../src/seed/builders.ts';
import { buildWebIfStale } from '../web/scripts/build-if-stale.ts';
import { PASSWORD, SCHOOLS, seedSchools } from '../test/e2e/fixtures.ts';
import { startE2E } from '../test/e2e/support.ts';
import { TestClient } from '../test/support/harness.ts';

const OUT = fileURLToPath(new URL('../docs/screenshots/', import.meta.url));
const LANGS = [
  ['en', 'en-GB', 'English'],
  ['nl', 'nl-BE', 'Nederlands'],
  ['fr', 'fr-BE', 'Français'],
  ['sv', 'sv-SE', 'Svenska'],
] as const;
/** The two sizes every screen must work at: a laptop, and a phone (390×844 CSS pixels). */
const SIZES = [
  { dir: '', width: 1280, height: 800 },
  { dir: 'phone/', width: 390, height: 844 },
] as const;
const wanted = process.argv.slice(2);
const unknown = wanted.filter((l) => !LANGS.some(([lang]) => lang === l));
if (unknown.length > 0) throw new Error(`unknown language(s): ${unknown.join(', ')}; known: ${LANGS.map(([l]) => l).join(', ')}`);
const shotLangs = LANGS.filter(([lang]) => wanted.length === 0 || wanted.includes(lang));

await buildWebIfStale();
const e2e = await startE2E();
try {
  const { ctx, url } = e2e.harness;
  const { people } = await seedSchools(ctx);

  // A partner with an approved app that one school granted, and one app waiting for review.
  const partnerEmail = 'lena@studyplanner.example';
  const member = await insertUser(ctx.db, { email: partnerEmail, password: PASSWORD, displayName: 'Lena Lind', kind: 'partner' });
  const partnerId = await insertPartner(ctx.db, {
    name: 'StudyPlanner',
    contactEmail: 'hello@studyplanner.example',
    description: 'Weekly planning for secondary schools.',
    website: 'https://studyplanner.example',
    memberUserIds: [member],
  });
  const partner = new TestClient(url);
  await partner.login(partnerEmail, PASSWORD);
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
  const appId = created.body.id as string;
  await partner.post(`/api/v1/partner/apps/${appId}/submit`);
  const operator = new TestClient(url);
  await operator.login(people.operator, PASSWORD);
  await operator.post(`/api/v1/operator/apps/${appId}/approve`, { notes: 'Purpose and data are proportionate.' });
  await partner.post(`/api/v1/partner/apps/${appId}/client/secrets`);
  const invited = await partner.post(`/api/v1/partner/apps/${appId}/invitations`, { emails: [people.admin, 'it@skola.example'] });
  const link = new URL((invited.body.data as { email: string; link: string }[]).find((i) => i.email === people.admin)!.link);
  const admin = new TestClient(url);
  await admin.login(people.admin, PASSWORD);
  const granted = await admin.put(`/api/v1/school/apps/${appId}/api-access/students${link.search}`, {
    institutionNumbers: [SCHOOLS[0]],
    reason: 'Chosen by the teachers.',
  });
  if (granted.status !== 200) throw new Error(`granting failed: ${granted.status} ${JSON.stringify(granted.body)}`);
  await insertApp(ctx.db, {
    partnerId,
    name: 'StudyPlanner Mobile',
    status: 'submitted',
    apis: [{ apiCode: 'students', dataCategories: ['identity'], purpose: 'The same planning on the phone.' }],
  });

  const screens: string[] = [];
  for (const [lang, locale, languageName] of shotLangs) {
    await rm(`${OUT}${lang}`, { recursive: true, force: true });
    for (const size of SIZES) await mkdir(`${OUT}${lang}/${size.dir}`, { recursive: true });
    const shoot = async (who: string | null, shots: [string, string, ((p: import('playwright-core').Page) => Promise<void>)?][]) => {
      const person = await e2e.person(locale);
      const { page } = person;
      if (who) {
        await person.goto('/sign-in');
        await page.locator('input[autocomplete=username]').fill(who);
        await page.locator('input[type=password]').fill(PASSWORD);
        await page.locator('form button[type=submit]').click();
        await page.waitForURL((u) => !u.pathname.startsWith('/sign-in'));
      }
      for (const [name, path, prepare] of shots) {
        for (const size of SIZES) {
          await page.setViewportSize({ width: size.width, height: size.height });
          await person.goto(path);
          await page.waitForLoadState('networkidle');
          if (prepare) await prepare(page);
          // Let spinners and antd's fade-in animations finish.
          await page.waitForFunction(() => !document.querySelector('.ant-spin-spinning'));
          await page.waitForTimeout(800);
          await page.screenshot({ path: `${OUT}${lang}/${size.dir}${name}.png` });
        }
        if (!screens.includes(name)) screens.push(name);
      }
      await person.expectNoMissingKeys();
      await person.context.close();
    };
    await shoot(null, [
      ['sign-in', '/sign-in'],
      ['public-directory', '/public/partners'],
      ['public-register', '/public/register'],
      ['my-apps-sign-in', '/my/apps'],
    ]);
    await shoot(people.admin, [
      ['school-apps', '/school/apps'],
      ['school-app-general', `/school/apps/${appId}`],
      ['school-app-api-access', `/school/apps/${appId}?tab=access`],
      [
        'school-app-edit',
        `/school/apps/${appId}?tab=access`,
        async (p) => {
          await p.locator('main [role=tabpanel] button.ant-btn-primary').first().click();
          await p.getByTestId('transfer-students').waitFor();
        },
      ],
      ['school-app-logs', `/school/apps/${appId}?tab=logs`],
      ['school-api-access', '/school/api-access'],
      ['school-reads', '/school/reads'],
    ]);
    await shoot(people.teacher, [['no-access', '/school/apps']]);
    await shoot(partnerEmail, [
      ['partner-apps', '/partner/apps'],
      ['partner-app-client', `/partner/apps/${appId}?tab=client`],
      ['partner-app-invitations', `/partner/apps/${appId}?tab=invitations`],
      ['partner-app-form', `/partner/apps/new`],
    ]);
    await shoot(people.operator, [
      ['operator-dashboard', '/operator/dashboard'],
      ['operator-review', '/operator/review'],
      ['operator-app', `/operator/apps/${appId}`],
      ['operator-partners', '/operator/partners'],
      ['operator-catalog', '/operator/catalog'],
      ['operator-audit', '/operator/audit'],
    ]);
    console.log(`${languageName}: done`);
  }

  const lines = [
    '# Screenshots',
    '',
    'Each main screen of the web application in each language, at desktop size (1280×800) and at',
    'phone size (390×844, the first screen), written by `npm run screenshots` (real server on PGlite,',
    'built web app, Chromium). Do not edit by hand; run the script again.',
    '',
    `| screen | ${LANGS.map(([l]) => l).join(' | ')} | ${LANGS.map(([l]) => `${l} phone`).join(' | ')} |`,
    `|---|${[...LANGS, ...LANGS].map(() => '---').join('|')}|`,
    ...screens.map(
      (n) => `| ${n} | ${LANGS.map(([l]) => `[${l}](${l}/${n}.png)`).join(' | ')} | ${LANGS.map(([l]) => `[${l} phone](${l}/phone/${n}.png)`).join(' | ')} |`,
    ),
    '',
  ];
  await writeFile(`${OUT}README.md`, lines.join('\n'));
  console.log(`wrote ${screens.length * shotLangs.length * SIZES.length} screenshots to ${OUT}`);
} finally {
  await e2e.stop();
}
