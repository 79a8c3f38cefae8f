import type { Actor } from '../../auth/actor.ts';
import type { AppContext } from '../../context.ts';
import { ApiError, forbidden, unauthorized } from '../../http/errors.ts';
import { loadAdminScope } from '../../auth/admin-scope.ts';
import { institutionsOfTargets } from '../access/reach.ts';
import type { Scope } from '../ss12000/scope.ts';

/** An error of the data API (its error handler renders the spec's `{code, message}`, plus `requestId`). */
export const ssError = (status: number, code: string, message: string) => new ApiError(status, code, message);

/**
 * Who may report, about what, and who reads the reports.
 *
 * Reporting (`POST /log`, `POST /statistics` of the data API): any client the data API's bearer
 * guard lets through (a live grant, an approved app, a live consent for an end user's token). A
 * report concerns institutions: those of the school units it names — the `resourceId` of an
 * `Organisation`, and `organisation=` (or the `/organisations/{id}` path) in its `resourceUrl` —
 * which must each be within the client's scope; a report naming none concerns every institution
 * the scope covers. A report naming a school unit outside the scope is refused (403
 * `organisation_out_of_scope`): a client must not put text in front of a school it has no grant at,
 * and whether that unit exists is not revealed (the same answer for any id outside the scope).
 *
 * Reading (the management API): the operator every report; a school admin with user-management
 * access the reports that concern an institution where they hold a right this school year
 * (directly or through an access group), with only those institutions named; nobody else.
 */

/** The ids of the school units a report names (lower-cased UUIDs), in the order found. */
export function namedUnits(entry: { resourceType?: string; resourceId?: string; resourceUrl?: string }): string[] {
  const ids: string[] = [];
  if (entry.resourceType === 'Organisation' && entry.resourceId) ids.push(entry.resourceId);
  if (entry.resourceUrl) {
    const url = new URL(entry.resourceUrl);
    for (const v of url.searchParams.getAll('organisation').flatMap((s) => s.split(','))) ids.push(v.trim().toLowerCase());
    const path = /\/organisations\/([^/?#]+)/.exec(url.pathname);
    if (path) ids.push(decodeURIComponent(path[1]!).toLowerCase());
  }
  return [...new Set(ids.filter((id) => id !== ''))];
}

/**
 * The institutions a report concerns under `scope`, sorted; throws 403 `organisation_out_of_scope`
 * (the SS 12000 error shape) when it names a school unit the scope does not reach.
 */
export function concernedInstitutions(scope: Scope, entry: { resourceType?: string; resourceId?: string; resourceUrl?: string }): string[] {
  const institutionOf = scope.unitInstitutions ?? new Map<string, string>();
  const reachable = new Set(scope.allUnits);
  const named = namedUnits(entry);
  for (const id of named) {
    if (!reachable.has(id) || !institutionOf.has(id))
      throw ssError(
        403,
        'organisation_out_of_scope',
        `The report names organisation ${JSON.stringify(id.slice(0, 60))}, which is not within this client's grants.`,
      );
  }
  const units = named.length ? named : scope.allUnits;
  return [...new Set(units.map((u) => institutionOf.get(u)).filter((n): n is string => n !== undefined))].sort();
}

/** A reader of client reports: `null` institutions for every report (the operator). */
export interface ReportReader {
  institutions: string[] | null;
}

/** The reader of client reports behind `actor`, or 401/403. */
export async function reportReaderFor(ctx: AppContext, actor: Actor): Promise<ReportReader> {
  switch (actor.kind) {
    case 'anonymous':
      throw unauthorized();
    case 'operator':
      return { institutions: null };
    case 'school': {
      if (!actor.user.user_management_access) throw forbidden('no_access', 'You have no access to user management.');
      const scope = await loadAdminScope(ctx, ctx.db, actor.user);
      return { institutions: await institutionsOfTargets(ctx.db, { institutions: scope.institutions.keys(), accessGroups: scope.accessGroups.keys() }) };
    }
    default:
      throw forbidden('not_allowed', 'Only the operator and school admins read client reports.');
  }
}
