import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect, PostgresDialect } from 'kysely';
import pg from 'pg';
import { prepareMarkedStatements } from './prepared.ts';
import { REPLICA_CONNECT_TIMEOUT_MS, ReplicaRouter, type ReplicaHealth, type ReplicaLog } from './replica.ts';
import type { DB } from './schema.ts';

/**
 * The system of record. One PostgreSQL dialect for both backends: an embedded PGlite on disk when
 * DATABASE_URL is unset (zero setup), a real server when it is set.
 */
export interface Database {
  /** Typed query builder; every module goes through it. */
  db: Kysely<DB>;
  /** The connection pool (server only), for the pool-use metrics. */
  pool?: pg.Pool;
  kind: 'pglite' | 'postgres';
  /** Runs a multi-statement SQL script (migrations). */
  exec(script: string): Promise<void>;
  /** The embedded instance (PGlite only), for pg-boss's adapter. */
  pglite?: PGlite;
  /** Connection string (server only), for pg-boss's own pool. */
  connectionString?: string;
  /**
   * A streaming replica of the server (`replicaUrl`), read-only and possibly behind: for SS 12000
   * page reads only (`AppContext.readDb`), never for an authorization decision or a write. While the
   * replica is unreachable its statements are answered by the primary (src/db/replica.ts).
   */
  replica?: Kysely<DB>;
  /** This process's view of the replica (up or down, reads the primary answered instead), for the metrics. */
  replicaHealth?: ReplicaHealth;
  close(): Promise<void>;
}

/**
 * PostgreSQL settings of the embedded database, on top of PGlite's own start parameters.
 * shared_buffers: PostgreSQL's default of 128 MB lives in PGlite's WebAssembly heap, which never
 * shrinks, so once touched it is resident for the life of the server, on top of the operating
 * system's cache of the same files. 32 MB kept the demo server at ~500 MiB instead of ~610 MiB at
 * start (issue 12, measured with `schoolgate start` on the demo world); the data files stay in the
 * OS cache, so reads that miss the buffers do not go to the disk. Passed on the command line
 * (`-c`), so the data directory's postgresql.conf is left as initdb wrote it.
 */
const EMBEDDED_SETTINGS = ['-c', 'shared_buffers=32MB'];

// int8 (bigint) comes back as text so identities are exact; both drivers agree on it this way.
const INT8_OID = 20;
pg.types.setTypeParser(INT8_OID, (v: string) => v);

export interface OpenDatabaseOptions {
  /** postgres:// URL; when absent an embedded PGlite is used. */
  databaseUrl?: string;
  /** Directory for the embedded database; `memory://` keeps it in memory (tests). */
  dataDir?: string;
  /** Pool size for the server backend (and for its replica's pool). */
  poolSize?: number;
  /**
   * Keep every connection the pool opens, however long it idles (a fixed-size pool; long-running
   * processes). pg's default closes a connection after 10 s idle, and its replacement is a new
   * backend that parses and plans every prepared statement and compiles `ss12000_authorize` again:
   * the first requests after a quiet spell waited for that (the bench's `/persons` p99 at a steady
   * load, 238 ms against the baseline's 54, came from its first half second). Off for one-shot commands.
   */
  keepConnections?: boolean;
  /** postgres:// URL of a streaming replica of `databaseUrl` (DATABASE_REPLICA_URL); server only. */
  replicaUrl?: string;
  /** Where the replica router says that the replica failed or is back (the process logger); standard error by default. */
  log?: ReplicaLog;
  /**
   * PGlite only: start from this data directory (a tarball from `dumpDataDir()`) instead of an empty
   * one. The tests start every database from one migrated snapshot (test/support/db-snapshot.ts).
   */
  loadDataDir?: Blob;
}

/** The embedded database's directory is held by another process (or another open in this one). */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: { pid: number; command?: string; since?: string },
  ) {
    super(
      `the embedded database in ${dataDir} is in use by process ${holder.pid}` +
        `${holder.command ? ` (${holder.command}` : ''}${holder.since ? `${holder.command ? ', ' : ' ('}since ${holder.since})` : holder.command ? ')' : ''}. ` +
        'Only one process may open it: stop that process first (its writes would be lost otherwise), or run Schoolgate on a PostgreSQL server (DATABASE_URL).',
    );
    this.name = 'DataDirInUseError';
  }
}

/** Lock files this process holds, removed on exit (one listener for all of them). */
const heldLocks = new Set<() => void>();
let exitHookInstalled = false;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Takes the embedded database's directory for this process: PGlite is one process's database, and a
 * second process opening the same files (a CLI import beside `npm start`) would write into a copy that
 * the first overwrites — its writes silently lost. A lock file names the holder; one left by a process
 * that no longer runs is taken over. Returns the release function. Exported for `schoolgate restore`,
 * which replaces the directory's files and must hold it the whole time.
 */
