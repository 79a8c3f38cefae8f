import type { AppContext } from '../../src/context.ts';
import { generateWorld, type World } from '../../src/generator/index.ts';
import { ingestBatch } from '../../src/modules/ss12000/ingest.ts';
import { insertAdminRight, insertInstitution, insertUser } from '../../src/seed/builders.ts';

export const PASSWORD = 'correct horse battery staple';
export const SCHOOLS = ['310001', '310002', '310003'];
/** The harness clock stands on 2026-11-22: school year 2026–27. */
export const SCHOOL_YEAR = 2026;

export interface People {
  operator: string;
  /** iLeerlingen on the first two schools: may grant Students there. */
  admin: string;
  /** iPersoneel only: opens the app but lacks the right for Students. */
  staffAdmin: string;
  /** A SIS user without user-management access. */
  teacher: string;
}

/**
 * The school side of the world, as an SIS import would leave it: institutions with SS 12000 data,
 * an operator and SIS users with their admin rights for the current school year. The partner side
 * is created through the browser by the tests.
 */
export async function seedSchools(ctx: AppContext): Promise<{ world: World; people: People }> {
  for (const n of SCHOOLS) await insertInstitution(ctx.db, { number: n, name: `Skola ${n}` });
  const world = generateWorld({ seed: 11, schools: SCHOOLS.length, students: 60, institutionNumbers: SCHOOLS, today: '2026-11-22' });
  await ingestBatch(ctx, { upsert: world as never }, { id: null, label: 'e2e loader', kind: 'system' } as never);
  const people: People = {
    operator: 'operator@schoolgate.test',
    admin: 'admin@school.test',
    staffAdmin: 'staff-admin@school.test',
    teacher: 'teacher@school.test',
  };
  await insertUser(ctx.db, { email: people.operator, password: PASSWORD, displayName: 'Olga Operator', kind: 'operator' });
  const admin = await insertUser(ctx.db, { email: people.admin, password: PASSWORD, displayName: 'Anna Admin', kind: 'school', userManagementAccess: true });
  for (const n of SCHOOLS.slice(0, 2)) await insertAdminRight(ctx.db, { userId: admin, right: 'iLeerlingen', institutionNumber: n, schoolYear: SCHOOL_YEAR });
  const staffAdmin = await insertUser(ctx.db, {
    email: people.staffAdmin,
    password: PASSWORD,
    displayName: 'Sven Staff',
    kind: 'school',
    userManagementAccess: true,
  });
  await insertAdminRight(ctx.db, { userId: staffAdmin, right: 'iPersoneel', institutionNumber: SCHOOLS[0]!, schoolYear: SCHOOL_YEAR });
  await insertUser(ctx.db, { email: people.teacher, password: PASSWORD, displayName: 'Tom Teacher', kind: 'school', userManagementAccess: false });
  return { world, people };
}

/** The SS 12000 organisation id of a school unit with this institution number. */
export function unitId(world: World, institutionNumber: string): string {
  const unit = world.organisations.find(
    (o) =>
      (o as { organisationCode?: string; organisationType?: string }).organisationCode === institutionNumber &&
      (o as { organisationType?: string }).organisationType === 'Skolenhet',
  );
  if (!unit) throw new Error(`no school unit ${institutionNumber}`);
  return (unit as { id: string }).id;
}

/** A client reading school data the way a partner's server does: client credentials, then bearer calls. */
export async function readOrganisation(baseUrl: string, clientId: string, secret: string, organisationId: string): Promise<number> {
  const tokenRes = await fetch(`${baseUrl}/oidc/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret }),
  });
  const token = (await tokenRes.json()) as { access_token?: string };
  if (tokenRes.status !== 200 || !token.access_token) throw new Error(`token request failed: ${tokenRes.status} ${JSON.stringify(token)}`);
  const res = await fetch(`${baseUrl}/ss12000/v2.0/organisations/${organisationId}`, { headers: { authorization: `Bearer ${token.access_token}` } });
  await res.arrayBuffer();
  return res.status;
}
