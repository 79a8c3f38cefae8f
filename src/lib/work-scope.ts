import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What a piece of work in progress is, for whatever runs inside it: the HTTP request or the pg-boss
 * job it belongs to. Set once per request (`installRequestScope`, src/observability/request-id.ts)
 * and per job (src/jobs/pgboss.ts); read by the log mixin (every line logged inside names its
 * request or job) and by the replica router (src/db/replica.ts). Nothing here is shared between
 * processes.
 */
export interface WorkScope {
  /** The request's id (`request.id`, sent back as `X-Request-Id`). */
  readonly reqId?: string;
  /** The pg-boss job's id. */
  readonly jobId?: string;
  /**
   * Set by the replica router once a read of this request was answered by the primary instead of
   * the replica (why, for the metric): the request's later reads go there too, so that one answer
   * is never put together from two databases that may be at different points in time.
   */
  primaryReads?: 'down' | 'unreachable' | 'conflict' | 'busy';
}

/** The scope of the work running now; `getStore()` is undefined outside any request or job (start-up, timers of the process). */
export const workScope = new AsyncLocalStorage<WorkScope>();

/**
 * Set on a logger whose own bindings already name the request (Fastify's per-request child logger,
 * see `requestChildLogger`); pino's children inherit it (they are created with `Object.create`), so
 * their lines do not get the request id a second time from the mixin.
 */
export const NAMES_ITS_REQUEST = Symbol('schoolgate.namesItsRequest');

/**
 * pino's `mixin` for the process logger: a line logged inside a request carries its `reqId`, one
 * logged inside a job its `jobId`, whichever logger it went through (`ctx.log` in a service, the
 * access log, the mail outbox…). Returns a new object every time: pino merges the line's own
 * fields into it.
 */
export function logMixin(_fields: object, _level: number, logger: object): Record<string, string> {
  if ((logger as { [NAMES_ITS_REQUEST]?: boolean })[NAMES_ITS_REQUEST]) return {};
  const scope = workScope.getStore();
  if (scope?.reqId) return { reqId: scope.reqId };
  if (scope?.jobId) return { jobId: scope.jobId };
  return {};
}
