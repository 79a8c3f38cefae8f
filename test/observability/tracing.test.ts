/**
 * With OTEL_EXPORTER_OTLP_ENDPOINT set, requests become spans exported over OTLP/HTTP: checked with
 * a real receiver (a node:http server taking the JSON export on /v1/traces, as a collector would).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness } from '../support/harness.ts';

interface OtlpSpan {
  name: string;
  traceId: string;
  parentSpanId?: string;
  attributes: { key: string; value: { stringValue?: string; intValue?: string | number } }[];
}

/** A local OTLP/HTTP receiver: keeps every exported span with its resource's service name. */
function receiver() {
  const spans: (OtlpSpan & { service?: string; scope: string })[] = [];
  const contentTypes: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      contentTypes.push(String(req.headers['content-type']));
      if (req.method !== 'POST' || req.url !== '/v1/traces') return void res.writeHead(404).end();
      const parsed = JSON.parse(body) as {
        resourceSpans: { resource: { attributes: OtlpSpan['attributes'] }; scopeSpans: { scope: { name: string }; spans: OtlpSpan[] }[] }[];
      };
      for (const rs of parsed.resourceSpans) {
        const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue;
        for (const ss of rs.scopeSpans) for (const span of ss.spans) spans.push({ ...span, service, scope: ss.scope.name });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return { server, spans, contentTypes };
}

const attr = (span: OtlpSpan, key: string) => {
  const v = span.attributes.find((a) => a.key === key)?.value;
  return v?.stringValue ?? (v?.intValue !== undefined ? Number(v.intValue) : undefined);
};

describe('OpenTelemetry traces', () => {
  const collector = receiver();
  beforeAll(async () => {
    await new Promise<void>((resolve) => collector.server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => collector.server.close(resolve));
  });

  it('exports a span per request with its route pattern, status and request id, continuing the caller’s trace', async () => {
    const endpoint = `http://127.0.0.1:${(collector.server.address() as AddressInfo).port}`;
    const harness = await startHarness({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SERVICE_NAME: 'schoolgate-test' });
    const appId = '6b1f3a57-0000-4000-8000-00000000000a';
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    let requestId: string;
    const kind = harness.ctx.database.kind;
    try {
      const res = await fetch(`${harness.url}/api/v1/partner/apps/${appId}`, {
        headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      });
      expect(res.status).toBe(401);
      requestId = res.headers.get('x-request-id')!;
      expect((await fetch(`${harness.url}/ss12000/v2.0/organisations`)).status).toBe(401);
      // A sign-in reads the database (a query span on PostgreSQL), in a trace a proxy started.
      const login = await fetch(`${harness.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-00f067aa0ba902b8-01` },
        body: JSON.stringify({ email: 'nobody@example.test', password: 'not the password' }),
      });
      expect(login.status).toBe(401);
      expect((await fetch(`${harness.url}/healthz`)).status).toBe(200);
    } finally {
      // Closing the server flushes what the batch processor still holds.
      await harness.stop();
    }

    expect(collector.contentTypes).toContain('application/json');
    const requests = collector.spans.filter((s) => s.name === 'request');
    const api = requests.find((s) => attr(s, 'http.route') === '/api/v1/partner/apps/:appId');
    expect(api).toBeDefined();
    expect(api!.service).toBe('schoolgate-test');
    expect(api!.traceId).toBe(traceId);
    expect(attr(api!, 'http.response.status_code')).toBe(401);
    expect(attr(api!, 'schoolgate.request_id')).toBe(requestId);
    expect(requests.some((s) => attr(s, 'http.route') === '/ss12000/v2.0/organisations')).toBe(true);
    // Probes are left out.
    expect(requests.some((s) => attr(s, 'http.route') === '/healthz')).toBe(false);
    // On a PostgreSQL server the session lookup's query is a span in the request's trace; PGlite runs
    // in the process and has no driver to instrument.
    const queries = collector.spans.filter((s) => s.scope === '@opentelemetry/instrumentation-pg' && s.traceId === traceId);
    if (kind === 'postgres') expect(queries.some((q) => q.name.startsWith('pg.query:SELECT'))).toBe(true);
    else expect(queries).toEqual([]);
  }, 180_000);
});
