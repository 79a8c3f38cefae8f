import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, inject } from 'vitest';
import { testConfig } from '../../src/config.ts';
import { openDatabase, type Database } from '../../src/db/index.ts';
import { TestClock } from '../../src/lib/clock.ts';
import { startServer } from '../../src/server.ts';
import type { AppContext } from '../../src/context.ts';
import { databaseFromTemplate, type TestDatabaseSnapshot } from './db-snapshot.ts';

/**
 * A real Schoolgate on a random port with a fresh database: PGlite in memory, or a fresh schema on
 * the PostgreSQL server named by TEST_DATABASE_URL. Tests talk to it over HTTP only.
 */
export interface Harness {
  url: string;
  ctx: AppContext;
  clock: TestClock;
  /** Every /api/v1 route with its declared access. */
  apiRoutes: { method: string; url: string; access: string }[];
  /** An HTTP client bound to the server with its own cookie jar (one per simulated person). */
  client(): TestClient;
  stop(): Promise<void>;
}

/**
 * A fresh database for one test file, already migrated when the run's global setup made a snapshot
 * (test/support/db-snapshot.ts): PGlite in memory loaded from the migrated data directory, or on the
 * PostgreSQL server of TEST_DATABASE_URL a database copied from the migrated template. Without that
 * setup (another config) or with `empty`, an empty PGlite, or a fresh schema on the server's database.
 */
export async function openTestDatabase(options: { empty?: boolean } = {}): Promise<Database> {
  const url = process.env.TEST_DATABASE_URL;
  // `empty`: for a test of the migration step itself, which must find everything still to do.
  const snapshot = options.empty ? undefined : providedSnapshot();
  if (!url) {
    if (snapshot?.kind !== 'pglite') return openDatabase({ dataDir: 'memory://' });
    snapshotTarball ??= new Blob([readFileSync(snapshot.file)]);
    return openDatabase({ dataDir: 'memory://', loadDataDir: snapshotTarball });
  }
  if (snapshot?.kind === 'postgres') {
    const copy = await databaseFromTemplate(url, snapshot.template);
    const database = await openDatabase({ databaseUrl: copy.url, poolSize: 8 });
    const close = database.close;
    database.close = async () => {
      await close();
      await copy.drop();
    };
    return database;
  }
  // One schema per test file keeps files independent on one server database.
  const schema = `t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = await openDatabase({ databaseUrl: url, poolSize: 1 });
  await admin.exec(`CREATE SCHEMA ${schema}`);
  await admin.close();
  const sep = url.includes('?') ? '&' : '?';
  const database = await openDatabase({ databaseUrl: `${url}${sep}options=-c%20search_path%3D${schema}`, poolSize: 8 });
  const close = database.close;
  database.close = async () => {
    await close();
    const cleanup = await openDatabase({ databaseUrl: url, poolSize: 1 });
    // pg-boss keeps its queues in a schema of its own next to ours (see src/jobs/pgboss.ts).
    await cleanup.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE; DROP SCHEMA IF EXISTS ${schema}_boss CASCADE;`);
    await cleanup.close();
  };
  return database;
}

/** The migrated PGlite data directory, read once per worker. */
let snapshotTarball: Blob | undefined;

function providedSnapshot(): TestDatabaseSnapshot | undefined {
  try {
    return inject('testDatabaseSnapshot');
  } catch {
    return undefined; // not inside a Vitest worker
  }
}

export async function startHarness(env: Record<string, string> = {}, clockStart = '2026-11-22T10:00:00Z'): Promise<Harness> {
  const clock = new TestClock(new Date(clockStart));
  const database = await openTestDatabase();
  const config = testConfig({ PORT: '0', HOST: '127.0.0.1', ...env });
  const server = await startServer(config, { clock, database });
  const url = `http://127.0.0.1:${server.port}`;
  server.ctx.config.PUBLIC_URL = url;
  return {
    url,
    ctx: server.ctx,
    clock,
    apiRoutes: server.app.apiRoutes,
    client: () => new TestClient(url),
    async stop() {
      await server.stop();
      await database.close();
    },
  };
}

/** Starts a harness for the enclosing test file and stops it afterwards. */
export function useHarness(env: Record<string, string> = {}): () => Harness {
  let harness: Harness | undefined;
  beforeAll(async () => {
    harness = await startHarness(env);
    // Starting means copying the migrated database and starting the server (running every
    // migration without the run's snapshot): can take minutes when the machine is busy with other work.
  }, 180_000);
  afterAll(async () => {
    await harness?.stop();
  });
  return () => {
    if (!harness) throw new Error('harness not started');
    return harness;
  };
}

export interface TestResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** fetch with a cookie jar and automatic CSRF header, like a browser running our web app. */
export class TestClient {
  private cookies = new Map<string, string>();
  csrfToken: string | undefined;
  constructor(readonly baseUrl: string) {}

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<TestResponse<T>> {
    const h: Record<string, string> = { ...headers };
    if (body !== undefined) h['content-type'] ??= 'application/json';
    if (this.cookies.size) h.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (this.csrfToken && method !== 'GET') h['x-csrf-token'] ??= this.csrfToken;
    const res = await fetch(this.baseUrl + path, {
      method,
      headers: h,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      redirect: 'manual',
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const [k, v] = pair!.split('=');
      if (!v || /expires=Thu, 01 Jan 1970|max-age=0(;|$)/i.test(c)) this.cookies.delete(k!);
      else this.cookies.set(k!, v);
    }
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
    return { status: res.status, headers: res.headers, body: parsed as T };
  }
  get = <T = any>(path: string, headers?: Record<string, string>) => this.request<T>('GET', path, undefined, headers);
  post = <T = any>(path: string, body: unknown = {}, headers?: Record<string, string>) => this.request<T>('POST', path, body, headers);
  put = <T = any>(path: string, body: unknown = {}, headers?: Record<string, string>) => this.request<T>('PUT', path, body, headers);
  patch = <T = any>(path: string, body: unknown = {}, headers?: Record<string, string>) => this.request<T>('PATCH', path, body, headers);
  delete = <T = any>(path: string, headers?: Record<string, string>) => this.request<T>('DELETE', path, undefined, headers);

  /** Signs in and keeps the session cookie and CSRF token. */
  async login(email: string, password: string): Promise<TestResponse> {
    const res = await this.post('/api/v1/auth/login', { email, password });
    if (res.status === 200) this.csrfToken = res.body.csrfToken;
    return res;
  }
}
