import { badParameter, dateTime, institutionNumbers, one, parseList as parseListParams } from '../data-api/query.ts';
import type { ListFilters } from './queries.ts';
import { PRE_ENROLMENT_STATUSES } from './schemas.ts';
import type { PreEnrolmentStatus } from './tables.ts';

/**
 * The query parameters of the pre-enrolments API, read with the data APIs' shared parser
 * (src/modules/data-api/query.ts: unknown parameters refused, lists as repeated keys, `key[]=` or
 * commas; `pageToken` with `limit` only, its filters travel in it).
 */

export { DEFAULT_LIMIT, DELETED_PARAMS, encodeToken, MAX_LIMIT, parseDeleted } from '../data-api/query.ts';

/** The list endpoint's parameters (what each reads: release.ts `reads`). */
export const LIST_PARAMS = ['institution', 'schoolYear', 'status', 'meta.modified.after', 'meta.modified.before', 'limit', 'pageToken'] as const;

/** A list request: its filters, limit, the id to continue after, and the filters' text for the next token. */
export function parseList(search: string): { filters: ListFilters; limit: number; afterId: string | undefined; q: string } {
  const { params, limit, afterId, q } = parseListParams(search, LIST_PARAMS);
  return { filters: filtersOf(params), limit, afterId, q };
}

function filtersOf(params: Map<string, string[]>): ListFilters {
  const filters: ListFilters = {};
  const institutions = institutionNumbers('institution', params.get('institution'));
  if (institutions) filters.institutions = institutions;
  const years = params.get('schoolYear');
  if (years) {
    const wrong = years.find((y) => !/^\d{4}$/.test(y));
    if (wrong !== undefined) throw badParameter('invalid_parameter', `schoolYear takes years such as 2027 ("${wrong}" is not one).`);
    filters.schoolYears = [...new Set(years.map(Number))];
  }
  const statuses = params.get('status');
  if (statuses) {
    const wrong = statuses.find((s) => !(PRE_ENROLMENT_STATUSES as readonly string[]).includes(s));
    if (wrong !== undefined) throw badParameter('invalid_parameter', `status takes ${PRE_ENROLMENT_STATUSES.join(', ')} ("${wrong}" is not one).`);
    filters.statuses = [...new Set(statuses)] as PreEnrolmentStatus[];
  }
  const after = dateTime('meta.modified.after', one(params, 'meta.modified.after'));
  if (after) filters.modifiedAfter = after;
  const before = dateTime('meta.modified.before', one(params, 'meta.modified.before'));
  if (before) filters.modifiedBefore = before;
  return filters;
}
