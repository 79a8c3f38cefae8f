import { sql, type RawBuilder } from 'kysely';
import type { EntityType } from './schemas.ts';
import { partColumn, partsOf, releasePolicy, type FieldRelease, type ScopeRule } from './release.ts';
import { GUARDIAN_KINDS, STAFF_KINDS, STUDENT_KINDS } from './model.ts';
import { rowCount, texts, unitIds, type Scope } from './scope.ts';

/**
 * Presentation of SS 12000 entities as the app may see them, decided by PostgreSQL: per row (alias
 * `t`) the body's JSON text trimmed to what the app may see, plus what is put back or added; the
 * server joins them with `meta` (`presentedJson`) and sends the text on without parsing it.
 *
 * Why in SQL: the stored body is already JSON in the database. Parsing every row into JavaScript
 * objects, copying the allowed fields and stringifying them again was most of the server's CPU per
 * request in the `api` benchmark (row parsing, presentation, JSON.stringify and the garbage they
 * leave). Here the server passes the text through. Nothing is trimmed on read either: every
 * entity's JSON is stored split into the part every reader gets and the members that depend on
 * approval or scope (migration 0049), and a page joins the parts its reader may see.
 *
 * What each field releases is not written here: it is the release policy (`release.ts`), an
 * allowlist from which the stored parts (`json_*` columns, one per field released by a category or
 * a consent rule, and `json_core` with every field released with the entity) and this SQL are
 * derived. Here: which part a reader gets (`memberSql`), the consent rules on the scope
 * (`ruleSql`), and the gate that keeps filters and sorts off withheld fields (`releasedSql`).
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
  /** School units of the scope (organisation ids; persons' as `students:<id>`/`staff:<id>`) through which the row is released; null: none (catalogue data). */
  units: string[] | null;
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

/** Scopes of more units than this always walk (see `visiblePersonIdsSql`). */
const MAX_PER_UNIT = 64;

/** One page of a list in id order: the rows after `after` (an id), at most `limit` of them. */
export interface IdPage {
  after?: string;
  limit: number;
}

/**
 * The FROM clause for presenting rows of `type` (alias `t`). Persons join their roles in the scope
 * (alias `pr`: student, staff, guardian — computed once per row from their relations — whether every
 * enrolment is at a unit of the scope, so that the usual case needs no look into the body, and the
 * units the row is released through).
 *
 * With `page` (persons in id order, no filter; not for an end user's token) the persons are driven
 * from the ids of the page (`visiblePersonIdsSql`): only those rows are read and get their `pr`, and
 * they are exactly the visible ones, so the statement needs no visibility condition of its own.
 */
export function presentFrom(type: EntityType, table: string, scope: Scope, page?: IdPage): RawBuilder<unknown> {
  if (type !== 'persons') return sql`${sql.table(table)} t`;
  const roles = scope.endUser
    ? sql`(SELECT ${bool(scope.endUser.role === 'student')} AS student, ${bool(scope.endUser.role === 'staff')} AS staff, ${bool(scope.endUser.role === 'guardian')} AS guardian, false AS enrolments_in_scope) pr`
    : personRolesSql(scope);
  if (page && !scope.endUser) return sql`${visiblePersonIdsSql(scope, page)} v JOIN ${sql.table(table)} t ON t.id = v.id CROSS JOIN ${roles}`;
  return sql`${sql.table(table)} t CROSS JOIN ${roles}`;
}

/**
 * `pr` (see `presentFrom`). Whether each relation is at a unit granted under the students API
 * (`in_s`) and under the staff API (`in_t`) is written once and read by every role: each unit list
 * in a statement costs about a microsecond per unit to send and read, and this one named them five
 * times (an app with 500 units paid ~2 ms a page for it); with the same units under both APIs, once.
 */
