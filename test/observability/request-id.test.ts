/**
 * What an operator follows a request by: one id per request, in its X-Request-Id on every surface,
 * in every log line of it (the process logger's too), in its error body and in its SS 12000
 * access-log row. A trusted proxy's own id is kept; anyone else's is replaced. A job's lines name the job.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { testConfig } from '../../src/config.ts';
import { PgBossQueue } from '../../src/jobs/pgboss.ts';
import { insertUser } from '../../src/seed/builders.ts';
import { registerWebApp } from '../../src/http/static.ts';
import { installRequestIdHeader, requestIdGenerator } from '../../src/observability/request-id.ts';
import { startServer } from '../../src/server.ts';
import { openTestDatabase, TestClient } from '../support/harness.ts';
import { createBoardWithSchool } from '../oidc/upstream/fixtures.ts';
import { freePort } from '../pg/server-process.ts';
import { createApp, ensureInstitutions, grantAll, Ss12000Client } from '../ss12000/support.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A real server whose log lines are kept (JSON, one object per line). */
async function serverWithLog(env: Record<string, string>) {
  const lines: Record<string, any>[] = [];
  const raw: string[] = [];
  const logDestination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n'))
        if (line.trim()) {
          raw.push(line);
          lines.push(JSON.parse(line));
        }
      done();
    },
  });
  const database = await openTestDatabase();
  const server = await startServer(testConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env }), { database, workers: false, logDestination });
  const url = `http://127.0.0.1:${server.port}`;
  server.ctx.config.PUBLIC_URL = url;
  return {
    url,
    ctx: server.ctx,
    lines,
    raw,
    async stop() {
      await server.stop();
      await database.close();
    },
  };
}

