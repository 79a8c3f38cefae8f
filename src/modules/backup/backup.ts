import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readSync,
  closeSync,
  writeSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect, sql } from 'kysely';
import type { Config } from '../../config.ts';
import { holdDataDir, openDatabase } from '../../db/index.ts';
import type { DB } from '../../db/schema.ts';
import { recordAudit, systemActor } from '../audit/record.ts';

/**
 * Backup and restore of the whole database, embedded or on a server.
 *
 * A backup file is one header line and the payload:
 *
 *     SCHOOLGATE-BACKUP 1 {"kind":"pglite"|"postgres","bytes":…,"sha256":…,…}\n<payload>
 *
 * The header lets `restore` refuse a foreign file, a truncated or corrupted one (length and SHA-256
 * of the payload) and a backup of the other kind before it touches anything. The payload is:
 *
 * - **embedded (PGlite)**: the data directory as a gzipped tarball (`dumpDataDir`). Chosen over a
 *   logical dump because it is exact by construction (every table, sequence, pg-boss's schema, the
 *   live SQL, with no dump tool to keep in step with the schema), needs no extra dependency (a
 *   logical dump would need a WebAssembly pg_dump), and restores in seconds. Its limit: it is read
 *   by a PGlite of the same PostgreSQL major version (the header records it); moving to a server is a
 *   different path (pg_dump of a running PGlite is not offered here).
 * - **server (DATABASE_URL)**: a pg_dump custom-format archive (Debian's postgresql-client), restored
 *   with pg_restore in one transaction. `tail -n +2 FILE > dump.pgc` gives an archive pg_restore reads.
 *
 * What a restore keeps and ends: all data, grants, consents, the audit log and client secrets come
 * back as they were at the backup (an app's client_credentials keep working). Every signed-in
 * session ends — staff sessions, end users' sessions and oidc-provider's stored sessions, codes and
 * refresh tokens (its Grants, the consents' bookkeeping, stay) — because a session someone ended after the backup (a sign-out, a revoked refresh
 * token, a password change) would otherwise come back to life. Access tokens are short-lived signed
 * JWTs and stay valid until they expire. The restore writes an audit row `database.restored` saying so.
 */

const MAGIC = 'SCHOOLGATE-BACKUP 1 ';
/** A header line is small; reading this much and finding no newline means the file is not a backup. */
const HEADER_MAX = 16 * 1024;

/** A backup or restore refused or failed for a reason the operator can act on; its message is one line. */
export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupError';
  }
}

/** What the header line of a backup file records. */
export interface BackupHeader {
  kind: 'pglite' | 'postgres';
  createdAt: string;
  /** Length and SHA-256 of the payload that follows the header line. */
  bytes: number;
  sha256: string;
  /** The newest migration applied in the backed-up database. */
  lastMigration: string | null;
  /** `server_version` of the backed-up database (PGlite: its embedded PostgreSQL). */
  serverVersion: string;
  /** PGlite's package version, for a data-directory payload. */
  pgliteVersion?: string;
}

/** Where the embedded database keeps its files (as `openDatabase` does). */
const pgDir = (dataDir: string) => resolve(dataDir, 'pg');

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find(Boolean) ?? ''
  );
}

