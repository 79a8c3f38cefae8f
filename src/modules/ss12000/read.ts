import { sql, type RawBuilder } from 'kysely';
import type { Queryable } from '../../context.ts';
import { ApiError } from '../../http/errors.ts';
import { endpointByType, relationshipSql, type EndpointDef, type ParamDef } from './endpoints.ts';
import { referencesOf, tableOf } from './model.ts';
import { entityTypes, type EntityType } from './schemas.ts';
import { categoriesFor, personRoles, personVisibleSql, scopeSets, visibleSql, type Scope } from './scope.ts';

/**
 * The read side of the facade: query-string parsing (repeated keys, `key[]=` and comma lists),
 * validation, opaque page tokens over keyset pagination, consent filtering and presentation.
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

function conditions(def: EndpointDef, filters: Record<string, any>, scope: Scope, afterId?: string): RawBuilder<unknown>[] {
  const conds = [visibleSql(def.type, scope, afterId)];
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

export interface Row {
  id: string;
  body: Record<string, any>;
  /** ISO 8601 UTC with milliseconds, formatted by the database (see `META_COLUMNS`). */
  created_at: string;
  modified_at: string;
  sort_value?: string;
  /** Persons only: their relations, read in the same query (saves a round trip per page). */
  rels?: { kind: string; organisation_id: string }[];
}

/**
 * meta.created/modified as the API shows them (what Date#toISOString gives), formatted by the
 * database: parsing timestamps into Dates and formatting them again took ~3 % of the server's CPU
 * in the bench profile.
 */
