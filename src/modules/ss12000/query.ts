import { z } from 'zod';
import { ApiError } from '../../http/errors.ts';
import type { EndpointDef, ParamKind } from './endpoints.ts';

/**
 * The query parameters of the SS 12000 data API: one generator turns the endpoint table
 * (`endpoints.ts`) into zod schemas that parse every request, and into the parameter list that
 * `openapi.ts` documents, so what is documented is what is parsed.
 *
 * The decisions, each a 400 with a stable `code` and a message naming the parameter:
 * - The raw query is decoded here, strictly: a `%` that is not followed by two hex digits, bytes that
 *   are not UTF-8 (`%ED%A0%80`, a surrogate) and text parameters holding NUL are refused
 *   (`invalid_parameter`). `URLSearchParams` would turn the first two into other text silently, and
 *   PostgreSQL refuses NUL in text, which was a 500.
 * - Unknown parameters are refused (`unknown_parameter`): a misspelt filter silently ignored would
 *   hand a client more records than it asked for. Always: no deployment setting ignores them, as it
 *   would rescue only clients adding parameters of their own (cache-busters, a later version's) and
 *   hide every mistyped filter behind a 200 (README, "The SS 12000 API: what clients may send").
 * - Leniency where the spec allows it: booleans are `true`/`false`/`1`/`0` in any case; typed values
 *   (integers, UUIDs, dates, enums) are trimmed; lists come as repeated keys, `key[]=` or commas.
 * - `pageToken` comes with `limit`, `expand` and `expandReferenceNames` (they change the page, not
 *   the result set), and with the very filters and sortkey it encodes, unchanged: clients that resend
 *   their first query with the token work. A different value or another filter is
 *   `page_token_with_filters`, because the token's position means nothing in another result set.
 * - Bounds: a value of at most {@link MAX_VALUE_LENGTH} characters, at most {@link MAX_VALUES}
 *   values per list, a query string of at most {@link MAX_QUERY_LENGTH} characters (`query_too_long`).
 */

/** A client error of the SS 12000 API, rendered as the spec's flat `{code, message}`. */
export const ssError = (status: number, code: string, message: string) => new ApiError(status, code, message);

/** The largest page, and the most keys of one lookup. */
export const MAX_LIMIT = 1000;
/**
 * The longest query string, in characters as sent: well below the 16 KiB request head that Node
 * reads at all (beyond it, 431 `request_too_large` before routing), with room for a page token.
 */
export const MAX_QUERY_LENGTH = 12_288;
/** The longest value of a text parameter (codes, names, civic numbers are far shorter). */
export const MAX_VALUE_LENGTH = 200;
/** The most values of one list parameter. */
export const MAX_VALUES = 200;

/** The kinds of value a parameter takes: the endpoint table's, plus the paging ones. */
export type QueryKind = ParamKind | 'integer' | 'token';

/** One query parameter, as parsed and as documented. */
export interface QueryParam {
  name: string;
  kind: QueryKind;
  values?: readonly string[];
  description: string;
  /** The spec requires it on a list request (without a pageToken, which carries it). */
  required?: boolean;
}

// ---------------------------------------------------------------------------------------------
// The parameter tables

