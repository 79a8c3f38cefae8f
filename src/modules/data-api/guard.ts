import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.ts';
import { ApiError } from '../../http/errors.ts';
import { installFlatErrors } from '../../http/flat-errors.ts';
import { installBearerChallenge } from '../access/tokens/bearer.ts';
import { admitRate, authorizeRead } from '../ss12000/access.ts';
import { commitAccess, unloggedAnswer } from '../ss12000/access-log.ts';
import type { Scope } from '../ss12000/scope.ts';
import type { ReleasedGroup } from '../ss12000/tables.ts';

/**
 * The one guard of every data API Schoolgate serves beside SS 12000 (pre-enrolments, boarders,
 * invoices, …): the bearer token of client credentials, live grants and the rate count on every
 * request (`authorizeRead`, the same statement the SS 12000 API runs), the refusal of an end user's
 * sign-in token, the access log row committed before the answer leaves, and the flat
 * `{code, message, requestId}` errors of the SS 12000 API.
 *
 * It lives in its own module, not in src/modules/access/: it runs the SS 12000 authorizer and
 * access-log writer, and the SS 12000 module imports src/modules/access/, so placing it there would
 * make the two modules import each other (`npm run check:cycles`). For the same reason the SS 12000
 * API keeps its own guard (its access log tallies records per school unit and API, see
 * src/modules/ss12000/access-log.ts); both write the same table through the same `commitAccess`.
 */

/** One authorized read of a data API: its scope and, once a handler has answered, what it released. */
export interface DataRead {
  scope: Scope;
  /** What the answer released, as stored in the access log; empty until a handler sets it (refusals release nothing). */
  released: ReleasedGroup[];
}

declare module 'fastify' {
  interface FastifyRequest {
    /** An authorized read of a data API other than SS 12000 (see src/modules/data-api/guard.ts). */
    dataRead?: DataRead;
  }
}

/** The query string of a request as sent (the data APIs parse it themselves: unknown parameters are refused). */
export const searchOf = (request: FastifyRequest): string => {
  const i = request.url.indexOf('?');
  return i < 0 ? '' : request.url.slice(i + 1);
};

/** An error in the data APIs' flat shape. */
export const refuse = (status: number, code: string, message: string): ApiError => new ApiError(status, code, message);

/** The authorized read of a request behind the guard (the guard has run, so it is there). */
export function readOf(request: FastifyRequest): DataRead {
  const read = request.dataRead;
  if (!read) throw new Error('data API handler reached without its guard');
  return read;
}

/**
 * What the client of `scope` reaches right now under the catalog APIs `apiCodes` (those whose
 * `servedBy` names this data API): the institutions its live grants name directly, the access
 * groups they name, and the data categories its app's approval allows under the first of them.
 * An access group's member institutions are read from `grant_reach` by the data API that needs
 * them (src/modules/access/reach.ts), never joined here.
 */
export function reachOf(
  scope: Scope,
  apiCodes: readonly string[],
): { institutions: string[]; accessGroups: string[]; categories: Set<string>; apiCode: string | undefined } {
  const grants = scope.identity.grants.filter((g) => apiCodes.includes(g.apiCode));
  const institutions = [...new Set(grants.flatMap((g) => (g.institutionNumber === null ? [] : [g.institutionNumber])))].sort();
  const accessGroups = [...new Set(grants.flatMap((g) => (g.accessGroupId === null ? [] : [g.accessGroupId])))].sort();
  const apiCode = apiCodes[0];
  return { institutions, accessGroups, categories: new Set(apiCode ? (scope.identity.dataCategories[apiCode] ?? []) : []), apiCode };
}

/**
 * The records of one answer as one access-log element: per institution the records released there,
 * under `apiCode`, with the categories they carry (`identity` first).
 */
export function releasedPerInstitution(apiCode: string, entity: string, categories: string[], institutionsOfRecords: string[]): ReleasedGroup[] {
  if (institutionsOfRecords.length === 0) return [];
  const institutions: Record<string, number> = {};
  for (const n of institutionsOfRecords) institutions[n] = (institutions[n] ?? 0) + 1;
  return [{ api: apiCode, entity, categories, institutions }];
}

/** Ids of deleted records as an access-log element: their count, bound to no institution (as the SS 12000 API logs them). */
export const releasedDeletions = (count: number): ReleasedGroup[] =>
  count > 0 ? [{ api: null, entity: 'deletedEntities', categories: ['identity'], records: count }] : [];

/**
 * The access log (src/modules/ss12000/access-log.ts, the one log of every data read): the row of
 * every authorized request — answers and refusals — is committed in `onSend`, before the payload is
 * written; when it cannot be, the answer becomes a 503 and nothing is released. What a row says
 * comes from `request.dataRead.released`, which the handler sets from the records it presents.
 */
function installAccessLog(api: FastifyInstance, ctx: AppContext): void {
  api.addHook('onSend', async (request, reply, payload) => {
    const read = request.dataRead;
    if (!read) return payload;
    try {
      const identity = read.scope.identity;
      // A refusal releases nothing, and neither does HEAD (answered from the GET route without the body).
      const groups = reply.statusCode < 300 && request.method !== 'HEAD' ? read.released : [];
      const institutions = [...new Set(groups.flatMap((g) => Object.keys(g.institutions ?? {})))].sort();
      const total = groups.reduce((n, g) => n + (g.records ?? 0) + Object.values(g.institutions ?? {}).reduce((a, b) => a + b, 0), 0);
      request.ss12000Logged = { appId: identity.appId, records: total };
      await commitAccess(ctx, {
        at: ctx.clock.now(),
        client_id: identity.clientId,
        app_id: identity.appId,
        partner_id: identity.partnerId,
        method: request.method,
        endpoint: (request.routeOptions.url ?? request.url.split('?')[0]!).replace(/:(\w+)/g, '{$1}'),
        institution_numbers: institutions,
        record_count: total,
        status: reply.statusCode,
        consent_id: identity.endUser?.consentId ?? null,
        request_id: request.id,
        released: JSON.stringify(groups),
      });
      return payload;
    } catch {
      return unloggedAnswer(request, reply);
    }
  });
}

/** The guard a data API's read routes run as their `preHandler`. */
export type DataApiGuard = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/**
 * Makes the plugin `api` (registered under the data API's prefix) a data API: flat errors, the
 * bearer challenge, the access log; returns the guard for its read routes. The guard authorizes the
 * request from live state (`authorizeRead`: token, client, app status, scope version, rate count in
 * one statement), sends the rate-limit headers, and refuses with 429 over the limit and 403
 * `end_user_token` for an end user's sign-in token (which reads that person's own SS 12000 records
 * only). Every request that passed the token check is logged, refusals included.
 *
 * @param name the API's name in messages, e.g. `pre-enrolments`.
 */
export function installDataApi(api: FastifyInstance, ctx: AppContext, name: string): DataApiGuard {
  installFlatErrors(api, name);
  installBearerChallenge(api);
  installAccessLog(api, ctx);
  return async (request, reply) => {
    const authorization = await authorizeRead(ctx, request);
    const { scope } = authorization;
    // From here on the request is logged, refusals included.
    request.dataRead = { scope, released: [] };
    admitRate(reply, authorization);
    if (scope.identity.endUser) {
      throw refuse(403, 'end_user_token', `An end user’s sign-in token reads that person’s own SS 12000 records only; read ${name} with the app’s own token.`);
    }
  };
}
