import { sql, type RawBuilder } from 'kysely';
import type { Queryable } from '../../context.ts';
import { ApiError } from '../../http/errors.ts';
import { endpointByType, relationshipSql, type EndpointDef, type ParamDef } from './endpoints.ts';
import { referencesOf, tableOf } from './model.ts';
import { entityTypes, type EntityType } from './schemas.ts';
import { personVisibleSql, uuids, visibleSql, type Scope } from './scope.ts';
import { metaColumns, personSeenSql, presentedJson, presentedPersonVisible, presentFrom, presentSql, releasedSql, unitsSql, type PresentedRow, type PresentOptions } from './present.ts';
import { readsOf } from './release.ts';

/**
 * The read side of the facade: query-string parsing (repeated keys, `key[]=` and comma lists),
 * validation, opaque page tokens over keyset pagination, the statements that read and present
 * (the consent rules themselves are in `present.ts`), reference names and expands.
 */

/** A client error of the SS 12000 API, rendered as the spec's flat `{code, message}`. */
export const ssError = (status: number, code: string, message: string) => new ApiError(status, code, message);

export const MAX_LIMIT = 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Raw query string → parameter name → values, accepting `a=1&a=2`, `a[]=1&a[]=2` and `a=1,2`. */
export function parseQueryString(search: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [rawKey, value] of new URLSearchParams(search)) {
    const key = rawKey.endsWith('[]') ? rawKey.slice(0, -2) : rawKey;
    const list = out.get(key) ?? [];
    list.push(value);
    out.set(key, list);
  }
  return out;
}

const isDate = (v: string) => DATE.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) && new Date(`${v}T00:00:00Z`).toISOString().startsWith(v);

function parseValue(name: string, def: Pick<ParamDef, 'kind' | 'values'>, raw: string[]): unknown {
  const many = def.kind.endsWith('[]');
  const values = many ? raw.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '') : raw;
  if (!many && values.length > 1) throw ssError(400, 'invalid_parameter', `${name} may be given only once.`);
  if (!values.length) throw ssError(400, 'invalid_parameter', `${name} needs a value.`);
  const check = (v: string) => {
    switch (def.kind) {
      case 'uuid':
      case 'uuid[]':
        if (!UUID.test(v)) throw ssError(400, 'invalid_parameter', `${name} must be a UUID, got "${v}".`);
        return v.toLowerCase();
      case 'date':
        if (!isDate(v)) throw ssError(400, 'invalid_parameter', `${name} must be a date (YYYY-MM-DD), got "${v}".`);
        return v;
      case 'datetime': {
        const t = Date.parse(v);
        if (!/^\d{4}-\d{2}-\d{2}T/.test(v) || Number.isNaN(t)) throw ssError(400, 'invalid_parameter', `${name} must be an RFC 3339 date-time, got "${v}".`);
        return new Date(t).toISOString();
      }
      case 'boolean':
        if (v !== 'true' && v !== 'false') throw ssError(400, 'invalid_parameter', `${name} must be true or false.`);
        return v === 'true';
      case 'enum':
      case 'enum[]':
        if (!def.values!.includes(v)) throw ssError(400, 'invalid_parameter', `${name} must be one of ${def.values!.join(', ')}; got "${v}".`);
        return v;
      default:
        if (v.length > 200) throw ssError(400, 'invalid_parameter', `${name} is too long.`);
        return v;
    }
  };
  return many ? [...new Set(values.map(check))] : check(values[0]!);
}

/** A validated list query: filters plus the presentation options the page token carries. */
export interface ListQuery {
  filters: Record<string, any>;
  sortkey?: string;
  expand: string[];
  expandReferenceNames: boolean;
}

const COMMON: Record<string, Pick<ParamDef, 'kind' | 'values'>> = {
  'meta.created.before': { kind: 'datetime' },
  'meta.created.after': { kind: 'datetime' },
  'meta.modified.before': { kind: 'datetime' },
  'meta.modified.after': { kind: 'datetime' },
};
const DATED: Record<string, Pick<ParamDef, 'kind' | 'values'>> = {
  'startDate.onOrBefore': { kind: 'date' },
  'startDate.onOrAfter': { kind: 'date' },
  'endDate.onOrBefore': { kind: 'date' },
  'endDate.onOrAfter': { kind: 'date' },
};

