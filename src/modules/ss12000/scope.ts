import { sql, type RawBuilder } from 'kysely';
import type { Queryable } from '../../context.ts';
import { GUARDIAN_KINDS, PROTECTED_IDENTITY, STAFF_KINDS, STUDENT_KINDS, type DataCategory } from '../access/literals.ts';
import { reachedUnits, type ReachedUnit } from '../access/reach.ts';
import { releasePolicy } from './release.ts';

/** Who is calling, as the bearer-token check reports it (live grants, read on every request). */
export interface ClientIdentity {
  clientId: string;
  appId: string | null;
  partnerId: string | null;
  grants: { apiCode: string; institutionNumber: string | null; accessGroupId: string | null }[];
  /** Approved data categories per API code. */
  dataCategories: Record<string, string[]>;
  /** The end user's consent, for the access token of a sign-in (see the bearer check). */
  endUser?: { consentId: string; personId: string; institutionNumber: string; role: 'student' | 'guardian' | 'staff'; apiCode: string };
}

/**
 * What one request may see, decided from live grants: the school units (organisation ids) granted
 * under the students API and under the staff API, and the data categories approved for each.
 */
export interface Scope {
  identity: ClientIdentity;
  studentUnits: string[];
  staffUnits: string[];
  /**
   * Units granted under the timetable API: their rooms, resources, offerings and lessons (and the
   * unit, its groups and activities without members or teachers, as `allUnits` includes them).
   */
  timetableUnits: string[];
  /**
   * Units granted under the attendance API (issue 17): their pupils' attendance, absences and
   * check-ins, where the students API is granted too (release policy, `pupilRecord`). Optional for
   * scopes built by hand before it existed; `buildScope` always sets it.
   */
  attendanceUnits?: string[];
  /** Data categories approved for the attendance API (`absences`). */
  attendanceCategories?: Set<string>;
  /**
   * Units granted under the grades API, and only when the `grades` category is approved for it (a
   * grade without its content would be no grade): their grades (of pupils who are students there).
   */
  gradesUnits?: string[];
  /** Data categories approved for the grades API. */
  gradesCategories?: Set<string>;
  allUnits: string[];
  /** Institution number of each unit of the scope (organisation id → organisation code), for the access log. */
  unitInstitutions?: ReadonlyMap<string, string>;
  studentCategories: Set<string>;
  staffCategories: Set<string>;
  /** Guardians may be seen (students API approved for the guardians category). */
  guardians: boolean;
  /**
   * An end user's token: the scope holds that one person only (their own records at the consent's
   * school). `guardians` then only means the student's own `responsibles`/placement owners may show.
   */
  endUser?: { consentId: string; personId: string; role: 'student' | 'guardian' | 'staff' };
}

/** The catalog API whose grants reach the timetable (rooms, resources, offerings, calendar events). */
export const TIMETABLE_API = 'timetable';
/** The catalog API whose grants reach pupils' attendance, absences and check-ins (issue 17). */
export const ATTENDANCE_API = 'attendance';

/** The catalog API whose grants reach grades (issue 17), and the data category their content needs. */
export const GRADES_API = 'grades';
export const GRADES_CATEGORY = 'grades' satisfies DataCategory;

/**
 * The scope from the school units the client's grants reach, per API (`grant_reach` joined to the
 * school units, src/modules/access/reach.ts; `ss12000_authorize` sends the same rows). Only units
 * of APIs the identity still holds grants of count: an end user's identity holds only the consent's
 * API (see the bearer check), and then only the consent's school.
 */
