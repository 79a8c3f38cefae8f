import { sql, type CompiledQuery, type RawBuilder } from 'kysely';
import type { Queryable } from '../../context.ts';
import { endpointByType, relationshipSql, type EndpointDef } from './endpoints.ts';
import { referencesOf, tableOf } from './model.ts';
import { entityTypes, type EntityType } from './schemas.ts';
import { personVisibleSql, rowCount, uuids, visibleSql, type Scope } from './scope.ts';
import {
  metaColumns,
  personSeenSql,
  presentedJson,
  presentedPersonVisible,
  presentFrom,
  presentSql,
  releasedSql,
  unitsOf,
  unitsSql,
  type PresentedRow,
  type PresentOptions,
} from './present.ts';
import { readsOf } from './release.ts';
import { PREPARED } from '../../db/prepared.ts';
import { StatementCache } from '../../db/statement-cache.ts';
import { authorizeCall, type AuthorizeArgs, type PendingAuthorization } from './access.ts';
import { encodeToken, MAX_LIMIT, parseDeletedRequest, type ListQuery } from './query.ts';

/**
 * The read side of the facade: keyset pagination, the statements that read and present (the
 * consent rules themselves are in `present.ts`), reference names and expands. Query parameters
 * and page tokens are parsed in `query.ts`; the parsers are re-exported here for the routes.
 */

export { MAX_LIMIT, parseListRequest, parseOptions, ssError, type ListQuery } from './query.ts';

/** The conditions of a list statement; `visible` is the scope's, or null when the FROM already keeps only visible rows. */
function conditions(def: EndpointDef, filters: Record<string, any>, scope: Scope, visible: RawBuilder<unknown> | null): RawBuilder<unknown>[] {
  const conds = visible ? [visible] : [];
  for (const [key, value] of Object.entries(filters)) {
    const p = def.params[key];
    if (p?.where) conds.push(p.where(value, scope));
  }
  if (def.type === 'persons') {
    const rel = relationshipSql(filters, scope);
    if (rel) conds.push(rel);
  }
  if (filters['meta.created.before']) conds.push(sql`t.created_at <= ${filters['meta.created.before']}::timestamptz`);
  if (filters['meta.created.after']) conds.push(sql`t.created_at > ${filters['meta.created.after']}::timestamptz`);
  if (filters['meta.modified.before']) conds.push(sql`t.modified_at <= ${filters['meta.modified.before']}::timestamptz`);
  if (filters['meta.modified.after']) conds.push(sql`t.modified_at > ${filters['meta.modified.after']}::timestamptz`);
  if (filters['startDate.onOrBefore']) conds.push(sql`t.start_date <= ${filters['startDate.onOrBefore']}::date`);
  if (filters['startDate.onOrAfter']) conds.push(sql`t.start_date >= ${filters['startDate.onOrAfter']}::date`);
  // The spec: records without an end date are always included in endDate filters.
  if (filters['endDate.onOrBefore']) conds.push(sql`(t.end_date IS NULL OR t.end_date <= ${filters['endDate.onOrBefore']}::date)`);
  if (filters['endDate.onOrAfter']) conds.push(sql`(t.end_date IS NULL OR t.end_date >= ${filters['endDate.onOrAfter']}::date)`);
  return conds;
}

/** A row as the statement returns it (units as text, `unitsSql`). */
type StatementRow = Omit<Row, 'units'> & { units: string | null };
/**
 * The rows a statement returned (units as text, `unitsSql`) → `Row`s: their columns named one by
 * one, so that what a statement selects besides them (a fused read's `authorization`, see
 * `runRead`) stays behind. Rows released through the same units (on a page of lessons, all of them)
 * share one array of them: nothing downstream changes it, and a page then splits its units' text
 * once instead of once per row.
 */
function withUnits(rows: StatementRow[]): Row[] {
  const split = new Map<string | null, string[] | null>();
  return rows.map((row) => {
    let units = split.get(row.units);
    if (units === undefined) split.set(row.units, (units = unitsOf(row.units)));
    return { id: row.id, body: row.body, extra: row.extra, created: row.created, modified: row.modified, units, sort_value: row.sort_value };
  });
}

/** A presented row (see `present.ts`) and, in list pages sorted by a sort key, that key's value (in id order the id is the value: null here). */
export type Row = PresentedRow & { sort_value?: string };

