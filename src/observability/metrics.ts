import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AppContext } from '../context.ts';
import { ApiError } from '../http/errors.ts';
import { PgBossQueue } from '../jobs/pgboss.ts';
import { onAccessLogWrite } from '../modules/ss12000/access-log.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Set by the SS 12000 access log when it records the request (`installAccessLog`): the app that
     * read and how many records the answer releases, for the metrics. Absent on every other request.
     */
    ss12000Logged?: { appId: string | null; records: number };
  }
  interface FastifyInstance {
    /** The process's metrics (`installMetrics`). */
    metrics: Metrics;
  }
}

/** The surfaces whose answers are counted apart (rate-limit refusals, requests). */
export type Surface = 'api' | 'ss12000' | 'oidc' | 'signin' | 'ops' | 'web';

/** Which surface a path belongs to. */
export function surfaceOf(url: string): Surface {
  if (url.startsWith('/api/')) return 'api';
  if (url.startsWith('/ss12000/')) return 'ss12000';
  if (url === '/oidc' || url.startsWith('/oidc/') || url.startsWith('/oidc?')) return 'oidc';
  if (url.startsWith('/signin/')) return 'signin';
  if (/^\/(healthz|readyz|metrics)(\?|$)/.test(url)) return 'ops';
  return 'web';
}

/** oidc-provider models whose `issued`/`saved` events are tokens handed to a client. */
const TOKEN_MODELS = ['access_token', 'client_credentials', 'refresh_token', 'authorization_code'] as const;

/** Seconds: from a cached SS 12000 page (ms) to a slow ingestion batch. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The process's Prometheus metrics, in a registry of its own (one per server, so that tests running
 * several servers in one process do not mix their counts). Each process counts its own requests:
 * Prometheus scrapes every process and sums.
 */
export interface Metrics {
  registry: Registry;
  /** Counts the tokens an oidc-provider instance issues (`<model>.issued` / `<model>.saved` events). */
  observeProvider(provider: { on(event: string, listener: () => void): unknown }): void;
}

/** Label value for a request that matched no route (a 404 from the not-found handler, a bad URL). */
const NO_ROUTE = '(none)';

/**
 * Creates the metrics and the hooks that feed them: every answer by route pattern (never the raw
 * URL: ids would make one series per record) and status, its latency, 429s by surface, SS 12000
 * reads and released records by app. Queue depth, mail backlog and pool use are read at scrape time.
 */
