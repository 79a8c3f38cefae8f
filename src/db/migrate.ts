import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { Database } from './index.ts';

const MIGRATIONS_DIR = join(import.meta.dirname, 'migrations');

/** The migration files in apply order (their names sort by number). */
export function migrationFiles(): string[] {
  return readdirSync(MIGRATIONS_DIR)
    .filter((f) => f.endsWith('.sql'))
    .sort();
}

/**
 * Applies every migration not applied yet, each in its own transaction, under an advisory lock so
 * that two processes starting at once on one server do not both migrate. Returns the names applied.
 */
export async function migrate(database: Database): Promise<string[]> {
  const applied: string[] = [];
  // Session-level lock held across the loop; released at the end even on failure. The bookkeeping
  // table is created under the lock too: two processes racing on CREATE TABLE IF NOT EXISTS can both
  // pass the existence check and one then fails on the catalog's unique index.
  await database.db.connection().execute(async (conn) => {
    await sql`SELECT pg_advisory_lock(727361)`.execute(conn);
    try {
      await sql`CREATE TABLE IF NOT EXISTS schema_migrations (
        name text PRIMARY KEY,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`.execute(conn);
      const done = new Set(
        (await sql<{ name: string }>`SELECT name FROM schema_migrations`.execute(conn)).rows.map((r) => r.name),
      );
      for (const name of migrationFiles()) {
        if (done.has(name)) continue;
        const script = readFileSync(join(MIGRATIONS_DIR, name), 'utf8');
        await runScriptInTransaction(database, conn, `${script}\nINSERT INTO schema_migrations (name) VALUES ('${name}');`);
        applied.push(name);
      }
    } finally {
      await sql`SELECT pg_advisory_unlock(727361)`.execute(conn);
    }
  });
  return applied;
}

async function runScriptInTransaction(
  database: Database,
  conn: Parameters<Parameters<ReturnType<Database['db']['connection']>['execute']>[0]>[0],
  script: string,
): Promise<void> {
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
    await sql.raw('ROLLBACK').execute(conn).catch(() => {});
    throw error;
  }
}