export function holdDataDir(dir: string): () => void {
  const path = resolve(dir, 'schoolgate.lock');
  const mine = JSON.stringify({
    pid: process.pid,
    command: process.argv
      .slice(1)
      .map((a) => a.split('/').pop())
      .join(' '),
    since: new Date().toISOString(),
  });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, mine);
      closeSync(fd);
      const release = () => {
        heldLocks.delete(release);
        try {
          if (readFileSync(path, 'utf8') === mine) unlinkSync(path);
        } catch {
          /* already gone */
        }
      };
      heldLocks.add(release);
      if (!exitHookInstalled) {
        exitHookInstalled = true;
        process.once('exit', () => [...heldLocks].forEach((r) => r()));
      }
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let holder: { pid: number; command?: string; since?: string } | undefined;
      try {
        holder = JSON.parse(readFileSync(path, 'utf8'));
      } catch {
        holder = undefined;
      }
      if (holder && Number.isInteger(holder.pid) && alive(holder.pid)) throw new DataDirInUseError(dir, holder);
      // Left behind by a process that died (kill -9, power loss): take it over.
      try {
        unlinkSync(path);
      } catch {
        /* taken over by another starter at the same moment: the next attempt decides */
      }
    }
  }
  throw new DataDirInUseError(dir, { pid: -1 });
}

/**
 * A connection the server ends while a statement holds it (the server's restart or crash, a replica
 * stopped) emits 'error' on its client as well as failing the statement; pg-pool listens for it only
 * while the client is idle and Kysely never does, so unhandled it would end the process. The
 * statement's own failure reports it (and the pool drops the dead client when it is given back).
 */
function keepLostConnectionsFromCrashing(pool: pg.Pool): void {
  const reported = () => {};
  pool.on('connect', (client) => client.on('error', reported));
}

/** Replica events on standard error, for a caller without a logger (one-shot commands, tests). */
const stderrLog: ReplicaLog = {
  warn: (fields, message) => console.warn(`schoolgate: ${message}`, (fields as { err?: Error }).err?.message ?? ''),
  info: (_fields, message) => console.warn(`schoolgate: ${message}`),
};

/**
 * The pool of a streaming replica (hot standby), named so that its `pg_stat_activity` shows which
 * connections are these, behind the router that sends its reads to the primary while it is down.
 */
function openReplica(url: string, max: number, min: number, primary: pg.Pool, log: ReplicaLog): { db: Kysely<DB>; health: ReplicaRouter } {
  // A replica that does not answer (a host gone, packets dropped) must not hold a read for long: the primary answers instead.
  const pool = new pg.Pool({ connectionString: url, max, min, application_name: 'schoolgate page reads', connectionTimeoutMillis: REPLICA_CONNECT_TIMEOUT_MS });
  const router = new ReplicaRouter(pool, primary, log);
  // As on the primary, an idle connection the replica ends must not crash the process; here it also makes the router ask the replica.
  pool.on('error', (err) => router.idleConnectionLost(err));
  keepLostConnectionsFromCrashing(pool);
  prepareMarkedStatements(pool);
  return { db: new Kysely<DB>({ dialect: new PostgresDialect({ pool: router }) }), health: router };
}

/** Opens the database for the given options. Does not migrate; see `migrate()`. */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  if (options.databaseUrl) {
    const max = options.poolSize ?? 10;
    // `min` = `max`: pg-pool closes idle connections only above `min` (see `keepConnections`).
    const min = options.keepConnections ? max : 0;
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max, min });
    // An idle pooled connection the server ends (a restart, a failover, an operator's pg_terminate_backend,
    // a database dropped WITH (FORCE)) is an 'error' on the pool; unhandled, it would crash the process.
    // The pool has already dropped that connection and opens a new one for the next query.
    pool.on('error', (err) => {
      console.warn(`schoolgate: an idle database connection was closed by the server (${err.message}); it will be replaced`);
    });
    keepLostConnectionsFromCrashing(pool);
    prepareMarkedStatements(pool);
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    const replica = options.replicaUrl ? openReplica(options.replicaUrl, max, min, pool, options.log ?? stderrLog) : undefined;
    return {
      db,
      pool,
      kind: 'postgres',
      connectionString: options.databaseUrl,
      ...(replica ? { replica: replica.db, replicaHealth: replica.health } : {}),
      exec: async (script) => {
        await pool.query(script);
      },
      close: async () => {
        // The replica's reads first: one that fell back may still need the primary's pool.
        await replica?.db.destroy();
        await db.destroy();
      },
    };
  }
  if (options.replicaUrl) throw new Error('a replica (replicaUrl) needs a PostgreSQL server (databaseUrl), not the embedded database');
  const dataDir = options.dataDir ?? './data';
  let location: string | undefined;
  let release = () => {};
  if (dataDir !== 'memory://') {
    location = resolve(dataDir, 'pg');
    mkdirSync(location, { recursive: true });
    release = holdDataDir(dataDir);
  }
  let pglite: PGlite;
  try {
    // Loaded only here: importing PGlite costs a process ~45 MB of RSS, which one on a PostgreSQL
    // server (the readout, the server in production) never needs.
    const { PGlite } = await import('@electric-sql/pglite');
    pglite = await PGlite.create(location, {
      parsers: { [INT8_OID]: (v: string) => v },
      startParams: [...PGlite.defaultStartParams, ...EMBEDDED_SETTINGS],
      ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
    });
  } catch (error) {
    release();
    throw error;
  }
  const db = new Kysely<DB>({ dialect: new PGliteDialect({ pglite }) });
  return {
    db,
    kind: 'pglite',
    pglite,
    exec: async (script) => {
      await pglite.exec(script);
    },
    close: async () => {
      await db.destroy();
      if (!pglite.closed) await pglite.close();
      release();
    },
  };
}
