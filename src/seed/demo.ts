import type { AppContext } from '../context.ts';
import { currentSchoolYear, localDate } from '../lib/school-year.ts';
import { generateWorld } from '../generator/index.ts';
import { ingestBatch } from '../modules/ss12000/ingest.ts';
import { ingestPreEnrolments } from '../modules/pre-enrolments/ingest.ts';
import { generatePreEnrolments } from '../modules/pre-enrolments/generate.ts';
import { ingestBoarders } from '../modules/boarders/ingest.ts';
import { generateBoarders } from '../generator/boarders.ts';
import { ingestInvoices } from '../modules/invoices/ingest.ts';
import { generateInvoices } from '../generator/invoices.ts';
import { replaceGrants } from '../modules/access/grants.ts';
import { systemActor } from '../modules/audit/record.ts';
import {
  insertAccessGroup,
  insertAdminRight,
  insertApp,
  insertClient,
  insertEndUserAccount,
  insertInstitution,
  insertPartner,
  insertUser,
} from './builders.ts';

/** Who the demo's grants are recorded as made by. */
const SEED_ACTOR = { ...systemActor, name: 'Schoolgate' };

/** The password of every demo account. Demo mode only; printed at start and in the README. */
export const DEMO_PASSWORD = 'schoolgate-demo';

/** Fixed credentials of the approved demo app, so a newcomer can fetch a token in the first minute. */
export const DEMO_CLIENT = {
  clientId: '5c1f0a1e-57d9-4e0b-9a3c-2b7d0c6e8f01',
  secret: 'demo-secret-studyplanner-do-not-use-in-production',
};

/** A legacy key (no app) issued before the consent system; demo mode only. */
export const DEMO_LEGACY_CLIENT = {
  clientId: '9d2e4b6a-1c3f-4e5d-8a7b-6c5d4e3f2a10',
  secret: 'demo-secret-legacy-skillspire-key',
};

export const DEMO_USERS = [
  { email: 'operator@schoolgate.demo', role: 'Operator (SIS vendor staff)' },
  { email: 'partner@studyplanner.demo', role: 'Partner member of StudyPlanner (approved app with grants)' },
  { email: 'partner@campuswise.demo', role: 'Partner member of CampusWise (submitted app)' },
  { email: 'lies.peeters@scholengroep.demo', role: 'School admin: iLeerlingen on 001057, 001073, 010025' },
  { email: 'pieter.janssens@scholengroep.demo', role: 'School admin: iPersoneel only (010025, 011742)' },
  { email: 'an.desmet@scholengroep.demo', role: 'School admin: invoicing admin of access group "Facturatie Brugge"' },
  { email: 'karel.maes@scholengroep.demo', role: 'School admin: iBasis on the coast schools (011742, 011767, 011775)' },
  { email: 'tom.wouters@scholengroep.demo', role: 'Teacher without user-management access ("no access")' },
] as const;

/**
 * End-user accounts ("Log in with Schoolgate") of people of institution 001057 in the demo school
 * data, all with DEMO_PASSWORD. The teacher is refused by the demo app at 001057 (it holds no staff
 * grant there): the demo of `role_not_granted`.
 */
export const DEMO_END_USERS = [
  { login: 'student.001057@schoolgate.demo', role: 'Student at 001057' },
  { login: 'guardian.001057@schoolgate.demo', role: 'Guardian of that student' },
  { login: 'teacher.001057@schoolgate.demo', role: 'Teacher at 001057 (the demo app has no staff grant there: refused)' },
] as const;

/** The demo app's sign-in callback for trying the flow by hand (see README). */
export const DEMO_REDIRECT_URI = 'http://localhost:4000/callback';

/**
 * Institutions of the demo school board (Flemish, six-digit institution numbers). The back-office
 * and the SS 12000 school data share them: each school unit carries the institution's number as its
 * organisation code, its name, town and postal code, and its people have Flemish names and addresses.
 */