function personRolesSql(scope: Scope): RawBuilder<unknown> {
  const same = scope.studentUnits.length === scope.staffUnits.length && scope.studentUnits.every((u, i) => u === scope.staffUnits[i]);
  const inT = same ? sql`r.in_s` : sql`r.in_t`;
  const seenKinds = scope.guardians ? [...STUDENT_KINDS, ...GUARDIAN_KINDS] : STUDENT_KINDS;
  return sql`LATERAL (
      SELECT coalesce(bool_or(r.in_s AND r.kind = ANY(${texts(STUDENT_KINDS)})), false) AS student,
             coalesce(bool_or(${inT} AND r.kind = ANY(${texts(STAFF_KINDS)})), false) AS staff,
             ${scope.guardians ? sql`coalesce(bool_or(r.in_s AND r.kind = ANY(${texts(GUARDIAN_KINDS)})), false)` : sql`false`} AS guardian,
             coalesce(bool_and(r.kind <> 'enrolment' OR r.in_s), true) AS enrolments_in_scope,
             -- Tagged with the API whose role released the person (the access log credits that API only).
             array_agg(DISTINCT CASE WHEN r.kind = ANY(${texts(STAFF_KINDS)}) THEN 'staff:' ELSE 'students:' END || r.organisation_id::text)
               FILTER (WHERE (r.in_s AND r.kind = ANY(${texts(seenKinds)})) OR (${inT} AND r.kind = ANY(${texts(STAFF_KINDS)}))) AS units
        FROM (SELECT r.kind, r.organisation_id, r.organisation_id = ANY(${unitIds(scope.studentUnits)}) AS in_s${
          same ? sql`` : sql`, r.organisation_id = ANY(${unitIds(scope.staffUnits)}) AS in_t`
        }
                FROM ss12000_person_relations r WHERE r.person_id = t.id) r) pr`;
}

/**
 * The ids (column `id`) of the first `page.limit` persons after `page.after`, in id order, that the
 * scope sees (not for an end user's token): the same rows, in the same order, as walking the persons
 * and keeping the visible ones, reached from the scope's side when that is cheaper (issue 16).
 *
 * Two ways, of which the statement runs one (the other is cut off by a one-time filter):
 *  - per unit: for each granted unit, the first `limit` distinct persons it relates in a role the
 *    scope sees there, from the index (organisation_id, person_id, kind) (migration 0050), merged
 *    and cut to `limit`. Exact: a person among the first `limit` overall is among the first `limit`
 *    of each unit it is seen through. Costs about units × limit index entries, whatever the world.
 *  - walk: persons in id order, each checked against its relations (a merge semi join of two
 *    index-only scans). Costs about limit × (world / scope): cheap when the scope is a good share
 *    of the world, where per unit would read units × limit entries to keep `limit`.
 * Per unit is taken when the scope's units squared are at most the school units in the store (units
 * × limit against limit × all units / units): a partner with 10 of 200 or of 1,000 schools goes per
 * unit, an app with half of them walks (a scope of more than MAX_PER_UNIT units is not even offered
 * per unit). Per unit relies on every candidate being a stored person: a relation can outlive a
 * deleted person whom a stored placement or duty still names, and such a candidate could push a
 * visible person out of a unit's list. The merged candidates are checked (`limit` index probes
 * rather than one per relation read) and, should one be missing, the walk answers instead
 * (test/ss12000/scope-cost.test.ts).
 */
