import { ApiError } from '../../http/errors.ts';
import type { ListFilters } from './queries.ts';

/**
 * The query parameters of the invoices API, in the SS 12000 API's manner (CONTRIBUTING:
 * unknown parameters are refused, a silently ignored filter would hand out more records): lists as
 * repeated keys, `key[]=` or commas; `pageToken` with `limit` only, its filters travel in it.
 */

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

/** The list endpoint's parameters (what each reads: release.ts `reads`). */
export const LIST_PARAMS = ['accessGroup', 'institution', 'schoolYear', 'debtor', 'meta.modified.after', 'meta.modified.before', 'limit', 'pageToken'] as const;
/** The deletions feed's parameters. */
export const DELETED_PARAMS = ['after', 'limit', 'pageToken'] as const;

const bad = (code: string, message: string) => new ApiError(400, code, message);

/** The parameters of `search` as lists, refusing any not in `allowed`. */
function paramsOf(search: string, allowed: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [rawKey, value] of new URLSearchParams(search)) {
    const key = rawKey.endsWith('[]') ? rawKey.slice(0, -2) : rawKey;
    if (!allowed.includes(key)) throw bad('unknown_parameter', `Unknown query parameter "${rawKey}"; this endpoint takes ${allowed.join(', ')}.`);
    const values = value
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '');
    out.set(key, [...(out.get(key) ?? []), ...values]);
  }
  return out;
}

const one = (params: Map<string, string[]>, key: string): string | undefined => {
  const values = params.get(key);
  if (!values) return undefined;
  if (values.length !== 1) throw bad('invalid_parameter', `${key} takes one value.`);
  return values[0];
};

const dateTime = (key: string, v: string | undefined) => {
  if (v === undefined) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/.test(v) || Number.isNaN(Date.parse(v)))
    throw bad('invalid_parameter', `${key} must be a date-time (ISO 8601), e.g. 2026-11-01T00:00:00Z.`);
  return new Date(v).toISOString();
};

function limitOf(params: Map<string, string[]>): number {
  const v = one(params, 'limit');
  if (v === undefined) return DEFAULT_LIMIT;
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > MAX_LIMIT) throw bad('invalid_parameter', `limit must be a whole number from 1 to ${MAX_LIMIT}.`);
  return Number(v);
}

/** What a page token carries: the filters as the first request gave them (validated again), and where to continue. */
interface Token {
  v: 1;
  kind: 'list' | 'deleted';
  q: string;
  after: unknown;
}

export const encodeToken = (kind: Token['kind'], q: string, after: unknown): string =>
  Buffer.from(JSON.stringify({ v: 1, kind, q, after } satisfies Token)).toString('base64url');

const badToken = () => bad('invalid_page_token', 'The pageToken is not one this endpoint gave out.');

function decodeToken(kind: Token['kind'], text: string): Token {
  let token: Token | undefined;
  try {
    token = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Token;
  } catch {
    throw badToken();
  }
  if (token?.v !== 1 || token.kind !== kind || typeof token.q !== 'string') throw badToken();
  return token;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The query string without `limit` and `pageToken`: the filters a page token carries on. */
function filtersText(search: string): string {
  const params = new URLSearchParams(search);
  params.delete('limit');
  params.delete('pageToken');
  return params.toString();
}

/** A list request: its filters, limit, the id to continue after, and the filters' text for the next token. */
export function parseList(search: string): { filters: ListFilters; limit: number; afterId: string | undefined; q: string } {
  const params = paramsOf(search, LIST_PARAMS);
  const limit = limitOf(params);
  const pageToken = one(params, 'pageToken');
  if (pageToken !== undefined) {
    const others = [...params.keys()].filter((k) => k !== 'pageToken' && k !== 'limit');
    if (others.length) throw bad('page_token_with_filters', `A pageToken carries its filters; send it with limit only, not with ${others.join(', ')}.`);
    const token = decodeToken('list', pageToken);
    if (typeof token.after !== 'string' || !UUID.test(token.after)) throw badToken();
    const carried = paramsOf(token.q, LIST_PARAMS);
    if (carried.has('pageToken') || carried.has('limit')) throw badToken();
    return { filters: filtersOf(carried), limit, afterId: token.after, q: token.q };
  }
  return { filters: filtersOf(params), limit, afterId: undefined, q: filtersText(search) };
}

function filtersOf(params: Map<string, string[]>): ListFilters {
  const filters: ListFilters = {};
  const institutions = params.get('institution');
  if (institutions) {
    const wrong = institutions.find((n) => !/^\d{6}$/.test(n));
    if (wrong !== undefined) throw bad('invalid_parameter', `institution takes six-digit institution numbers ("${wrong}" is not one).`);
    filters.institutions = [...new Set(institutions)];
  }
  const years = params.get('schoolYear');
  if (years) {
    const wrong = years.find((y) => !/^\d{4}$/.test(y));
    if (wrong !== undefined) throw bad('invalid_parameter', `schoolYear takes years such as 2026 ("${wrong}" is not one).`);
    filters.schoolYears = [...new Set(years.map(Number))];
  }
  const groups = params.get('accessGroup');
  if (groups) {
    const wrong = groups.find((g) => !UUID.test(g.toLowerCase()));
    if (wrong !== undefined) throw bad('invalid_parameter', `accessGroup takes access group ids, UUIDs ("${wrong}" is not one).`);
    filters.accessGroups = [...new Set(groups.map((g) => g.toLowerCase()))];
  }
  const debtors = params.get('debtor');
  if (debtors) {
    const wrong = debtors.find((d) => !UUID.test(d.toLowerCase()));
    if (wrong !== undefined) throw bad('invalid_parameter', `debtor takes debtor ids, UUIDs ("${wrong}" is not one).`);
    filters.debtors = [...new Set(debtors.map((d) => d.toLowerCase()))];
  }
  const after = dateTime('meta.modified.after', one(params, 'meta.modified.after'));
  if (after) filters.modifiedAfter = after;
  const before = dateTime('meta.modified.before', one(params, 'meta.modified.before'));
  if (before) filters.modifiedBefore = before;
  return filters;
}

/** A deletions-feed request: `after`, limit, the cursor to continue after, and the filters' text. */
export function parseDeleted(search: string): { after: string | undefined; limit: number; cursor: { at: string; id: string } | undefined; q: string } {
  const params = paramsOf(search, DELETED_PARAMS);
  const limit = limitOf(params);
  const pageToken = one(params, 'pageToken');
  if (pageToken !== undefined) {
    if (params.has('after')) throw bad('page_token_with_filters', 'A pageToken carries its filters; send it with limit only, not with after.');
    const token = decodeToken('deleted', pageToken);
    const cursor = token.after as { at?: unknown; id?: unknown } | undefined;
    if (typeof cursor?.at !== 'string' || typeof cursor.id !== 'string' || Number.isNaN(Date.parse(cursor.at)) || !UUID.test(cursor.id)) throw badToken();
    const carried = paramsOf(token.q, DELETED_PARAMS);
    if (carried.has('pageToken') || carried.has('limit')) throw badToken();
    return { after: dateTime('after', one(carried, 'after')), limit, cursor: { at: cursor.at, id: cursor.id }, q: token.q };
  }
  return { after: dateTime('after', one(params, 'after')), limit, cursor: undefined, q: filtersText(search) };
}
