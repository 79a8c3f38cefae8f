import { sql, type RawBuilder } from 'kysely';
import type { EntityType } from './schemas.ts';
import { GUARDIAN_KINDS, STAFF_KINDS, STUDENT_KINDS } from './model.ts';
import type { Scope } from './scope.ts';

/**
 * Presentation of SS 12000 entities as the app may see them, computed by PostgreSQL: one jsonb
 * expression per row (alias `t`), sent to the client as the database's JSON text.
 *
 * Why in SQL: the stored body is already JSON in the database. Parsing every row into JavaScript
 * objects, copying the allowed fields and stringifying them again was most of the server's CPU per
 * request in the `api` benchmark (row parsing, presentation, JSON.stringify and the garbage they
 * leave). Here the server passes the text through.
 *
 * The rules (DOMAIN.md §4, the data issue):
 *  - fields of a data category the app is not approved for are absent (not null): civic number,
 *    birth date, sex, private e-mail, phone numbers, addresses, photo, guardians (`responsibles`);
 *    a person's categories are those of the roles through which the scope sees them (a student or
 *    guardian at a unit granted under the students API, staff at a unit granted under the staff API);
 *  - a person with protected identity (`Skyddad folkbokföring`) never releases civic number,
 *    addresses, phone numbers or e-mail addresses;
 *  - enrolments only at the scope's student units; group memberships only of groups at student
 *    units; activities' teachers only at staff units; placements' owners only with guardians;
 *  - an end user's token: their own group membership only, never other members or teachers.
 *
 * References carry no `displayName` in the store (ingestion strips it: the store is the authority
 * for names, filled in on `expandReferenceNames`), so nothing needs removing for them here.
 */

const PROTECTED = 'Skyddad folkbokföring';
const uuids = (ids: string[]) => sql`${ids}::uuid[]`;
const texts = (v: string[]) => sql`${v}::text[]`;
const bool = (b: boolean) => sql.raw(b ? 'true' : 'false');