export const DEMO_INSTITUTIONS = [
  { number: '001057', name: 'GO! Atheneum Hof van Nassau', town: 'Brugge', postalCode: '8000', level: 'secondary' },
  { number: '001073', name: 'GO! basisschool Klim Op', town: 'Brugge', postalCode: '8000', level: 'primary' },
  { number: '010025', name: 'GO! Technisch Atheneum Brugge', town: 'Brugge', postalCode: '8000', level: 'secondary' },
  { number: '011726', name: 'GO! basisschool De Vlinderboom', town: 'Jabbeke', postalCode: '8490', level: 'primary' },
  { number: '011742', name: 'GO! Technisch Instituut Oostende', town: 'Oostende', postalCode: '8400', level: 'secondary' },
  { number: '011767', name: 'GO! MPI De Zeehoeve', town: 'Oostende', postalCode: '8400', level: 'secondary' },
  { number: '011775', name: 'GO! Middenschool Blankenberge', town: 'Blankenberge', postalCode: '8370', level: 'secondary' },
] as const;

/** The demo institutions with a boarding house (internaat), whose pupils the boarders API serves. */
export const DEMO_BOARDING_SCHOOLS = ['010025', '011767'];

/** The demo's school board: the SS 12000 Huvudman above the demo institutions, and its mail domain (that of the demo's school admins). */
export const DEMO_BOARD = { name: 'GO! Scholengroep Brugge-Oostende', domain: 'scholengroep.demo' } as const;

/** True when the database holds no users yet (a fresh install). */
export async function isEmpty(ctx: AppContext): Promise<boolean> {
  const row = await ctx.db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n) === 0;
}

/**
 * Seeds the demo world in one transaction: an operator, two partners (one approved app with grants,
 * one submitted app), a Flemish school board with seven institutions and two access groups, school
 * admins with different rights for the current and the coming school year, a teacher, and a legacy
 * client without an app.
 */
