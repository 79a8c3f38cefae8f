import type { FastifyPluginCallback } from 'fastify';
import type { Config } from '../config.ts';

/** Tracing as the server uses it: a Fastify plugin that makes the spans, and the exporter's shutdown. */
export interface Tracing {
  /** Registered before any route: one span per request, named by its route pattern, and its hooks' and handler's. */
  plugin: FastifyPluginCallback;
  /** Exports what is still buffered and stops; called when the server closes. */
  shutdown(): Promise<void>;
}

/**
 * OpenTelemetry traces, only when OTEL_EXPORTER_OTLP_ENDPOINT is set. The SDK is imported here, on
 * demand, so that a deployment without a collector loads none of it (not for a cycle: nothing
 * imports this module back).
 */
export async function startTracing(config: Config): Promise<Tracing | undefined> {
  const endpoint = config.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint) return undefined;
  const { createTracing } = await import('./otel.ts');
  return createTracing(endpoint, config.OTEL_SERVICE_NAME);
}