export function buildScope(identity: ClientIdentity, units: readonly ReachedUnit[]): Scope {
  const apis = new Set(identity.grants.map((g) => g.apiCode));
  const user = identity.endUser;
  // Only the consent's school, only under the API covering the role.
  const reached = units.filter((u) => apis.has(u.apiCode) && (!user || u.institutionNumber === user.institutionNumber));
  const unitsOf = (api: string) => [...new Set(reached.filter((u) => u.apiCode === api).map((u) => u.unitId))];
  const studentUnits = unitsOf('students');
  const staffUnits = unitsOf('staff');
  const timetableUnits = unitsOf(TIMETABLE_API);
  const attendanceUnits = unitsOf(ATTENDANCE_API);
  const studentCategories = new Set(identity.dataCategories.students ?? []);
  const gradesCategories = new Set(identity.dataCategories[GRADES_API] ?? []);
  const gradesUnits = gradesCategories.has(GRADES_CATEGORY) ? unitsOf(GRADES_API) : [];
  return {
    identity,
    studentUnits,
    staffUnits,
    timetableUnits,
    gradesUnits,
    gradesCategories,
    allUnits: [...new Set([...studentUnits, ...staffUnits, ...timetableUnits, ...attendanceUnits, ...gradesUnits])],
    unitInstitutions: new Map(reached.map((u) => [u.unitId, u.institutionNumber])),
    studentCategories,
    staffCategories: new Set(identity.dataCategories.staff ?? []),
    guardians: studentCategories.has('guardians' satisfies DataCategory) && (!user || user.role === 'student'),
    attendanceUnits,
    attendanceCategories: new Set(identity.dataCategories[ATTENDANCE_API] ?? []),
    ...(user ? { endUser: { consentId: user.consentId, personId: user.personId, role: user.role } } : {}),
  };
}

/** The scope of `identity`, its reached school units read live (outside the SS 12000 hot path). */
export async function loadScope(db: Queryable, identity: ClientIdentity): Promise<Scope> {
  return buildScope(identity, await reachedUnits(db, identity.clientId));
}

/**
 * A scope's unit list as a uuid[] value. These lists (hundreds of ids for a large app, two or three
 * of them in every page statement) are written once per list and, from 16 ids on, into the text as
 * a constant rather than sent as a parameter: the page statements are prepared (src/db/prepared.ts),
 * and in a generic plan PostgreSQL knows nothing of a parameter array — it assumes ten elements,
 * chose a bitmap scan and a sort for an app granted 500 of 1,000 schools where walking the index in
 * id order reads 20 times fewer pages (a `/groups` page: 4,190 buffers, 123 ms against 497 and
 * 2.6 ms), and tests `= ANY` element by element where a constant array is hashed. With the list in
 * the text, the generic plan is the plan for that scope, made once per connection. Only a list of
 * well-formed UUIDs is written so (nothing in it can close the literal or split an element); any
 * other list goes as a parameter. Only for a scope's lists, which are few per client: see `uuids`.
 */
export const unitIds = (ids: string[]) => {
  const literal = uuidLiteral(ids);
  return typeof literal === 'string' ? sql.raw(`'${literal}'::uuid[]`) : sql`${literal}::uuid[]`;
};

/**
 * A uuid[] parameter, for ids a request names (filters, lookups): those vary with every request, and
 * in the text they would make each request a statement of its own (src/db/prepared.ts keeps the
 * texts used last, and would churn). A long list is still written once as a literal parameter.
 */
export const uuids = (ids: string[]) => sql`${uuidLiteral(ids)}::uuid[]`;
const UUID_ELEMENT = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const literals = new WeakMap<string[], string>();
function uuidLiteral(ids: string[]): string | string[] {
  if (ids.length < 16) return ids;
  let literal = literals.get(ids);
  if (literal === undefined) {
    if (!ids.every((id) => UUID_ELEMENT.test(id))) return ids;
    literals.set(ids, (literal = `{${ids.join(',')}}`));
  }
  return literal;
}
/**
 * A row count (LIMIT) written into the statement's text: in a generic plan a parameter LIMIT is
 * costed as a tenth of the rows, which made PostgreSQL prefer planning each page anew (about 2 ms at
 * 500 units); a page size is one of few values per client. Only a non-negative integer.
 */
export function rowCount(n: number): RawBuilder<unknown> {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`rowCount: not a row count: ${n}`);
  return sql.raw(String(n));
}

/** A text[] parameter. */
export const texts = (v: string[]) => sql`${v}::text[]`;