/** A stored row as it is, for the expands that rebuild parts of other entities. */
type StoredRow = Pick<PresentedRow, 'id' | 'created' | 'modified'> & { body: Record<string, any> };

/** Expands done in the presenting statement itself (no second query, no parsing). */
const SQL_EXPANDS: Partial<Record<EntityType, readonly string[]>> = { groups: ['assignmentRoles'] };
const presentOptions = (type: EntityType, expand: readonly string[]): PresentOptions => ({
  assignmentRoles: type === 'groups' && expand.includes('assignmentRoles'),
});
/**
 * A statement's fragment that depends on the scope and the entity type alone (`key` says which),
 * built once per scope and reused by its requests: building the presenting SQL anew was a few
 * per cent of the server's CPU on a page of lessons, and a fragment is immutable, so sharing it is safe.
 */
function perScope(scope: Scope, key: string, build: () => RawBuilder<unknown>): RawBuilder<unknown> {
  let fragments = fragmentsOf.get(scope);
  if (!fragments) fragmentsOf.set(scope, (fragments = new Map()));
  let fragment = fragments.get(key);
  if (!fragment) fragments.set(key, (fragment = build()));
  return fragment;
}
const fragmentsOf = new WeakMap<Scope, Map<string, RawBuilder<unknown>>>();
const presented = (def: EndpointDef, scope: Scope, expand: readonly string[]) => {
  const options = presentOptions(def.type, expand);
  return perScope(scope, `present:${def.type}:${options.assignmentRoles ? 'roles' : ''}`, () => presentSql(def.type, scope, options));
};
const units = (def: EndpointDef, scope: Scope) => perScope(scope, `units:${def.type}`, () => unitsSql(def.type, scope));
/** The columns of a `StatementRow` but `sort_value`: what every read selects of the rows it presents. */
const rowColumns = (def: EndpointDef, scope: Scope, expand: readonly string[]) => sql`t.id, ${presented(def, scope, expand)}, ${units(def, scope)} AS units`;
/** How many columns `rowColumns` selects (id, body, extra, created, modified, units): a fused read's authorization row fills them with NULL. */
const ROW_COLUMNS = 6;
/** The scope's visibility of rows of a type but persons (built once per scope, `perScope`). */
const visible = (def: EndpointDef, scope: Scope) => perScope(scope, `visible:${def.type}`, () => visibleSql(def.type, scope));
/** Visibility in a presenting statement by ids: persons use the roles the statement works out anyway. */
const presentedVisible = (def: EndpointDef, scope: Scope) =>
  def.type === 'persons' ? (scope.endUser ? visibleSql(def.type, scope) : presentedPersonVisible) : visible(def, scope);
/**
 * Visibility in a list statement. Persons as a semi join on the relations in scope rather than a
 * test of each person's roles (`pr`): the planner may then start from the scope's units, or walk in
 * id order, instead of working out `pr` for every person of the world (issue 16).
 */
const listVisible = (def: EndpointDef, scope: Scope, afterId?: string) =>
  def.type === 'persons' ? (scope.endUser ? visibleSql(def.type, scope, afterId) : personSeenSql(scope, afterId)) : visible(def, scope);

/** One page of a list endpoint, keyset-paginated (no OFFSET), and the token of the next page. */
export async function listPage(
  db: Queryable,
  scope: Scope,
  def: EndpointDef,
  query: ListQuery,
  limit: number,
  after?: [string, string],
  authorize?: Authorize,
): Promise<{ rows: Row[]; pageToken?: string; authorization?: unknown }> {
  // What shapes the statement's text besides the scope: the query, the limit, whether a keyset and
  // an authorization call are in it. Their values are the statement's only per-request parameters.
  const key = `${def.path}\n${limit}\n${after ? 1 : 0}${authorize ? 1 : 0}\n${JSON.stringify(query)}`;
  const values = [...(after ?? []), ...(authorize?.args ?? [])];
  const compiled = listStatements.compile(db, scope, key, values, (v) =>
    readStatement(
      listStatement(def, scope, query, limit, after ? [v[0] as string, v[1] as string] : undefined),
      ROW_COLUMNS + 1,
      // `authorize.args`, or their sentinels, in their order.
      authorize ? authorizeCall(v.slice(after ? 2 : 0) as unknown as AuthorizeArgs) : undefined,
    ),
  );
  const result = await runRead(db, compiled, !!authorize);
  const rows = withUnits(result.rows.slice(0, limit));
  const last = rows[rows.length - 1];
  const pageToken =
    result.rows.length > limit && last ? encodeToken({ v: 1, e: def.path, q: query, l: limit, k: [last.sort_value ?? last.id, last.id] }) : undefined;
  return authorize ? { rows, pageToken, authorization: result.authorization } : { rows, pageToken };
}

