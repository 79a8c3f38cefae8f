import type { FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import type { AppContext } from '../../context.ts';
import { principalFromRow, readerOnly, verifyAccessToken, type ClientRow } from '../../oidc/bearer.ts';
import { buildScope, grantTargets, type ClientIdentity } from './scope.ts';

/** Clever publishes 1,200 requests per minute per client; the operator may set another per app. */
export const DEFAULT_RATE_LIMIT = 1200;
const RATE_SHARDS = 8;

/**
 * Counts one request of a client in the current one-minute window, in the database so that the
 * limit holds across every server process, and resolves the client's grants to school units, in
 * one statement (one round trip per request for both). Returns the count so far, the limit in
 * force and the scope.
 */
export async function countAndScope(ctx: AppContext, identity: ClientIdentity) {
  const now = ctx.clock.now();
  const windowStart = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
  const { groupIds, numbers } = grantTargets(identity);
  // Concurrent requests of one client increment different rows instead of queueing on one row lock.
  const shard = Math.floor(Math.random() * RATE_SHARDS);
  const row = await sql<{ own: number; count: number; lim: number | null; via: { access_group_id: string; institution_number: string }[]; units: { id: string; organisation_code: string }[] }>`
    WITH up AS (
      INSERT INTO ss12000_rate_windows (client_id, window_start, shard, count) VALUES (${identity.clientId}, ${windowStart}, ${shard}, 1)
      ON CONFLICT (client_id, window_start, shard) DO UPDATE SET count = ss12000_rate_windows.count + 1
      RETURNING count
    ), via AS (
      SELECT access_group_id, institution_number FROM access_group_institutions WHERE access_group_id = ANY(${groupIds}::uuid[])
    )
    SELECT (SELECT count FROM up) AS own, (SELECT count FROM up) + (SELECT coalesce(sum(w.count), 0) FROM ss12000_rate_windows w
              WHERE w.client_id = ${identity.clientId} AND w.window_start = ${windowStart} AND w.shard <> ${shard})::int AS count,
      (SELECT requests_per_minute FROM ss12000_rate_limits WHERE app_id = ${identity.appId}::uuid) AS lim,
      (SELECT coalesce(json_agg(json_build_object('access_group_id', access_group_id, 'institution_number', institution_number)), '[]'::json) FROM via) AS via,
      (SELECT coalesce(json_agg(json_build_object('id', o.id, 'organisation_code', o.organisation_code)), '[]'::json)
         FROM ss12000_organisations o
        WHERE o.organisation_type = 'Skolenhet'
          AND o.organisation_code IN (SELECT unnest(${numbers}::text[]) UNION SELECT institution_number FROM via)) AS units`.execute(ctx.db);
  const r = row.rows[0]!;
  const count = Number(r.count);
  if (Number(r.own) === 1) {
    // First count in this shard of a new window: forget the client's older windows.
    await ctx.db.deleteFrom('ss12000_rate_windows').where('client_id', '=', identity.clientId).where('window_start', '<', windowStart).execute();
  }
  const limit = r.lim ?? DEFAULT_RATE_LIMIT;
  const resetSeconds = Math.max(1, Math.ceil((windowStart.getTime() + 60_000 - now.getTime()) / 1000));
  return { count, limit, resetSeconds, scope: buildScope(identity, r.via, r.units) };
}

/**
 * Authorizes one read of the SS 12000 API in ONE database round trip: verifies the bearer token
 * (signature checks are cached per token, see `verifyAccessToken`), then a single statement reads the
 * client's live state (client, app status, grants, approved categories, the end user's consent with
 * its live checks), counts the request in the client's rate window, and resolves the grants to school
 * units — the database function `ss12000_authorize` (migration 0043), whose plans stay prepared. Nothing of the authorization is cached: a removed grant, a suspended app or a withdrawn
 * consent is refused on the next request, in every process.
 *
 * The request is counted before the refusal checks run (they need the row the same statement reads):
 * a refused client's requests count against its own limit, which only makes it stricter.
 *
 * @throws BearerError as `authenticateClient` does.
 */
export async function authorizeRead(ctx: AppContext, request: FastifyRequest) {
  const { clientId, consentId } = await verifyAccessToken(ctx, request);
  const now = ctx.clock.now();
  const windowStart = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
  const shard = Math.floor(Math.random() * RATE_SHARDS);
  // One call; the function (migration 0043) keeps its statements' plans per connection.
  const result = await sql<{ r: (ClientRow & { own: number; count: number; lim: number | null; via: ViaRow[]; units: UnitRow[] }) | null }>`
    SELECT ss12000_authorize(${clientId}::uuid, ${consentId ?? null}::uuid, ${windowStart}::timestamptz, ${shard}::smallint) AS r`.execute(ctx.db);
  const row = result.rows[0]?.r ?? undefined;
  const principal = readerOnly(principalFromRow(ctx, row, consentId));
  const r = row!;
  if (Number(r.own) === 1) {
    // First count in this shard of a new window: forget the client's older windows.
    await ctx.db.deleteFrom('ss12000_rate_windows').where('client_id', '=', principal.clientId).where('window_start', '<', windowStart).execute();
  }
  const limit = r.lim ?? DEFAULT_RATE_LIMIT;
  const resetSeconds = Math.max(1, Math.ceil((windowStart.getTime() + 60_000 - now.getTime()) / 1000));
  return { count: Number(r.count), limit, resetSeconds, scope: buildScope(principal, r.via, r.units) };
}

type ViaRow = { access_group_id: string; institution_number: string };
type UnitRow = { id: string; organisation_code: string };

type AccessRow = Parameters<ReturnType<AppContext['db']['insertInto']>['values']>[0];

/**
 * Access-log rows wait here for at most FLUSH_MS and are then written in one multi-row INSERT: under
 * load that is one statement for many requests instead of one each. `flushAccessLog` runs on close.
 */
const FLUSH_MS = 50;
const pending = new WeakMap<AppContext, { rows: AccessRow[]; timer?: NodeJS.Timeout; writing: Promise<void> }>();

/** Writes the buffered access-log rows of `ctx` now. */
export async function flushAccessLog(ctx: AppContext): Promise<void> {
  const state = pending.get(ctx);
  if (!state) return;
  if (state.timer) clearTimeout(state.timer);
  state.timer = undefined;
  const rows = state.rows.splice(0);
  const write = rows.length
    ? state.writing.then(() => ctx.db.insertInto('ss12000_access_log').values(rows as never).execute().then(() => undefined))
    : state.writing;
  state.writing = write.catch((err) => ctx.log.error({ err }, 'access log write failed'));
  await state.writing;
}

/** Queues the access-log row of one answered request (app, endpoint, institutions, records, time). */
export function recordAccess(ctx: AppContext, request: FastifyRequest, status: number): void {
  const state = request.ss12000!;
  const identity = state.scope.identity;
  const endpoint = (request.routeOptions.url ?? request.url.split('?')[0]!).replace(/^\/ss12000\/v2\.0/, '').replace(/:(\w+)/g, '{$1}');
  let buffer = pending.get(ctx);
  if (!buffer) {
    buffer = { rows: [], writing: Promise.resolve() };
    pending.set(ctx, buffer);
  }
  buffer.rows.push({
    at: ctx.clock.now(),
    client_id: identity.clientId,
    app_id: identity.appId,
    partner_id: identity.partnerId,
    method: request.method,
    endpoint,
    institution_numbers: state.scope.institutionNumbers,
    record_count: status < 300 ? state.records : 0,
    status,
    consent_id: identity.endUser?.consentId ?? null,
  } as AccessRow);
  if (buffer.rows.length >= 500) void flushAccessLog(ctx);
  else if (!buffer.timer) {
    buffer.timer = setTimeout(() => void flushAccessLog(ctx), FLUSH_MS);
    buffer.timer.unref();
  }
}
