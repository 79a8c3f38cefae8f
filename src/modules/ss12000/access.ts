import type { FastifyReply, FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import { sql, type RawBuilder } from 'kysely';
import type { AppContext } from '../../context.ts';
import { ApiError } from '../../http/errors.ts';
import { principalFromRow, readerOnly, verifyAccessToken, type ClientRow } from '../access/tokens/bearer.ts';
import type { ReachedUnit } from '../access/reach.ts';
import { buildScope, type Scope } from './scope.ts';
import { PREPARED } from '../../db/prepared.ts';

/** Clever publishes 1,200 requests per minute per client; the operator may set another per app. */
export const DEFAULT_RATE_LIMIT = 1200;

/**
 * Clients this process has seen over their limit in the current window (key: client and consent).
 * While one hammers the API, its further requests are refused here without a database call, so
 * they neither take connections from the pool that other partners' requests and the back-office
 * wait for nor cost a statement each. Only refusals are remembered, never an answer that grants
 * anything, and only until the window ends: a count only grows within its window. The database is
 * asked again every REFUSAL_RECHECK_MS, so a limit the operator raised counts within a second (at
 * once in the process that took the change, see `forgetRateRefusals`), and
 * a client that is also suspended meanwhile keeps getting 429 for at most that long. Each process
 * learns this for itself from the shared count; no other process needs to see it.
 */
type Refusal = { windowEnd: number; checkedAt: number; limit: number; scope: Scope };
const refusals = new WeakMap<AppContext, LRUCache<string, Refusal>>();
/** At most this many clients' refusals are remembered (the least recently refused go first). */
const REFUSALS_MAX = 10_000;
const REFUSAL_RECHECK_MS = 1000;

/** Forgets this process's refusals of an app's clients (its rate limit has just been changed here). */
export function forgetRateRefusals(ctx: AppContext, appId: string): void {
  const known = refusals.get(ctx);
  if (!known) return;
  const keys = [...known.entries()].filter(([, v]) => v.scope.identity.appId === appId).map(([key]) => key);
  for (const key of keys) known.delete(key);
}

/** What a client's grants reach, as `ss12000_authorize` sends it when its version changed. */
interface ScopeRow {
  grants: ClientRow['grants'];
  requests: ClientRow['requests'];
  /** The school units the grants reach, per API (`grant_reach`, src/modules/access/reach.ts). */
  units: { api_code: string; institution_number: string; id: string }[];
}

/** A `ScopeRow` as this process keeps it. */
interface ScopeInputs {
  grants: ClientRow['grants'];
  requests: ClientRow['requests'];
  units: ReachedUnit[];
}

/** The scope as the database sends it, in the shape this process keeps. */
function scopeInputsOf(row: ScopeRow): ScopeInputs {
  return {
    grants: row.grants,
    requests: row.requests,
    units: row.units.map((u) => ({ apiCode: u.api_code, institutionNumber: u.institution_number, unitId: u.id })),
  };
}

/**
 * Per process: the scope inputs of each client last read, with the `clients.scope_version` they
 * were read at (src/db/live/30_scope_version.sql). Never trusted on its own: every request reads the live version in
 * the same statement that counts it, and gets the inputs again when they differ, so a change made
 * through any process (or directly in the database) counts from the next request on. Bounded:
 * the SCOPE_CACHE_MAX most recently used clients (an evicted one is read again on its next request).
 */
type CachedScope = { version: number; inputs: ScopeInputs; scope?: Scope };
const scopeInputs = new WeakMap<AppContext, LRUCache<string, CachedScope>>();
const SCOPE_CACHE_MAX = 10_000;

/** The arguments of `ss12000_authorize`: client, consent, the rate window's start, the scope version this process knows (-1: none). */
export type AuthorizeArgs = readonly [clientId: string, consentId: string | null, windowStart: string, scopeVersion: number];

/** `ss12000_authorize(…)` with these arguments (src/db/live/40_ss12000_authorize.sql). */
export const authorizeCall = (args: AuthorizeArgs): RawBuilder<AuthorizeRow | null> =>
  sql<AuthorizeRow | null>`ss12000_authorize(${args[0]}::uuid, ${args[1]}::uuid, ${args[2]}::timestamptz, ${args[3]}::bigint)`;

/** The row `ss12000_authorize` answers (null: no such client). */
export type AuthorizeRow = Omit<ClientRow, 'grants' | 'requests'> & { count: number; lim: number | null; scope_version: number; scope: ScopeRow | null };

/** A read's authorization: the scope it reads with and its count in the client's rate window. */
export interface ReadAuthorization {
  scope: Scope;
  count: number;
  limit: number;
  resetSeconds: number;
}

/**
 * A read's authorization with its bearer token checked and one call of `ss12000_authorize` to go:
 * `call` is the expression to select (in a statement of its own, `finishAlone`, or in the
 * statement that reads the records, `runRead` in read.ts), `finish` makes the authorization of its answer.
 */
export interface PendingAuthorization {
  /** `ss12000_authorize(…)` for this request: counts it and reads the client's live state. */
  call: RawBuilder<AuthorizeRow | null>;
  /** The call's arguments (`authorizeCall(args)` is `call`), for a statement compiled once per shape (`StatementCache`). */
  args: AuthorizeArgs;
  /**
   * The scope this process built at the client's last known scope version, when the read may use
   * it before the answer comes (a client's own token; an end user's scope also depends on the live
   * consent). What a statement reads with it is released only when `finish` returns this very scope
   * (the live version is still that one) and throws nothing.
   */
  knownScope?: Scope;
  /** The authorization from the call's answer. @throws BearerError as `authenticateClient` does. */
  finish(row: AuthorizeRow | null): ReadAuthorization;
}

/**
 * Begins authorizing one read of the SS 12000 API (or a data API on its access core): verifies the
 * bearer token (signature checks are cached per token, see `verifyAccessToken`) and returns either
 * the authorization at once — a client this process has seen over its rate limit in the current
 * window, refused again without asking the database for at most a second (see `refusals`) — or the
 * one call of the database function `ss12000_authorize` still needed (`PendingAuthorization`). That
 * call reads the client's live state (client, app status, the end user's consent with its live
 * checks, the version of what its grants reach), counts the request in the client's rate window,
 * and — only when that version is not the one this process last read — sends the grants, approved
 * categories and, per API, the school units they reach (src/db/live/40_ss12000_authorize.sql,
 * reading the view `grant_reach`); its plans stay prepared. The scope is built from those units as
 * they come; nothing here re-derives what a grant reaches. A removed grant, a suspended app or a
 * withdrawn consent is refused on the next request, in every process.
 *
 * The request is counted before the refusal checks run (they need the row the same statement reads):
 * a refused client's requests count against its own limit, which only makes it stricter.
 *
 * @throws BearerError as `verifyAccessToken` does.
 */
export async function beginRead(ctx: AppContext, request: FastifyRequest): Promise<ReadAuthorization | PendingAuthorization> {
  const { clientId, consentId, issuedAtMs } = await verifyAccessToken(ctx, request);
  const now = ctx.clock.now();
  const windowStart = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
  const windowEnd = windowStart.getTime() + 60_000;
  const resetSeconds = Math.max(1, Math.ceil((windowEnd - now.getTime()) / 1000));
  let known = refusals.get(ctx);
  if (!known) refusals.set(ctx, (known = new LRUCache<string, Refusal>({ max: REFUSALS_MAX })));
  const key = `${clientId}/${consentId ?? ''}`;
  const refused = known.get(key);
  if (refused && refused.windowEnd === windowEnd && now.getTime() - refused.checkedAt < REFUSAL_RECHECK_MS) {
    return { count: refused.limit + 1, limit: refused.limit, resetSeconds, scope: refused.scope };
  }
  if (refused) known.delete(key);
  let cache = scopeInputs.get(ctx);
  if (!cache) scopeInputs.set(ctx, (cache = new LRUCache<string, CachedScope>({ max: SCOPE_CACHE_MAX })));
  const scopes = cache;
  const cached = scopes.get(clientId);
  const args: AuthorizeArgs = [clientId, consentId ?? null, windowStart.toISOString(), cached?.version ?? -1];
  const finish = (row: AuthorizeRow | null): ReadAuthorization => {
    // The scope comes back unless the live version is the one sent, whose inputs `cached` holds.
    const inputs = row?.scope ? scopeInputsOf(row.scope) : cached?.inputs;
    if (row?.scope) {
      scopes.set(clientId, { version: row.scope_version, inputs: inputs! });
    }
    const principal = readerOnly(
      principalFromRow(ctx, row && inputs ? { ...row, grants: inputs.grants, requests: inputs.requests } : undefined, consentId, issuedAtMs),
    );
    const r = row!;
    const limit = r.lim ?? DEFAULT_RATE_LIMIT;
    const count = Number(r.count);
    // A client's own token (no consent): the scope follows from the inputs of this version alone (the
    // live checks above have passed), so it is built once per version and shared by its requests —
    // and with it what the access log works out per scope. An end user's scope also depends on the
    // live consent: built every time.
    const entry = row?.scope ? scopes.get(clientId) : cached;
    const scope = !consentId && entry ? (entry.scope ??= buildScope(principal, inputs!.units)) : buildScope(principal, inputs!.units);
    if (count > limit) {
      known.set(key, { windowEnd, checkedAt: now.getTime(), limit, scope });
    }
    return { count, limit, resetSeconds, scope };
  };
  return { call: authorizeCall(args), args, finish, ...(!consentId && cached?.scope ? { knownScope: cached.scope } : {}) };
}

/** Whether `beginRead` left the database call to be made. */
export const isPending = (a: ReadAuthorization | PendingAuthorization): a is PendingAuthorization => 'finish' in a;

/**
 * Authorizes one read in ONE database round trip of its own (`beginRead`, then its call as a
 * named statement, parsed once per connection; the function keeps its statements' plans).
 *
 * @throws BearerError as `authenticateClient` does.
 */
export async function authorizeRead(ctx: AppContext, request: FastifyRequest): Promise<ReadAuthorization> {
  const begun = await beginRead(ctx, request);
  return isPending(begun) ? finishAlone(ctx, begun) : begun;
}

/** A pending authorization's call as a statement of its own, on the primary. */
export async function finishAlone(ctx: AppContext, pending: PendingAuthorization): Promise<ReadAuthorization> {
  const result = await sql<{ r: AuthorizeRow | null }>`${PREPARED} SELECT ${pending.call} AS r`.execute(ctx.db);
  return pending.finish(result.rows[0]?.r ?? null);
}

/**
 * The rate-limit step of an authorized read, the same on every data surface: the `RateLimit-*`
 * headers of the client's window, and 429 `rate_limited` (with `Retry-After`) over its limit.
 *
 * @throws ApiError 429 over the limit.
 */
export function admitRate(reply: FastifyReply, authorization: ReadAuthorization): void {
  const { limit, count, resetSeconds } = authorization;
  reply.header('RateLimit-Limit', String(limit));
  reply.header('RateLimit-Remaining', String(Math.max(0, limit - count)));
  reply.header('RateLimit-Reset', String(resetSeconds));
  if (count > limit) {
    reply.header('Retry-After', String(resetSeconds));
    throw new ApiError(429, 'rate_limited', `Too many requests: at most ${limit} per minute for this client.`);
  }
}