/** A read's authorization call (`PendingAuthorization` in access.ts) with its arguments. */
type Authorize = Pick<PendingAuthorization, 'call' | 'args'>;

/**
 * List statements by scope and shape (`listPage`), at most some 8 MB of text and keys per process.
 * A page of one school's week of lessons is about 1 kB of SQL; a scope's unit ids are written into
 * its statements' text (`uuids` in scope.ts), so an app granted hundreds of schools has tens of kB.
 */
const listStatements = new StatementCache(8_000_000);

/** The statement of one list page (`listPage`): its rows and the value of their sort key, one more than `limit`. */
function listStatement(def: EndpointDef, scope: Scope, query: ListQuery, limit: number, after?: [string, string]): RawBuilder<StatementRow> {
  const sort = query.sortkey ? def.sortkeys[query.sortkey]! : undefined;
  // A sort key on a withheld-able field orders only the rows where it is released to this reader;
  // the others sort as '' (then by id), so the order reveals nothing (release policy).
  const gate = query.sortkey ? readsOf(def.type, 'sortkeys', query.sortkey) : undefined;
  const expr = !sort
    ? sql`t.id::text`
    : gate
      ? sql`(CASE WHEN ${releasedSql(def.type, gate.release, scope)} THEN ${sql.raw(sort.expr)} ELSE '' END)`
      : sql.raw(sort.expr);
  const cast = sql.raw(sort ? sort.cast : 'text');
  const desc = sort?.desc ?? false;
  // Persons in id order without filters: the page's ids come first, from the scope (`presentFrom`).
  const page = def.type === 'persons' && !scope.endUser && !sort && !Object.keys(query.filters).length ? { after: after?.[1], limit: limit + 1 } : undefined;
  const conds = conditions(def, query.filters, scope, page ? null : listVisible(def, scope, !sort && after ? after[1] : undefined));
  if (after) {
    const cmp = sql.raw(desc ? '<' : '>');
    conds.push(sort ? sql`(${expr}, t.id) ${cmp} (${after[0]}::${cast}, ${after[1]}::uuid)` : sql`t.id ${cmp} ${after[1]}::uuid`);
  }
  const dir = sql.raw(desc ? 'DESC' : 'ASC');
  const order = sort ? sql`${expr} ${dir}, t.id ${dir}` : sql`t.id`;
  return sql<StatementRow>`
    SELECT ${rowColumns(def, scope, query.expand)}, ${sort ? sql`${expr}::text` : sql`NULL::text`} AS sort_value
    FROM ${presentFrom(def.type, def.table, scope, page)}
    WHERE ${conds.length ? sql.join(conds, sql` AND `) : sql`true`}
    ORDER BY ${order}
    LIMIT ${rowCount(limit + 1)}`;
}

/** Presented rows by id (or by the lookup's other keys) that the scope may see. */
export async function findVisible(
  db: Queryable,
  scope: Scope,
  def: EndpointDef,
  ids: string[],
  extra: RawBuilder<unknown>[] = [],
  expand: readonly string[] = [],
): Promise<Row[]> {
  return (await findVisibleAuthorized(db, scope, def, ids, extra, expand)).rows;
}

/**
 * `findVisible` for a read's answer, with the read's authorization call (`authorize`, see
 * `PendingAuthorization` in access.ts) in the same statement when it is given: its answer comes
 * back as `authorization`.
 */