export function visiblePersonIdsSql(scope: Scope, page: IdPage): RawBuilder<unknown> {
  if (!scope.allUnits.length) return sql`(SELECT NULL::uuid AS id WHERE false)`;
  const after = (column: string) => (page.after ? sql` AND ${sql.ref(column)} > ${page.after}::uuid` : sql``);
  // coalesce: the planner does not estimate the condition (at 500 units, matching each against the
  // statistics of organisation_id was 1.3 ms of planning); the walk's plan, a merge semi join in id
  // order cut by the limit, does not depend on it.
  const walk = sql`SELECT p.id FROM ss12000_persons p
         WHERE p.id IN (SELECT r.person_id FROM ss12000_person_relations r WHERE coalesce(${seenThrough(scope)}, false)${after('r.person_id')})${after('p.id')}
         ORDER BY p.id LIMIT ${rowCount(page.limit)}`;
  // Per unit would need a store of more than MAX_PER_UNIT² school units to be taken, and sending the
  // unit list once more costs about a microsecond per unit whether it is taken or not.
  if (scope.allUnits.length > MAX_PER_UNIT) return sql`(${walk})`;
  const units = sql.join(
    unitKinds(scope).map((g) => sql`SELECT u AS unit, ${texts(g.kinds)} AS kinds FROM unnest(${unitIds(g.units)}) u`),
    sql` UNION ALL `,
  );
  return sql`(
    WITH gate AS MATERIALIZED (
      -- At least units² school units in the store, counted no further than that: bounded by the
      -- scope (at most MAX_PER_UNIT² rows), not by the world.
      SELECT count(*) >= ${scope.allUnits.length}::bigint * ${scope.allUnits.length}::bigint AS per_unit
        FROM (SELECT 1 FROM ss12000_organisations WHERE organisation_type = 'Skolenhet'
               LIMIT ${scope.allUnits.length}::bigint * ${scope.allUnits.length}::bigint) s),
    candidates AS MATERIALIZED (
      SELECT DISTINCT f.person_id AS id
        FROM (${units}) g
       CROSS JOIN LATERAL (
         SELECT DISTINCT r.person_id FROM ss12000_person_relations r
          WHERE r.organisation_id = g.unit AND r.kind = ANY(g.kinds)${after('r.person_id')}
          ORDER BY r.person_id LIMIT ${rowCount(page.limit)}) f
       WHERE (SELECT per_unit FROM gate)
       ORDER BY 1 LIMIT ${rowCount(page.limit)}),
    chosen AS MATERIALIZED (
      SELECT (SELECT per_unit FROM gate)
             AND NOT EXISTS (SELECT 1 FROM candidates c WHERE NOT EXISTS (SELECT 1 FROM ss12000_persons p WHERE p.id = c.id)) AS per_unit)
    SELECT c.id FROM candidates c WHERE (SELECT per_unit FROM chosen)
    UNION ALL
    SELECT w.id FROM (${walk}) w WHERE NOT (SELECT per_unit FROM chosen))`;
}

/**
 * Persons (not for an end user's token) that the scope sees, as a semi join on their relations —
 * the same rule as `personVisibleSql` and as `pr`, in a form the planner can also start from the
 * scope's units (a small scope) or walk in id order (a large one). With keyset paging by id, the
 * bound on r.person_id lets the walk start at the page.
 */
export function personSeenSql(scope: Scope, afterId?: string): RawBuilder<unknown> {
  const bound = afterId ? sql` AND r.person_id > ${afterId}::uuid` : sql``;
  return sql`t.id IN (SELECT r.person_id FROM ss12000_person_relations r WHERE ${seenThrough(scope)}${bound})`;
}

/**
 * The scope's units grouped by the relation kinds through which each shows a person (student kinds,
 * with guardians' when the scope sees guardians, at units granted under the students API; staff
 * kinds at units granted under the staff API): at most three groups, usually one.
 */
function unitKinds(scope: Scope): { kinds: string[]; units: string[] }[] {
  // Once per scope: the same lists on every request, so `uuids` writes each literal once.
  let groups = unitKindsOf.get(scope);
  if (!groups) unitKindsOf.set(scope, (groups = groupUnitKinds(scope)));
  return groups;
}
const unitKindsOf = new WeakMap<Scope, { kinds: string[]; units: string[] }[]>();