export function installMetrics(app: FastifyInstance, ctx: AppContext): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'schoolgate_' });
  const registers = [registry];

  const requests = new Counter({
    name: 'schoolgate_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers,
  });
  const latency = new Histogram({
    name: 'schoolgate_http_request_duration_seconds',
    help: 'Time from receiving a request to the end of its answer, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const rateLimited = new Counter({
    name: 'schoolgate_rate_limited_total',
    help: 'Requests refused with 429 (rate limit, sign-in throttle, mail-sending limit), by surface.',
    labelNames: ['surface'] as const,
    registers,
  });
  const ssReads = new Counter({
    name: 'schoolgate_ss12000_reads_total',
    help: 'SS 12000 requests recorded in the access log, by app and status.',
    labelNames: ['app', 'status'] as const,
    registers,
  });
  const ssRecords = new Counter({
    name: 'schoolgate_ss12000_records_released_total',
    help: 'SS 12000 records released (as counted by the access log, embedded records included), by app.',
    labelNames: ['app'] as const,
    registers,
  });
  // Every SS 12000 and data-API read is answered only once its access-log row is committed
  // (src/modules/ss12000/access-log.ts): a slow write shows in every read's latency.
  const logWrites = new Histogram({
    name: 'schoolgate_access_log_write_seconds',
    help: 'Time of each access-log write (one INSERT and its commit, for the rows of the reads that waited for it), by outcome (ok, failed: those reads were answered 503).',
    labelNames: ['outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  const logRows = new Counter({
    name: 'schoolgate_access_log_rows_written_total',
    help: 'Access-log rows committed (one per SS 12000 or data-API request answered); divided by the write count, the rows per write.',
    registers,
  });
  const stopCounting = onAccessLogWrite(ctx, ({ seconds, rows, ok }) => {
    logWrites.observe({ outcome: ok ? 'ok' : 'failed' }, seconds);
    if (ok) logRows.inc(rows);
  });
  app.addHook('onClose', async () => stopCounting());
  const tokens = new Counter({
    name: 'schoolgate_oidc_tokens_issued_total',
    help: 'Tokens and codes the OAuth 2.0 / OpenID Connect provider issued, by kind.',
    labelNames: ['kind'] as const,
    registers,
  });
  for (const kind of TOKEN_MODELS) tokens.inc({ kind }, 0);
  for (const surface of ['api', 'ss12000', 'oidc', 'signin'] as const) rateLimited.inc({ surface }, 0);

  new Gauge({
    name: 'schoolgate_job_queue_depth',
    help: "pg-boss jobs per queue and state, from pg-boss's queue statistics (refreshed by its monitor, so up to a minute old).",
    labelNames: ['queue', 'state'] as const,
    registers,
    async collect() {
      this.reset();
      if (!(ctx.jobs instanceof PgBossQueue)) return;
      for (const q of await ctx.jobs.queueStats()) {
        this.set({ queue: q.name, state: 'queued' }, q.queuedCount);
        this.set({ queue: q.name, state: 'active' }, q.activeCount);
        this.set({ queue: q.name, state: 'deferred' }, q.deferredCount);
        this.set({ queue: q.name, state: 'failed' }, q.failedCount);
      }
    },
  });

  // One read per scrape for both mail gauges (prom-client collects them concurrently), on the
  // partial index of pending mails (migration 0057).
  let backlog: Promise<{ pending: number; oldest: number | null } | undefined> | undefined;
  const pending = () =>
    (backlog ??= sql<{ pending: number; oldest: number | null }>`
      SELECT count(*)::int AS pending, extract(epoch FROM now() - min(created_at))::float8 AS oldest
      FROM mail_outbox WHERE status = 'pending'`
      .execute(ctx.db)
      .then((r) => r.rows[0])
      .finally(() => (backlog = undefined)));
  new Gauge({
    name: 'schoolgate_mail_outbox_pending',
    help: 'Mails in the outbox waiting for delivery (status pending).',
    registers,
    async collect() {
      this.set((await pending())?.pending ?? 0);
    },
  });
  new Gauge({
    name: 'schoolgate_mail_outbox_oldest_pending_seconds',
    help: 'Age of the oldest mail waiting for delivery; 0 when none waits.',
    registers,
    async collect() {
      this.set(Math.max(0, (await pending())?.oldest ?? 0));
    },
  });

  new Gauge({
    name: 'schoolgate_db_pool_connections',
    help: 'Database connections of the process pool by state (PostgreSQL server, and backend "replica" for the read replica\'s pool; the embedded database has one connection and reports total 1).',
    labelNames: ['backend', 'state'] as const,
    registers,
    collect() {
      const pool = ctx.database.pool;
      if (!pool) {
        this.set({ backend: ctx.database.kind, state: 'total' }, 1);
        return;
      }
      this.set({ backend: ctx.database.kind, state: 'total' }, pool.totalCount);
      this.set({ backend: ctx.database.kind, state: 'idle' }, pool.idleCount);
      this.set({ backend: ctx.database.kind, state: 'waiting' }, pool.waitingCount);
      this.set({ backend: ctx.database.kind, state: 'max' }, pool.options.max ?? 10);
      const replicaPool = ctx.database.replicaHealth?.pool;
      if (replicaPool) {
        this.set({ backend: 'replica', state: 'total' }, replicaPool.totalCount);
        this.set({ backend: 'replica', state: 'idle' }, replicaPool.idleCount);
        this.set({ backend: 'replica', state: 'waiting' }, replicaPool.waitingCount);
        this.set({ backend: 'replica', state: 'max' }, replicaPool.options.max ?? 10);
      }
    },
  });

  // The read replica as this process sees it (src/db/replica.ts): each process judges its own connection.
  const replica = ctx.database.replicaHealth;
  if (replica) {
    new Gauge({
      name: 'schoolgate_db_replica_up',
      help: 'Whether this process sends SS 12000 page reads to the read replica (1) or, having found it unreachable, to the primary until it answers again (0).',
      registers,
      collect() {
        this.set(replica.up ? 1 : 0);
      },
    });
    new Counter({
      name: 'schoolgate_db_replica_fallback_reads_total',
      help: 'Statements meant for the read replica that the primary answered, by reason: down (the replica was marked down), unreachable (a connection-class failure, retried on the primary), conflict (cancelled by a recovery conflict, retried), busy (no replica connection came free in time).',
      labelNames: ['reason'] as const,
      registers,
      collect() {
        // The router counts; the counter shows its totals (never decreasing).
        this.reset();
        for (const [reason, n] of Object.entries(replica.fallbacks)) this.inc({ reason }, n);
      },
    });
  }

  app.addHook('onResponse', async (request, reply) => {
    const status = reply.statusCode;
    const route = request.routeOptions.url ?? NO_ROUTE;
    const labels = { method: request.method, route, status: String(status) };
    requests.inc(labels);
    latency.observe(labels, reply.elapsedTime / 1000);
    if (status === 429) rateLimited.inc({ surface: surfaceOf(request.url) });
    const read = request.ss12000Logged;
    if (read) {
      const appLabel = read.appId ?? 'none';
      ssReads.inc({ app: appLabel, status: String(status) });
      // A row recorded but replaced by a 503 (the log write failed) released nothing.
      if (status < 300 && read.records) ssRecords.inc({ app: appLabel }, read.records);
    }
  });

  const metrics: Metrics = {
    registry,
    observeProvider(provider) {
      // A JWT-format token is `issued` (nothing stored); an opaque one `saved`: one or the other per token.
      for (const kind of TOKEN_MODELS) for (const event of ['issued', 'saved']) provider.on(`${kind}.${event}`, () => tokens.inc({ kind }));
    },
  };
  app.decorate('metrics', metrics);
  return metrics;
}

/**
 * GET /metrics in Prometheus's text format. Off unless METRICS_TOKEN is set (404 then, so nothing is
 * public by default); with it, only a request bearing that token (`Authorization: Bearer …`) reads
 * the metrics, others get 401. The token is compared in constant time.
 */
export function registerMetricsRoute(app: FastifyInstance, ctx: AppContext, metrics: Metrics): void {
  const token = ctx.config.METRICS_TOKEN;
  const expected = token ? createHash('sha256').update(token).digest() : undefined;
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (!expected) throw new ApiError(404, 'metrics_disabled', 'Metrics are off: set METRICS_TOKEN to publish them to a scraper.');
    const given = /^Bearer (\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (!given || !timingSafeEqual(createHash('sha256').update(given).digest(), expected)) {
      void reply.header('WWW-Authenticate', 'Bearer realm="metrics"');
      throw new ApiError(401, 'metrics_unauthorized', 'Send the metrics token (METRICS_TOKEN) as a bearer token.');
    }
    const body = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).header('cache-control', 'no-store').send(body);
  });
}
