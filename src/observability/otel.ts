import { createRequire } from 'node:module';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Tracing } from './tracing.ts';

/** Whether this process has installed OpenTelemetry's global context manager and propagator. */
let registered = false;
let pgInstrumented = false;

/**
 * The tracer provider exporting over OTLP/HTTP (JSON) to `<endpoint>/v1/traces`, @fastify/otel's
 * plugin bound to it, and query spans for node-postgres (a PostgreSQL server; PGlite has none).
 * @fastify/otel makes its spans from Fastify's own hooks, so it needs no module patching (which ESM,
 * loaded through tsx, would only allow with a loader hook given at start); it continues a trace a
 * proxy started (W3C `traceparent`).
 */
export function createTracing(endpoint: string, serviceName: string): Tracing {
  const exporter = new OTLPTraceExporter({ url: `${endpoint.replace(/\/$/, '')}/v1/traces` });
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  // Global, once per process: the AsyncLocalStorage context manager (a handler's span is the child
  // of its request's) and the W3C propagator. A second server in the process keeps the first ones.
  if (!registered) {
    provider.register();
    registered = true;
  }
  if (!pgInstrumented) {
    // node-postgres is CommonJS: the instrumentation's require hook patches it when it is next
    // required, and the patch is on the shared Client prototype, so the pool the database module
    // imported (already loaded, through ESM) makes query spans too. Once per process.
    const pg = new PgInstrumentation({ requireParentSpan: true });
    pg.setTracerProvider(provider);
    pg.enable();
    createRequire(import.meta.url)('pg');
    pgInstrumented = true;
  }
  const instrumentation = new FastifyOtelInstrumentation({
    // The request id joins a trace to the request's log lines and error body.
    requestHook: (span, request) => span.setAttribute('schoolgate.request_id', request.id),
    // Probes and scrapes every few seconds would drown the traces that matter.
    ignorePaths: ({ url }) => url === '/healthz' || url === '/readyz' || url === '/metrics',
    // One span per request (its queries below it). Spans per hook and handler would be named after
    // each plugin's source text (our plugins are anonymous functions) and say little more.
    instrumentHooks: false,
    instrumentHandler: false,
  });
  instrumentation.setTracerProvider(provider);
  return { plugin: instrumentation.plugin(), shutdown: () => provider.shutdown() };
}