export async function findVisibleAuthorized(
  db: Queryable,
  scope: Scope,
  def: EndpointDef,
  ids: string[],
  extra: RawBuilder<unknown>[] = [],
  expand: readonly string[] = [],
  authorize?: Authorize,
): Promise<{ rows: Row[]; authorization?: unknown }> {
  const keyed = [...(ids.length ? [sql`t.id = ANY(${uuids(ids)})`] : []), ...extra];
  if (!keyed.length) {
    // Nothing to look for: the authorization alone.
    if (!authorize) return { rows: [] };
    const alone = await sql<{ r: unknown }>`${PREPARED} SELECT ${authorize.call} AS r`.execute(db);
    return { rows: [], authorization: alone.rows[0]?.r ?? null };
  }
  const statement = sql<StatementRow>`
    SELECT ${rowColumns(def, scope, expand)}
    FROM ${presentFrom(def.type, def.table, scope)}
    WHERE ${presentedVisible(def, scope)} AND (${sql.join(keyed, sql` OR `)})
    ORDER BY t.id LIMIT ${MAX_LIMIT * 5}`;
  const { rows, authorization } = await runRead(db, readStatement(statement, ROW_COLUMNS, authorize?.call).compile(db), !!authorize);
  return authorize ? { rows: withUnits(rows), authorization } : { rows: withUnits(rows) };
}

/**
 * Runs a read's statement alone, or with the read's authorization call in the same statement (one
 * round trip, one snapshot): the statement's rows, whose column `authorization` is NULL, then the
 * call's one row — its answer in `authorization`, the statement's `columns` NULL. (The rows come
 * first because a `UNION` takes its column names from its first input.)
 *
 * A `UNION ALL` rather than a join of the call and the statement re-sorted outside (the form before
 * session 21): that cost ~45 µs of PostgreSQL's CPU per read more, most of it copying the page's wide
 * rows into a sort again. The rows keep the order of the statement's own ORDER BY: an Append runs its
 * inputs one after the other and passes each one's rows through as they come, and the call (a
 * PARALLEL UNSAFE function) keeps the plan from running in parallel, the one way an Append
 * interleaves its inputs. The authorization row is looked for wherever it lands all the same.
 */
async function runRead(db: Queryable, statement: CompiledQuery, fused: boolean): Promise<{ rows: StatementRow[]; authorization?: unknown }> {
  const { rows } = await db.executeQuery<StatementRow & { authorization: string | null }>(statement);
  if (!fused) return { rows };
  const at = rows.at(-1)?.id === null ? rows.length - 1 : rows.findIndex((r) => r.id === null);
  if (at < 0) throw new Error('the read returned no authorization row');
  const text = rows[at]!.authorization;
  if (at === rows.length - 1) rows.pop();
  else rows.splice(at, 1);
  return { rows, authorization: text === null ? null : JSON.parse(text) };
}

/** A read's statement as `runRead` runs it: alone, or fused with the authorization call (`columns`: how many the statement selects). */
function readStatement(statement: RawBuilder<StatementRow>, columns: number, authorize?: RawBuilder<unknown>): RawBuilder<unknown> {
  if (!authorize) return sql`${PREPARED} ${statement}`;
  return sql`${PREPARED}
    SELECT NULL::text AS authorization, p.* FROM (${statement}) p
    UNION ALL
    SELECT ${authorize}::text, ${sql.raw(Array<string>(columns).fill('NULL').join(', '))}`;
}

/**
 * Released parts of rows that the scope may see, for expands that take pieces of them: the core
 * (every field released with the entity) and one further stored part (`json_*`) parsed, never the
 * stored body — so an expand releases nothing the release policy does not.
 */
async function findReleasedParts(db: Queryable, scope: Scope, def: EndpointDef, part: string, where: RawBuilder<unknown>): Promise<StoredRow[]> {
  const r = await sql<{ id: string; core: string; part: string | null; created: string; modified: string }>`
    SELECT t.id, t.json_core AS core, ${sql.ref(`t.${part}`)} AS part, ${metaColumns} FROM ${sql.table(def.table)} t
    WHERE ${visibleSql(def.type, scope)} AND ${where}
    ORDER BY t.id LIMIT ${MAX_LIMIT * 5}`.execute(db);
  return r.rows.map((row) => ({
    id: row.id,
    created: row.created,
    modified: row.modified,
    // The core always holds `id`, so the part joins it as one more member.
    body: JSON.parse(row.part ? `${row.core.slice(0, -1)}${row.part}}` : row.core) as Record<string, any>,
  }));
}

// ---------------------------------------------------------------------------------------------
// Names and expands: done on parsed objects, only when a request asks for them.

