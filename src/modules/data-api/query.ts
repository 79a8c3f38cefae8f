import { ApiError } from '../../http/errors.ts';

/**
 * Query parameters of the data APIs beside SS 12000, in the SS 12000 API's manner (CONTRIBUTING:
 * unknown parameters are refused, a silently ignored filter would hand out more records): lists as
 * repeated keys, `key[]=` or commas; `pageToken` with `limit` only, its filters travel in it; the
 * deletions feed's `after`. Each API declares its own list parameters and reads its filters from
 * the map `parseList` returns.
 */

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

/** The deletions feed's parameters. */
export const DELETED_PARAMS = ['after', 'limit', 'pageToken'] as const;

/** A 400 in the data APIs' shape. */
export const badParameter = (code: string, message: string): ApiError => new ApiError(400, code, message);

/** The parameters of `search` as lists, refusing any not in `allowed`. */
export function paramsOf(search: string, allowed: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let parsed: URLSearchParams;
  try {
    parsed = new URLSearchParams(search);
  } catch {
    throw badParameter('invalid_parameter', 'The query string cannot be read.');
  }
  for (const [rawKey, value] of parsed) {
    const key = rawKey.endsWith('[]') ? rawKey.slice(0, -2) : rawKey;
    if (!allowed.includes(key)) throw badParameter('unknown_parameter', `Unknown query parameter "${rawKey}"; this endpoint takes ${allowed.join(', ')}.`);
    const values = value
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '');
    out.set(key, [...(out.get(key) ?? []), ...values]);
  }
  return out;
}

/** The one value of `key`, if given; two are refused. */
export const one = (params: Map<string, string[]>, key: string): string | undefined => {
  const values = params.get(key);
  if (!values) return undefined;
  if (values.length !== 1) throw badParameter('invalid_parameter', `${key} takes one value.`);
  return values[0];
};

/** An ISO 8601 date-time parameter as an ISO string. */
export const dateTime = (key: string, v: string | undefined): string | undefined => {
  if (v === undefined) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/.test(v) || Number.isNaN(Date.parse(v)))
    throw badParameter('invalid_parameter', `${key} must be a date-time (ISO 8601), e.g. 2026-11-01T00:00:00Z.`);
  return new Date(v).toISOString();
};

/** A YYYY-MM-DD date parameter. */
export const dateOnly = (key: string, v: string | undefined): string | undefined => {
  if (v === undefined) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`)) || new Date(`${v}T00:00:00Z`).toISOString().slice(0, 10) !== v)
    throw badParameter('invalid_parameter', `${key} must be a date, YYYY-MM-DD.`);
  return v;
};

/** Six-digit institution numbers of a list parameter. */
export function institutionNumbers(key: string, values: string[] | undefined): string[] | undefined {
  if (!values) return undefined;
  const wrong = values.find((n) => !/^\d{6}$/.test(n));
  if (wrong !== undefined) throw badParameter('invalid_parameter', `${key} takes six-digit institution numbers ("${wrong.slice(0, 40)}" is not one).`);
  return [...new Set(values)];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** UUIDs of a list parameter, lower case. */
export function uuidList(key: string, values: string[] | undefined): string[] | undefined {
  if (!values) return undefined;
  const wrong = values.find((n) => !UUID.test(n));
  if (wrong !== undefined) throw badParameter('invalid_parameter', `${key} takes UUIDs ("${wrong.slice(0, 40)}" is not one).`);
  return [...new Set(values.map((v) => v.toLowerCase()))];
}

function limitOf(params: Map<string, string[]>): number {
  const v = one(params, 'limit');
  if (v === undefined) return DEFAULT_LIMIT;
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > MAX_LIMIT)
    throw badParameter('invalid_parameter', `limit must be a whole number from 1 to ${MAX_LIMIT}.`);
  return Number(v);
}

/** What a page token carries: the filters as the first request gave them (validated again), and where to continue. */
interface Token {
  v: 1;
  kind: 'list' | 'deleted';
  q: string;
  after: unknown;
}

/** The page token for the page after `after`, carrying the filters' text `q`. */
export const encodeToken = (kind: Token['kind'], q: string, after: unknown): string =>
  Buffer.from(JSON.stringify({ v: 1, kind, q, after } satisfies Token)).toString('base64url');

const badToken = () => badParameter('invalid_page_token', 'The pageToken is not one this endpoint gave out.');

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

/** The query string without `limit` and `pageToken`: the filters a page token carries on. */
function filtersText(search: string): string {
  const params = new URLSearchParams(search);
  params.delete('limit');
  params.delete('pageToken');
  return params.toString();
}

/**
 * A list request under `allowed` parameters (`limit` and `pageToken` among them): the filter
 * parameters (from the page token when one is sent), the limit, the id to continue after, and the
 * filters' text for the next token.
 */
export function parseList(
  search: string,
  allowed: readonly string[],
): { params: Map<string, string[]>; limit: number; afterId: string | undefined; q: string } {
  const params = paramsOf(search, allowed);
  const limit = limitOf(params);
  const pageToken = one(params, 'pageToken');
  if (pageToken !== undefined) {
    const others = [...params.keys()].filter((k) => k !== 'pageToken' && k !== 'limit');
    if (others.length)
      throw badParameter('page_token_with_filters', `A pageToken carries its filters; send it with limit only, not with ${others.join(', ')}.`);
    const token = decodeToken('list', pageToken);
    if (typeof token.after !== 'string' || !UUID.test(token.after)) throw badToken();
    const carried = paramsOf(token.q, allowed);
    if (carried.has('pageToken') || carried.has('limit')) throw badToken();
    return { params: carried, limit, afterId: token.after.toLowerCase(), q: token.q };
  }
  params.delete('limit');
  return { params, limit, afterId: undefined, q: filtersText(search) };
}

/** A deletions-feed request: `after`, limit, the cursor to continue after, and the filters' text. */
export function parseDeleted(search: string): { after: string | undefined; limit: number; cursor: { at: string; id: string } | undefined; q: string } {
  const params = paramsOf(search, DELETED_PARAMS);
  const limit = limitOf(params);
  const pageToken = one(params, 'pageToken');
  if (pageToken !== undefined) {
    if (params.has('after')) throw badParameter('page_token_with_filters', 'A pageToken carries its filters; send it with limit only, not with after.');
    const token = decodeToken('deleted', pageToken);
    const cursor = token.after as { at?: unknown; id?: unknown } | undefined;
    if (typeof cursor?.at !== 'string' || typeof cursor.id !== 'string' || Number.isNaN(Date.parse(cursor.at)) || !UUID.test(cursor.id)) throw badToken();
    const carried = paramsOf(token.q, DELETED_PARAMS);
    if (carried.has('pageToken') || carried.has('limit')) throw badToken();
    return { after: dateTime('after', one(carried, 'after')), limit, cursor: { at: cursor.at, id: cursor.id }, q: token.q };
  }
  return { after: dateTime('after', one(params, 'after')), limit, cursor: undefined, q: filtersText(search) };
}
