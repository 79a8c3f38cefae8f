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
 * leave). Here the server passes the text through. Persons, the largest and most read table, are
 * not even trimmed on read: their JSON is stored split into the part every reader gets and the
 * members that depend on approval (migration 0045), and a page joins the parts its reader may see.
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
 * scope, so that the usual case needs no look into the body).
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
  return sql`${sql.table(table)} t CROSS JOIN ${roles}`;
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
      return columns(sql`t.json_core`, personMembers(scope));
    case 'groups': {
      const embedded = options.assignmentRoles ? [sql`', "_embedded": {"assignmentRoles": ' || ${assignmentRolesSql(scope)}::text || '}'`] : [];
      if (scope.endUser) return columns(ownMembershipBody(scope.endUser.personId), embedded);
      // Memberships are student data: only for groups at units granted under the students API.
      return columns(sql`t.json_core`, [
        sql`CASE WHEN t.organisation_id = ANY(${uuids(scope.studentUnits)}) THEN coalesce(t.json_memberships, '') ELSE '' END`,
        ...embedded,
      ]);
    }
    case 'activities':
      return columns(activityBody(scope));
    case 'placements':
      return columns(scope.guardians ? sql`t.body` : sql`t.body - 'owners'`);
    default:
      return columns(sql`t.body`);
  }
}

/**
 * The members of a person's JSON that depend on what the app may see, from the parts stored beside
 * the body (migration 0045, which also withholds civic number, addresses, phone numbers and e-mail
 * addresses of a person with protected identity), each `, "key": value` or ''. Uses the roles `pr`.
 */
function personMembers(scope: Scope): RawBuilder<unknown>[] {
  /** Whether the person's roles bring data category `c` (the union over their roles). */
  const has = (c: string): RawBuilder<unknown> | boolean => {
    // Approved under both APIs: every presented person is seen in some role, so always.
    if (scope.studentCategories.has(c) && scope.staffCategories.has(c)) return true;
    const terms: RawBuilder<unknown>[] = [];
    if (scope.studentCategories.has(c)) terms.push(sql`pr.student OR pr.guardian`);
    if (scope.staffCategories.has(c)) terms.push(sql`pr.staff`);
    return terms.length ? sql`(${sql.join(terms, sql` OR `)})` : false;
  };
  const member = (column: string, when: RawBuilder<unknown> | boolean): RawBuilder<unknown>[] => {
    const part = sql`coalesce(${sql.ref(`t.${column}`)}, '')`;
    if (when === false) return [];
    return [when === true ? part : sql`CASE WHEN ${when} THEN ${part} ELSE '' END`];
  };
  const privateEmail = has('private_email');
  // Enrolments: a student's, at the scope's student units only; the stored part when all are.
  const enrolmentsAtUnits = sql`(SELECT ', "enrolments": ' || jsonb_agg(e ORDER BY i)::text
      FROM jsonb_array_elements(CASE WHEN jsonb_typeof(t.body->'enrolments') = 'array' THEN t.body->'enrolments' ELSE '[]'::jsonb END) WITH ORDINALITY AS x(e, i)
     WHERE lower(e->'enroledAt'->>'id') = ANY(${texts(scope.studentUnits)}))`;
  return [
    ...member('json_civic_no', has('civic_number')),
    ...member('json_birth_date', has('birth_date')),
    ...member('json_sex', has('sex')),
    ...member('json_phone_numbers', has('phone_numbers')),
    ...member('json_addresses', has('addresses')),
    ...member('json_photo', has('photo')),
    ...member('json_responsibles', scope.guardians ? sql`pr.student` : false),
    // E-mail addresses: private ones only with that category.
    privateEmail === true
      ? sql`coalesce(t.json_emails, '')`
      : privateEmail === false
        ? sql`coalesce(t.json_work_emails, '')`
        : sql`coalesce(CASE WHEN ${privateEmail} THEN t.json_emails ELSE t.json_work_emails END, '')`,
    sql`CASE WHEN NOT pr.student THEN '' WHEN pr.enrolments_in_scope THEN coalesce(t.json_enrolments, '') ELSE coalesce(${enrolmentsAtUnits}, '') END`,
  ];
}

/** A group's body for an end user's token: their own membership only (absent when they have none). */
function ownMembershipBody(personId: string): RawBuilder<unknown> {
  return sql`(t.body - 'groupMemberships') || coalesce((
      SELECT jsonb_build_object('groupMemberships', jsonb_agg(m ORDER BY i)) FROM jsonb_array_elements(coalesce(t.body->'groupMemberships', '[]'::jsonb)) WITH ORDINALITY AS x(m, i)
       WHERE lower(m->'person'->>'id') = ${personId} HAVING count(*) > 0), '{}'::jsonb)`;
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