function getAt(obj: any, path: (string | number)[]): any {
  return path.reduce((o, k) => (o == null ? undefined : o[k]), obj);
}

/**
 * `expandReferenceNames`: fills `displayName` of references from the store (persons only when the
 * scope may see them; duties and study plans have no name). The store keeps references without names.
 */
async function applyReferenceNames(db: Queryable, scope: Scope, type: EntityType, items: Record<string, any>[]) {
  const refs = items.flatMap((item) => referencesOf(type, item).map((r) => ({ ...r, item })));
  const byType = new Map<EntityType, Set<string>>();
  for (const r of refs) {
    if (!byType.has(r.target)) byType.set(r.target, new Set());
    byType.get(r.target)!.add(r.id);
  }
  const names = new Map<string, string>();
  for (const [target, idSet] of byType) {
    const ids = [...idSet];
    // Entities without a name of their own (a schedule's placement, issue 17, among them).
    if (
      target === 'duties' ||
      target === 'studyplans' ||
      target === 'schoolUnitOfferings' ||
      target === 'calendarEvents' ||
      target === 'placements' ||
      target === 'grades'
    )
      continue;
    const col = target === 'syllabuses' ? sql`coalesce(t.course_name, t.subject_name)` : target === 'programmes' ? sql`t.name` : sql`t.display_name`;
    const visible = target === 'persons' ? personVisibleSql(scope, sql`t.id`) : sql`true`;
    const rows = await sql<{
      id: string;
      name: string | null;
    }>`SELECT t.id, ${col} AS name FROM ${sql.table(tableOf[target])} t WHERE t.id = ANY(${ids}::uuid[]) AND ${visible}`.execute(db);
    for (const row of rows.rows) if (row.name) names.set(row.id, row.name);
  }
  for (const r of refs) {
    const target = getAt(r.item, r.path);
    const name = names.get(r.id);
    if (name && target && typeof target === 'object') target.displayName = name;
  }
}