const COMMON: QueryParam[] = [
  { name: 'meta.created.before', kind: 'datetime', description: 'Only entities created at or before this moment.' },
  { name: 'meta.created.after', kind: 'datetime', description: 'Only entities created after this moment.' },
  { name: 'meta.modified.before', kind: 'datetime', description: 'Only entities last changed at or before this moment.' },
  { name: 'meta.modified.after', kind: 'datetime', description: 'Only entities changed after this moment (for deltas).' },
];
const DATED: QueryParam[] = [
  { name: 'startDate.onOrBefore', kind: 'date', description: 'Only entities starting on or before this date.' },
  { name: 'startDate.onOrAfter', kind: 'date', description: 'Only entities starting on or after this date.' },
  { name: 'endDate.onOrBefore', kind: 'date', description: 'Only entities ending on or before this date; entities without an end date are included.' },
  { name: 'endDate.onOrAfter', kind: 'date', description: 'Only entities ending on or after this date; entities without an end date are included.' },
];
const expandParam = (def: EndpointDef): QueryParam => ({
  name: 'expand',
  kind: 'enum[]',
  values: def.expand,
  description: 'Embed these related entities in `_embedded`.',
});
const NAMES: QueryParam = {
  name: 'expandReferenceNames',
  kind: 'boolean',
  description: 'Fill in `displayName` of references (true/false, 1/0, any case).',
};
const LIMIT: QueryParam = {
  name: 'limit',
  kind: 'integer',
  description: `The most entities in one page (1–${MAX_LIMIT}; more is read as ${MAX_LIMIT}). Without it a page holds ${MAX_LIMIT}.`,
};
const PAGE_TOKEN: QueryParam = {
  name: 'pageToken',
  kind: 'token',
  description:
    'The `pageToken` of the previous page. It carries that query: it may come with `limit`, `expand`, `expandReferenceNames`, ' +
    'and with its own filters and sortkey unchanged; a different filter or sortkey is refused (`page_token_with_filters`).',
};
/** Parameters that shape a page but do not choose its entities. */
const NOT_FILTERS = new Set(['expand', 'expandReferenceNames', 'sortkey', 'limit', 'pageToken']);

/** Every query parameter of a list endpoint, in the order the OpenAPI lists them. */
export function listParams(def: EndpointDef): QueryParam[] {
  return [
    ...Object.entries(def.params).map(([name, p]) => ({
      name,
      kind: p.kind,
      values: p.values,
      description: p.description,
      ...(p.required ? { required: true } : {}),
    })),
    ...COMMON,
    ...(def.dated ? DATED : []),
    ...(def.expand.length ? [expandParam(def)] : []),
    NAMES,
    { name: 'sortkey', kind: 'enum', values: Object.keys(def.sortkeys), description: 'The order of the pages; without it, by id.' },
    LIMIT,
    PAGE_TOKEN,
  ];
}

/** The query parameters of a single read (`/{id}`) or a lookup. */
export function optionParams(def: EndpointDef): QueryParam[] {
  return [...(def.expand.length ? [expandParam(def)] : []), NAMES];
}

/** The query parameters of `/deletedEntities`, given the entity names it accepts. */
export function deletedParams(entityNames: readonly string[]): QueryParam[] {
  return [
    { name: 'after', kind: 'datetime', description: 'Only entities deleted after this moment.' },
    { name: 'entities', kind: 'enum[]', values: entityNames, description: 'Only deletions of these entity types (others answer empty lists).' },
    LIMIT,
    { ...PAGE_TOKEN, description: 'The `pageToken` of the previous page; it may come with `limit` and with its own `after` and `entities` unchanged.' },
  ];
}

/** The lookup keys whose values are ids (the endpoint table does not give lookup keys a kind). */
const UUID_LOOKUP_KEYS = new Set([
  'ids',
  'personIds',
  'teachers',
  'members',
  'activities',
  'student',
  'teacher',
  // Attendance (issue 17).
  'students',
  'calendareEvents',
  'person',
  'group',
  'placement',
]);

/** The body of `POST /{path}/lookup`: `ids` and the endpoint's other keys, each a list of strings. */
export function lookupKeys(def: EndpointDef): { name: string; kind: 'uuid[]' | 'string[]'; description: string }[] {
  return [
    { name: 'ids', kind: 'uuid[]', description: 'Entity ids.' },
    ...Object.entries(def.lookup).map(([name, l]) => ({
      name,
      kind: UUID_LOOKUP_KEYS.has(name) ? ('uuid[]' as const) : ('string[]' as const),
      description: l.description,
    })),
  ];
}

/** The JSON Schema of a parameter in the OpenAPI: the type that its zod schema accepts. */
export function paramJsonSchema(p: Pick<QueryParam, 'kind' | 'values'>): Record<string, unknown> {
  const one: Record<string, unknown> = (() => {
    switch (p.kind) {
      case 'uuid':
      case 'uuid[]':
        return { type: 'string', format: 'uuid' };
      case 'date':
        return { type: 'string', format: 'date' };
      case 'datetime':
        return { type: 'string', format: 'date-time' };
      case 'boolean':
        return { type: 'boolean' };
      case 'enum':
      case 'enum[]':
        return { type: 'string', enum: [...(p.values ?? [])] };
      case 'integer':
        return { type: 'integer', minimum: 1 };
      case 'token':
        return { type: 'string', maxLength: MAX_QUERY_LENGTH };
      case 'string':
      case 'string[]':
        return { type: 'string', minLength: 1, maxLength: MAX_VALUE_LENGTH };
    }
  })();
  return p.kind.endsWith('[]') ? { type: 'array', items: one, minItems: 1, maxItems: MAX_VALUES } : one;
}

