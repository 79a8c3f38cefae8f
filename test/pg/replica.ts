import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './server-process.ts';

/** Debian's PostgreSQL 15 server programs. */
export const PG_BIN = '/usr/lib/postgresql/15/bin';

/** The line that lets the server's superuser replicate from this machine without a password. */
export const REPLICATION_HBA_LINE = 'host replication postgres 127.0.0.1/32 trust';

async function query<T = Record<string, unknown>>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Whether `url`'s user may open a physical replication connection (what pg_basebackup and a standby do). */
async function mayReplicate(url: string): Promise<true | string> {
  const client = new pg.Client({ connectionString: url, replication: true } as pg.ClientConfig);
  try {
    await client.connect();
    await client.query('IDENTIFY_SYSTEM');
    return true;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Makes the server of `adminUrl` one that a local standby can be made from, idempotently, and says
 * what it changed. `wal_level` (replica or logical) and `max_wal_senders` are Debian's defaults and
 * changing them needs a restart of a server others use, so they are only checked. Replication
 * connections: Debian's pg_hba.conf allows them from 127.0.0.1 only with a password the superuser
 * does not have (or, as on this machine, not at all); when the superuser may not replicate, the line
 * `host replication postgres 127.0.0.1/32 trust` goes at the top of the server's pg_hba.conf (first
 * match wins) and the configuration is reloaded. Nothing is changed when it may already.
 */
export async function allowLocalReplication(adminUrl: string): Promise<string[]> {
  const wal_level = (await query<{ wal_level: string }>(adminUrl, 'SHOW wal_level'))[0]!.wal_level;
  const max_wal_senders = (await query<{ max_wal_senders: string }>(adminUrl, 'SHOW max_wal_senders'))[0]!.max_wal_senders;
  if (!['replica', 'logical'].includes(wal_level) || Number(max_wal_senders) < 1) {
    throw new Error(
      `this PostgreSQL server cannot feed a standby (wal_level=${wal_level}, max_wal_senders=${max_wal_senders}); ` +
        'set wal_level = replica and max_wal_senders = 10 (the defaults) and restart it',
    );
  }
  const first = await mayReplicate(adminUrl);
  if (first === true) return [];
  const hba_file = (await query<{ hba_file: string }>(adminUrl, 'SHOW hba_file'))[0]!.hba_file;
  const hba = readFileSync(hba_file, 'utf8');
  const changes: string[] = [];
  if (!hba.split('\n').some((l) => l.trim() === REPLICATION_HBA_LINE)) {
    try {
      writeFileSync(
        hba_file,
        `# Added by Schoolgate's test/pg/read-replica.test.ts: the test makes a standby of this server with pg_basebackup.\n${REPLICATION_HBA_LINE}\n${hba}`,
      );
    } catch (error) {
      throw new Error(
        `postgres may not replicate from 127.0.0.1 (${first}) and ${hba_file} cannot be changed here: add "${REPLICATION_HBA_LINE}" at its top and reload the server`,
        {
          cause: error,
        },
      );
    }
    changes.push(`added "${REPLICATION_HBA_LINE}" at the top of ${hba_file}`);
  }
  await query(adminUrl, 'SELECT pg_reload_conf()');
  changes.push('reloaded the configuration (pg_reload_conf)');
  // The reload is asynchronous: new connections follow it within moments.
  const deadline = performance.now() + 10_000;
  for (;;) {
    const now = await mayReplicate(adminUrl);
    if (now === true) return changes;
    if (performance.now() > deadline) throw new Error(`postgres still may not replicate from 127.0.0.1 after ${changes.join(', ')}: ${now} (first: ${first})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A hot standby of the local server, running in a temporary directory. */
export interface Replica {
  port: number;
  /** URL of `database` on the standby. */
  url(database: string): string;
  /** Runs a statement on the standby's `database` (default postgres). */
  query<T = Record<string, unknown>>(text: string, values?: unknown[], database?: string): Promise<T[]>;
  /** Stops applying the primary's WAL (it is still received): the standby lags from now on. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Waits until the standby has applied everything the primary had written when called. */
  catchUp(): Promise<void>;
  output(): string;
  /**
   * Stops the standby the way `pg_ctl stop -m immediate` does (SIGQUIT to the postmaster: every
   * backend quits at once, connections are cut, nothing is flushed) and waits until it has exited.
   * Its data directory stays, for `start()`.
   */
  crash(): Promise<void>;
  /** Starts the standby again on the same port and data directory (crash recovery, then it replays and streams again); resolves once it answers. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** `id -u postgres` / `id -g postgres`: the server programs refuse to run as root. */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

const settingsToMatch = ['max_connections', 'max_worker_processes', 'max_wal_senders', 'max_prepared_transactions', 'max_locks_per_transaction'];

/**
 * A second PostgreSQL 15 cluster made with `pg_basebackup -R` from the server of `adminUrl`,
 * started as a hot standby on an ephemeral port of 127.0.0.1 in a temporary directory (as the
 * `postgres` OS user when this runs as root). Its own minimal configuration; the settings a standby
 * must have at least as high as its primary are copied from it. `stop()` stops it and removes the
 * directory (also done, by force, if the test process exits first).
 */
export async function startReplica(adminUrl: string): Promise<Replica> {
  const primary = new URL(adminUrl);
  const user = postgresUser();
  const dir = mkdtempSync(join(tmpdir(), 'sg-replica-'));
  const data = join(dir, 'data');
  if (user) chownSync(dir, user.uid, user.gid);
  const run = (args: string[]): SpawnSyncReturns<string> =>
    spawnSync(join(PG_BIN, 'pg_basebackup'), args, {
      encoding: 'utf8',
      ...(user ?? {}),
      env: { ...process.env, PGPASSWORD: decodeURIComponent(primary.password) },
    });
  const backup = run([
    '-h',
    primary.hostname,
    '-p',
    primary.port || '5432',
    '-U',
    decodeURIComponent(primary.username) || 'postgres',
    '-D',
    data,
    '-R',
    '-X',
    'stream',
    '-c',
    'fast',
    '--no-sync',
    '--no-manifest',
  ]);
  if (backup.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`pg_basebackup failed (${backup.status}):\n${backup.stderr}`);
  }
  const port = await freePort();
  const settings = await query<{ name: string; setting: string }>(adminUrl, 'SELECT name, setting FROM pg_settings WHERE name = ANY($1)', [settingsToMatch]);
  const own = (file: string, text: string) => {
    writeFileSync(join(data, file), text);
    if (user) chownSync(join(data, file), user.uid, user.gid);
  };
  // Debian keeps the configuration in /etc, so the copy has none: the standby gets its own.
  own('postgresql.conf', '# A throw-away standby of test/pg/read-replica.test.ts; settings on the command line.\n');
  own('pg_hba.conf', 'local all all trust\nhost all all 127.0.0.1/32 trust\n');
  own('pg_ident.conf', '');
  const options = {
    port: String(port),
    listen_addresses: '127.0.0.1',
    unix_socket_directories: dir,
    hot_standby: 'on',
    shared_buffers: '16MB',
    fsync: 'off',
    logging_collector: 'off',
    cluster_name: 'schoolgate-test-replica',
    ...Object.fromEntries(settings.map((s) => [s.name, s.setting])),
  };
  let out = '';
  let child!: ChildProcess;
  let exited!: Promise<void>;
  const spawnPostgres = () => {
    child = spawn(join(PG_BIN, 'postgres'), ['-D', data, ...Object.entries(options).flatMap(([k, v]) => ['-c', `${k}=${v}`])], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(user ?? {}),
    });
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const self = child;
    exited = new Promise<void>((ok) => self.once('exit', () => ok()));
  };
  spawnPostgres();
  const running = () => child.exitCode === null && child.signalCode === null;
  const forced = () => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', forced);

  const url = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  const replica: Replica = {
    port,
    url,
    query: (text, values = [], database = 'postgres') => query(url(database), text, values),
    async pause() {
      await replica.query('SELECT pg_wal_replay_pause()');
      for (;;) {
        const [row] = await replica.query<{ state: string }>('SELECT pg_get_wal_replay_pause_state() AS state');
        if (row!.state === 'paused') return;
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async resume() {
      await replica.query('SELECT pg_wal_replay_resume()');
    },
    async catchUp() {
      const lsn = (await query<{ lsn: string }>(adminUrl, 'SELECT pg_current_wal_lsn()::text AS lsn'))[0]!.lsn;
      const deadline = performance.now() + 30_000;
      for (;;) {
        const [row] = await replica.query<{ done: boolean }>('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done', [lsn]);
        if (row!.done) return;
        if (performance.now() > deadline) throw new Error(`the standby did not replay up to ${lsn} in 30 s:\n${out}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    output: () => out,
    async crash() {
      if (running()) {
        child.kill('SIGQUIT');
        await exited;
      }
    },
    async start() {
      if (running()) return;
      spawnPostgres();
      await answering();
    },
    async stop() {
      process.removeListener('exit', forced);
      if (running()) {
        // Fast shutdown; a standby has nothing to flush that matters here.
        child.kill('SIGINT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  /** Waits until the standby answers as a standby (after a start, a restart). */
  const answering = async () => {
    const deadline = performance.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the standby exited with ${child.exitCode}:\n${out}`);
      try {
        const [row] = await replica.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
        if (!row!.standby) throw new Error('the copy is not a standby');
        return;
      } catch (error) {
        if ((error as Error).message === 'the copy is not a standby' || performance.now() > deadline) {
          throw new Error(`the standby did not start: ${(error as Error).message}\n${out}`, { cause: error });
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  try {
    await answering();
  } catch (error) {
    await replica.stop();
    throw error;
  }
  return replica;
}