function groupUnitKinds(scope: Scope): { kinds: string[]; units: string[] }[] {
  const student = new Set(scope.studentUnits);
  const staff = new Set(scope.staffUnits);
  const byKinds = new Map<string, { kinds: string[]; units: string[] }>();
  for (const unit of scope.allUnits) {
    const kinds = [
      ...(student.has(unit) ? STUDENT_KINDS : []),
      ...(student.has(unit) && scope.guardians ? GUARDIAN_KINDS : []),
      ...(staff.has(unit) ? STAFF_KINDS : []),
    ];
    const key = kinds.join(',');
    if (!byKinds.has(key)) byKinds.set(key, { kinds, units: [] });
    byKinds.get(key)!.units.push(unit);
  }
  return [...byKinds.values()];
}

/**
 * A relation `r` through which the scope sees its person (student, staff or guardian role at a
 * granted unit), with one unit list per group of `unitKinds`: each list sent is about a microsecond
 * per unit to send and read, and in a WHERE clause the planner matches each against the statistics of
 * organisation_id — an app with the same 500 units under both APIs sends them once, not three times.
 */
function seenThrough(scope: Scope): RawBuilder<unknown> {
  const groups = unitKinds(scope);
  if (!groups.length) return sql`false`;
  return sql`(${sql.join(
    groups.map((g) => sql`(r.organisation_id = ANY(${unitIds(g.units)}) AND r.kind = ANY(${texts(g.kinds)}))`),
    sql` OR `,
  )})`;
}

/**
 * Persons (not for an end user's token): visible exactly when the scope sees them in a role, which
 * `pr` has already worked out — the same rule as `personVisibleSql`, without a second probe.
 */
export const presentedPersonVisible = sql`(pr.student OR pr.staff OR pr.guardian)`;

/** The columns of a presented entity, a `PresentedRow` (see `presentFrom` for the aliases). */
export function presentSql(type: EntityType, scope: Scope, options: PresentOptions = {}): RawBuilder<unknown> {
  const members: RawBuilder<unknown>[] = [];
  for (const part of partsOf(type)) {
    if (!part.field || part.variant === 'school') continue;
    const m = memberSql(type, part.field, releasePolicy[type].fields[part.field]!, scope);
    if (m) members.push(m);
  }
  if (type === 'groups' && options.assignmentRoles) members.push(sql`', "_embedded": {"assignmentRoles": ' || ${assignmentRolesSql(scope)}::text || '}'`);
  // A row whose parts were never computed (written around ingestion) releases its id only.
  return columns(sql`coalesce(t.json_core, json_build_object('id', t.id)::text)`, members);
}

/**
 * Whether the reader gets a field of row `t` released by data category `c`: for persons, the union
 * over the roles through which the scope sees them (`pr`); other entities carry no category data.
 */
function hasCategory(type: EntityType, c: string, scope: Scope): RawBuilder<unknown> | boolean {
  // A grade's content: the categories approved for the grades API (the scope shows grades only with `grades`).
  if (type === 'grades') return scope.gradesCategories?.has(c) ?? false;
  if (type !== 'persons') return false;
  // Approved under both APIs: every presented person is seen in some role, so always.
  if (scope.studentCategories.has(c) && scope.staffCategories.has(c)) return true;
  const terms: RawBuilder<unknown>[] = [];
  if (scope.studentCategories.has(c)) terms.push(sql`pr.student OR pr.guardian`);
  if (scope.staffCategories.has(c)) terms.push(sql`pr.staff`);
  return terms.length ? sql`(${sql.join(terms, sql` OR `)})` : false;
}

const stored = (column: string) => sql`coalesce(${sql.ref(`t.${column}`)}, '')`;
const when = (cond: RawBuilder<unknown> | boolean, then: RawBuilder<unknown>): RawBuilder<unknown> | undefined =>
  cond === false ? undefined : cond === true ? then : sql`CASE WHEN ${cond} THEN ${then} ELSE '' END`;
/** A stored part's value as jsonb (`, "key": v` → v), for the rules that release some of its elements. */
const partValue = (column: string, key: string) => sql`(('{' || substr(${sql.ref(`t.${column}`)}, 3) || '}')::jsonb -> ${key}::text)`;

/**
 * The SQL text of one released member of row `t` (`, "key": value` or ''), from the field's
 * declaration; undefined when this reader never gets it.
 */