export async function seedDemo(ctx: AppContext): Promise<void> {
  const schoolYear = currentSchoolYear(ctx.clock.now(), { start: ctx.config.SCHOOL_YEAR_START, timeZone: ctx.config.TZ });
  // The access groups of the invoicing module, for the invoices generated below.
  const accessGroups: { id: string; institutionNumbers: string[] }[] = [];
  await ctx.db.transaction().execute(async (db) => {
    const pw = DEMO_PASSWORD;
    const operator = await insertUser(db, { email: 'operator@schoolgate.demo', password: pw, displayName: 'Olivia Operator', kind: 'operator' });
    const studyMember = await insertUser(db, {
      email: 'partner@studyplanner.demo',
      password: pw,
      displayName: 'Sven Studyplanner',
      kind: 'partner',
      language: 'nl',
    });
    const campusMember = await insertUser(db, {
      email: 'partner@campuswise.demo',
      password: pw,
      displayName: 'Chloé CampusWise',
      kind: 'partner',
      language: 'fr',
    });

    for (const i of DEMO_INSTITUTIONS) await insertInstitution(db, { number: i.number, name: i.name, town: i.town, activeFromYear: 1990 });
    const bruggeMembers = ['001057', '001073', '010025'];
    const kustMembers = ['011742', '011767', '011775'];
    const brugge = await insertAccessGroup(db, { name: 'Facturatie Brugge', institutionNumbers: bruggeMembers });
    const kust = await insertAccessGroup(db, { name: 'Facturatie Kust', institutionNumbers: kustMembers });
    accessGroups.push({ id: brugge, institutionNumbers: bruggeMembers }, { id: kust, institutionNumbers: kustMembers });

    const school = (email: string, displayName: string, sisUserId: string, userManagementAccess = true) =>
      insertUser(db, { email, password: pw, displayName, kind: 'school', language: 'nl', userManagementAccess, sisUserId });
    const lies = await school('lies.peeters@scholengroep.demo', 'Lies Peeters', 'sis-1001');
    const pieter = await school('pieter.janssens@scholengroep.demo', 'Pieter Janssens', 'sis-1002');
    const an = await school('an.desmet@scholengroep.demo', 'An De Smet', 'sis-1003');
    const karel = await school('karel.maes@scholengroep.demo', 'Karel Maes', 'sis-1004');
    await school('tom.wouters@scholengroep.demo', 'Tom Wouters', 'sis-2001', false);

    // Rights for this school year and the coming one (which count only from its first day).
    for (const year of [schoolYear, schoolYear + 1]) {
      for (const n of ['001057', '001073', '010025'])
        await insertAdminRight(db, { userId: lies, right: 'iLeerlingen', institutionNumber: n, schoolYear: year });
      for (const n of ['001057', '001073']) await insertAdminRight(db, { userId: lies, right: 'iLessenrooster', institutionNumber: n, schoolYear: year });
      // The grades of her secondary school (the Grades API, a sensitive category: a right of its own).
      await insertAdminRight(db, { userId: lies, right: 'iPuntenboek', institutionNumber: '001057', schoolYear: year });
      for (const n of ['010025', '011742']) await insertAdminRight(db, { userId: pieter, right: 'iPersoneel', institutionNumber: n, schoolYear: year });
      await insertAdminRight(db, { userId: an, right: 'invoicing_admin', accessGroupId: brugge, schoolYear: year });
      // The boarding house of 010025 (one of the demo's boarding schools).
      await insertAdminRight(db, { userId: lies, right: 'iInternen', institutionNumber: '010025', schoolYear: year });
      for (const n of ['011742', '011767', '011775']) await insertAdminRight(db, { userId: karel, right: 'iBasis', institutionNumber: n, schoolYear: year });
    }

    const studyPlanner = await insertPartner(db, {
      name: 'StudyPlanner',
      contactEmail: 'contact@studyplanner.demo',
      description: 'Study planning for secondary-school students and homework institutes.',
      website: 'https://studyplanner.demo',
      memberUserIds: [studyMember],
    });
    const campusWise = await insertPartner(db, {
      name: 'CampusWise',
      contactEmail: 'hello@campuswise.demo',
      description: 'Timetables and room booking for schools.',
      website: 'https://campuswise.demo',
      memberUserIds: [campusMember],
    });

    const studyApp = await insertApp(db, {
      partnerId: studyPlanner,
      name: 'StudyPlanner Pro',
      status: 'approved',
      contactEmail: 'apps@studyplanner.demo',
      description: 'Plans homework and tests with students; homework institutes follow up.',
      approvedBy: operator,
      redirectUris: ['http://localhost:3000/callback', DEMO_REDIRECT_URI],
      apis: [
        {
          apiCode: 'students',
          dataCategories: ['identity', 'guardians'],
          purpose: 'Show each student their classes and plan homework; inform guardians of the plan.',
        },
        { apiCode: 'staff', dataCategories: ['identity'], purpose: 'Let teachers see the plans of their classes.' },
        { apiCode: 'timetable', dataCategories: ['identity'], purpose: 'Plan homework around each class’s lessons.' },
        {
          apiCode: 'attendance',
          dataCategories: ['identity', 'absences'],
          purpose: 'Catch pupils up on homework from the lessons they missed.',
        },
        // The rest of the default catalog, so a newcomer reads every API with the demo token.
        { apiCode: 'boarders', dataCategories: ['identity'], purpose: 'Plan study time in the boarding house’s evening study hours.' },
        { apiCode: 'invoices', dataCategories: ['identity', 'invoices'], purpose: 'Remind students of school trips still to be paid before they sign up.' },
        { apiCode: 'pre_enrolments', dataCategories: ['identity'], purpose: 'Prepare next year’s classes’ study plans for accepted pupils.' },
        {
          apiCode: 'grades',
          dataCategories: ['identity', 'grades'],
          purpose: 'Show each student their grades beside the plan, to plan revision where they are weak.',
        },
      ],
    });
    await insertClient(db, { appId: studyApp, name: 'StudyPlanner Pro', id: DEMO_CLIENT.clientId, secret: DEMO_CLIENT.secret });
    // Through the grants' one owner, as the school admin's editor makes them (src/modules/school/service.ts):
    // the admin as the actor, so the school's Logs tab and the audit log show who granted what and
    // why. Nobody is mailed about seed data.
    const asAdmin = (id: string, displayName: string, email: string) => ({
      clientId: DEMO_CLIENT.clientId,
      actor: { id, label: `${displayName} <${email}>`, kind: 'school' as const, name: displayName },
      action: 'grants.replaced' as const,
      notify: false,
    });
    await replaceGrants(db, ctx, {
      ...asAdmin(lies, 'Lies Peeters', 'lies.peeters@scholengroep.demo'),
      apiCode: 'students',
      targets: ['001057', '001073'],
      reason: 'Demo: homework planning pilot',
    });
    await replaceGrants(db, ctx, {
      ...asAdmin(pieter, 'Pieter Janssens', 'pieter.janssens@scholengroep.demo'),
      apiCode: 'staff',
      targets: ['010025'],
      reason: null,
    });
    // The timetable of the pilot's secondary school (README: "A week's timetable").
    await replaceGrants(db, ctx, {
      ...asAdmin(lies, 'Lies Peeters', 'lies.peeters@scholengroep.demo'),
      apiCode: 'timetable',
      targets: ['001057'],
      reason: 'Demo: homework planned around the lessons',
    });
    // The attendance of the same school (README): lessons missed, and why, for catching up on homework.
    await replaceGrants(db, ctx, {
      ...asAdmin(lies, 'Lies Peeters', 'lies.peeters@scholengroep.demo'),
      apiCode: 'attendance',
      targets: ['001057'],
      reason: 'Demo: homework caught up after missed lessons',
    });

    // Every other API of the default catalog (README: "The first minute"): the boarders of a
    // boarding school, the invoices of an access group, the coming year's pre-enrolments.
    await replaceGrants(db, ctx, {
      ...asAdmin(lies, 'Lies Peeters', 'lies.peeters@scholengroep.demo'),
      apiCode: 'boarders',
      targets: ['010025'],
      reason: 'Demo: study hours in the boarding house',
    });
    await replaceGrants(db, ctx, {
      ...asAdmin(an, 'An De Smet', 'an.desmet@scholengroep.demo'),
      apiCode: 'invoices',
      targets: [brugge],
      reason: 'Demo: reminders of unpaid school trips',
    });
    await replaceGrants(db, ctx, {
      ...asAdmin(lies, 'Lies Peeters', 'lies.peeters@scholengroep.demo'),
      apiCode: 'pre_enrolments',
      targets: ['001057'],
      reason: 'Demo: next year’s intake',
    });
    // A pupil's grades at the same school (README: "A pupil's grades").
    await replaceGrants(db, ctx, {
      ...asAdmin(lies, 'Lies Peeters', 'lies.peeters@scholengroep.demo'),
      apiCode: 'grades',
      targets: ['001057'],
      reason: 'Demo: revision planned from the grades',
    });

    await insertApp(db, {
      partnerId: campusWise,
      name: 'CampusWise Rooster',
      status: 'submitted',
      contactEmail: 'apps@campuswise.demo',
      apis: [
        { apiCode: 'students', dataCategories: ['identity'], purpose: 'Build class timetables.' },
        { apiCode: 'staff', dataCategories: ['identity', 'private_email'], purpose: 'Send teachers their timetable changes.' },
      ],
    });

    await insertClient(db, {
      appId: null,
      origin: 'legacy',
      name: 'SkillSpire import key',
      id: DEMO_LEGACY_CLIENT.clientId,
      secret: DEMO_LEGACY_CLIENT.secret,
    });
    await replaceGrants(db, ctx, {
      clientId: DEMO_LEGACY_CLIENT.clientId,
      grants: [
        { apiCode: 'staff', institutionNumber: '001073', accessGroupId: null },
        { apiCode: 'staff', institutionNumber: '011742', accessGroupId: null },
        { apiCode: 'students', institutionNumber: '001057', accessGroupId: null },
      ],
      actor: SEED_ACTOR,
      grantedBy: null,
      reason: null,
      action: 'legacy_client.grants_replaced',
      notify: false,
    });
  });

  // School data behind the demo institutions, so the demo app reads real-looking SS 12000 data at
  // once. Small on purpose: the first start stays quick (`schoolgate generate` makes big worlds).
  const world = generateWorld({
    seed: 42,
    schools: DEMO_INSTITUTIONS.length,
    students: DEMO_STUDENTS,
    institutionNumbers: DEMO_INSTITUTIONS.map((i) => i.number),
    // One world: the school data carries the back-office's names and places.
    place: { board: DEMO_BOARD.name, domain: DEMO_BOARD.domain, units: DEMO_INSTITUTIONS.map((i) => ({ ...i })) },
    today: localDate(ctx.clock.now(), ctx.config.TZ),
    // The school year's lessons, at the wall-clock times of the deployment's time zone.
    timetable: { timeZone: ctx.config.TZ },
    // Attendance of the last week's lessons, absences, check-ins and schedules (a few thousand records:
    // the first start stays quick).
    attendance: { weeks: 1 },
    // Grades per pupil, course and term of the school year begun.
    grades: true,
  });
  await ingestBatch(ctx, { upsert: { ...world } }, systemActor);
  // Next school year's intake at the demo institutions (the pre-enrolments API, Voorinschrijvingen).
  const intake = generatePreEnrolments({
    seed: 42,
    schoolYear: schoolYear + 1,
    perInstitution: 12,
    institutions: DEMO_INSTITUTIONS.map((i) => ({ number: i.number, level: /basisschool/i.test(i.name) ? ('primary' as const) : ('secondary' as const) })),
  });
  await ingestPreEnrolments(ctx, { upsert: intake }, systemActor);
  // Boarders (the boarders API, Internen) at the demo's two schools with a boarding house.
  await ingestBoarders(ctx, { upsert: generateBoarders(world, { seed: 42, institutionNumbers: DEMO_BOARDING_SCHOOLS }) }, systemActor);
  // This school year's invoices in both access groups (the invoices API, Rekeningen): a pupil's
  // invoice per term issued so far, to their guardian.
  const invoices = generateInvoices({ seed: 42, schoolYear, accessGroups, world, today: localDate(ctx.clock.now(), ctx.config.TZ) });
  await ingestInvoices(ctx, { upsert: invoices }, systemActor);
  await seedDemoEndUsers(ctx, world);
}