/** Every query parameter a list endpoint accepts (for validation and the OpenAPI). */
export function listParams(def: EndpointDef): Record<string, Pick<ParamDef, 'kind' | 'values'>> {
  return {
    ...def.params,
    ...COMMON,
    ...(def.dated ? DATED : {}),
    ...(def.expand.length ? { expand: { kind: 'enum[]', values: def.expand } } : {}),
    expandReferenceNames: { kind: 'boolean' },
    sortkey: { kind: 'enum', values: Object.keys(def.sortkeys) },
    limit: { kind: 'string' },
    pageToken: { kind: 'string' },
  };
}

function parseLimit(raw: string[] | undefined): number {
  if (!raw) return MAX_LIMIT;
  if (raw.length !== 1 || !/^\d{1,9}$/.test(raw[0]!) || Number(raw[0]) < 1)
    throw ssError(400, 'invalid_parameter', 'limit must be a positive integer.');
  return Math.min(Number(raw[0]), MAX_LIMIT);
}

interface PageToken {
  v: 1;
  e: string;
  q: ListQuery;
  l: number;
  k: [string, string];
}

const encodeToken = (t: PageToken) => Buffer.from(JSON.stringify(t)).toString('base64url');

function decodeToken(raw: string, def: EndpointDef): PageToken {
  try {
    const t = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as PageToken;
    if (t.v !== 1 || t.e !== def.path || !Array.isArray(t.k) || t.k.length !== 2 || !UUID.test(t.k[1])) throw new Error('shape');
    if (typeof t.q !== 'object' || !t.q || typeof t.q.filters !== 'object' || !Array.isArray(t.q.expand)) throw new Error('shape');
    // Re-validate what the token carries: it came from a client.
    const params = listParams(def);
    for (const [k, v] of Object.entries(t.q.filters)) {
      const p = params[k];
      if (!p || ['expand', 'expandReferenceNames', 'sortkey', 'limit', 'pageToken'].includes(k)) throw new Error('param');
      parseValue(k, p, Array.isArray(v) ? v.map(String) : [String(v)]);
    }
    if (t.q.sortkey !== undefined && !def.sortkeys[t.q.sortkey]) throw new Error('sort');
    // The sort value goes into SQL as a cast parameter: it must be of the sort key's type.
    const cast = t.q.sortkey ? def.sortkeys[t.q.sortkey]!.cast : 'text';
    if (typeof t.k[0] !== 'string' || t.k[0].length > 500) throw new Error('key');
    if (cast === 'date' && !isDate(t.k[0])) throw new Error('key');
    if (cast === 'timestamptz' && !/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}(:?\d{2})?)?$/.test(t.k[0])) throw new Error('key');
    if (t.q.sortkey === undefined && t.k[0] !== t.k[1]) throw new Error('key');
    if (t.q.expand.some((e) => !def.expand.includes(e))) throw new Error('expand');
    if (typeof t.l !== 'number' || t.l < 1 || t.l > MAX_LIMIT) throw new Error('limit');
    return t;
  } catch {
    throw ssError(400, 'invalid_page_token', 'pageToken is not one this server issued for this endpoint.');
  }
}

/** Parses and validates the query of a list request; with a pageToken only `limit` may come along. */
export function parseListRequest(def: EndpointDef, search: string): { query: ListQuery; limit: number; after?: [string, string] } {
  const raw = parseQueryString(search);
  const params = listParams(def);
  for (const key of raw.keys()) {
    if (!params[key]) throw ssError(400, 'unknown_parameter', `${key} is not a parameter of /${def.path}.`);
  }
  const token = raw.get('pageToken');
  if (token) {
    const others = [...raw.keys()].filter((k) => k !== 'pageToken' && k !== 'limit');
    if (others.length) throw ssError(400, 'page_token_with_filters', `pageToken cannot be combined with other parameters than limit (got ${others.join(', ')}).`);
    if (token.length !== 1) throw ssError(400, 'invalid_parameter', 'pageToken may be given only once.');
    const t = decodeToken(token[0]!, def);
    return { query: t.q, limit: raw.has('limit') ? parseLimit(raw.get('limit')) : t.l, after: t.k };
  }
  const query: ListQuery = { filters: {}, expand: [], expandReferenceNames: false };
  for (const [key, values] of raw) {
    if (key === 'limit') continue;
    const v = parseValue(key, params[key]!, values);
    if (key === 'expand') query.expand = v as string[];
    else if (key === 'expandReferenceNames') query.expandReferenceNames = v as boolean;
    else if (key === 'sortkey') query.sortkey = v as string;
    else query.filters[key] = v;
  }
  return { query, limit: parseLimit(raw.get('limit')) };
}