function memberSql(type: EntityType, field: string, f: FieldRelease, scope: Scope): RawBuilder<unknown> | undefined {
  const column = partColumn(field);
  if (f.privateElements) {
    // Every element the marking allows with the private elements' category, else the school ones only.
    const all = hasCategory(type, f.privateElements.category, scope);
    const school = partColumn(field, 'school');
    if (all === true) return stored(column);
    if (all === false) return stored(school);
    return sql`coalesce(CASE WHEN ${all} THEN ${sql.ref(`t.${column}`)} ELSE ${sql.ref(`t.${school}`)} END, '')`;
  }
  const r = f.release;
  if (r.by === 'category') return when(hasCategory(type, r.category, scope), stored(column));
  if (r.by === 'rule') return ruleSql(r.rule, column, field, scope);
  return undefined;
}

/**
 * Whether a consent rule releases its field of row `t` to this reader at all (true, false, or an SQL
 * condition) — the one statement of each rule, read by the presenting SQL (`ruleSql`) and by the gate
 * on filters and sorts (`releasedSql`).
 */
function ruleGate(rule: ScopeRule, scope: Scope): RawBuilder<unknown> | boolean {
  switch (rule) {
    case 'enrolmentsAtStudentUnits':
      return sql`pr.student`;
    case 'guardiansOfStudents':
      return scope.guardians && sql`pr.student`;
    case 'membershipsAtStudentUnits':
      return sql`t.organisation_id = ANY(${unitIds(scope.endUser ? scope.allUnits : scope.studentUnits)})`;
    case 'teachersAtStaffUnits':
      return !scope.endUser && sql`t.organisation_id = ANY(${unitIds(scope.staffUnits)})`;
    case 'studentExceptionsAtStudentUnits':
      return !scope.endUser && sql`t.organisation_id = ANY(${unitIds(scope.studentUnits)})`;
    case 'ownersWithGuardians':
      return scope.guardians;
    case 'absenceReasonWithAbsences':
      return !scope.endUser && !!scope.attendanceCategories?.has('absences');
  }
}

/** The member each consent rule releases (see `ruleGate` for whether it releases it at all). */
function ruleSql(rule: ScopeRule, column: string, field: string, scope: Scope): RawBuilder<unknown> | undefined {
  switch (rule) {
    case 'enrolmentsAtStudentUnits': {
      // A student's, at the scope's student units only; the stored part when all are.
      const atUnits = sql`(SELECT ', "enrolments": ' || jsonb_agg(e ORDER BY i)::text
          FROM jsonb_array_elements(coalesce(${partValue(column, field)}, '[]'::jsonb)) WITH ORDINALITY AS x(e, i)
         WHERE lower(e->'enroledAt'->>'id') = ANY(${texts(scope.studentUnits)}))`;
      return sql`CASE WHEN NOT pr.student THEN '' WHEN pr.enrolments_in_scope THEN ${stored(column)} ELSE coalesce(${atUnits}, '') END`;
    }
    case 'membershipsAtStudentUnits':
      if (scope.endUser) {
        // An end user's token: their own membership only (absent when they have none).
        return sql`coalesce((SELECT ', "groupMemberships": ' || jsonb_agg(m ORDER BY i)::text
            FROM jsonb_array_elements(coalesce(${partValue(column, field)}, '[]'::jsonb)) WITH ORDINALITY AS x(m, i)
           WHERE lower(m->'person'->>'id') = ${scope.endUser.personId} HAVING count(*) > 0), '')`;
      }
      break;
    default:
      break;
  }
  return when(ruleGate(rule, scope), stored(column));
}

/**
 * SQL condition: the field that a filter, sort key or lookup reads is released for row `t` to this
 * reader (its category, its consent rule, and the row's security marking) — so that no filter finds,
 * and no sort orders, anyone by what the reader may not see. From the release policy.
 */
