import { sql } from 'kysely';
import type { AppContext, Queryable } from '../../context.ts';
import type { EndUserRole } from '../../db/schema.ts';
import type { Texts } from '../../lib/purposes.ts';
import { localDate } from '../../lib/school-year.ts';
import { reachedInstitutionsQuery } from '../../modules/access/reach.ts';
import { GUARDIAN_KINDS, STAFF_KINDS, STUDENT_KINDS } from '../../modules/access/literals.ts';
import { schoolSearch } from '../../modules/end-users/schools.ts';

/**
 * Who may sign in to which app at which school (issue 5): the app must be approved, its approved
 * registration must name the API that covers the person's role, and the app's client must reach
 * the school under that API (`grant_reach`, src/modules/access/reach.ts: granted directly or through
 * an access group). Everything is read live: a revoked grant, a school leaving a granted access
 * group or a suspended app stops the next sign-in.
 */

/** The API that covers a role: students and their guardians → students; staff → staff. */
export const API_OF_ROLE: Record<EndUserRole, 'students' | 'staff'> = { student: 'students', guardian: 'students', staff: 'staff' };

/** The order in which a person with several roles at one school signs in (first one covered wins). */
const ROLE_ORDER: EndUserRole[] = ['student', 'staff', 'guardian'];

/** The sign-in APIs (students, staff) of the client's approved app registration; empty when the app is not approved. */
export async function signinApis(db: Queryable, clientId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('clients as c')
    .innerJoin('apps as a', 'a.id', 'c.app_id')
    .innerJoin('app_api_requests as r', 'r.app_id', 'a.id')
    .select('r.api_code')
    .where('c.id', '=', clientId)
    .where('a.status', '=', 'approved')
    .where('r.api_code', 'in', ['students', 'staff'])
    .execute();
  return rows.map((r) => r.api_code);
}

export interface PickerInstitution {
  number: string;
  name: string;
  town: string | null;
}

/**
 * The schools the picker may show for this client: only those that granted it students or staff
 * (and only APIs of its approved registration). `q` matches name, number or town, case-insensitive.
 * At most `limit`, sorted by name.
 */
export async function pickerInstitutions(db: Queryable, clientId: string, q: string, limit = 20): Promise<PickerInstitution[]> {
  const apis = await signinApis(db, clientId);
  if (!apis.length) return [];
  return db
    .selectFrom('institutions')
    .select(['institutions.number', 'institutions.name', 'institutions.town'])
    .where('institutions.number', 'in', reachedInstitutionsQuery(db, clientId, apis).clearSelect().select('r.institution_number'))
    .where(schoolSearch(q))
    .orderBy('institutions.name')
    .orderBy('institutions.number')
    .limit(limit)
    .execute();
}

/** The APIs (students, staff) the client may sign people in with at this school; empty = not available. */
export async function grantedApisAt(db: Queryable, clientId: string, institutionNumber: string): Promise<string[]> {
  const apis = await signinApis(db, clientId);
  if (!apis.length) return [];
  const rows = await reachedInstitutionsQuery(db, clientId, apis).where('r.institution_number', '=', institutionNumber).execute();
  return rows.map((r) => r.api_code);
}

/** One school of the picker by number, or undefined when it is not available to this client. */
export async function availableInstitution(db: Queryable, clientId: string, number: string): Promise<PickerInstitution | undefined> {
  if ((await grantedApisAt(db, clientId, number)).length === 0) return undefined;
  return db.selectFrom('institutions').select(['number', 'name', 'town']).where('number', '=', number).executeTakeFirst();
}

/** The person's roles at the school unit whose organisation code is `institutionNumber`, from relations current today. */
export async function rolesAt(ctx: Pick<AppContext, 'db' | 'clock' | 'config'>, personId: string, institutionNumber: string): Promise<Set<EndUserRole>> {
  const today = localDate(ctx.clock.now(), ctx.config.TZ);
  const rows = await sql<{ kind: string }>`
    SELECT DISTINCT r.kind FROM ss12000_person_relations r
      JOIN ss12000_organisations o ON o.id = r.organisation_id
     WHERE r.person_id = ${personId}::uuid
       AND o.organisation_type = 'Skolenhet' AND o.organisation_code = ${institutionNumber}
       AND (r.start_date IS NULL OR r.start_date <= ${today}::date)
       AND (r.end_date IS NULL OR r.end_date >= ${today}::date)`.execute(ctx.db);
  const kinds = new Set(rows.rows.map((r) => r.kind));
  const roles = new Set<EndUserRole>();
  if (STUDENT_KINDS.some((k) => kinds.has(k))) roles.add('student');
  if (STAFF_KINDS.some((k) => kinds.has(k))) roles.add('staff');
  if (GUARDIAN_KINDS.some((k) => kinds.has(k))) roles.add('guardian');
  return roles;
}

/**
 * The role the person signs in with at this school for this client: the first of student, staff,
 * guardian that the person has there and that the app's grants there cover; undefined when none.
 */
export async function signinRole(
  ctx: Pick<AppContext, 'db' | 'clock' | 'config'>,
  clientId: string,
  personId: string,
  institutionNumber: string,
): Promise<EndUserRole | undefined> {
  const [roles, apis] = await Promise.all([rolesAt(ctx, personId, institutionNumber), grantedApisAt(ctx.db, clientId, institutionNumber)]);
  return ROLE_ORDER.find((role) => roles.has(role) && apis.includes(API_OF_ROLE[role]));
}

export interface ConsentCategory {
  apiCode: string;
  category: string;
  /** The purpose per language as the partner wrote it (the reader's is picked by src/lib/purposes.ts). */
  purposes: Texts;
}

/** The data categories (with purpose) of the app's approved registration for one API: what a consent covers. */
export async function categoriesOf(db: Queryable, clientId: string, apiCode: string): Promise<ConsentCategory[]> {
  const row = await db
    .selectFrom('clients as c')
    .innerJoin('app_api_requests as r', 'r.app_id', 'c.app_id')
    .select(['r.data_categories', 'r.purposes'])
    .where('c.id', '=', clientId)
    .where('r.api_code', '=', apiCode)
    .executeTakeFirst();
  return (row?.data_categories ?? []).map((category) => ({ apiCode, category, purposes: row!.purposes }));
}