/** Parses `expand` and `expandReferenceNames` of a single-entity or lookup request. */
export function parseOptions(def: EndpointDef, search: string): { expand: string[]; expandReferenceNames: boolean } {
  const raw = parseQueryString(search);
  const out = { expand: [] as string[], expandReferenceNames: false };
  for (const [key, values] of raw) {
    if (key === 'expand' && def.expand.length) out.expand = parseValue(key, { kind: 'enum[]', values: def.expand }, values) as string[];
    else if (key === 'expandReferenceNames') out.expandReferenceNames = parseValue(key, { kind: 'boolean' }, values) as boolean;
    else throw ssError(400, 'unknown_parameter', `${key} is not a parameter here.`);
  }
  return out;
}

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

/** A presented row (see `present.ts`) and, in list pages, the value of its sort key. */
export type Row = PresentedRow & { sort_value?: string };

/** A stored row as it is, for the expands that rebuild parts of other entities. */
type StoredRow = Pick<PresentedRow, 'id' | 'created' | 'modified'> & { body: Record<string, any> };

/** Expands done in the presenting statement itself (no second query, no parsing). */
const SQL_EXPANDS: Partial<Record<EntityType, readonly string[]>> = { groups: ['assignmentRoles'] };
const presentOptions = (type: EntityType, expand: readonly string[]): PresentOptions => ({
  assignmentRoles: type === 'groups' && expand.includes('assignmentRoles'),
});
const presented = (def: EndpointDef, scope: Scope, expand: readonly string[]) => presentSql(def.type, scope, presentOptions(def.type, expand));
/** Visibility in a presenting statement by ids: persons use the roles the statement works out anyway. */
const presentedVisible = (def: EndpointDef, scope: Scope) =>
  def.type === 'persons' && !scope.endUser ? presentedPersonVisible : visibleSql(def.type, scope);
/**
 * Visibility in a list statement. Persons as a semi join on the relations in scope rather than a
 * test of each person's roles (`pr`): the planner may then start from the scope's units, or walk in
 * id order, instead of working out `pr` for every person of the world (issue 16).
 */
const listVisible = (def: EndpointDef, scope: Scope, afterId?: string) =>
  def.type === 'persons' && !scope.endUser ? personSeenSql(scope, afterId) : visibleSql(def.type, scope, afterId);