async function embedFor(db: Queryable, scope: Scope, type: EntityType, items: Record<string, any>[], expand: string[], names: boolean) {
  if (!expand.length || !items.length) return;
  const ids = items.map((i) => i.id);
  const embed = (item: Record<string, any>, key: string, value: unknown) => {
    item._embedded ??= {};
    item._embedded[key] = value;
  };
  const load = async (t: EntityType, where: RawBuilder<unknown>) => {
    const rows = await findVisible(db, scope, endpointByType[t], [], [where]);
    return parseAndName(db, scope, t, rows, names);
  };
  if (type === 'persons') {
    if (expand.includes('duties')) {
      const duties = await load('duties', sql`t.person_id = ANY(${ids}::uuid[])`);
      for (const item of items)
        embed(
          item,
          'duties',
          duties.filter((d) => d.person?.id === item.id),
        );
    }
    if (expand.includes('placements')) {
      const list = await load('placements', sql`t.child_id = ANY(${ids}::uuid[])`);
      for (const item of items)
        embed(
          item,
          'placements',
          list.filter((p) => p.child?.id === item.id),
        );
    }
    if (expand.includes('ownedPlacements')) {
      const list = scope.guardians ? await load('placements', sql`t.owner_ids && ${ids}::uuid[]`) : [];
      for (const item of items)
        embed(
          item,
          'ownedPlacements',
          list.filter((p) => (p.owners ?? []).some((o: { id: string }) => o.id === item.id)),
        );
    }
    if (expand.includes('responsibleFor')) {
      const children = scope.guardians
        ? await findReleasedParts(
            db,
            scope,
            endpointByType.persons,
            'json_responsibles',
            sql`t.id IN (SELECT r.source_id FROM ss12000_person_relations r WHERE r.person_id = ANY(${ids}::uuid[]) AND r.kind = 'responsibleFor.enrolment' AND r.source_type = 'persons')`,
          )
        : [];
      for (const item of items) {
        const list = children.flatMap((c) =>
          ((c.body.responsibles ?? []) as { person: { id: string }; relationType: string }[])
            .filter((r) => r.person.id === item.id)
            .map((r) => ({
              person: {
                id: c.id,
                ...(names ? { displayName: `${c.body.givenName} ${c.body.familyName}` } : {}),
                ...(c.body.securityMarking ? { securityMarking: c.body.securityMarking } : {}),
              },
              relationType: r.relationType,
            })),
        );
        embed(item, 'responsibleFor', list);
      }
    }
    if (expand.includes('groupMemberships')) {
      const groups = await findReleasedParts(
        db,
        scope,
        endpointByType.groups,
        'json_group_memberships',
        sql`t.id IN (SELECT r.source_id FROM ss12000_person_relations r WHERE r.person_id = ANY(${ids}::uuid[]) AND r.kind = 'groupMembership')`,
      );
      // Memberships are student data; an end user's token shows the person's own, in any role.
      const units = new Set(scope.endUser ? scope.allUnits : scope.studentUnits);
      const fragments: Record<string, any>[] = [];
      for (const item of items) {
        const list = [];
        for (const g of groups) {
          if (!units.has(g.body.organisation?.id)) continue;
          for (const m of (g.body.groupMemberships ?? []) as { person: { id: string }; startDate?: string; endDate?: string }[]) {
            if (m.person.id !== item.id) continue;
            const { groupMemberships: _m, ...fragment } = g.body;
            const group = { ...fragment, id: g.id, meta: { created: g.created, modified: g.modified }, organisation: { ...fragment.organisation } };
            fragments.push(group);
            list.push({ group, ...(m.startDate ? { startDate: m.startDate } : {}), ...(m.endDate ? { endDate: m.endDate } : {}) });
          }
        }
        embed(item, 'groupMemberships', list);
      }
      if (names) await applyReferenceNames(db, scope, 'groups', fragments);
    }
  }
  if (type === 'placements') {
    const personIds = new Set<string>();
    for (const p of items) {
      if (expand.includes('child') && p.child) personIds.add(p.child.id);
      if (expand.includes('owners')) for (const o of p.owners ?? []) personIds.add(o.id);
    }
    const persons = await load('persons', sql`t.id = ANY(${[...personIds]}::uuid[])`);
    const byId = new Map(persons.map((p) => [p.id, p]));
    for (const p of items) {
      if (expand.includes('child') && byId.has(p.child?.id)) embed(p, 'child', byId.get(p.child.id));
      if (expand.includes('owners')) embed(p, 'owners', (p.owners ?? []).map((o: { id: string }) => byId.get(o.id)).filter(Boolean));
    }
  }
  if (type === 'duties' && expand.includes('person')) {
    const persons = await load('persons', sql`t.id = ANY(${items.map((d) => d.person?.id).filter(Boolean)}::uuid[])`);
    const byId = new Map(persons.map((p) => [p.id, p]));
    for (const d of items) if (byId.has(d.person?.id)) embed(d, 'person', byId.get(d.person.id));
  }
  if (type === 'activities') {
    if (expand.includes('groups')) {
      const groups = await load('groups', sql`t.id = ANY(${items.flatMap((a) => (a.groups ?? []).map((g: { id: string }) => g.id))}::uuid[])`);
      const byId = new Map(groups.map((g) => [g.id, g]));
      for (const a of items) embed(a, 'groups', (a.groups ?? []).map((g: { id: string }) => byId.get(g.id)).filter(Boolean));
    }
    if (expand.includes('teachers')) {
      const dutyIds = items.flatMap((a) => (a.teachers ?? []).map((t: { duty: { id: string } }) => t.duty.id));
      const duties = await load('duties', sql`t.id = ANY(${dutyIds}::uuid[])`);
      const byId = new Map(duties.map((d) => [d.id, d]));
      for (const a of items) embed(a, 'teachers', (a.teachers ?? []).map((t: { duty: { id: string } }) => byId.get(t.duty.id)).filter(Boolean));
    }
    if (expand.includes('syllabus')) {
      const list = await load('syllabuses', sql`t.id = ANY(${items.map((a) => a.syllabus?.id).filter(Boolean)}::uuid[])`);
      const byId = new Map(list.map((s) => [s.id, s]));
      for (const a of items) if (byId.has(a.syllabus?.id)) embed(a, 'syllabus', byId.get(a.syllabus.id));
    }
  }
  if (type === 'calendarEvents' && expand.includes('activity')) {
    // The lesson's activity as the scope shows it (teachers only at staff units, release policy).
    const activities = await load('activities', sql`t.id = ANY(${items.map((e) => e.activity?.id).filter(Boolean)}::uuid[])`);
    const byId = new Map(activities.map((a) => [a.id, a]));
    for (const e of items) if (byId.has(e.activity?.id)) embed(e, 'activity', byId.get(e.activity.id));
  }
  if (type === 'calendarEvents' && expand.includes('attendance')) {
    // The lesson's attendance records the scope may see (the attendance API's rule, `visibleSql`).
    const list = await load('attendances', sql`t.calendar_event_id = ANY(${ids}::uuid[])`);
    for (const e of items)
      embed(
        e,
        'attendance',
        list.filter((a) => a.calendarEvent?.id === e.id),
      );
  }
  if (type === 'attendanceEvents') {
    // The pupil, the group and who registered it, each only as the scope shows it (persons through
    // the students or staff API, groups at units of the scope).
    const personKeys = (['person', 'registeredBy'] as const).filter((k) => expand.includes(k));
    if (personKeys.length) {
      const persons = await load('persons', sql`t.id = ANY(${items.flatMap((e) => personKeys.map((k) => e[k]?.id)).filter(Boolean)}::uuid[])`);
      const byId = new Map(persons.map((p) => [p.id, p]));
      for (const e of items) for (const k of personKeys) if (byId.has(e[k]?.id)) embed(e, k, byId.get(e[k].id));
    }
    if (expand.includes('group')) {
      const groups = await load('groups', sql`t.id = ANY(${items.map((e) => e.group?.id).filter(Boolean)}::uuid[])`);
      const byId = new Map(groups.map((g) => [g.id, g]));
      for (const e of items) if (byId.has(e.group?.id)) embed(e, 'group', byId.get(e.group.id));
    }
  }
}