// ---------------------------------------------------------------------------------------------
// Decoding the raw query

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * One `application/x-www-form-urlencoded` name or value; null when it is not percent-encoded UTF-8.
 * A query is ASCII (RFC 3986; Node refuses other bytes in a request line before any route runs).
 */
function decodeComponent(s: string): string | null {
  // Fast path: nothing to decode (no '%' or '+', only ASCII). The range starts at NUL on purpose.
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\x24\x26-\x2a\x2c-\x7f]/.test(s)) return s;
  // A character beyond ASCII was never percent-encoded.
  if (/[\u0080-\uffff]/.test(s)) return null;
  // decodeURIComponent refuses a bare % and bytes that are not UTF-8 (lone surrogates, overlong
  // forms) with a URIError, and keeps a leading byte order mark as URLSearchParams does.
  try {
    return decodeURIComponent(s.includes('+') ? s.replaceAll('+', ' ') : s);
  } catch {
    return null;
  }
}

/** A parameter name fit to quote in a message (the name itself may be what is wrong with it). */
const quoteName = (raw: string) => (raw.length > 60 ? `${raw.slice(0, 60)}…` : raw);

/**
 * Raw query string → parameter name → values, accepting `a=1&a=2` and `a[]=1&a[]=2` (comma lists
 * are split by the list schemas). Strict about the encoding; see the decisions above.
 */