export function releasedSql(type: EntityType, f: FieldRelease, scope: Scope): RawBuilder<unknown> {
  const conds: RawBuilder<unknown>[] = [];
  const r = f.release;
  if (r.by === 'category') {
    const has = hasCategory(type, r.category, scope);
    if (has === false) return sql`false`;
    if (has !== true) conds.push(has);
  } else if (r.by === 'rule') {
    switch (r.rule) {
      case 'teachersAtStaffUnits':
        if (scope.endUser) return sql`false`;
        conds.push(sql`t.organisation_id = ANY(${unitIds(scope.staffUnits)})`);
        break;
      case 'studentExceptionsAtStudentUnits':
        if (scope.endUser) return sql`false`;
        conds.push(sql`t.organisation_id = ANY(${unitIds(scope.studentUnits)})`);
        break;
      case 'ownersWithGuardians':
      case 'guardiansOfStudents':
        if (!scope.guardians) return sql`false`;
        break;
      case 'membershipsAtStudentUnits':
        conds.push(sql`t.organisation_id = ANY(${unitIds(scope.endUser ? scope.allUnits : scope.studentUnits)})`);
        break;
      case 'enrolmentsAtStudentUnits':
        conds.push(sql`pr.student`);
        break;
      case 'absenceReasonWithAbsences':
        if (scope.endUser || !scope.attendanceCategories?.has('absences')) return sql`false`;
        break;
    }
  }
  if (f.withheldUnder?.length) conds.push(sql`(t.security_marking IS NULL OR t.security_marking <> ALL(${texts([...f.withheldUnder])}))`);
  return conds.length ? sql`(${sql.join(conds, sql` AND `)})` : sql`true`;
}

/**
 * The school units of the scope (organisation ids, as text) through which row `t` is released, for
 * the access log; persons' tagged with the API (`students:`/`staff:`); NULL for entities bound to no
 * institution (syllabuses, programmes).
 */
export function unitsSql(type: EntityType, scope: Scope): RawBuilder<unknown> {
  // As one comma-separated text (`unitsOf` splits it): pg's parser of text[] columns reads them
  // character by character, 1.3 % of the server's CPU profile on a page (ids hold no commas).
  return sql`array_to_string(${unitArraySql(type, scope)}, ',')`;
}

/** The units of a presented row as the comma-separated text of `unitsSql`, back as a list (null: bound to none). */
export function unitsOf(text: string | null): string[] | null {
  return text === null ? null : text === '' ? [] : text.split(',');
}

function unitArraySql(type: EntityType, scope: Scope): RawBuilder<unknown> {
  switch (type) {
    case 'persons':
      // Tagged with the API whose role released the person (`students:<id>`, `staff:<id>`): a person
      // seen as a student at a unit granted under both APIs was released under the students API only.
      if (scope.endUser) return sql`${texts(scope.allUnits.map((u) => `${scope.endUser!.role === 'staff' ? 'staff' : 'students'}:${u}`))}`;
      return sql`pr.units`;
    case 'organisations':
      return sql`ARRAY[t.id::text]`;
    case 'placements':
    case 'duties':
    case 'groups':
    case 'activities':
    case 'rooms':
    case 'resources':
    case 'schoolUnitOfferings':
    case 'calendarEvents':
    case 'attendances':
    case 'absences':
    case 'attendanceEvents':
    case 'attendanceSchedules':
    case 'grades':
      return sql`ARRAY[t.organisation_id::text]`;
    case 'studyplans':
      return sql`ARRAY(SELECT DISTINCT r.organisation_id::text FROM ss12000_person_relations r
                        WHERE r.person_id = t.student_id AND r.kind = ANY(${texts(STUDENT_KINDS)}) AND r.organisation_id = ANY(${unitIds(scope.studentUnits)}))`;
    default:
      return sql`NULL::text[]`;
  }
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
       WHERE a.group_id = t.id AND a.organisation_id = ANY(${unitIds(scope.staffUnits)})${own}), '[]'::jsonb)`;
}
