import { sql, type RawBuilder } from 'kysely';
import type { EntityType } from './schemas.ts';
import { GUARDIAN_KINDS, STAFF_KINDS, STUDENT_KINDS } from './model.ts';
import { texts, uuids, type Scope } from './scope.ts';

/**
 * Presentation of SS 12000 entities as the app may see them, decided by PostgreSQL: per row (alias
 * `t`) the body's JSON text trimmed to what the app may see, plus what is put back or added; the
 * server joins them with `meta` (`presentedJson`) and sends the text on without parsing it.
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
const bool = (b: boolean) => sql.raw(b ? 'true' : 'false');

const iso = (col: string) => sql.raw(`to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);
/** meta.created/modified of row `t` as Date#toISOString writes them, as columns `created` and `modified`. */
export const metaColumns = sql`${iso('t.created_at')} AS created, ${iso('t.modified_at')} AS modified`;

/**
 * The columns of a presented row (see `PresentedRow`). The JSON text is put together in
 * `presentedJson` rather than in SQL: every jsonb `||` rebuilds the whole body, and cutting the
 * body's text in PostgreSQL counts its UTF-8 characters — together more than the rest of a page's
 * SQL — while slicing and joining strings costs the server next to nothing.
 */
function columns(body: RawBuilder<unknown>, members: RawBuilder<unknown>[] = []): RawBuilder<unknown> {
  const extra = members.length ? sql.join(members, sql` || `) : sql`''`;
  return sql`(${body})::text AS body, ${extra} AS extra, ${metaColumns}`;
}

/** A presented row as the presenting statement returns it. */
export interface PresentedRow {
  id: string;
  /** The body's JSON text, trimmed to what the app may see. */
  body: string;
  /** Members put back or added (`, "key": value` each), or ''. */
  extra: string;
  /** meta.created/modified as Date#toISOString writes them. */
  created: string;
  modified: string;
}

/**
 * The JSON text of a presented row: `meta`, the spliced members, then the body's own members.
 * Safe as text: the body is a JSON object with at least `id`, never holds `meta` (ingestion drops
 * it), spliced keys are removed from it first, and the timestamps are digits and separators only.
 */
export function presentedJson(row: PresentedRow): string {
  return `{"meta":{"created":"${row.created}","modified":"${row.modified}"}${row.extra}, ${row.body.slice(1)}`;
}

/** Options of a request that change the entity's own presentation. */
export interface PresentOptions {
  /** groups: embed the assignment roles (`expand=assignmentRoles`) in the same statement. */
  assignmentRoles?: boolean;
}

/**
 * The FROM clause for presenting rows of `type` (alias `t`). Persons join their roles in the scope
 * (alias `pr`: student, staff, guardian — computed once per row from their relations, and also what
 * makes them visible, see `presentedPersonVisible` — and whether every enrolment is at a unit of the
 * scope, so that the usual case needs no look into the body) and what their presentation trims
 * (alias `pv`).
 */
export function presentFrom(type: EntityType, table: string, scope: Scope): RawBuilder<unknown> {
  if (type !== 'persons') return sql`${sql.table(table)} t`;
  const roles = scope.endUser
    ? sql`(SELECT ${bool(scope.endUser.role === 'student')} AS student, ${bool(scope.endUser.role === 'staff')} AS staff, ${bool(scope.endUser.role === 'guardian')} AS guardian, false AS enrolments_in_scope) pr`
    : sql`LATERAL (
      SELECT coalesce(bool_or(r.kind = ANY(${texts(STUDENT_KINDS)}) AND r.organisation_id = ANY(${uuids(scope.studentUnits)})), false) AS student,
             coalesce(bool_or(r.kind = ANY(${texts(STAFF_KINDS)}) AND r.organisation_id = ANY(${uuids(scope.staffUnits)})), false) AS staff,
             ${scope.guardians ? sql`coalesce(bool_or(r.kind = ANY(${texts(GUARDIAN_KINDS)}) AND r.organisation_id = ANY(${uuids(scope.studentUnits)})), false)` : sql`false`} AS guardian,
             coalesce(bool_and(r.kind <> 'enrolment' OR r.organisation_id = ANY(${uuids(scope.studentUnits)})), true) AS enrolments_in_scope
        FROM ss12000_person_relations r WHERE r.person_id = t.id) pr`;
  return sql`${sql.table(table)} t CROSS JOIN ${roles} CROSS JOIN LATERAL (${personTrim(scope)}) pv`;
}

/**
 * Persons (not for an end user's token): visible exactly when the scope sees them in a role, which
 * `pr` has already worked out — the same rule as `personVisibleSql`, without a second probe.
 */
export const presentedPersonVisible = sql`(pr.student OR pr.staff OR pr.guardian)`;

