import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import pg from 'pg';
import { openDatabase } from '../../src/db/index.ts';
import { migrate } from '../../src/db/migrate.ts';

/**
 * The test suites' database, migrated once per run instead of once per test file. On PGlite a data
 * directory migrated once and kept as a tarball (cached across runs under node_modules/.cache, named
 * by a hash of everything that shapes the schema, so a new or changed migration rebuilds it); each
 * harness loads a copy. On PostgreSQL (TEST_DATABASE_URL) a template database migrated once per run;
 * each harness gets `CREATE DATABASE … TEMPLATE` of it. A server started on a copy still runs its
 * migration step, which finds nothing to do.
 */
export type TestDatabaseSnapshot = { kind: 'pglite'; file: string } | { kind: 'postgres'; template: string };

declare module 'vitest' {
  export interface ProvidedContext {
    /** Set by test/support/global-setup.ts; absent under a config without it (then each file migrates). */
    testDatabaseSnapshot?: TestDatabaseSnapshot;
  }
}

const ROOT = resolve(import.meta.dirname, '..', '..');
/** What the migrated schema depends on: the migration set, repeatable SQL applied at start, the runner. */
const SCHEMA_SOURCES = ['src/db/migrations', 'src/db/live', 'src/db/migrate.ts'];

function filesUnder(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((name) => filesUnder(join(path, name)));
}

/** A hash of the files the migrated schema is made from, and of the PGlite version (its data directory format). */
export function schemaSourcesHash(): string {
  const hash = createHash('sha256');
  const pglite = JSON.parse(readFileSync(join(ROOT, 'node_modules/@electric-sql/pglite/package.json'), 'utf8')) as { version: string };
  hash.update(`pglite ${pglite.version}\n`);
  for (const file of SCHEMA_SOURCES.flatMap((s) => filesUnder(join(ROOT, s)))) {
    hash.update(`${relative(ROOT, file)}\n`);
    hash.update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 16);
}

/** The migrated PGlite data directory as a tarball, built when no file exists for the current hash. */
export async function pgliteSnapshot(): Promise<string> {
  const dir = join(ROOT, 'node_modules/.cache/schoolgate-test');
  const file = join(dir, `pglite-${schemaSourcesHash()}.tar`);
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true });
  const database = await openDatabase({ dataDir: 'memory://' });
  try {
    await migrate(database);
    const tarball = await database.pglite!.dumpDataDir('none');
    // Written whole then renamed, so a concurrent run never reads half a file.
    const partial = `${file}.${process.pid}.partial`;
    writeFileSync(partial, Buffer.from(await tarball.arrayBuffer()));
    renameSync(partial, file);
    // Snapshots of older migration sets are 40 MB each; one a day old is no longer read by a run
    // still going in this checkout (each worker reads its file when its first test file starts).
    for (const old of readdirSync(dir)) {
      const path = join(dir, old);
      if (/^pglite-[0-9a-f]+\.tar$/.test(old) && path !== file && Date.now() - statSync(path).mtimeMs > 86_400_000) rmSync(path, { force: true });
    }
  } finally {
    await database.close();
  }
  return file;
}

/** `url` with another database name. */
export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function admin<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates and migrates this run's template database on the server of `url`; returns its name and a drop. */
export async function postgresTemplate(url: string): Promise<{ template: string; drop: () => Promise<void> }> {
  const template = `sg_template_${schemaSourcesHash()}_${process.pid}`;
  const drop = () => admin(url, (c) => c.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`)).then(() => undefined);
  await drop();
  await admin(url, (c) => c.query(`CREATE DATABASE ${template}`));
  const database = await openDatabase({ databaseUrl: withDatabase(url, template), poolSize: 1 });
  try {
    await migrate(database);
  } finally {
    // CREATE DATABASE … TEMPLATE refuses a template anyone is connected to.
    await database.close();
  }
  return { template, drop };
}

/** A new database on the server of `url`, copied from `template`; returns its URL and a drop. */
export async function databaseFromTemplate(url: string, template: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `sg_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  await admin(url, (c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${template}`));
  return {
    url: withDatabase(url, name),
    drop: () => admin(url, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}
