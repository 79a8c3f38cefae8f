import { sql } from 'kysely';
import type { Queryable } from '../../context.ts';
import type { AccessLevel, AppStatus } from '../../db/schema.ts';
import { forbidden } from '../../http/errors.ts';
import { allow, can, subjectType, type PolicyActor } from './policies.ts';

/**
 * Write grants (issue 17, point 4): whether a client may WRITE through an API at an institution.
 * Reading is what a grant always allows; writing needs more, each step someone's deliberate choice:
 *  1. the app asks for the API at `read_write` (its request, `app_api_requests.access_level`);
 *  2. the operator approves the app with that request (the app is `approved` now, not suspended);
 *  3. a school admin grants the API at that institution at `read_write` (`grants.access_level`; the
 *     grant editor never makes it so on its own — see `src/modules/school/service.ts`).
 * All three are read live on every call, from `grants` through `grant_reach` (what a grant reaches,
 * an access group's members included), so a grant lowered, removed or switched off stops the next
 * write. The write endpoints call `mayWriteApi` (or `authorizeApiWrite`) before they touch the store.
 */

/** The levels, in order: each includes the one before. */
export const ACCESS_LEVELS = ['read', 'read_write'] as const satisfies readonly AccessLevel[];

/** What the rule reads about one (client, API, institution), loaded live by `loadApiWrite`. */
export interface ApiWriteSubject {
  clientId: string;
  apiCode: string;
  institutionNumber: string;
  /** The client's app's status; null for a client without an app (legacy, ingestion): it never writes. */
  appStatus: AppStatus | null;
  /** The level the app's approved request asks for this API; null when it does not request the API. */
  requested: AccessLevel | null;
  /** The levels of the client's live grants of the API that reach the institution (none: not granted). */
  granted: AccessLevel[];
}

/** The actor of a data-API call: an OAuth client (no human session), as the write endpoints see it. */
export type ClientActor = Extract<PolicyActor, { kind: 'client' }>;

/**
 * The one rule: a client may write through API X at institution I while its app is approved, its
 * request for X is read-write, and a live grant of X reaching I is read-write. Declared with the
 * policy machinery of `policies.ts` (a subject type and its `allow`), so it reads like the others;
 * the actor is the client itself, which only ever asks about its own grants.
 */
export const ApiWrite = subjectType<ApiWriteSubject, 'write'>('API write', {
  notFound: () => forbidden('write_not_granted', 'This client may not write through this API at this institution.'),
  forbidden: () => forbidden('write_not_granted', 'This client may not write through this API at this institution.'),
});
allow(
  'client',
  ['write'],
  ApiWrite,
  (actor, s) => actor.clientId === s.clientId && s.appStatus === 'approved' && s.requested === 'read_write' && s.granted.includes('read_write'),
);

/** Whether `actor` may write through the subject's API at its institution (the rule above; no human actor may). */
export function mayWrite(actor: PolicyActor, subject: ApiWriteSubject): boolean {
  return can(actor, 'write', ApiWrite, subject);
}

/** Loads the rule's subject live: the app's status and request, and the levels of the grants reaching the institution. */
export async function loadApiWrite(db: Queryable, clientId: string, apiCode: string, institutionNumber: string): Promise<ApiWriteSubject> {
  const app = await db
    .selectFrom('clients as c')
    .leftJoin('apps as a', 'a.id', 'c.app_id')
    .leftJoin('app_api_requests as r', (j) => j.onRef('r.app_id', '=', 'c.app_id').on('r.api_code', '=', apiCode))
    .select(['a.status', 'r.access_level'])
    .where('c.id', '=', clientId)
    .executeTakeFirst();
  // Through grant_reach, the one definition of what a grant reaches; the level is the grant's own.
  const granted = await sql<{ access_level: AccessLevel }>`
    SELECT DISTINCT g.access_level FROM grant_reach r JOIN grants g ON g.id = r.grant_id
     WHERE r.client_id = ${clientId} AND r.api_code = ${apiCode} AND r.institution_number = ${institutionNumber}`.execute(db);
  return {
    clientId,
    apiCode,
    institutionNumber,
    appStatus: app?.status ?? null,
    requested: app?.access_level ?? null,
    granted: granted.rows.map((r) => r.access_level),
  };
}

/** `may write api X at institution I`, read from live grants: what every write endpoint asks first. */
export async function mayWriteApi(db: Queryable, clientId: string, apiCode: string, institutionNumber: string): Promise<boolean> {
  return mayWrite({ kind: 'client', clientId }, await loadApiWrite(db, clientId, apiCode, institutionNumber));
}

/** Throws 403 `write_not_granted` unless the client may write through the API at the institution. */
export async function authorizeApiWrite(db: Queryable, clientId: string, apiCode: string, institutionNumber: string): Promise<void> {
  if (!(await mayWriteApi(db, clientId, apiCode, institutionNumber))) throw ApiWrite.forbidden('write');
}
