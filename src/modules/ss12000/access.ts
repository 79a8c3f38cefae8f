import type { FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import type { AppContext } from '../../context.ts';

/** Clever publishes 1,200 requests per minute per client; the operator may set another per app. */
export const DEFAULT_RATE_LIMIT = 1200;

/**
 * Counts one request of a client in the current one-minute window, in the database so that the
 * limit holds across every server process. Returns the count so far and the limit in force.
 */
export async function takeRateToken(ctx: AppContext, clientId: string, appId: string | null) {
  const now = ctx.clock.now();
  const windowStart = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
  const row = await sql<{ count: number; lim: number | null }>`
    WITH up AS (
      INSERT INTO ss12000_rate_windows (client_id, window_start, count) VALUES (${clientId}, ${windowStart}, 1)
      ON CONFLICT (client_id, window_start) DO UPDATE SET count = ss12000_rate_windows.count + 1
      RETURNING count
    )
    SELECT up.count, (SELECT requests_per_minute FROM ss12000_rate_limits WHERE app_id = ${appId}::uuid) AS lim FROM up`.execute(ctx.db);
  const count = Number(row.rows[0]!.count);
  if (count === 1) {
    // First request of a new window: forget this client's old windows.
    await ctx.db.deleteFrom('ss12000_rate_windows').where('client_id', '=', clientId).where('window_start', '<', windowStart).execute();
  }
  const limit = row.rows[0]!.lim ?? DEFAULT_RATE_LIMIT;
  const resetSeconds = Math.max(1, Math.ceil((windowStart.getTime() + 60_000 - now.getTime()) / 1000));
  return { count, limit, resetSeconds };
}

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
  } as AccessRow);
  if (buffer.rows.length >= 500) void flushAccessLog(ctx);
  else if (!buffer.timer) {
    buffer.timer = setTimeout(() => void flushAccessLog(ctx), FLUSH_MS);
    buffer.timer.unref();
  }
}