const iso = (col: string) => sql.raw(`to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);
const META_COLUMNS = sql`${iso('t.created_at')} AS created_at, ${iso('t.modified_at')} AS modified_at`;

const relsColumn = (type: EntityType) =>
  type === 'persons'
    ? sql`, (SELECT coalesce(json_agg(json_build_object('kind', r.kind, 'organisation_id', r.organisation_id)), '[]'::json) FROM ss12000_person_relations r WHERE r.person_id = t.id) AS rels`
    : sql``;

/** One page of a list endpoint, keyset-paginated (no OFFSET), and the token of the next page. */
export async function listPage(db: Queryable, scope: Scope, def: EndpointDef, query: ListQuery, limit: number, after?: [string, string]) {
  const sort = query.sortkey ? def.sortkeys[query.sortkey]! : undefined;
  const expr = sort ? sql.raw(sort.expr) : sql`t.id::text`;
  const cast = sql.raw(sort ? sort.cast : 'text');
  const desc = sort?.desc ?? false;
  const conds = conditions(def, query.filters, scope, !sort && after ? after[1] : undefined);
  if (after) {
    const cmp = sql.raw(desc ? '<' : '>');
    conds.push(sort ? sql`(${expr}, t.id) ${cmp} (${after[0]}::${cast}, ${after[1]}::uuid)` : sql`t.id ${cmp} ${after[1]}::uuid`);
  }
  const order = sort ? sql`${expr} ${sql.raw(desc ? 'DESC' : 'ASC')}, t.id ${sql.raw(desc ? 'DESC' : 'ASC')}` : sql`t.id`;
  const result = await sql<Row>`
    SELECT t.id, t.body, ${META_COLUMNS}, ${expr}::text AS sort_value ${relsColumn(def.type)}
    FROM ${sql.table(def.table)} t
    WHERE ${sql.join(conds, sql` AND `)}
    ORDER BY ${order}
    LIMIT ${limit + 1}`.execute(db);
  const rows = result.rows.slice(0, limit);
  const last = rows[rows.length - 1];
  const pageToken =
    result.rows.length > limit && last ? encodeToken({ v: 1, e: def.path, q: query, l: limit, k: [last.sort_value ?? last.id, last.id] }) : undefined;
  return { rows, pageToken };
}

/** Rows by id (or by the lookup's other keys) that the scope may see. */
export async function findVisible(db: Queryable, scope: Scope, def: EndpointDef, ids: string[], extra: RawBuilder<unknown>[] = []): Promise<Row[]> {
  const keyed = [...(ids.length ? [sql`t.id = ANY(${ids}::uuid[])`] : []), ...extra];
  if (!keyed.length) return [];
  const r = await sql<Row>`
    SELECT t.id, t.body, ${META_COLUMNS} ${relsColumn(def.type)} FROM ${sql.table(def.table)} t
    WHERE ${visibleSql(def.type, scope)} AND (${sql.join(keyed, sql` OR `)})
    ORDER BY t.id LIMIT ${MAX_LIMIT * 5}`.execute(db);
  return r.rows;
}

// ---------------------------------------------------------------------------------------------
// Presentation: consent filtering, references, expands.

const meta = (r: Row) => ({ created: r.created_at, modified: r.modified_at });

async function relationsOfPersons(db: Queryable, ids: string[]) {
  if (!ids.length) return new Map<string, { kind: string; organisation_id: string }[]>();
  const rows = await db
    .selectFrom('ss12000_person_relations')
    .select(['person_id', 'kind', 'organisation_id'])
    .where('person_id', 'in', ids)
    .execute();
  const out = new Map<string, { kind: string; organisation_id: string }[]>();
  for (const r of rows) {
    const list = out.get(r.person_id) ?? [];
    list.push(r);
    out.set(r.person_id, list);
  }
  return out;
}

const PROTECTED = 'Skyddad folkbokföring';

/**
 * A person as the app may see it: fields of data categories it is not approved for are absent;
 * a person with protected identity never releases civic number, addresses or contact data.
 */
export function presentPerson(scope: Scope, row: Row, relations: { kind: string; organisation_id: string }[]): Record<string, any> {
  const b = row.body;
  const roles = personRoles(scope, relations);
  const cats = categoriesFor(scope, roles);
  const shielded = b.securityMarking === PROTECTED;
  const out: Record<string, any> = { id: b.id, meta: meta(row), givenName: b.givenName };
  if (b.middleName !== undefined) out.middleName = b.middleName;
  out.familyName = b.familyName;
  if (b.eduPersonPrincipalNames) out.eduPersonPrincipalNames = b.eduPersonPrincipalNames;
  if (b.externalIdentifiers) out.externalIdentifiers = b.externalIdentifiers;
  if (b.civicNo && cats.has('civic_number') && !shielded) out.civicNo = b.civicNo;
  if (b.birthDate && cats.has('birth_date')) out.birthDate = b.birthDate;
  if (b.sex && cats.has('sex')) out.sex = b.sex;
  if (b.securityMarking) out.securityMarking = b.securityMarking;
  if (b.personStatus) out.personStatus = b.personStatus;
  if (b.emails && !shielded) {
    const emails = (b.emails as { type: string }[]).filter((e) => e.type !== 'Privat' || cats.has('private_email'));
    if (emails.length) out.emails = emails;
  }
  if (b.phoneNumbers && cats.has('phone_numbers') && !shielded) out.phoneNumbers = b.phoneNumbers;
  if (b.addresses && cats.has('addresses') && !shielded) out.addresses = b.addresses;
  if (b.photo && cats.has('photo')) out.photo = b.photo;
  if (b.enrolments && roles.student) {
    const units = scopeSets(scope).s;
    const enrolments = (b.enrolments as { enroledAt: { id: string } }[]).filter((e) => units.has(e.enroledAt.id));
    if (enrolments.length) out.enrolments = enrolments;
  }
  if (b.responsibles && roles.student && scope.guardians) out.responsibles = b.responsibles;
  return out;
}

/**
 * Everything but persons: the stored body plus meta, with fields the scope does not reach left out.
 * Built by copying the kept keys, not by deleting from a copy: `delete` turns an object into a slow
 * dictionary, which JSON.stringify then walks much more slowly (it showed in the bench profile).
 */
function presentOther(scope: Scope, type: EntityType, row: Row): Record<string, any> {
  const b = row.body;
  const out: Record<string, any> = { id: b.id, meta: meta(row) };
  let skip: string | undefined;
  let own: unknown[] | undefined;
  if (scope.endUser) {
    // An end user's token: their own membership only, never the other members or the teachers.
    const self = scope.endUser.personId;
    if (type === 'groups' && b.groupMemberships) {
      own = (b.groupMemberships as { person: { id: string } }[]).filter((m) => m.person?.id === self);
      skip = 'groupMemberships';
    }
    if (type === 'activities') skip = 'teachers';
  } else {
    if (type === 'groups' && !scopeSets(scope).s.has(b.organisation?.id)) skip = 'groupMemberships';
    if (type === 'activities' && !scopeSets(scope).t.has(b.organisation?.id)) skip = 'teachers';
  }
  if (type === 'placements' && !scope.guardians) skip = 'owners';
  for (const key in b) {
    if (key === 'id' || key === skip) continue;
    out[key] = b[key];
  }
  if (own?.length) out.groupMemberships = own;
  return out;
}

async function presentRows(db: Queryable, scope: Scope, type: EntityType, rows: Row[]): Promise<Record<string, any>[]> {
  if (type !== 'persons') return rows.map((r) => presentOther(scope, type, r));
  const rels = rows.every((r) => r.rels) ? undefined : await relationsOfPersons(db, rows.map((r) => r.id));
  return rows.map((r) => presentPerson(scope, r, r.rels ?? rels?.get(r.id) ?? []));
}

function getAt(obj: any, path: (string | number)[]): any {
  return path.reduce((o, k) => (o == null ? undefined : o[k]), obj);
}

/** Strips `displayName` from references, or fills it from the store (persons only when visible). */
async function applyReferenceNames(db: Queryable, scope: Scope, type: EntityType, items: Record<string, any>[], expandNames: boolean) {
  const refs = items.flatMap((item) => referencesOf(type, item).map((r) => ({ ...r, item })));
  if (!expandNames) {
    // Only where there is one: a needless `delete` would still cost the object its fast shape.
    for (const r of refs) {
      const target = getAt(r.item, r.path);
      if (target && typeof target === 'object' && 'displayName' in target) delete target.displayName;
    }
    return;
  }
  const byType = new Map<EntityType, Set<string>>();
  for (const r of refs) {
    if (!byType.has(r.target)) byType.set(r.target, new Set());
    byType.get(r.target)!.add(r.id);
  }
  const names = new Map<string, string>();
  for (const [target, idSet] of byType) {
    const ids = [...idSet];
    if (target === 'duties') continue;
    const col = target === 'syllabuses' ? sql`coalesce(t.course_name, t.subject_name)` : target === 'programmes' ? sql`t.name` : target === 'studyplans' ? sql`NULL` : sql`t.display_name`;
    const visible = target === 'persons' ? personVisibleSql(scope, sql`t.id`) : sql`true`;
    const rows = await sql<{ id: string; name: string | null }>`SELECT t.id, ${col} AS name FROM ${sql.table(tableOf[target])} t WHERE t.id = ANY(${ids}::uuid[]) AND ${visible}`.execute(db);
    for (const row of rows.rows) if (row.name) names.set(row.id, row.name);
  }
  for (const r of refs) {
    const target = getAt(r.item, r.path);
    if (!target || typeof target !== 'object') continue;
    const name = names.get(r.id);
    if (name) target.displayName = name;
    else delete target.displayName;
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
    const def = endpointByType[t];
    const rows = await findVisible(db, scope, def, [], [where]);
    const presented = await presentRows(db, scope, t, rows);
    await applyReferenceNames(db, scope, t, presented, names);
    return presented;
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
        ? await findVisible(db, scope, endpointByType.persons, [], [
            sql`t.id IN (SELECT r.source_id FROM ss12000_person_relations r WHERE r.person_id = ANY(${ids}::uuid[]) AND r.kind = 'responsibleFor.enrolment' AND r.source_type = 'persons')`,
          ])
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
      const groups = await findVisible(db, scope, endpointByType.groups, [], [
        sql`t.id IN (SELECT r.source_id FROM ss12000_person_relations r WHERE r.person_id = ANY(${ids}::uuid[]) AND r.kind = 'groupMembership')`,
        sql`false`,
      ]);
      // Memberships are student data; an end user's token shows the person's own, in any role.
      const units = new Set(scope.endUser ? scope.allUnits : scope.studentUnits);
      for (const item of items) {
        const list = [];
        for (const g of groups) {
          if (!units.has(g.body.organisation?.id)) continue;
          for (const m of (g.body.groupMemberships ?? []) as { person: { id: string }; startDate?: string; endDate?: string }[]) {
            if (m.person.id !== item.id) continue;
            const { groupMemberships: _m, ...fragment } = g.body;
            const group = { ...fragment, id: g.id, meta: meta(g), organisation: names ? fragment.organisation : { id: fragment.organisation.id } };
            list.push({ group, ...(m.startDate ? { startDate: m.startDate } : {}), ...(m.endDate ? { endDate: m.endDate } : {}) });
          }
        }
        embed(item, 'groupMemberships', list);
      }
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
  if (type === 'groups' && expand.includes('assignmentRoles')) {
    const roles = await db
      .selectFrom('ss12000_assignment_roles')
      .select(['duty_id', 'group_id', 'assignment_role_type'])
      .select([sql<string | null>`to_char(start_date, 'YYYY-MM-DD')`.as('start_date'), sql<string | null>`to_char(end_date, 'YYYY-MM-DD')`.as('end_date')])
      .where('group_id', 'in', ids.length ? ids : ['00000000-0000-0000-0000-000000000000'])
      .where('organisation_id', 'in', scope.staffUnits.length ? scope.staffUnits : ['00000000-0000-0000-0000-000000000000'])
      // An end user's token: only the roles of their own duties (staff; a student's scope has no staff units).
      .$if(!!scope.endUser, (q) => q.where('duty_id', 'in', (eb) => eb.selectFrom('ss12000_duties').select('id').where('person_id', '=', scope.endUser!.personId)))
      .orderBy('duty_id')
      .orderBy('ordinal')
      .execute();
    for (const g of items) {
      const list = roles
        .filter((r) => r.group_id === g.id)
        .map((r) => ({
          duty: { id: r.duty_id },
          assignmentRoleType: r.assignment_role_type,
          ...(r.start_date ? { startDate: r.start_date } : {}),
          ...(r.end_date ? { endDate: r.end_date } : {}),
        }));
      embed(g, 'assignmentRoles', list);
    }
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

/** Rows → API objects: consent filtering, reference names, expands. */
export async function present(db: Queryable, scope: Scope, type: EntityType, rows: Row[], options: { expand: string[]; expandReferenceNames: boolean }) {
  const items = await presentRows(db, scope, type, rows);
  await applyReferenceNames(db, scope, type, items, options.expandReferenceNames);
  await embedFor(db, scope, type, items, options.expand, options.expandReferenceNames);
  return items;
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