/** The columns of a presented entity, a `PresentedRow` (see `presentFrom` for the aliases). */
export function presentSql(type: EntityType, scope: Scope, options: PresentOptions = {}): RawBuilder<unknown> {
  switch (type) {
    case 'persons':
      return columns(sql`CASE WHEN t.body ?| pv.dropped THEN t.body - pv.dropped ELSE t.body END`, [
        sql`CASE WHEN pv.emails IS NOT NULL AND 'emails' = ANY(pv.dropped) THEN ', "emails": ' || pv.emails::text ELSE '' END`,
        sql`CASE WHEN pv.enrolments IS NOT NULL AND 'enrolments' = ANY(pv.dropped) THEN ', "enrolments": ' || pv.enrolments::text ELSE '' END`,
      ]);
    case 'groups':
      return columns(groupBody(scope), options.assignmentRoles ? [sql`', "_embedded": {"assignmentRoles": ' || ${assignmentRolesSql(scope)}::text || '}'`] : []);
    case 'activities':
      return columns(activityBody(scope));
    case 'placements':
      return columns(scope.guardians ? sql`t.body` : sql`t.body - 'owners'`);
    default:
      return columns(sql`t.body`);
  }
}

/**
 * What a person's presentation leaves out (`pv.dropped`, only keys the body has are removed) and
 * the trimmed e-mail addresses and enrolments put back in their place (`pv.emails`, `pv.enrolments`;
 * NULL when none is left). Uses the roles `pr`.
 */
function personTrim(scope: Scope): RawBuilder<unknown> {
  /** Whether the person's roles bring data category `c` (the union over their roles). */
  const has = (c: string) => {
    // Approved under both APIs: every presented person is seen in some role, so always.
    if (scope.studentCategories.has(c) && scope.staffCategories.has(c)) return sql`true`;
    const terms: RawBuilder<unknown>[] = [];
    if (scope.studentCategories.has(c)) terms.push(sql`pr.student OR pr.guardian`);
    if (scope.staffCategories.has(c)) terms.push(sql`pr.staff`);
    return terms.length ? sql`(${sql.join(terms, sql` OR `)})` : sql`false`;
  };
  const open = sql`t.security_marking IS DISTINCT FROM ${PROTECTED}`;
  // E-mail addresses: none for protected identity; private ones only with that category.
  const emails = sql`CASE WHEN NOT ${open} OR jsonb_typeof(t.body->'emails') <> 'array' THEN NULL
      WHEN ${has('private_email')} THEN nullif(t.body->'emails', '[]'::jsonb)
      ELSE (SELECT jsonb_agg(e ORDER BY i) FROM jsonb_array_elements(t.body->'emails') WITH ORDINALITY AS x(e, i) WHERE e->>'type' IS DISTINCT FROM 'Privat') END`;
  // Enrolments: a student's, at the scope's student units only.
  const enrolments = sql`CASE WHEN NOT pr.student OR jsonb_typeof(t.body->'enrolments') <> 'array' THEN NULL
      WHEN pr.enrolments_in_scope THEN nullif(t.body->'enrolments', '[]'::jsonb)
      ELSE (SELECT jsonb_agg(e ORDER BY i) FROM jsonb_array_elements(t.body->'enrolments') WITH ORDINALITY AS x(e, i)
             WHERE lower(e->'enroledAt'->>'id') = ANY(${texts(scope.studentUnits)})) END`;
  const dropUnless = (key: string, keep: RawBuilder<unknown>) => sql`CASE WHEN ${keep} THEN NULL ELSE ${key}::text END`;
  return sql`SELECT array_remove(ARRAY[
      ${dropUnless('civicNo', sql`${has('civic_number')} AND ${open}`)},
      ${dropUnless('birthDate', has('birth_date'))},
      ${dropUnless('sex', has('sex'))},
      ${dropUnless('phoneNumbers', sql`${has('phone_numbers')} AND ${open}`)},
      ${dropUnless('addresses', sql`${has('addresses')} AND ${open}`)},
      ${dropUnless('photo', has('photo'))},
      ${dropUnless('responsibles', sql`pr.student AND ${bool(scope.guardians)}`)},
      CASE WHEN em.v IS DISTINCT FROM t.body->'emails' THEN 'emails' END,
      CASE WHEN en.v IS DISTINCT FROM t.body->'enrolments' THEN 'enrolments' END], NULL) AS dropped,
    em.v AS emails, en.v AS enrolments
    FROM (SELECT ${emails} AS v) em, (SELECT ${enrolments} AS v) en`;
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
 * `_embedded.assignmentRoles` of a group (jsonb): the roles of duties at units granted under the
 * staff API (an end user's token: only those of their own duties), in the duty's order.
 */
function assignmentRolesSql(scope: Scope): RawBuilder<unknown> {
  const own = scope.endUser ? sql` AND a.duty_id IN (SELECT d.id FROM ss12000_duties d WHERE d.person_id = ${scope.endUser.personId}::uuid)` : sql``;
  return sql`coalesce((
      SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
               'duty', jsonb_build_object('id', a.duty_id),
               'assignmentRoleType', a.assignment_role_type,
               'startDate', to_char(a.start_date, 'YYYY-MM-DD'),
               'endDate', to_char(a.end_date, 'YYYY-MM-DD'))) ORDER BY a.duty_id, a.ordinal)
        FROM ss12000_assignment_roles a
       WHERE a.group_id = t.id AND a.organisation_id = ANY(${uuids(scope.staffUnits)})${own}), '[]'::jsonb)`;
}