/** SQL condition: the person with id `personId` may be seen under `scope`. */
export function personVisibleSql(scope: Scope, personId: RawBuilder<unknown>, afterId?: string): RawBuilder<unknown> {
  if (scope.endUser) {
    // That one person, while they hold the consented role at the school (units of the role's API).
    const { personId: self, role } = scope.endUser;
    const kinds = role === 'student' ? STUDENT_KINDS : role === 'staff' ? STAFF_KINDS : GUARDIAN_KINDS;
    const units = role === 'staff' ? scope.staffUnits : scope.studentUnits;
    return sql`(${personId} = ${self}::uuid AND EXISTS (SELECT 1 FROM ss12000_person_relations r WHERE r.person_id = ${self}::uuid AND r.kind = ANY(${texts(kinds)}) AND r.organisation_id = ANY(${unitIds(units)})))`;
  }
  const parts = [
    sql`(r.kind = ANY(${texts(STUDENT_KINDS)}) AND r.organisation_id = ANY(${unitIds(scope.studentUnits)}))`,
    sql`(r.kind = ANY(${texts(STAFF_KINDS)}) AND r.organisation_id = ANY(${unitIds(scope.staffUnits)}))`,
  ];
  if (scope.guardians) parts.push(sql`(r.kind = ANY(${texts(GUARDIAN_KINDS)}) AND r.organisation_id = ANY(${unitIds(scope.studentUnits)}))`);
  // With keyset paging by id, the same bound on r.person_id lets a merge join start at the page.
  const bound = afterId ? sql` AND r.person_id > ${afterId}::uuid` : sql``;
  return sql`EXISTS (SELECT 1 FROM ss12000_person_relations r WHERE r.person_id = ${personId}${bound} AND (${sql.join(parts, sql` OR `)}))`;
}

/** SQL: ids of the groups the end user of `scope` is a member of at the scope's units. */
function ownGroupsSql(scope: Scope, self: string): RawBuilder<unknown> {
  return sql`SELECT r.source_id FROM ss12000_person_relations r WHERE r.person_id = ${self}::uuid AND r.kind = 'groupMembership' AND r.source_type = 'groups' AND r.organisation_id = ANY(${unitIds(scope.allUnits)})`;
}

/**
 * What an end user's token sees (alias `t`): only that person's own records at the consent's school.
 * organisations: the school unit; persons: themselves; placements: their own as the child (students);
 * duties: their own (staff); groups: those they are a member of; activities: those of these groups;
 * syllabuses: those of these activities; programmes: those of their enrolments at the school
 * (students); studyplans: their own (students). Documented in the facade's OpenAPI description.
 */
function endUserVisibleSql(type: string, scope: Scope, user: NonNullable<Scope['endUser']>): RawBuilder<unknown> {
  const self = user.personId;
  const me = personVisibleSql(scope, sql`${self}::uuid`);
  const activityOf = (a: string) =>
    sql`${sql.ref(`${a}.organisation_id`)} = ANY(${unitIds(scope.allUnits)}) AND ${sql.ref(`${a}.group_ids`)} && ARRAY(${ownGroupsSql(scope, self)})`;
  switch (type) {
    case 'organisations':
      return sql`t.id = ANY(${unitIds(scope.allUnits)}) AND ${me}`;
    case 'persons':
      return personVisibleSql(scope, sql`t.id`);
    case 'placements':
      return user.role === 'student' ? sql`t.child_id = ${self}::uuid AND t.organisation_id = ANY(${unitIds(scope.studentUnits)}) AND ${me}` : sql`false`;
    case 'duties':
      return user.role === 'staff' ? sql`t.person_id = ${self}::uuid AND t.organisation_id = ANY(${unitIds(scope.staffUnits)}) AND ${me}` : sql`false`;
    case 'groups':
      return sql`t.id IN (${ownGroupsSql(scope, self)}) AND t.organisation_id = ANY(${unitIds(scope.allUnits)}) AND ${me}`;
    case 'activities':
      return sql`${activityOf('t')} AND ${me}`;
    case 'syllabuses':
      return sql`t.id IN (SELECT a.syllabus_id FROM ss12000_activities a WHERE ${activityOf('a')}) AND ${me}`;
    case 'programmes':
      return user.role === 'student'
        ? sql`t.id::text IN (SELECT e->'programme'->>'id' FROM ss12000_persons p CROSS JOIN jsonb_array_elements(coalesce(p.body->'enrolments', '[]'::jsonb)) e
                              WHERE p.id = ${self}::uuid AND e->'enroledAt'->>'id' = ANY(${texts(scope.studentUnits)})) AND ${me}`
        : sql`false`;
    case 'studyplans':
      return user.role === 'student' ? sql`t.student_id = ${self}::uuid AND ${me}` : sql`false`;
    // grades: none (an end user consents under the API of their role; grades are granted to apps per school).
    default:
      return sql`false`;
  }
}