/** Runs a PostgreSQL client tool; refuses with its first error line, or says how to install it. */
async function runTool(tool: string, args: string[], stdout: number | 'ignore' = 'ignore'): Promise<void> {
  await new Promise<void>((resolvePromise, reject) => {
    const child = spawn(tool, args, { stdio: ['ignore', stdout, 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(
        new BackupError(
          error.code === 'ENOENT'
            ? `${tool} is not installed: install PostgreSQL's client tools (Debian: apt-get install postgresql-client)`
            : `${tool}: ${error.message}`,
        ),
      );
    });
    child.on('close', (code) => {
      if (code === 0) resolvePromise();
      // pg_restore prints "pg_restore: error: …" lines; the first says what went wrong.
      else reject(new BackupError(firstLine(stderr.split('\n').find((l) => /error/i.test(l)) ?? stderr) || `${tool} exited with code ${code}`));
    });
  });
}

async function lastMigration(db: Kysely<DB>): Promise<string | null> {
  const { rows } = await sql<{ name: string | null }>`SELECT max(name) AS name FROM schema_migrations`.execute(db).catch(() => ({ rows: [] }));
  return rows[0]?.name ?? null;
}

async function isSchoolgateDatabase(db: Kysely<DB>): Promise<boolean> {
  const { rows } = await sql<{ present: boolean }>`SELECT to_regclass('schema_migrations') IS NOT NULL AS present`.execute(db);
  return rows[0]!.present;
}

async function sha256OfFile(path: string, start = 0): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path, { start }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** Writes header + payload to `file` through a temporary name, so a crash never leaves half a backup under the real one. */
async function writeBackupFile(file: string, header: BackupHeader, payload: { buffer: Buffer } | { path: string }): Promise<void> {
  const partial = `${file}.${process.pid}.partial`;
  try {
    const out = createWriteStream(partial);
    out.write(`${MAGIC}${JSON.stringify(header)}\n`);
    if ('buffer' in payload) {
      out.end(payload.buffer);
      await new Promise<void>((res, rej) => out.on('finish', res).on('error', rej));
    } else {
      await pipeline(createReadStream(payload.path), out);
    }
    renameSync(partial, file);
  } finally {
    rmSync(partial, { force: true });
  }
}

/**
 * `schoolgate backup FILE`: the database named by the config (DATABASE_URL, else DATA_DIR) into
 * FILE. On the embedded database it takes the data directory's lock, so it refuses while a server
 * runs on it (a copy taken beside a running PGlite could miss its latest writes).
 */
export async function backupDatabase(config: Config, file: string, options: { force?: boolean } = {}): Promise<BackupHeader> {
  if (existsSync(file) && !options.force) throw new BackupError(`${file} exists already; choose another name or pass --force to overwrite it`);
  if (!existsSync(dirname(resolve(file)))) throw new BackupError(`the directory of ${file} does not exist`);
  if (config.DATABASE_URL) return backupServer(config.DATABASE_URL, file);
  return backupPglite(config.DATA_DIR, file);
}

async function backupPglite(dataDir: string, file: string): Promise<BackupHeader> {
  // Checked before opening: opening an empty directory would create a database there.
  if (!existsSync(join(pgDir(dataDir), 'PG_VERSION'))) throw new BackupError(`there is no database in ${resolve(dataDir)} (DATA_DIR) to back up`);
  const database = await openDatabase({ dataDir });
  try {
    if (!(await isSchoolgateDatabase(database.db)))
      throw new BackupError(`the database in ${resolve(dataDir)} is not a Schoolgate database (no schema_migrations)`);
    const { rows } = await sql<{ v: string }>`SELECT current_setting('server_version') AS v`.execute(database.db);
    const tarball = Buffer.from(await (await database.pglite!.dumpDataDir('gzip')).arrayBuffer());
    const header: BackupHeader = {
      kind: 'pglite',
      createdAt: new Date().toISOString(),
      bytes: tarball.length,
      sha256: createHash('sha256').update(tarball).digest('hex'),
      lastMigration: await lastMigration(database.db),
      serverVersion: rows[0]!.v,
      pgliteVersion: await pgliteVersion(),
    };
    await writeBackupFile(file, header, { buffer: tarball });
    return header;
  } finally {
    await database.close();
  }
}

async function pgliteVersion(): Promise<string | undefined> {
  try {
    const pkg = JSON.parse(await readFile(join(import.meta.dirname, '../../../node_modules/@electric-sql/pglite/package.json'), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return undefined;
  }
}

async function backupServer(url: string, file: string): Promise<BackupHeader> {
  const database = await openDatabase({ databaseUrl: url, poolSize: 1 });
  let header: Omit<BackupHeader, 'bytes' | 'sha256'>;
  try {
    if (!(await isSchoolgateDatabase(database.db))) throw new BackupError('the database of DATABASE_URL is not a Schoolgate database (no schema_migrations)');
    const { rows } = await sql<{ v: string }>`SELECT current_setting('server_version') AS v`.execute(database.db);
    header = { kind: 'postgres', createdAt: new Date().toISOString(), lastMigration: await lastMigration(database.db), serverVersion: rows[0]!.v };
  } finally {
    await database.close();
  }
  const work = mkdtempSync(join(tmpdir(), 'schoolgate-backup-'));
  try {
    const dump = join(work, 'dump.pgc');
    // Custom format: compressed, and pg_restore can select, reorder and --clean from it.
    await runTool('pg_dump', ['--format=custom', '--no-password', `--file=${dump}`, `--dbname=${url}`]);
    const full: BackupHeader = { ...header, ...(await sha256OfFile(dump)) };
    await writeBackupFile(file, full, { path: dump });
    return full;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** SQL that empties the target database: every schema dropped, `public` made anew (pg_dump does not create it). */
async function dropEverything(url: string): Promise<string> {
  const database = await openDatabase({ databaseUrl: url, poolSize: 1 });
  try {
    const { rows } = await sql<{ name: string }>`
      SELECT nspname AS name FROM pg_namespace
      WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_%' ORDER BY 1`.execute(database.db);
    const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
    return `${rows.map((r) => `DROP SCHEMA ${quote(r.name)} CASCADE;`).join('\n')}\nCREATE SCHEMA public;\n`;
  } finally {
    await database.close();
  }
}

/**
 * Runs the archive through psql in one transaction, `preamble` first: pg_restore writes it as SQL to
 * a file first (not a pipe, so that a pg_restore failing part-way never hands psql a shortened
 * script that it would commit).
 */
async function restoreScript(url: string, archive: string, preamble: string): Promise<void> {
  const script = join(dirname(archive), 'restore.sql');
  const fd = openSync(script, 'w');
  try {
    writeSync(fd, preamble);
    await runTool('pg_restore', ['--no-owner', '--file=-', archive], fd);
  } finally {
    closeSync(fd);
  }
  await runTool('psql', ['--no-psqlrc', '--quiet', '--single-transaction', '--set=ON_ERROR_STOP=1', '--no-password', `--dbname=${url}`, `--file=${script}`]);
}

/**
 * Reads and checks a backup file's header and payload: refuses a file that is not a Schoolgate
 * backup, a truncated one, or one whose payload does not match its checksum. Returns the header and
 * where the payload starts.
 */
export async function readBackupHeader(file: string): Promise<{ header: BackupHeader; offset: number }> {
  if (!existsSync(file)) throw new BackupError(`${file} does not exist`);
  if (statSync(file).isDirectory()) throw new BackupError(`${file} is a directory, not a backup file`);
  const fd = openSync(file, 'r');
  const start = Buffer.alloc(HEADER_MAX);
  let read: number;
  try {
    read = readSync(fd, start, 0, HEADER_MAX, 0);
  } finally {
    closeSync(fd);
  }
  const foreign = () => new BackupError(`${file} is not a Schoolgate backup (made by \`schoolgate backup\`)`);
  if (read < MAGIC.length || start.subarray(0, MAGIC.length).toString('latin1') !== MAGIC) throw foreign();
  const newline = start.indexOf(0x0a);
  if (newline < 0) throw read < HEADER_MAX ? new BackupError(`${file} is truncated: it ends inside its header`) : foreign();
  let header: BackupHeader;
  try {
    header = JSON.parse(start.subarray(MAGIC.length, newline).toString('utf8')) as BackupHeader;
  } catch {
    throw foreign();
  }
  if (
    (header.kind !== 'pglite' && header.kind !== 'postgres') ||
    !Number.isSafeInteger(header.bytes) ||
    typeof header.sha256 !== 'string' ||
    !/^[0-9a-f]{64}$/.test(header.sha256)
  ) {
    throw foreign();
  }
  const offset = newline + 1;
  const { sha256, bytes } = await sha256OfFile(file, offset);
  if (bytes < header.bytes) throw new BackupError(`${file} is truncated: ${bytes} of its ${header.bytes} bytes of data are there`);
  if (bytes > header.bytes || sha256 !== header.sha256) throw new BackupError(`${file} is damaged: its data does not match the checksum it was written with`);
  return { header, offset };
}

/** What a restore did. */
export interface RestoreResult {
  header: BackupHeader;
  /** Sessions ended by the restore (staff, end users, oidc-provider's stored ones). */
  sessionsEnded: number;
}

/**
 * `schoolgate restore FILE`: replaces the database named by the config with the backup. Refuses a
 * target that holds data unless `force`; on the embedded database holds the data directory's lock
 * throughout (so it refuses while a server runs on it), on a server refuses while other sessions
 * are connected to the database. The old embedded files are swapped out only once the new ones are
 * complete; on a server pg_restore runs in one transaction.
 */
export async function restoreDatabase(config: Config, file: string, options: { force?: boolean; now?: Date } = {}): Promise<RestoreResult> {
  const { header, offset } = await readBackupHeader(file);
  const now = options.now ?? new Date();
  if (config.DATABASE_URL) {
    if (header.kind !== 'postgres') throw new BackupError(`${file} is a backup of an embedded database; restore it without DATABASE_URL (into DATA_DIR)`);
    return restoreServer(config.DATABASE_URL, file, header, offset, options.force ?? false, now);
  }
  if (header.kind !== 'pglite') throw new BackupError(`${file} is a backup of a PostgreSQL server; restore it with DATABASE_URL naming the target database`);
  return restorePglite(config.DATA_DIR, file, header, offset, options.force ?? false, now);
}

/** Ends every session and records the restore, in one transaction on the restored database. */
async function afterRestore(db: Kysely<DB>, file: string, header: BackupHeader, now: Date): Promise<number> {
  return db.transaction().execute(async (trx) => {
    let ended = 0;
    for (const table of ['sessions', 'end_user_sessions'] as const) {
      ended += Number((await trx.deleteFrom(table).executeTakeFirst()).numDeletedRows);
    }
    // oidc-provider's sessions, interactions, codes and tokens go; its Grants stay: they are the
    // bookkeeping of end users' consents (end_user_consents.oidc_grant_id) and carry no session.
    ended += Number((await trx.deleteFrom('oidc_payloads').where('type', '!=', 'Grant').executeTakeFirst()).numDeletedRows);
    await recordAudit(trx, now, systemActor, {
      action: 'database.restored',
      subjectType: 'database',
      subjectId: header.kind,
      after: { file: basename(file), backupCreatedAt: header.createdAt, lastMigration: header.lastMigration, sessionsEnded: ended },
    });
    return ended;
  });
}

async function restorePglite(dataDir: string, file: string, header: BackupHeader, offset: number, force: boolean, now: Date): Promise<RestoreResult> {
  mkdirSync(dataDir, { recursive: true });
  const release = holdDataDir(dataDir);
  const target = pgDir(dataDir);
  const incoming = `${target}.restoring`;
  const outgoing = `${target}.replaced`;
  try {
    if (existsSync(join(target, 'PG_VERSION')) && !force) {
      throw new BackupError(`${resolve(dataDir)} (DATA_DIR) holds a database already; pass --force to replace it (its data will be lost)`);
    }
    rmSync(incoming, { recursive: true, force: true });
    mkdirSync(incoming, { recursive: true });
    const payload = (await readFile(file)).subarray(offset);
    let sessionsEnded: number;
    try {
      const pglite = await PGlite.create(incoming, { loadDataDir: new Blob([payload], { type: 'application/x-gzip' }) });
      const db = new Kysely<DB>({ dialect: new PGliteDialect({ pglite }) });
      try {
        sessionsEnded = await afterRestore(db, file, header, now);
      } finally {
        await db.destroy();
        if (!pglite.closed) await pglite.close();
      }
    } catch (error) {
      rmSync(incoming, { recursive: true, force: true });
      if (error instanceof BackupError) throw error;
      throw new BackupError(
        `${file} could not be loaded (${header.pgliteVersion ? `made with PGlite ${header.pgliteVersion}` : 'embedded database'}): ${(error as Error).message}`,
      );
    }
    // The swap: the old files are removed only once the restored ones are complete and closed.
    rmSync(outgoing, { recursive: true, force: true });
    if (existsSync(target)) renameSync(target, outgoing);
    renameSync(incoming, target);
    rmSync(outgoing, { recursive: true, force: true });
    return { header, sessionsEnded };
  } finally {
    release();
  }
}

async function restoreServer(url: string, file: string, header: BackupHeader, offset: number, force: boolean, now: Date): Promise<RestoreResult> {
  const check = await openDatabase({ databaseUrl: url, poolSize: 1 });
  try {
    const { rows: others } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`.execute(check.db);
    if (others[0]!.n > 0) {
      throw new BackupError(`${others[0]!.n} other session(s) are connected to the target database; stop the Schoolgate servers using it first`);
    }
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') AND s.nspname NOT IN ('pg_catalog', 'information_schema') AND s.nspname NOT LIKE 'pg\\_toast%'`.execute(
      check.db,
    );
    if (rows[0]!.n > 0 && !force)
      throw new BackupError('the target database holds tables already; pass --force to replace what the backup contains (its data will be lost)');
  } finally {
    await check.close();
  }
  const work = mkdtempSync(join(tmpdir(), 'schoolgate-restore-'));
  try {
    const dump = join(work, 'dump.pgc');
    await pipeline(createReadStream(file, { start: offset }), createWriteStream(dump));
    // pg_restore writes the archive as SQL and psql runs it in one transaction, after (with --force)
    // dropping every schema of the target: a failure part-way leaves the target as it was. Not
    // `pg_restore --clean`: it drops object by object and fails on pg-boss's partitioned tables.
    // --no-owner: the restoring role owns what it creates (the backup may come from a server whose roles differ).
    await restoreScript(url, dump, force ? await dropEverything(url) : '');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const database = await openDatabase({ databaseUrl: url, poolSize: 1 });
  try {
    return { header, sessionsEnded: await afterRestore(database.db, file, header, now) };
  } finally {
    await database.close();
  }
}