/** One page of a list endpoint, keyset-paginated (no OFFSET), and the token of the next page. */
export async function listPage(db: Queryable, scope: Scope, def: EndpointDef, query: ListQuery, limit: number, after?: [string, string]) {
  const sort = query.sortkey ? def.sortkeys[query.sortkey]! : undefined;
  // A sort key on a withheld-able field orders only the rows where it is released to this reader;
  // the others sort as '' (then by id), so the order reveals nothing (release policy).
  const gate = query.sortkey ? readsOf(def.type, 'sortkeys', query.sortkey) : undefined;
  const expr = !sort ? sql`t.id::text` : gate ? sql`(CASE WHEN ${releasedSql(def.type, gate.release, scope)} THEN ${sql.raw(sort.expr)} ELSE '' END)` : sql.raw(sort.expr);
  const cast = sql.raw(sort ? sort.cast : 'text');
  const desc = sort?.desc ?? false;
  // Persons in id order without filters: the page's ids come first, from the scope (`presentFrom`).
  const page = def.type === 'persons' && !scope.endUser && !sort && !Object.keys(query.filters).length ? { after: after?.[1], limit: limit + 1 } : undefined;
  const conds = conditions(def, query.filters, scope, page ? null : listVisible(def, scope, !sort && after ? after[1] : undefined));
  if (after) {
    const cmp = sql.raw(desc ? '<' : '>');
    conds.push(sort ? sql`(${expr}, t.id) ${cmp} (${after[0]}::${cast}, ${after[1]}::uuid)` : sql`t.id ${cmp} ${after[1]}::uuid`);
  }
  const order = sort ? sql`${expr} ${sql.raw(desc ? 'DESC' : 'ASC')}, t.id ${sql.raw(desc ? 'DESC' : 'ASC')}` : sql`t.id`;
  const result = await sql<Row>`
    SELECT t.id, ${presented(def, scope, query.expand)}, ${unitsSql(def.type, scope)} AS units, ${expr}::text AS sort_value
    FROM ${presentFrom(def.type, def.table, scope, page)}
    WHERE ${conds.length ? sql.join(conds, sql` AND `) : sql`true`}
    ORDER BY ${order}
    LIMIT ${limit + 1}`.execute(db);
  const rows = result.rows.slice(0, limit);
  const last = rows[rows.length - 1];
  const pageToken =
    result.rows.length > limit && last ? encodeToken({ v: 1, e: def.path, q: query, l: limit, k: [last.sort_value ?? last.id, last.id] }) : undefined;
  return { rows, pageToken };
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
  const keyed = [...(ids.length ? [sql`t.id = ANY(${uuids(ids)})`] : []), ...extra];
  if (!keyed.length) return [];
  const r = await sql<Row>`
    SELECT t.id, ${presented(def, scope, expand)}, ${unitsSql(def.type, scope)} AS units FROM ${presentFrom(def.type, def.table, scope)}
    WHERE ${presentedVisible(def, scope)} AND (${sql.join(keyed, sql` OR `)})
    ORDER BY t.id LIMIT ${MAX_LIMIT * 5}`.execute(db);
  return r.rows;
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
    if (target === 'duties' || target === 'studyplans') continue;
    const col = target === 'syllabuses' ? sql`coalesce(t.course_name, t.subject_name)` : target === 'programmes' ? sql`t.name` : sql`t.display_name`;
    const visible = target === 'persons' ? personVisibleSql(scope, sql`t.id`) : sql`true`;
    const rows = await sql<{ id: string; name: string | null }>`SELECT t.id, ${col} AS name FROM ${sql.table(tableOf[target])} t WHERE t.id = ANY(${ids}::uuid[]) AND ${visible}`.execute(db);
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
      for (const item of items) embed(item, 'duties', duties.filter((d) => d.person?.id === item.id));
    }
    if (expand.includes('placements')) {
      const list = await load('placements', sql`t.child_id = ANY(${ids}::uuid[])`);
      for (const item of items) embed(item, 'placements', list.filter((p) => p.child?.id === item.id));
    }
    if (expand.includes('ownedPlacements')) {
      const list = scope.guardians ? await load('placements', sql`t.owner_ids && ${ids}::uuid[]`) : [];
      for (const item of items) embed(item, 'ownedPlacements', list.filter((p) => (p.owners ?? []).some((o: { id: string }) => o.id === item.id)));
    }
    if (expand.includes('responsibleFor')) {
      const children = scope.guardians
        ? await findReleasedParts(db, scope, endpointByType.persons, 'json_responsibles',
            sql`t.id IN (SELECT r.source_id FROM ss12000_person_relations r WHERE r.person_id = ANY(${ids}::uuid[]) AND r.kind = 'responsibleFor.enrolment' AND r.source_type = 'persons')`,
          )
        : [];
      for (const item of items) {
        const list = children.flatMap((c) =>
          ((c.body.responsibles ?? []) as { person: { id: string }; relationType: string }[])
            .filter((r) => r.person.id === item.id)
            .map((r) => ({ person: { id: c.id, ...(names ? { displayName: `${c.body.givenName} ${c.body.familyName}` } : {}), ...(c.body.securityMarking ? { securityMarking: c.body.securityMarking } : {}) }, relationType: r.relationType })),
        );
        embed(item, 'responsibleFor', list);
      }
    }
    if (expand.includes('groupMemberships')) {
      const groups = await findReleasedParts(db, scope, endpointByType.groups, 'json_group_memberships',
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
export async function present(db: Queryable, scope: Scope, type: EntityType, rows: Row[], options: { expand: string[]; expandReferenceNames: boolean }): Promise<string[]> {
  const inSql = SQL_EXPANDS[type] ?? [];
  const rest = options.expand.filter((e) => !inSql.includes(e));
  if (!options.expandReferenceNames && !rest.length) return rows.map(presentedJson);
  const items = await parseAndName(db, scope, type, rows, options.expandReferenceNames);
  await embedFor(db, scope, type, items, rest, options.expandReferenceNames);
  return items.map((i) => JSON.stringify(i));
}

/** A JSON list answer written from items that are JSON text already. */
export function listJson(items: string[], pageToken?: string): string {
  return `{"data":[${items.join(',')}]${pageToken ? `,"pageToken":${JSON.stringify(pageToken)}` : ''}}`;
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
};
const entityEnum: Record<string, EntityType> = {
  Organisation: 'organisations',
  Person: 'persons',
  Placement: 'placements',
  Duty: 'duties',
  Group: 'groups',
  Activity: 'activities',
  Syllabus: 'syllabuses',
  Programme: 'programmes',
  StudyPlan: 'studyplans',
};
export const deletedEntityNames = Object.keys(entityEnum);
const OTHER_ENDPOINTS = ['Absence', 'AttendanceEvent', 'Attendance', 'Grade', 'CalendarEvent', 'AttendanceSchedule', 'Resource', 'Room', 'SchoolUnitOffering'];

/** GET /deletedEntities: ids deleted after a moment, of entities the app could have seen. */
export async function deletedEntities(db: Queryable, scope: Scope, search: string) {
  const raw = parseQueryString(search);
  const params: Record<string, Pick<ParamDef, 'kind' | 'values'>> = {
    after: { kind: 'datetime' },
    entities: { kind: 'enum[]', values: [...deletedEntityNames, ...OTHER_ENDPOINTS] },
    limit: { kind: 'string' },
    pageToken: { kind: 'string' },
  };
  for (const key of raw.keys()) if (!params[key]) throw ssError(400, 'unknown_parameter', `${key} is not a parameter of /deletedEntities.`);
  let after: string | undefined;
  let entities: string[] | undefined;
  let fromId = '0';
  const limit = parseLimit(raw.get('limit'));
  if (raw.has('pageToken')) {
    if ([...raw.keys()].some((k) => k !== 'pageToken' && k !== 'limit'))
      throw ssError(400, 'page_token_with_filters', 'pageToken cannot be combined with other parameters than limit.');
    try {
      const t = JSON.parse(Buffer.from(raw.get('pageToken')![0]!, 'base64url').toString('utf8'));
      if (t.e !== 'deletedEntities' || !/^\d+$/.test(t.k)) throw new Error('bad');
      after = t.a ? (parseValue('after', { kind: 'datetime' }, [t.a]) as string) : undefined;
      entities = t.n ? (parseValue('entities', params.entities!, t.n) as string[]) : undefined;
      fromId = t.k;
    } catch {
      throw ssError(400, 'invalid_page_token', 'pageToken is not one this server issued for this endpoint.');
    }
  } else {
    if (raw.has('after')) after = parseValue('after', params.after!, raw.get('after')!) as string;
    if (raw.has('entities')) entities = parseValue('entities', params.entities!, raw.get('entities')!) as string[];
  }
  const types = (entities ?? deletedEntityNames).map((e) => entityEnum[e]).filter((t): t is EntityType => !!t);
  const data: Record<string, string[]> = {};
  for (const t of entityTypes) if (types.includes(t)) data[deletedKey[t]] = [];
  if (!types.length) return { data, pageToken: undefined as string | undefined };
  const s = sql`${scope.studentUnits}::uuid[]`;
  // An end user's token sees no deletions: a deleted id is no longer anybody's own record.
  const visible = scope.endUser ? sql`false` : sql.join(
    [
      sql`d.student_units && ${s}`,
      sql`d.staff_units && ${sql`${scope.staffUnits}::uuid[]`}`,
      ...(scope.guardians ? [sql`d.guardian_units && ${s}`] : []),
      ...(scope.allUnits.length ? [sql`d.any_grant`] : []),
    ],
    sql` OR `,
  );
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
