import type { Queryable } from '../../context.ts';
import type { Harness, TestClient } from '../../../test/support/harness.ts';
import {
  insertAccessGroup,
  insertAdminRight,
  insertApp,
  insertClient,
  insertGrant,
  insertInstitution,
  insertPartner,
  insertUser,
} from '../../seed/builders.ts';

/**
 * A small school world for the tests of the school back-office, review and audit: six schools of one
 * board, two access groups, admins with different rights in school year 2026 (the harness clock
 * starts on 2026-11-22), two partners with apps in several states and one legacy client.
 */
export const PASSWORD = 'a long test password';

/**
 * One signed-in session per person of the world for a whole test file: the function it returns signs
 * `email` in (with the world's password) on first use and hands back the same client afterwards.
 */
export function sessionsOf(harness: () => Harness): (email: string) => Promise<TestClient> {
  const known = new Map<string, TestClient>();
  return async (email) => {
    let client = known.get(email);
    if (!client) {
      client = harness().client();
      const res = await client.login(email, PASSWORD);
      if (res.status !== 200) throw new Error(`sign-in of ${email} in the test world: ${res.status}`);
      known.set(email, client);
    }
    return client;
  };
}

export const SCHOOLS = {
  nassau: '001057',
  klimop: '001073',
  zonnebloem: '010025',
  regenboog: '011726',
  vlinder: '011742',
  closed: '011767',
} as const;