async function parseAndName(db: Queryable, scope: Scope, type: EntityType, rows: Row[], names: boolean): Promise<Record<string, any>[]> {
  const items = rows.map((r) => JSON.parse(presentedJson(r)) as Record<string, any>);
  if (names) await applyReferenceNames(db, scope, type, items);
  return items;
}

/**
 * Presented rows → the JSON text of each item. Without reference names or expands beyond those of
 * the statement itself, the database's text is passed through untouched; otherwise it is parsed,
 * completed and written again.
 */
export async function present(
  db: Queryable,
  scope: Scope,
  type: EntityType,
  rows: Row[],
  options: { expand: string[]; expandReferenceNames: boolean },
): Promise<string[]> {
  const inSql = SQL_EXPANDS[type] ?? [];
  const rest = options.expand.filter((e) => !inSql.includes(e));
  if (!options.expandReferenceNames && !rest.length) return rows.map(presentedJson);
  const items = await parseAndName(db, scope, type, rows, options.expandReferenceNames);
  await embedFor(db, scope, type, items, rest, options.expandReferenceNames);
  return items.map((i) => JSON.stringify(i));
}

/**
 * A list's answer as the bytes sent: `{"data":[…]}` of the items (JSON texts), with `pageToken` when
 * there is a next page. The items' joined text is encoded as it is, between the list's head and
 * tail, instead of being flattened once more into the whole answer's text first: a page of a
 * hundred lessons is some 60 kB that every read then allocated twice (issue 17: in a loop of this
 * step alone, a quarter of the young-generation collections of the flattening form).
 */
export function listBytes(items: string[], pageToken?: string): Buffer {
  return joinedBytes('{"data":[', items, pageToken ? `],"pageToken":${JSON.stringify(pageToken)}}` : ']}');
}

