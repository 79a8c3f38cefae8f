import { dateTime, institutionNumbers, one, parseList, uuidList, badParameter } from '../data-api/query.ts';
import type { ListFilters } from './queries.ts';

/**
 * The list parameters of the invoices API (the shared data-API parsing, src/modules/data-api/query.ts:
 * unknown parameters refused, lists as repeated keys, `key[]=` or commas, `pageToken` with `limit`
 * only). Every filter reads a field released to whoever reaches the record (release.ts `reads`).
 */
export const LIST_PARAMS = ['accessGroup', 'institution', 'schoolYear', 'debtor', 'meta.modified.after', 'meta.modified.before', 'limit', 'pageToken'] as const;

/** A list request: its filters, limit, the id to continue after, and the filters' text for the next token. */
export function parseInvoiceList(search: string): { filters: ListFilters; limit: number; afterId: string | undefined; q: string } {
  const { params, limit, afterId, q } = parseList(search, LIST_PARAMS);
  const filters: ListFilters = {};
  const accessGroups = uuidList('accessGroup', params.get('accessGroup'));
  if (accessGroups) filters.accessGroups = accessGroups;
  const institutions = institutionNumbers('institution', params.get('institution'));
  if (institutions) filters.institutions = institutions;
  const years = params.get('schoolYear');
  if (years) {
    const wrong = years.find((y) => !/^\d{4}$/.test(y));
    if (wrong !== undefined) throw badParameter('invalid_parameter', `schoolYear takes years such as 2026 ("${wrong.slice(0, 40)}" is not one).`);
    filters.schoolYears = [...new Set(years.map(Number))];
  }
  const debtors = uuidList('debtor', params.get('debtor'));
  if (debtors) filters.debtors = debtors;
  const after = dateTime('meta.modified.after', one(params, 'meta.modified.after'));
  if (after) filters.modifiedAfter = after;
  const before = dateTime('meta.modified.before', one(params, 'meta.modified.before'));
  if (before) filters.modifiedBefore = before;
  return { filters, limit, afterId, q };
}
