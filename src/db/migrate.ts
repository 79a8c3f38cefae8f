import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { sqlLiterals } from '../modules/access/literals.ts';
import type { Database } from './index.ts';

const MIGRATIONS_DIR = join(import.meta.dirname, 'migrations');
/** The live SQL: functions, views and triggers that are logic, as code (see `applyLiveSql`). */
export const LIVE_SQL_DIR = join(import.meta.dirname, 'live');

/** The migration files in apply order (their names sort by number). */
export function migrationFiles(): string[] {
  return readdirSync(MIGRATIONS_DIR)
    .filter((f) => f.endsWith('.sql'))
    .sort();
}

/** What `migrate` did: the migrations applied and the live SQL files (re-)applied, in order. */
export interface MigrationReport {
  migrations: string[];
  live: string[];
}

/**
 * Applies every migration not applied yet, each in its own transaction, then every live SQL file
 * whose text changed (see `applyLiveSql`), all under one advisory lock so that two processes
 * starting at once on one server do not both do it. Returns the names of the migrations applied;
 * `migrateWithReport` also names the live files.
 */
export async function migrate(database: Database, options: { liveDir?: string } = {}): Promise<string[]> {
  return (await migrateWithReport(database, options)).migrations;
}

/**
 * As `migrate`, reporting the live SQL files applied too. `liveDir` replaces `src/db/live` (tests).
 */
export async function migrateWithReport(database: Database, options: { liveDir?: string } = {}): Promise<MigrationReport> {
  const report: MigrationReport = { migrations: [], live: [] };
  // Session-level lock held across both loops; released at the end even on failure. The bookkeeping
  // tables are created under the lock too: two processes racing on CREATE TABLE IF NOT EXISTS can
  // both pass the existence check and one then fails on the catalog's unique index.
  await database.db.connection().execute(async (conn) => {
    await sql`SELECT pg_advisory_lock(727361)`.execute(conn);
    try {
      await sql`CREATE TABLE IF NOT EXISTS schema_migrations (
        name text PRIMARY KEY,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`.execute(conn);
      const done = new Set((await sql<{ name: string }>`SELECT name FROM schema_migrations`.execute(conn)).rows.map((r) => r.name));
      for (const name of migrationFiles()) {
        if (done.has(name)) continue;
        const script = readFileSync(join(MIGRATIONS_DIR, name), 'utf8');
        await runScriptInTransaction(database, conn, `${script}\nINSERT INTO schema_migrations (name) VALUES ('${name}');`);
        report.migrations.push(name);
      }
      // A migration may have dropped or replaced a live object (its old version in 0043/0046, say):
      // after any migration, every live file is applied again, whatever its recorded hash.
      report.live = await applyLiveSql(database, conn, options.liveDir ?? LIVE_SQL_DIR, report.migrations.length > 0);
    } finally {
      await sql`SELECT pg_advisory_unlock(727361)`.execute(conn);
    }
  });
  return report;
}

/** The live SQL files of `dir` in apply order (their names start with a number: `NN_name.sql`). */
export function liveSqlFiles(dir = LIVE_SQL_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort();
}

/**
 * The text of a live SQL file as it is applied: each `{{NAME}}` replaced by the SQL literal of the
 * domain constant `NAME` (`sqlLiterals` in src/modules/access/literals.ts), so SQL and TypeScript
 * share one definition of role kinds, markings and category codes.
 *
 * @throws Error naming the file and placeholder when a placeholder is unknown.
 */
export function liveSqlText(file: string, dir = LIVE_SQL_DIR): string {
  const literals = sqlLiterals();
  return readFileSync(join(dir, file), 'utf8').replace(/\{\{([A-Z0-9_]+)\}\}/g, (_, name: string) => {
    const value = literals[name];
    if (value === undefined) throw new Error(`${file}: unknown placeholder {{${name}}} (see src/modules/access/literals.ts)`);
    return value;
  });
}

/**
 * Applies the live SQL files — functions, views and triggers that are logic, written with
 * `CREATE OR REPLACE` (triggers: `DROP TRIGGER IF EXISTS` + `CREATE`), so applying one again is
 * harmless — in file order, each whose text (after substitution) has another SHA-256 than the one
 * recorded in `schema_live_sql` (every file when `all`: a migration just ran), in its own
 * transaction with the new hash. Unchanged files are not run: a start costs one query. Runs after the migrations, which create the tables the files use
 * (and the old versions of the objects, which the files replace). Call under the migration lock.
 * Returns the names of the files applied.
 */
async function applyLiveSql(database: Database, conn: Connection, dir: string, all: boolean): Promise<string[]> {
  await sql`CREATE TABLE IF NOT EXISTS schema_live_sql (
    name text PRIMARY KEY,
    sha256 text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`.execute(conn);
  const recorded = new Map(
    (await sql<{ name: string; sha256: string }>`SELECT name, sha256 FROM schema_live_sql`.execute(conn)).rows.map((r) => [r.name, r.sha256]),
  );
  const applied: string[] = [];
  for (const name of liveSqlFiles(dir)) {
    const text = liveSqlText(name, dir);
    const hash = createHash('sha256').update(text).digest('hex');
    if (!all && recorded.get(name) === hash) continue;
    const quoted = name.replace(/'/g, "''");
    await runScriptInTransaction(
      database,
      conn,
      `${text}\nINSERT INTO schema_live_sql (name, sha256) VALUES ('${quoted}', '${hash}')
         ON CONFLICT (name) DO UPDATE SET sha256 = EXCLUDED.sha256, applied_at = now();`,
    );
    applied.push(name);
  }
  return applied;
}

type Connection = Parameters<Parameters<ReturnType<Database['db']['connection']>['execute']>[0]>[0];

async function runScriptInTransaction(database: Database, conn: Connection, script: string): Promise<void> {
  const wrapped = `BEGIN;\n${script}\nCOMMIT;`;
  if (database.kind === 'pglite') {
    // PGlite has one connection; exec() runs the multi-statement script on it.
    try {
      await database.exec(wrapped);
    } catch (error) {
      await database.exec('ROLLBACK').catch(() => {});
      throw error;
    }
    return;
  }
  try {
    await sql.raw(wrapped).execute(conn);
  } catch (error) {
    await sql
      .raw('ROLLBACK')
      .execute(conn)
      .catch(() => {});
    throw error;
  }
}