/** `head`, the items joined with commas, and `tail`, as UTF-8: the items' text encoded as it is (see `listBytes`). */
export function joinedBytes(head: string, items: string[], tail: string): Buffer {
  const body = items.join(',');
  const headBytes = Buffer.byteLength(head);
  const bodyBytes = Buffer.byteLength(body);
  const bytes = Buffer.allocUnsafe(headBytes + bodyBytes + Buffer.byteLength(tail));
  bytes.write(head, 0);
  bytes.write(body, headBytes);
  bytes.write(tail, headBytes + bodyBytes);
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// deletedEntities

const deletedKey: Record<EntityType, string> = {
  organisations: 'organisations',
  persons: 'persons',
  placements: 'placements',
  duties: 'duties',
  groups: 'groups',
  // The spec's own spelling; clients code against it.
  activities: 'activitites',
  syllabuses: 'syllabuses',
  programmes: 'programmes',
  studyplans: 'studyPlans',
  rooms: 'rooms',
  resources: 'resources',
  schoolUnitOfferings: 'schoolUnitOfferings',
  calendarEvents: 'calendarEvents',
  attendances: 'attendances',
  absences: 'absences',
  attendanceEvents: 'attendanceEvents',
  attendanceSchedules: 'attendanceSchedules',
  grades: 'grades',
};
/** The members of `/deletedEntities`' `data`, one per entity type served. */
export const deletedEntityKeys = entityTypes.map((t) => deletedKey[t]);
/** The spec's EndPointsEnum names of the collections the facade serves (GET /deletedEntities, subscriptions). */
export const entityEnum: Record<string, EntityType> = {
  Organisation: 'organisations',
  Person: 'persons',
  Placement: 'placements',
  Duty: 'duties',
  Group: 'groups',
  Activity: 'activities',
  Syllabus: 'syllabuses',
  Programme: 'programmes',
  StudyPlan: 'studyplans',
  Room: 'rooms',
  Resource: 'resources',
  SchoolUnitOffering: 'schoolUnitOfferings',
  CalendarEvent: 'calendarEvents',
  Attendance: 'attendances',
  Absence: 'absences',
  AttendanceEvent: 'attendanceEvents',
  AttendanceSchedule: 'attendanceSchedules',
  Grade: 'grades',
};
export const deletedEntityNames = Object.keys(entityEnum);
/** Entities of the spec that this facade does not serve: accepted in `entities`, always empty. */
export const OTHER_ENDPOINTS: string[] = [];

/**
 * SQL condition on a row `d` of ss12000_deleted_entities: the scope could have seen the entity (its
 * units when it was deleted). Read by GET /deletedEntities and by the notices of subscriptions.
 */
export function deletedVisibleSql(scope: Scope): RawBuilder<unknown> {
  const s = sql`${scope.studentUnits}::uuid[]`;
  // An end user's token sees no deletions: a deleted id is no longer anybody's own record.
  return scope.endUser
    ? sql`false`
    : sql.join(
        [
          sql`d.student_units && ${s}`,
          sql`d.staff_units && ${sql`${scope.staffUnits}::uuid[]`}`,
          sql`d.timetable_units && ${sql`${scope.timetableUnits}::uuid[]`}`,
          sql`d.attendance_units && ${sql`${scope.attendanceUnits ?? []}::uuid[]`}`,
          sql`d.grades_units && ${sql`${scope.gradesUnits ?? []}::uuid[]`}`,
          ...(scope.guardians ? [sql`d.guardian_units && ${s}`] : []),
          ...(scope.allUnits.length ? [sql`d.any_grant`] : []),
        ],
        sql` OR `,
      );
}

/** GET /deletedEntities: ids deleted after a moment, of entities the app could have seen. */
export async function deletedEntities(db: Queryable, scope: Scope, search: string) {
  const { after, entities, fromId, limit } = parseDeletedRequest(search, [...deletedEntityNames, ...OTHER_ENDPOINTS]);
  const types = (entities ?? deletedEntityNames).map((e) => entityEnum[e]).filter((t): t is EntityType => !!t);
  const data: Record<string, string[]> = {};
  for (const t of entityTypes) if (types.includes(t)) data[deletedKey[t]] = [];
  if (!types.length) return { data, pageToken: undefined as string | undefined };
  const visible = deletedVisibleSql(scope);
  const rows = await sql<{ id: string; entity_type: EntityType; entity_id: string }>`
    SELECT d.id, d.entity_type, d.entity_id FROM ss12000_deleted_entities d
    WHERE d.id > ${fromId}::bigint AND d.entity_type = ANY(${types}::text[])
      ${after ? sql`AND d.deleted_at > ${after}::timestamptz` : sql``}
      AND (${visible})
    ORDER BY d.id LIMIT ${limit + 1}`.execute(db);
  const page = rows.rows.slice(0, limit);
  for (const r of page) data[deletedKey[r.entity_type]]!.push(r.entity_id);
  const last = page[page.length - 1];
  const pageToken =
    rows.rows.length > limit && last
      ? Buffer.from(JSON.stringify({ e: 'deletedEntities', k: last.id, a: after, n: entities })).toString('base64url')
      : undefined;
  return { data, pageToken, count: page.length };
}