const iso = (col: string) => sql.raw(`to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);
/** meta.created/modified as Date#toISOString writes them. */
const META = sql`jsonb_build_object('meta', jsonb_build_object('created', ${iso('t.created_at')}, 'modified', ${iso('t.modified_at')}))`;

/** Options of a request that change the entity's own presentation. */
export interface PresentOptions {
  /** groups: embed the assignment roles (`expand=assignmentRoles`) in the same statement. */
  assignmentRoles?: boolean;
}

/**
 * The FROM clause for presenting rows of `type` (alias `t`). Persons join their roles in the
 * scope (alias `pr`: student, staff, guardian), computed once per row from their relations.
 */
export function presentFrom(type: EntityType, table: string, scope: Scope): RawBuilder<unknown> {
  if (type !== 'persons' || scope.endUser) return sql`${sql.table(table)} t`;
  const guardian = scope.guardians
    ? sql`coalesce(bool_or(r.kind = ANY(${texts(GUARDIAN_KINDS)}) AND r.organisation_id = ANY(${uuids(scope.studentUnits)})), false)`
    : sql`false`;
  return sql`${sql.table(table)} t CROSS JOIN LATERAL (
      SELECT coalesce(bool_or(r.kind = ANY(${texts(STUDENT_KINDS)}) AND r.organisation_id = ANY(${uuids(scope.studentUnits)})), false) AS student,
             coalesce(bool_or(r.kind = ANY(${texts(STAFF_KINDS)}) AND r.organisation_id = ANY(${uuids(scope.staffUnits)})), false) AS staff,
             ${guardian} AS guardian
        FROM ss12000_person_relations r WHERE r.person_id = t.id) pr`;
}

/** The presented entity as a jsonb expression on the row (see `presentFrom` for the aliases). */
export function presentSql(type: EntityType, scope: Scope, options: PresentOptions = {}): RawBuilder<unknown> {
  switch (type) {
    case 'persons':
      return personSql(scope);
    case 'groups':
      return sql`${groupBody(scope)} || ${META}${options.assignmentRoles ? sql` || ${assignmentRolesSql(scope)}` : sql``}`;
    case 'activities':
      return sql`${activityBody(scope)} || ${META}`;
    case 'placements':
      return scope.guardians ? sql`t.body || ${META}` : sql`(t.body - 'owners') || ${META}`;
    default:
      return sql`t.body || ${META}`;
  }
}

function personSql(scope: Scope): RawBuilder<unknown> {
  const user = scope.endUser;
  // The roles through which the person is seen: constants for an end user's own token.
  const role = user
    ? { student: bool(user.role === 'student'), staff: bool(user.role === 'staff'), guardian: bool(user.role === 'guardian') }
    : { student: sql`pr.student`, staff: sql`pr.staff`, guardian: sql`pr.guardian` };
  /** Whether the person's roles bring data category `c` (the union over their roles). */
  const has = (c: string) => {
    const terms: RawBuilder<unknown>[] = [];
    if (scope.studentCategories.has(c)) terms.push(sql`${role.student} OR ${role.guardian}`);
    if (scope.staffCategories.has(c)) terms.push(role.staff);
    return terms.length ? sql`(${sql.join(terms, sql` OR `)})` : sql`false`;
  };
  const open = sql`t.security_marking IS DISTINCT FROM ${PROTECTED}`;
  const dropUnless = (key: string, keep: RawBuilder<unknown>) => sql`CASE WHEN ${keep} THEN NULL ELSE ${key}::text END`;
  const dropped = sql`array_remove(ARRAY[
      ${dropUnless('civicNo', sql`${has('civic_number')} AND ${open}`)},
      ${dropUnless('birthDate', has('birth_date'))},
      ${dropUnless('sex', has('sex'))},
      ${dropUnless('phoneNumbers', sql`${has('phone_numbers')} AND ${open}`)},
      ${dropUnless('addresses', sql`${has('addresses')} AND ${open}`)},
      ${dropUnless('photo', has('photo'))},
      ${dropUnless('responsibles', sql`${role.student} AND ${bool(scope.guardians)}`)},
      'emails', 'enrolments'], NULL)`;
  // E-mail addresses: none for protected identity; private ones only with that category; absent when none is left.
  const emails = sql`CASE WHEN ${open} AND jsonb_typeof(t.body->'emails') = 'array' THEN coalesce((
      SELECT jsonb_build_object('emails', jsonb_agg(e ORDER BY i)) FROM jsonb_array_elements(t.body->'emails') WITH ORDINALITY AS x(e, i)
       WHERE ${has('private_email')} OR e->>'type' IS DISTINCT FROM 'Privat' HAVING count(*) > 0), '{}'::jsonb) ELSE '{}'::jsonb END`;
  // Enrolments: a student's, at the scope's student units only; absent when none is left.
  const enrolments = sql`CASE WHEN ${role.student} AND jsonb_typeof(t.body->'enrolments') = 'array' THEN coalesce((
      SELECT jsonb_build_object('enrolments', jsonb_agg(e ORDER BY i)) FROM jsonb_array_elements(t.body->'enrolments') WITH ORDINALITY AS x(e, i)
       WHERE lower(e->'enroledAt'->>'id') = ANY(${texts(scope.studentUnits)}) HAVING count(*) > 0), '{}'::jsonb) ELSE '{}'::jsonb END`;
  return sql`(t.body - ${dropped}) || ${emails} || ${enrolments} || ${META}`;
}

function groupBody(scope: Scope): RawBuilder<unknown> {
  if (scope.endUser) {
    // Their own membership only (absent when they have none in this group).
    return sql`(t.body - 'groupMemberships') || coalesce((
        SELECT jsonb_build_object('groupMemberships', jsonb_agg(m ORDER BY i)) FROM jsonb_array_elements(coalesce(t.body->'groupMemberships', '[]'::jsonb)) WITH ORDINALITY AS x(m, i)
         WHERE lower(m->'person'->>'id') = ${scope.endUser.personId} HAVING count(*) > 0), '{}'::jsonb)`;
  }
  // Memberships are student data: only for groups at units granted under the students API.
  return sql`CASE WHEN t.organisation_id = ANY(${uuids(scope.studentUnits)}) THEN t.body ELSE t.body - 'groupMemberships' END`;
}

function activityBody(scope: Scope): RawBuilder<unknown> {
  if (scope.endUser) return sql`(t.body - 'teachers')`;
  // Teachers are staff data: only for activities at units granted under the staff API.
  return sql`CASE WHEN t.organisation_id = ANY(${uuids(scope.staffUnits)}) THEN t.body ELSE t.body - 'teachers' END`;
}

/**
 * `_embedded.assignmentRoles` of a group: the roles of duties at units granted under the staff API
 * (an end user's token: only those of their own duties), in the duty's order.
 */
function assignmentRolesSql(scope: Scope): RawBuilder<unknown> {
  const own = scope.endUser ? sql` AND a.duty_id IN (SELECT d.id FROM ss12000_duties d WHERE d.person_id = ${scope.endUser.personId}::uuid)` : sql``;
  return sql`jsonb_build_object('_embedded', jsonb_build_object('assignmentRoles', coalesce((
      SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
               'duty', jsonb_build_object('id', a.duty_id),
               'assignmentRoleType', a.assignment_role_type,
               'startDate', to_char(a.start_date, 'YYYY-MM-DD'),
               'endDate', to_char(a.end_date, 'YYYY-MM-DD'))) ORDER BY a.duty_id, a.ordinal)
        FROM ss12000_assignment_roles a
       WHERE a.group_id = t.id AND a.organisation_id = ANY(${uuids(scope.staffUnits)})${own}), '[]'::jsonb)))`;
}