describe('behind a trusted proxy (TRUST_PROXY)', () => {
  let s: Awaited<ReturnType<typeof serverWithLog>>;
  beforeAll(async () => {
    // The test connects from 127.0.0.1, so it is the trusted proxy here.
    s = await serverWithLog({ TRUST_PROXY: '127.0.0.1' });
  }, 180_000);
  afterAll(async () => s?.stop());

  it.each([
    ['/api/v1', '/api/v1/partner/apps/6b1f3a57-0000-4000-8000-000000000001', 401],
    ['/api/v1 (no such route)', '/api/v1/no-such-thing', 404],
    ['/ss12000', '/ss12000/v2.0/organisations', 401],
    ['/oidc', '/oidc/.well-known/openid-configuration', 200],
    ['/signin', '/signin/no-such-interaction/state', 410],
    ['/healthz', '/healthz', 200],
  ])('keeps the proxy’s id on %s: header, error body and every log line of the request', async (_surface, path, status) => {
    const id = `proxy-${Math.random().toString(36).slice(2)}`;
    const res = await fetch(s.url + path, { headers: { 'x-request-id': id } });
    expect(res.status).toBe(status);
    expect(res.headers.get('x-request-id')).toBe(id);
    if (status >= 400) expect((await res.json()).requestId).toBe(id);
    else await res.arrayBuffer();
    await new Promise((r) => setTimeout(r, 50)); // "request completed" is logged once the answer has gone
    const mine = s.lines.filter((l) => l.reqId === id);
    expect(mine.map((l) => l.msg)).toEqual(expect.arrayContaining(['incoming request', 'request completed']));
    // No line about this request under another id.
    expect(s.lines.filter((l) => l.req?.url === path && l.reqId !== id && l.req?.headers?.['x-request-id'] === id)).toEqual([]);
  });

  it('replaces an id that is not well-formed (a list, spaces, over 128 characters) by its own', async () => {
    for (const bad of ['a, b', 'has space', 'x'.repeat(129), '-leading-dash']) {
      const res = await fetch(`${s.url}/api/v1/no-such-thing`, { headers: { 'x-request-id': bad } });
      const body = await res.json();
      expect(res.headers.get('x-request-id')).toMatch(UUID);
      expect(body.requestId).toBe(res.headers.get('x-request-id'));
    }
  });

  it('stores the same id in the SS 12000 access-log row of a read: one id per request', async () => {
    await ensureInstitutions(s.ctx, ['350001']);
    const app = await createApp(s.ctx, { students: ['identity'] });
    await grantAll(s.ctx, app.clientId, 'students', ['350001']);
    const client = new Ss12000Client(`${s.url}/ss12000/v2.0`, `${s.url}/oidc/token`, app.clientId, app.secret);
    const token = await client.fetchToken();
    const id = 'proxy-read-0001';
    const res = await fetch(`${s.url}/ss12000/v2.0/organisations`, { headers: { authorization: `Bearer ${token}`, 'x-request-id': id } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe(id);
    const rows = await s.ctx.db.selectFrom('ss12000_access_log').select(['request_id', 'app_id']).where('app_id', '=', app.appId).execute();
    expect(rows).toEqual([{ request_id: id, app_id: app.appId }]);
  });
});

describe('without a trusted proxy', () => {
  let s: Awaited<ReturnType<typeof serverWithLog>>;
  beforeAll(async () => {
    s = await serverWithLog({});
  }, 180_000);
  afterAll(async () => s?.stop());

  it('ignores the client’s X-Request-Id and uses its own, the same in header, problem body and log lines', async () => {
    const res = await fetch(`${s.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'chosen-by-client' },
      body: JSON.stringify({ email: 'not-an-address' }),
    });
    expect(res.status).toBe(400);
    const id = res.headers.get('x-request-id')!;
    expect(id).toMatch(UUID);
    const body = await res.json();
    expect(body).toMatchObject({ code: 'validation_failed', requestId: id });
    await new Promise((r) => setTimeout(r, 50));
    expect(s.lines.filter((l) => l.reqId === id).length).toBeGreaterThanOrEqual(2);
    expect(s.lines.some((l) => l.reqId === 'chosen-by-client')).toBe(false);
  });

  it('gives the router’s own refusals (an invalid escape) an id too', async () => {
    const res = await fetch(`${s.url}/ss12000/v2.0/persons/%ud800`);
    expect(res.status).toBe(400);
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(UUID);
    expect(await res.json()).toEqual({ code: 'invalid_url', message: expect.any(String), requestId: id });
  });
});

describe('lines logged through the process logger (ctx.log)', () => {
  let s: Awaited<ReturnType<typeof serverWithLog>>;
  beforeAll(async () => {
    s = await serverWithLog({});
  }, 180_000);
  afterAll(async () => s?.stop());

  it('carry the id of the request they were logged in (once per line), as the request’s own lines do; start-up lines carry none', async () => {
    // Adding a board's identity provider discovers its issuer first; a failed discovery is logged
    // by the service through ctx.log, after the JSON body was read and a fetch awaited.
    const { boardId } = await createBoardWithSchool(s.ctx, 'Lunds kommun');
    await insertUser(s.ctx.db, { email: 'olga-log@vendor.example', password: 'operator password', displayName: 'Olga Operator', kind: 'operator' });
    const operator = new TestClient(s.url);
    expect((await operator.login('olga-log@vendor.example', 'operator password')).status).toBe(200);
    const nobody = await freePort();
    const res = await operator.post('/api/v1/operator/identity-providers', {
      boardId,
      displayName: 'Lund',
      issuer: `http://127.0.0.1:${nobody}`,
      clientId: 'lund',
      clientSecret: 'a secret',
      personClaim: 'eppn',
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('issuer_discovery_failed');
    const id = res.headers.get('x-request-id')!;
    expect(id).toMatch(UUID);
    await new Promise((r) => setTimeout(r, 50));

    const line = s.lines.find((l) => l.msg === 'upstream discovery failed');
    expect(line, 'the service logs the failed discovery through ctx.log').toBeDefined();
    expect(line!.reqId).toBe(id);
    expect(s.lines.filter((l) => l.reqId === id).map((l) => l.msg)).toEqual(
      expect.arrayContaining(['incoming request', 'upstream discovery failed', 'request completed']),
    );
    // Fastify's own lines (its per-request logger) do not get the id a second time from the mixin.
    for (const text of s.raw) expect((text.match(/"reqId"/g) ?? []).length, text).toBeLessThanOrEqual(1);
    // Lines outside any request (the server's start) carry no request id.
    const listening = s.lines.find((l) => /listening/i.test(l.msg));
    expect(listening).toBeDefined();
    expect(listening!.reqId).toBeUndefined();

    // The same request with its body sent a moment after its headers: Fastify reads it from the
    // connection's events, and the service's line still names the request.
    const login = await fetch(`${s.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'olga-log@vendor.example', password: 'operator password' }),
    });
    const cookie = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const body = JSON.stringify({
      boardId,
      displayName: 'Lund',
      issuer: `http://127.0.0.1:${nobody}/late`,
      clientId: 'lund',
      clientSecret: 'a secret',
      personClaim: 'eppn',
    });
    const late = await new Promise<{ status: number; id: string }>((resolve, reject) => {
      const req = httpRequest(`${s.url}/api/v1/operator/identity-providers`, {
        method: 'POST',
        headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      });
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, id: String(res.headers['x-request-id']) }));
      });
      req.on('error', reject);
      req.flushHeaders();
      setTimeout(() => req.end(body), 100);
    });
    expect(late.status).toBe(400);
    await new Promise((r) => setTimeout(r, 50));
    const lateLine = s.lines.find((l) => l.msg === 'upstream discovery failed' && l.issuer === `http://127.0.0.1:${nobody}/late`);
    expect(lateLine).toBeDefined();
    expect(lateLine!.reqId).toBe(late.id);
  });

  it('name the job in lines logged while a pg-boss job runs, and no request', async () => {
    const name = 'log-scope-probe';
    const queue = new PgBossQueue(s.ctx.database, s.ctx.log, [
      {
        name,
        queue: { retryLimit: 0 },
        pollingIntervalSeconds: 1,
        handle: async (ctx) => {
          ctx.log.info('inside the job');
        },
      },
    ]);
    await queue.start(s.ctx, { workers: true });
    try {
      const jobId = await queue.sendInTransaction(s.ctx.db, name, {});
      expect(jobId).toBeTruthy();
      await vi.waitFor(() => expect(s.lines.some((l) => l.msg === 'inside the job')).toBe(true), { timeout: 30_000, interval: 100 });
      const line = s.lines.find((l) => l.msg === 'inside the job')!;
      expect(line.jobId).toBe(jobId);
      expect(line.reqId).toBeUndefined();
    } finally {
      await queue.stop();
    }
  }, 60_000);
});

describe('the web application (static files)', () => {
  let root: string;
  let close: () => Promise<void>;
  let url: string;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'sg-web-'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>Schoolgate</title>');
    // The server's own request-id wiring (genReqId and the header hook) around the real static plugin.
    const app = Fastify({ genReqId: requestIdGenerator([]) });
    installRequestIdHeader(app);
    const log = { info() {} } as never;
    await registerWebApp(app, { config: testConfig(), log } as never, `${root}/`);
    await app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(app.server.address() as import('node:net').AddressInfo).port}`;
    close = () => app.close();
  });
  afterAll(async () => {
    await close?.();
    rmSync(root, { recursive: true, force: true });
  });

  it('answers the page and its refusals with an X-Request-Id', async () => {
    const page = await fetch(`${url}/school/apps`);
    expect(page.status).toBe(200);
    expect(page.headers.get('x-request-id')).toMatch(UUID);
    const missing = await fetch(`${url}/assets/nope.js`);
    expect(missing.status).toBe(404);
    expect((await missing.json()).requestId).toBe(missing.headers.get('x-request-id'));
  });
});