export async function buildWorld(db: Queryable, year = 2026) {
  await insertInstitution(db, { number: SCHOOLS.nassau, name: 'Hof van Nassau', town: 'Brussel' });
  await insertInstitution(db, { number: SCHOOLS.klimop, name: 'Basisschool Klim Op', town: 'Gent' });
  await insertInstitution(db, { number: SCHOOLS.zonnebloem, name: 'Basisschool De Zonnebloem', town: 'Aalst' });
  await insertInstitution(db, { number: SCHOOLS.regenboog, name: 'Atheneum De Regenboog', town: 'Lier' });
  await insertInstitution(db, { number: SCHOOLS.vlinder, name: 'Sint-Jozef De Vlinder', town: 'Brugge' });
  // Closed after school year 2024: rights on it no longer count.
  await insertInstitution(db, { number: SCHOOLS.closed, name: 'Oude Vestiging', activeUntilYear: 2024 });
  const groupNorth = await insertAccessGroup(db, { name: 'Rekeningen Noord', institutionNumbers: [SCHOOLS.nassau, SCHOOLS.klimop] });
  const groupSouth = await insertAccessGroup(db, { name: 'Rekeningen Zuid', institutionNumbers: [SCHOOLS.vlinder] });

  const user = (email: string, displayName: string, kind: 'operator' | 'partner' | 'school', userManagementAccess = false) =>
    insertUser(db, { email, password: PASSWORD, displayName, kind, userManagementAccess });
  const operator = await user('op@informat.example', 'Olga Operator', 'operator');
  // iLeerlingen on three schools, iPersoneel on one of them; a closed school's right does not count.
  const anna = await user('anna@school.example', 'Anna Admin', 'school', true);
  for (const n of [SCHOOLS.nassau, SCHOOLS.klimop, SCHOOLS.zonnebloem]) {
    await insertAdminRight(db, { userId: anna, right: 'iLeerlingen', institutionNumber: n, schoolYear: year });
  }
  await insertAdminRight(db, { userId: anna, right: 'iLeerlingen', institutionNumber: SCHOOLS.closed, schoolYear: year });
  // iPersoneel only, on one school.
  const piet = await user('piet@school.example', 'Piet Personeel', 'school', true);
  await insertAdminRight(db, { userId: piet, right: 'iPersoneel', institutionNumber: SCHOOLS.regenboog, schoolYear: year });
  // Invoicing admin on one access group.
  const ines = await user('ines@school.example', 'Ines Invoicing', 'school', true);
  await insertAdminRight(db, { userId: ines, right: 'invoicing_admin', accessGroupId: groupNorth, schoolYear: year });
  // Admin of another school (iBasis on De Vlinder), also invoicing admin of the south group.
  const otto = await user('otto@school.example', 'Otto Other', 'school', true);
  await insertAdminRight(db, { userId: otto, right: 'iBasis', institutionNumber: SCHOOLS.vlinder, schoolYear: year });
  await insertAdminRight(db, { userId: otto, right: 'invoicing_admin', accessGroupId: groupSouth, schoolYear: year });
  // A teacher: SIS user without user-management access.
  const tom = await user('tom@school.example', 'Tom Teacher', 'school', false);
  await insertAdminRight(db, { userId: tom, right: 'iLeerlingen', institutionNumber: SCHOOLS.nassau, schoolYear: year });
  // Rights only for the next school year: do not count yet.
  const nora = await user('nora@school.example', 'Nora Next', 'school', true);
  await insertAdminRight(db, { userId: nora, right: 'iLeerlingen', institutionNumber: SCHOOLS.nassau, schoolYear: year + 1 });

  const paula = await user('paula@partner-a.example', 'Paula Partner', 'partner');
  const partnerA = await insertPartner(db, {
    name: 'CampusWise',
    contactEmail: 'contact@campuswise.example',
    description: 'Study planners for secondary schools.',
    memberUserIds: [paula],
  });
  const bert = await user('bert@partner-b.example', 'Bert Partner', 'partner');
  const partnerB = await insertPartner(db, { name: 'DriesTech', contactEmail: 'hello@driestech.example', memberUserIds: [bert], public: true });

  const planner = await insertApp(db, {
    partnerId: partnerA,
    name: 'StudyPlanner',
    status: 'approved',
    contactEmail: 'planner@campuswise.example',
    apis: [
      { apiCode: 'students', dataCategories: ['identity', 'birth_date'], purpose: 'Plan homework per class' },
      { apiCode: 'staff', dataCategories: ['identity'], purpose: 'Show the teacher of each subject' },
      { apiCode: 'invoices', dataCategories: ['identity', 'invoices'], purpose: 'Show open invoices to parents' },
    ],
  });
  const plannerClient = (await insertClient(db, { appId: planner, name: 'StudyPlanner' })).clientId;
  await insertGrant(db, { clientId: plannerClient, apiCode: 'students', institutionNumber: SCHOOLS.nassau, grantedBy: anna });
  await insertGrant(db, { clientId: plannerClient, apiCode: 'staff', institutionNumber: SCHOOLS.regenboog, grantedBy: piet });
  await insertGrant(db, { clientId: plannerClient, apiCode: 'students', institutionNumber: SCHOOLS.vlinder, grantedBy: otto });

  // Approved, no grants anywhere yet (reached by invitation).
  const fresh = await insertApp(db, {
    partnerId: partnerB,
    name: 'BlueDries',
    status: 'approved',
    contactEmail: 'apps@driestech.example',
    apis: [{ apiCode: 'students', dataCategories: ['identity'], purpose: 'Attendance dashboards' }],
  });
  const freshClient = (await insertClient(db, { appId: fresh, name: 'BlueDries' })).clientId;
  // Suspended app that still holds a grant on Nassau.
  const suspended = await insertApp(db, {
    partnerId: partnerB,
    name: 'SleepyApp',
    status: 'suspended',
    apis: [{ apiCode: 'students', dataCategories: ['identity'], purpose: 'Sleep tracking' }],
  });
  const suspendedClient = (await insertClient(db, { appId: suspended, name: 'SleepyApp' })).clientId;
  await insertGrant(db, { clientId: suspendedClient, apiCode: 'students', institutionNumber: SCHOOLS.nassau });
  // Submitted app waiting for review.
  const submitted = await insertApp(db, {
    partnerId: partnerB,
    name: 'NewThing',
    status: 'submitted',
    contactEmail: 'newthing@driestech.example',
    apis: [{ apiCode: 'students', dataCategories: ['identity', 'photo'], purpose: 'Yearbook photos' }],
    redirectUris: ['https://newthing.example/callback'],
  });
  // Legacy client without an app, with grants on Klim Op (students) and on Vlinder (staff).
  const legacy = await insertClient(db, { appId: null, name: 'informat_customer_legacy', origin: 'legacy' });
  await insertGrant(db, { clientId: legacy.clientId, apiCode: 'students', institutionNumber: SCHOOLS.klimop });
  await insertGrant(db, { clientId: legacy.clientId, apiCode: 'staff', institutionNumber: SCHOOLS.vlinder });

  return {
    year,
    groupNorth,
    groupSouth,
    users: { operator, anna, piet, ines, otto, tom, nora, paula, bert },
    partners: { partnerA, partnerB },
    apps: { planner, fresh, suspended, submitted },
    clients: { planner: plannerClient, fresh: freshClient, suspended: suspendedClient, legacy: legacy.clientId, legacySecret: legacy.secret },
  };
}

export type World = Awaited<ReturnType<typeof buildWorld>>;