/** Gives DEMO_END_USERS to a student of 001057 with a guardian, that guardian, and a teacher there. */
async function seedDemoEndUsers(ctx: AppContext, world: ReturnType<typeof generateWorld>): Promise<void> {
  const today = localDate(ctx.clock.now(), ctx.config.TZ);
  const current = (r: { startDate?: string | null; endDate?: string | null }) => (!r.startDate || r.startDate <= today) && (!r.endDate || r.endDate >= today);
  const unit = world.organisations.find((o) => o.organisationType === 'Skolenhet' && o.organisationCode === '001057');
  const student = world.persons.find((p) => (p.responsibles ?? []).length > 0 && (p.enrolments ?? []).some((e) => e.enroledAt.id === unit?.id && current(e)));
  const guardian = student?.responsibles?.[0]?.person.id;
  const teacher = world.duties.find((d) => d.dutyAt.id === unit?.id && d.person && current(d))?.person?.id;
  const people = [student?.id, guardian, teacher];
  if (people.some((id) => !id)) {
    ctx.log.warn('demo school data has no student with a guardian and no teacher at 001057: no end-user accounts seeded');
    return;
  }
  await ctx.db.transaction().execute(async (db) => {
    for (const [i, personId] of people.entries()) {
      await insertEndUserAccount(db, { personId: personId!, login: DEMO_END_USERS[i]!.login, password: DEMO_PASSWORD });
    }
  });
}