/** SQL condition for the rows of an entity table (alias `t`) that `scope` may see. */
export function visibleSql(type: string, scope: Scope, afterId?: string): RawBuilder<unknown> {
  if (scope.endUser) return endUserVisibleSql(type, scope, scope.endUser);
  switch (type) {
    case 'organisations':
      return sql`t.id = ANY(${unitIds(scope.allUnits)})`;
    case 'persons':
      return personVisibleSql(scope, sql`t.id`, afterId);
    case 'placements':
      return sql`t.organisation_id = ANY(${unitIds(scope.studentUnits)})`;
    case 'duties':
      return sql`t.organisation_id = ANY(${unitIds(scope.staffUnits)})`;
    case 'groups':
    case 'activities':
      return sql`t.organisation_id = ANY(${unitIds(scope.allUnits)})`;
    case 'syllabuses':
    case 'programmes':
      return scope.allUnits.length ? sql`true` : sql`false`;
    case 'studyplans':
      return sql`EXISTS (SELECT 1 FROM ss12000_person_relations r WHERE r.person_id = t.student_id AND r.kind = ANY(${texts(STUDENT_KINDS)}) AND r.organisation_id = ANY(${unitIds(scope.studentUnits)}))`;
    case 'rooms':
    case 'resources':
    case 'schoolUnitOfferings':
    case 'calendarEvents':
      return sql`t.organisation_id = ANY(${unitIds(scope.timetableUnits)})`;
    case 'attendances':
    case 'absences':
    case 'attendanceEvents':
    case 'attendanceSchedules':
      return pupilRecordSql(type, scope);
    case 'grades':
      return gradesVisibleSql(scope);
    default:
      return sql`false`;
  }
}

/** Units granted under both the attendance and the students API, once per scope (the same list on every request). */
function pupilUnits(scope: Scope): string[] {
  let units = pupilUnitsOf.get(scope);
  if (!units) {
    const students = new Set(scope.studentUnits);
    pupilUnitsOf.set(scope, (units = (scope.attendanceUnits ?? []).filter((u) => students.has(u))));
  }
  return units;
}
const pupilUnitsOf = new WeakMap<Scope, string[]>();

/**
 * A pupil's record of the attendance API (alias `t`, with `organisation_id` and the policy's student
 * column), as the release policy's `pupilRecord` declares it: at a unit granted under the API, the
 * pupil a student there under the students API, the pupil's marking not among those that withhold
 * the record (a pupil missing from the store counts as protected: nothing says otherwise), and the
 * record's own category approved when it needs one. Never for an end user's token (handled above).
 */
function pupilRecordSql(type: 'attendances' | 'absences' | 'attendanceEvents' | 'attendanceSchedules', scope: Scope): RawBuilder<unknown> {
  const rule = releasePolicy[type].pupilRecord!;
  const units = pupilUnits(scope);
  if (!units.length) return sql`false`;
  if (rule.category && !scope.attendanceCategories?.has(rule.category)) return sql`false`;
  const pupil = sql.ref(`t.${rule.studentColumn}`);
  return sql`(t.organisation_id = ANY(${unitIds(units)})
    AND EXISTS (SELECT 1 FROM ss12000_person_relations r WHERE r.person_id = ${pupil} AND r.kind = ANY(${texts(STUDENT_KINDS)}) AND r.organisation_id = t.organisation_id)
    AND EXISTS (SELECT 1 FROM ss12000_persons p WHERE p.id = ${pupil} AND (p.security_marking IS NULL OR p.security_marking <> ALL(${texts([...rule.withheldUnder])}))))`;
}

/**
 * SQL condition: grade `t` may be seen — at a unit granted under the grades API (with the `grades`
 * category), of a pupil who is a student at that unit (a grade does not follow the pupil to another
 * school), and not of a pupil under protected identity (read live from the person: a marking set
 * later withholds the grades at once; a pupil the store does not hold counts as protected).
 */
export function gradesVisibleSql(scope: Scope): RawBuilder<unknown> {
  return sql`(t.organisation_id = ANY(${unitIds(scope.gradesUnits ?? [])})
    AND EXISTS (SELECT 1 FROM ss12000_person_relations r WHERE r.person_id = t.student_id AND r.kind = ANY(${texts(STUDENT_KINDS)}) AND r.organisation_id = t.organisation_id)
    AND EXISTS (SELECT 1 FROM ss12000_persons p WHERE p.id = t.student_id AND p.security_marking IS DISTINCT FROM ${PROTECTED_IDENTITY}))`;
}