export function decodeQuery(search: string): Map<string, string[]> {
  if (search.length > MAX_QUERY_LENGTH) throw ssError(400, 'query_too_long', `The query string is longer than ${MAX_QUERY_LENGTH} characters.`);
  const out = new Map<string, string[]>();
  for (const pair of search.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawKey = eq < 0 ? pair : pair.slice(0, eq);
    const key = decodeComponent(rawKey);
    const value = decodeComponent(eq < 0 ? '' : pair.slice(eq + 1));
    if (key === null || value === null)
      throw ssError(400, 'invalid_parameter', `${quoteName(key ?? rawKey)} is not percent-encoded UTF-8 (a lone surrogate, a bare %, or invalid bytes).`);
    const name = key.endsWith('[]') ? key.slice(0, -2) : key;
    const list = out.get(name) ?? [];
    list.push(value);
    out.set(name, list);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The schemas

const got = (v: unknown) => JSON.stringify(String(v).slice(0, 60));
const LONE_SURROGATE = /\p{Cs}/u;

/** Text that PostgreSQL can hold and compare: no NUL, no lone surrogate, not too long. */
export function textSchema(name: string, max = MAX_VALUE_LENGTH) {
  return z
    .string({ error: `${name} must be a string.` })
    .min(1, { error: `${name} needs a value.` })
    .max(max, { error: `${name} is longer than ${max} characters.` })
    .refine((s) => !s.includes('\0'), { error: `${name} contains a NUL character.`, abort: true })
    .refine((s) => !LONE_SURROGATE.test(s), { error: `${name} contains an invalid code point (a lone surrogate).` });
}

/** Years 1 to 9999: the year 0 and the six-digit years `toISOString` writes are not PostgreSQL's. */
const fromYear1 = (iso: string) => /^\d{4}-/.test(iso) && !iso.startsWith('0000');

const uuidSchema = (name: string) =>
  z
    .string()
    .trim()
    .pipe(z.guid({ error: (i) => `${name} must be a UUID, got ${got(i.input)}.` }))
    .transform((s) => s.toLowerCase());
const dateSchema = (name: string) =>
  z
    .string()
    .trim()
    .pipe(z.iso.date({ error: (i) => `${name} must be a date (YYYY-MM-DD), got ${got(i.input)}.` }))
    .refine(fromYear1, { error: `${name} must be a date from the year 1 on.` });
/** A moment as `Date#toISOString` writes it (years 0000–9999). */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const datetimeSchema = (name: string) =>
  z
    .string()
    .trim()
    // RFC 3339 allows a lower-case t and z; a +hhmm offset is common enough to read as +hh:mm.
    .transform((s) => s.toUpperCase().replace(/([+-]\d{2})(\d{2})$/, '$1:$2'))
    .pipe(z.iso.datetime({ offset: true, local: true, error: (i) => `${name} must be an RFC 3339 date-time, got ${got(i.input)}.` }))
    // Without an offset the moment is read as UTC, not as the server's local time. One already as
    // toISOString writes it (what a page token carries, and most clients send) is kept as it is:
    // the check above has passed, so it is a real moment, and parsing it again cost a fifth of a
    // list request's parsing.
    .transform((s) => (ISO_UTC.test(s) ? s : new Date(/(Z|[+-]\d{2}:\d{2})$/.test(s) ? s : `${s}Z`).toISOString()))
    .refine(fromYear1, { error: `${name} must be a moment from the year 1 on.` });
const booleanSchema = (name: string) =>
  z
    .string()
    .trim()
    .pipe(z.stringbool({ truthy: ['true', '1'], falsy: ['false', '0'], case: 'insensitive', error: `${name} must be true or false (or 1 or 0).` }));
const enumSchema = (name: string, values: readonly string[]) =>
  z
    .string()
    .trim()
    .refine((v) => values.includes(v), { error: (i) => `${name} must be one of ${values.join(', ')}; got ${got(i.input)}.` });
const integerSchema = (name: string) =>
  z
    .string()
    .trim()
    .regex(/^\d{1,9}$/, { error: `${name} must be a positive integer.` })
    .transform(Number)
    .pipe(z.number().min(1, { error: `${name} must be a positive integer.` }))
    .transform((n) => Math.min(n, MAX_LIMIT));

/** The schema of one value of a parameter, by its kind. */
function valueSchema(p: Pick<QueryParam, 'name' | 'kind' | 'values'>): z.ZodType<unknown, string> {
  switch (p.kind) {
    case 'uuid':
    case 'uuid[]':
      return uuidSchema(p.name);
    case 'date':
      return dateSchema(p.name);
    case 'datetime':
      return datetimeSchema(p.name);
    case 'boolean':
      return booleanSchema(p.name);
    case 'enum':
    case 'enum[]':
      return enumSchema(p.name, p.values ?? []);
    case 'integer':
      return integerSchema(p.name);
    case 'token':
      return textSchema(p.name, MAX_QUERY_LENGTH);
    case 'string':
    case 'string[]':
      return textSchema(p.name);
  }
}

/**
 * The schema of a parameter over its raw values (each occurrence of the key): a single value for
 * scalar kinds; for lists, the values split at commas, trimmed, deduplicated, at most MAX_VALUES.
 */
export function paramSchema(p: Pick<QueryParam, 'name' | 'kind' | 'values'>): z.ZodType<unknown, string[]> {
  const value = valueSchema(p);
  if (!p.kind.endsWith('[]')) {
    return z
      .array(z.string())
      .max(1, { error: `${p.name} may be given only once.` })
      .transform((a) => a[0] ?? '')
      .pipe(value);
  }
  return z
    .array(z.string())
    .transform((a) =>
      a
        .flatMap((v) => v.split(','))
        .map((v) => v.trim())
        .filter((v) => v !== ''),
    )
    .pipe(
      z
        .array(value)
        .min(1, { error: `${p.name} needs a value.` })
        .max(MAX_VALUES, { error: `${p.name} takes at most ${MAX_VALUES} values.` }),
    )
    .transform((a) => [...new Set(a)]);
}

/** The schema of a whole query: the given parameters, nothing else. */
export function querySchema(params: readonly QueryParam[]) {
  return z.strictObject(Object.fromEntries(params.map((p) => [p.name, paramSchema(p).optional()])));
}

type QuerySchema = z.ZodType<Record<string, unknown>, Record<string, unknown>>;
const cache = new WeakMap<object, Map<string, QuerySchema>>();
function cached(def: object, key: string, make: () => QuerySchema): QuerySchema {
  let m = cache.get(def);
  if (!m) cache.set(def, (m = new Map()));
  let s = m.get(key);
  if (!s) m.set(key, (s = make()));
  return s;
}

/** The schema of a list request's query (`GET /{path}`). */
export const listQuerySchema = (def: EndpointDef) => cached(def, 'list', () => querySchema(listParams(def)));
/** The schema of the query of `GET /{path}/{id}` and `POST /{path}/lookup`. */
export const optionsQuerySchema = (def: EndpointDef) => cached(def, 'options', () => querySchema(optionParams(def)));
/** The filters alone, to re-validate what a page token carries. */
const filterSchema = (def: EndpointDef) => cached(def, 'filters', () => querySchema(listParams(def).filter((p) => !NOT_FILTERS.has(p.name))));

/**
 * Runs a query schema; the first problem becomes the API's error, naming the parameter. An unknown
 * parameter wins over a bad value, and of bad values the first in the schema's order is named, as
 * when the whole strict object is parsed. Only the parameters given are run through their schemas
 * (a request sends one to three of the twenty or so an endpoint has): parsing the whole object
 * visited every optional member on every request, some 5 % of the server's time on a cheap page.
 */
function parseWith(schema: QuerySchema, raw: Map<string, string[]> | Record<string, string[]>, where: string) {
  const given = raw instanceof Map ? raw : new Map(Object.entries(raw));
  const shape = (schema as unknown as z.ZodObject).shape as Record<string, z.ZodType>;
  for (const key of given.keys()) {
    if (!Object.hasOwn(shape, key)) throw ssError(400, 'unknown_parameter', `${quoteName(key)} is not a parameter of ${where}.`);
  }
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(shape)) {
    if (!given.has(name)) continue;
    const result = shape[name]!.safeParse(given.get(name));
    if (!result.success) {
      const issue = result.error.issues[0]!;
      throw ssError(400, 'invalid_parameter', issue.message.startsWith(name) ? issue.message : `${name}: ${issue.message}`);
    }
    if (result.data !== undefined) out[name] = result.data;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Page tokens

/** A validated list query: filters plus the presentation options the page token carries. */
export interface ListQuery {
  filters: Record<string, any>;
  sortkey?: string;
  expand: string[];
  expandReferenceNames: boolean;
}

/** What a list page token carries: the query, the limit, and the sort value and id of the last entity. */
interface PageToken {
  v: 1;
  e: string;
  q: ListQuery;
  l: number;
  k: [string, string];
}

/** The opaque token of the page after the one that ended at `k`. */
export const encodeToken = (t: PageToken) => Buffer.from(JSON.stringify(t)).toString('base64url');

/** A `timestamptz::text` as PostgreSQL writes it, e.g. `2026-11-22 10:00:00.123+00`. */
const PG_TIMESTAMP = /^(\d{4}-\d{2}-\d{2})[ T]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?(Z|[+-](0\d|1[0-5])(:?[0-5]\d)?)?$/;

const tokenShape = z.object({
  v: z.literal(1),
  e: z.string(),
  q: z.object({
    filters: z.record(z.string(), z.unknown()),
    sortkey: z.string().optional(),
    expand: z.array(z.string()),
    expandReferenceNames: z.boolean(),
  }),
  l: z.number().int().min(1).max(MAX_LIMIT),
  k: z.tuple([
    z.string(),
    z
      .string()
      .pipe(z.guid())
      .transform((s) => s.toLowerCase()),
  ]),
});

const badToken = () => ssError(400, 'invalid_page_token', 'pageToken is not one this server issued for this endpoint.');

/** Base64url JSON → object; anything else is not a token of ours. */
function tokenJson(raw: string): unknown {
  if (!/^[A-Za-z0-9_-]+$/.test(raw)) throw badToken();
  try {
    return JSON.parse(utf8.decode(Buffer.from(raw, 'base64url')));
  } catch {
    throw badToken();
  }
}

/**
 * A list page token, re-validated in full: it came from a client, and its sort value and filters
 * go into SQL as typed parameters, so each must be of its type (a forged one is a 400, never a 500).
 */
function decodeToken(raw: string, def: EndpointDef): PageToken {
  const shape = tokenShape.safeParse(tokenJson(raw));
  if (!shape.success) throw badToken();
  const t = shape.data;
  if (t.e !== def.path || t.q.expand.some((e) => !def.expand.includes(e))) throw badToken();
  const sort = t.q.sortkey === undefined ? undefined : def.sortkeys[t.q.sortkey];
  if (t.q.sortkey !== undefined && !sort) throw badToken();
  const [value, id] = t.k;
  const ok = !sort
    ? value === id
    : sort.cast === 'date'
      ? dateSchema('k').safeParse(value).success
      : sort.cast === 'timestamptz'
        ? PG_TIMESTAMP.test(value) && dateSchema('k').safeParse(value.slice(0, 10)).success
        : textSchema('k', 500).or(z.literal('')).safeParse(value).success;
  if (!ok) throw badToken();
  let filters: Record<string, unknown>;
  try {
    const raws = Object.fromEntries(Object.entries(t.q.filters).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : [String(v)]]));
    filters = parseWith(filterSchema(def), raws, 'a page token');
  } catch {
    throw badToken();
  }
  return { ...t, q: { ...t.q, filters } };
}

/** Same value for a filter: lists compare as sets (the order of values does not change the result). */
function sameValue(a: unknown, b: unknown): boolean {
  const canon = (v: unknown) => JSON.stringify(Array.isArray(v) ? [...v].map(String).sort() : v);
  return canon(a) === canon(b);
}

// ---------------------------------------------------------------------------------------------
// The requests

/** Parses and validates the query of a list request (`GET /{path}`), resuming from its pageToken. */
export function parseListRequest(def: EndpointDef, search: string): { query: ListQuery; limit: number; after?: [string, string] } {
  const { expand, expandReferenceNames, sortkey, limit, pageToken, ...filters } = parseWith(listQuerySchema(def), decodeQuery(search), `/${def.path}`);
  if (pageToken === undefined) {
    const query: ListQuery = {
      filters,
      expand: (expand as string[] | undefined) ?? [],
      expandReferenceNames: (expandReferenceNames as boolean | undefined) ?? false,
    };
    if (sortkey !== undefined) query.sortkey = sortkey as string;
    return { query, limit: (limit as number | undefined) ?? MAX_LIMIT };
  }
  const t = decodeToken(pageToken as string, def);
  for (const [key, value] of Object.entries(filters)) {
    if (!(key in t.q.filters) || !sameValue(value, t.q.filters[key]))
      throw ssError(
        400,
        'page_token_with_filters',
        `pageToken was issued for another query: ${key} differs. Send the token with limit only, or with its own filters unchanged.`,
      );
  }
  if (sortkey !== undefined && sortkey !== t.q.sortkey)
    throw ssError(
      400,
      'page_token_with_filters',
      'pageToken was issued for another sortkey. Send the token with limit only, or with its own sortkey unchanged.',
    );
  const query: ListQuery = {
    ...t.q,
    expand: (expand as string[] | undefined) ?? t.q.expand,
    expandReferenceNames: (expandReferenceNames as boolean | undefined) ?? t.q.expandReferenceNames,
  };
  return { query, limit: (limit as number | undefined) ?? t.l, after: t.k };
}

/**
 * Refuses a list query without a filter the spec requires (the startTime window of /calendarEvents,
 * which bounds what one query may ask for): 400 `missing_parameter`, naming it. A page token carries
 * the filters of its first page, so a resumed query always has them.
 */
export function requireFilters(def: EndpointDef, query: ListQuery): void {
  const missing = Object.entries(def.params).find(([name, p]) => p.required && query.filters[name] === undefined);
  if (missing) throw ssError(400, 'missing_parameter', `${missing[0]} is required on /${def.path}.`);
}

/** Parses `expand` and `expandReferenceNames` of a single-entity or lookup request. */
export function parseOptions(def: EndpointDef, search: string): { expand: string[]; expandReferenceNames: boolean } {
  const o = parseWith(optionsQuerySchema(def), decodeQuery(search), `/${def.path}/{id} and /${def.path}/lookup`);
  return { expand: (o.expand as string[] | undefined) ?? [], expandReferenceNames: (o.expandReferenceNames as boolean | undefined) ?? false };
}

const deletedSchemas = new Map<string, ReturnType<typeof querySchema>>();
const deletedTokenShape = z.object({
  e: z.literal('deletedEntities'),
  // A bigint of the deletion log; at most 18 digits so that the cast never overflows.
  k: z.string().regex(/^\d{1,18}$/),
  a: z.string().optional(),
  n: z.array(z.string()).optional(),
});

/**
 * Parses the query of `GET /deletedEntities` (`entityNames`: the `entities` it accepts). Its page
 * token is `{e: 'deletedEntities', k: last log id, a: after, n: entities}`, written by `read.ts`.
 */
export function parseDeletedRequest(search: string, entityNames: readonly string[]): { after?: string; entities?: string[]; fromId: string; limit: number } {
  const key = entityNames.join(',');
  let schema = deletedSchemas.get(key);
  if (!schema) deletedSchemas.set(key, (schema = querySchema(deletedParams(entityNames))));
  const q = parseWith(schema, decodeQuery(search), '/deletedEntities');
  const limit = (q.limit as number | undefined) ?? MAX_LIMIT;
  const given = { after: q.after as string | undefined, entities: q.entities as string[] | undefined };
  if (q.pageToken === undefined) return { ...given, fromId: '0', limit };
  const shape = deletedTokenShape.safeParse(tokenJson(q.pageToken as string));
  if (!shape.success) throw badToken();
  const t = shape.data;
  let carried: { after?: string; entities?: string[] };
  try {
    const raws = { ...(t.a !== undefined ? { after: [t.a] } : {}), ...(t.n !== undefined ? { entities: t.n } : {}) };
    carried = parseWith(schema, raws, 'a page token') as typeof carried;
  } catch {
    throw badToken();
  }
  for (const k of ['after', 'entities'] as const) {
    if (given[k] !== undefined && !sameValue(given[k], carried[k]))
      throw ssError(
        400,
        'page_token_with_filters',
        `pageToken was issued for another query: ${k} differs. Send the token with limit only, or with its own ${k} unchanged.`,
      );
  }
  return { ...carried, fromId: t.k, limit };
}

/**
 * Parses the body of `POST /{path}/lookup`: `ids` and the endpoint's lookup keys, each an array of
 * strings (ids lower-cased), at most MAX_LIMIT in all. Errors are `invalid_body` (and
 * `lookup_too_large`), the codes this body has always had.
 */
export function parseLookupBody(def: EndpointDef, body: unknown): { ids: string[]; keys: Record<string, string[]> } {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw ssError(400, 'invalid_body', 'The body must be a JSON object, e.g. {"ids": [...]}.');
  const keys = lookupKeys(def);
  const schema = cached(def, 'lookup', () =>
    z.strictObject(
      Object.fromEntries(
        keys.map((k) => [
          k.name,
          z
            .array(k.kind === 'uuid[]' ? z.string().pipe(uuidSchema(k.name)) : textSchema(k.name), { error: `${k.name} must be an array of strings.` })
            .optional(),
        ]),
      ),
    ),
  );
  const result = schema.safeParse(body);
  if (!result.success) {
    const unknown = result.error.issues.find((i) => i.code === 'unrecognized_keys');
    if (unknown)
      throw ssError(400, 'invalid_body', `${quoteName(unknown.keys[0]!)} is not a lookup key of /${def.path} (use ${keys.map((k) => k.name).join(', ')}).`);
    const issue = result.error.issues[0]!;
    const name = String(issue.path[0] ?? '');
    throw ssError(400, 'invalid_body', issue.message.startsWith(name) ? issue.message : `${name}: ${issue.message}`);
  }
  const lists = result.data as Record<string, string[] | undefined>;
  const total = Object.values(lists).reduce((n, l) => n + (l?.length ?? 0), 0);
  if (total > MAX_LIMIT) throw ssError(400, 'lookup_too_large', `Look up at most ${MAX_LIMIT} keys at once.`);
  const { ids = [], ...rest } = lists;
  return { ids, keys: Object.fromEntries(Object.entries(rest).filter((e): e is [string, string[]] => !!e[1]?.length)) };
}