/** Students in the demo world's school data. */
export const DEMO_STUDENTS = 420;

/** What `npm start` prints after seeding, so the first minute needs no documentation. */
export function demoBanner(publicUrl: string): string {
  const users = DEMO_USERS.map((u) => `    ${u.email.padEnd(38)} ${u.role}`).join('\n');
  return [
    '',
    'Demo world seeded (demo mode only). Every demo account has the password: ' + DEMO_PASSWORD,
    users,
    '',
    '  Demo client of the approved app "StudyPlanner Pro":',
    `    client_id     ${DEMO_CLIENT.clientId}`,
    `    client_secret ${DEMO_CLIENT.secret}`,
    '  Get a token and read its live grants:',
    `    TOKEN=$(curl -s -u ${DEMO_CLIENT.clientId}:${DEMO_CLIENT.secret} -d grant_type=client_credentials ${publicUrl}/oidc/token | sed -E 's/.*"access_token":"([^"]+)".*/\\1/')`,
    `    curl -s -H "Authorization: Bearer $TOKEN" ${publicUrl}/api/v1/me/grants`,
    '',
    '  "Log in with Schoolgate" (end users of 001057, same password):',
    DEMO_END_USERS.map((u) => `    ${u.login.padEnd(38)} ${u.role}`).join('\n'),
    `  The demo app signs people in with redirect URI ${DEMO_REDIRECT_URI}; see README ("Try the sign-in").`,
    '',
  ].join('\n');
}
