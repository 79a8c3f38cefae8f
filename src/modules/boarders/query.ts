import { dateOnly, dateTime, institutionNumbers, one, parseList, uuidList } from '../data-api/query.ts';
import type { ListFilters } from './queries.ts';

/**
 * The list parameters of the boarders API (what each reads: release.ts `reads`; none reads a field a
 * marking can withhold). `startDate.onOrBefore` and `endDate.onOrAfter` together select the stays
 * current on a day, in the SS 12000 API's manner.
 */
export const LIST_PARAMS = [
  'institution',
  'person',
  'startDate.onOrBefore',
  'endDate.onOrAfter',
  'meta.modified.after',
  'meta.modified.before',
  'limit',
  'pageToken',
] as const;

/** A list request: its filters, limit, the id to continue after, and the filters' text for the next token. */
export function parseBoarderList(search: string): { filters: ListFilters; limit: number; afterId: string | undefined; q: string } {
  const { params, limit, afterId, q } = parseList(search, LIST_PARAMS);
  const filters: ListFilters = {};
  const institutions = institutionNumbers('institution', params.get('institution'));
  if (institutions) filters.institutions = institutions;
  const persons = uuidList('person', params.get('person'));
  if (persons) filters.persons = persons;
  const startBy = dateOnly('startDate.onOrBefore', one(params, 'startDate.onOrBefore'));
  if (startBy) filters.startOnOrBefore = startBy;
  const endFrom = dateOnly('endDate.onOrAfter', one(params, 'endDate.onOrAfter'));
  if (endFrom) filters.endOnOrAfter = endFrom;
  const after = dateTime('meta.modified.after', one(params, 'meta.modified.after'));
  if (after) filters.modifiedAfter = after;
  const before = dateTime('meta.modified.before', one(params, 'meta.modified.before'));
  if (before) filters.modifiedBefore = before;
  return { filters, limit, afterId, q };
}
