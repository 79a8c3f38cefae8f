/**
 * What a Prometheus scraper reads at /metrics, and that nobody else can: off without METRICS_TOKEN,
 * refused without the token, and counters that move with real requests.
 */
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { startHarness, useHarness, type Harness } from '../support/harness.ts';
import { createApp, ensureInstitutions, grantAll, Ss12000Client } from '../ss12000/support.ts';
import { ingestBatch } from '../../src/modules/ss12000/ingest.ts';
import { generateWorld } from '../../src/generator/index.ts';
import { newId } from '../../src/lib/ids.ts';
import { forgetRateRefusals } from '../../src/modules/ss12000/access.ts';
import { onAccessLogWrite } from '../../src/modules/ss12000/access-log.ts';

const TOKEN = 'metrics-token-for-the-test-0123456789abcdef';
const harness = useHarness({ METRICS_TOKEN: TOKEN });

const scrape = async () => {
  const res = await fetch(`${harness().url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return res.text();
};

/** The value of one series (name and exact label set as Prometheus prints them), 0 when absent. */
function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe('who may read /metrics', () => {
  it('refuses a request without the token or with another one, in problem+json with a challenge', async () => {
    for (const authorization of ['', 'Bearer wrong-token', `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`, `Bearer ${TOKEN}x`]) {
      const headers: Record<string, string> = authorization ? { authorization } : {};
      const res = await fetch(`${harness().url}/metrics`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
      const body = await res.json();
      expect(body).toMatchObject({ status: 401, code: 'metrics_unauthorized', requestId: res.headers.get('x-request-id') });
      expect(JSON.stringify(body)).not.toContain('schoolgate_http');
    }
  });

  it('is off (404) when no METRICS_TOKEN is configured, whatever is sent', async () => {
    let other: Harness | undefined;
    try {
      other = await startHarness();
      for (const headers of [{}, { authorization: `Bearer ${TOKEN}` }] as Record<string, string>[]) {
        const res = await fetch(`${other.url}/metrics`, { headers });
        expect(res.status).toBe(404);
        expect(await res.json()).toMatchObject({ code: 'metrics_disabled' });
      }
    } finally {
      await other?.stop();
    }
  }, 180_000);
});

describe('what /metrics counts', () => {
  let app: Awaited<ReturnType<typeof createApp>>;
  let client: Ss12000Client;
  beforeAll(async () => {
    const { ctx, url } = harness();
    const world = generateWorld({ seed: 4, schools: 1, students: 12, institutionNumbers: ['350001'], today: '2026-11-22' });
    await ensureInstitutions(ctx, ['350001']);
    await ingestBatch(ctx, { upsert: world as never }, { id: null, label: 'test', kind: 'system' });
    app = await createApp(ctx, { students: ['identity'] });
    await grantAll(ctx, app.clientId, 'students', ['350001']);
    client = new Ss12000Client(`${url}/ss12000/v2.0`, `${url}/oidc/token`, app.clientId, app.secret);
  }, 120_000);

  it('counts requests by route pattern and status, never by the raw URL, with their latency', async () => {
    const before = await scrape();
    const series = 'schoolgate_http_requests_total{method="GET",route="/api/v1/partner/apps/:appId",status="401"}';
    const ids = [newId(), newId(), newId()];
    for (const id of ids) expect((await fetch(`${harness().url}/api/v1/partner/apps/${id}`)).status).toBe(401);
    // A request is counted when its response has finished (onResponse), which may be just after the client has it.
    const after = await vi.waitFor(async () => {
      const now = await scrape();
      expect(value(now, series) - value(before, series)).toBe(3);
      return now;
    });
    for (const id of ids) expect(after).not.toContain(id);
    const count = 'schoolgate_http_request_duration_seconds_count{method="GET",route="/api/v1/partner/apps/:appId",status="401"}';
    expect(value(after, count) - value(before, count)).toBe(3);
    // Unmatched paths share one series too: "(none)", or the web app's catch-all "/*" when web/dist is built.
    const unmatched = (text: string) =>
      value(text, 'schoolgate_http_requests_total{method="GET",route="(none)",status="404"}') +
      value(text, 'schoolgate_http_requests_total{method="GET",route="/*",status="404"}');
    const beforeUnmatched = unmatched(await scrape());
    const unknownId = newId();
    expect((await fetch(`${harness().url}/api/v1/no/such/${unknownId}`)).status).toBe(404);
    await vi.waitFor(async () => {
      const now = await scrape();
      expect(unmatched(now) - beforeUnmatched).toBe(1);
      expect(now).not.toContain(unknownId);
    });
  });

  it('counts tokens issued, SS 12000 reads and the records they released per app, and 429s by surface', { timeout: 120_000 }, async () => {
    const before = await scrape();
    await client.fetchToken();
    const reads = [await client.get('/persons?limit=5'), await client.get('/persons?limit=3')];
    expect(reads.map((r) => r.status)).toEqual([200, 200]);
    const released = reads.reduce((n, r) => n + r.body.data.length, 0);
    expect(released).toBe(8);

    // Three requests a minute for this app: the next reads are refused.
    await harness().ctx.db.insertInto('ss12000_rate_limits').values({ app_id: app.appId, requests_per_minute: 3 }).execute();
    const more = [await client.get('/persons?limit=1'), await client.get('/persons?limit=1'), await client.get('/persons?limit=1')];
    expect(more.map((r) => r.status)).toEqual([200, 429, 429]);
    // Five sign-ups per address an hour on /api/v1: the sixth is refused.
    const web = harness().client();
    const signups: number[] = [];
    for (let i = 0; i < 6; i++)
      signups.push((await web.post('/api/v1/auth/signup', { email: `m${i}@x.example`, password: 'long enough pw', displayName: 'M' })).status);
    expect(signups).toEqual([202, 202, 202, 202, 202, 429]);
    // The last request is counted when its response has finished (onResponse): wait for it.
    const after = await vi.waitFor(async () => {
      const now = await scrape();
      expect(value(now, 'schoolgate_rate_limited_total{surface="api"}') - value(before, 'schoolgate_rate_limited_total{surface="api"}')).toBe(1);
      return now;
    });

    const delta = (series: string) => value(after, series) - value(before, series);
    expect(delta('schoolgate_oidc_tokens_issued_total{kind="client_credentials"}')).toBe(1);
    expect(delta(`schoolgate_ss12000_reads_total{app="${app.appId}",status="200"}`)).toBe(3);
    expect(delta(`schoolgate_ss12000_reads_total{app="${app.appId}",status="429"}`)).toBe(2);
    // As the access log counts them: the two pages and the one record of the third read.
    expect(delta(`schoolgate_ss12000_records_released_total{app="${app.appId}"}`)).toBe(released + 1);
    const logged = await harness()
      .ctx.db.selectFrom('ss12000_access_log')
      .select((eb) => eb.fn.sum<string>('record_count').as('records'))
      .where('app_id', '=', app.appId)
      .executeTakeFirstOrThrow();
    expect(value(after, `schoolgate_ss12000_records_released_total{app="${app.appId}"}`)).toBe(Number(logged.records));
    expect(delta('schoolgate_rate_limited_total{surface="ss12000"}')).toBe(2);
    expect(delta('schoolgate_rate_limited_total{surface="api"}')).toBe(1);
    expect(delta('schoolgate_rate_limited_total{surface="oidc"}')).toBe(0);
  });

  it('times each access-log write and counts the rows it committed, one per read answered', async () => {
    // The test before limited this app to three reads a minute.
    await harness().ctx.db.deleteFrom('ss12000_rate_limits').where('app_id', '=', app.appId).execute();
    forgetRateRefusals(harness().ctx, app.appId);
    const before = await scrape();
    await client.fetchToken();
    // Sequential reads: each waits for its own row's write before the next is sent.
    for (const limit of [1, 2, 3]) expect((await client.get(`/persons?limit=${limit}`)).status).toBe(200);
    const after = await scrape();
    const delta = (series: string) => value(after, series) - value(before, series);
    expect(delta('schoolgate_access_log_rows_written_total')).toBe(3);
    // At most one write per row; a write carries the rows that queued while the one before ran.
    const writes = delta('schoolgate_access_log_write_seconds_count{outcome="ok"}');
    expect(writes).toBeGreaterThanOrEqual(1);
    expect(writes).toBeLessThanOrEqual(3);
    expect(delta('schoolgate_access_log_write_seconds_sum{outcome="ok"}')).toBeGreaterThan(0);
    expect(delta('schoolgate_access_log_write_seconds_count{outcome="failed"}')).toBe(0);
  });

  it('answers a read whose row was written even when a listener of the write fails', async () => {
    const { ctx } = harness();
    const stop = onAccessLogWrite(ctx, () => {
      throw new Error('a listener that fails');
    });
    try {
      const before = await ctx.db
        .selectFrom('ss12000_access_log')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow();
      const read = await client.get('/persons?limit=2');
      expect(read.status).toBe(200);
      expect(read.body.data).toHaveLength(2);
      const after = await ctx.db
        .selectFrom('ss12000_access_log')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(after.n) - Number(before.n)).toBe(1);
    } finally {
      stop();
    }
  });

  it('reads the mail backlog, the job queues and the database pool when scraped', async () => {
    const { ctx } = harness();
    expect(value(await scrape(), 'schoolgate_mail_outbox_pending')).toBe(0);
    await ctx.db
      .insertInto('mail_outbox')
      .values({ id: newId(), to_address: 'a@example.test', language: 'sv', template: 'test', subject: 's', body_text: 't', body_html: 'h', status: 'pending' })
      .execute();
    const text = await scrape();
    expect(value(text, 'schoolgate_mail_outbox_pending')).toBe(1);
    expect(value(text, 'schoolgate_mail_outbox_oldest_pending_seconds')).toBeGreaterThanOrEqual(0);
    expect(text).toMatch(/^schoolgate_job_queue_depth\{queue="[^"]+",state="queued"\} \d+$/m);
    if (ctx.database.kind === 'postgres') {
      expect(value(text, 'schoolgate_db_pool_connections{backend="postgres",state="total"}')).toBeGreaterThanOrEqual(1);
      expect(value(text, 'schoolgate_db_pool_connections{backend="postgres",state="max"}')).toBe(8);
    } else {
      expect(value(text, 'schoolgate_db_pool_connections{backend="pglite",state="total"}')).toBe(1);
    }
    // The process's own figures (prom-client's defaults) come along.
    expect(value(text, 'schoolgate_process_resident_memory_bytes')).toBeGreaterThan(0);
  });
});

describe('tracing off', () => {
  it('loads no tracing code when OTEL_EXPORTER_OTLP_ENDPOINT is unset', async () => {
    expect(harness().ctx.config.OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
    expect((await fetch(`${harness().url}/healthz`)).status).toBe(200);
    // Both are CommonJS, so loading them would leave them in the require cache of this process.
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    expect(loaded.filter((path) => /@fastify[\\/]otel|instrumentation-pg/.test(path))).toEqual([]);
    expect(loaded.some((path) => /[\\/]prom-client[\\/]/.test(path))).toBe(true);
  });
});
