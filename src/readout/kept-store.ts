import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { Codec } from './model.ts';
import { DiskMap } from './store.ts';

/**
 * The source's records and the published rows' digests, kept between runs beside the customer's
 * output (`<outputDir>/.readout-store/<customer>.sqlite`), so that a delta run applies the source's
 * changes to them instead of first decoding the whole previous snapshot and row index from the
 * stored state (work proportional to the world on every run).
 *
 * The kept store is a cache of the stored state (`readout_state`), never the truth: it is used only
 * when it says it matches that state exactly — the same format and configuration ({@link keptIdentity}),
 * made by the run the state names (`last_run_id`), and finished cleanly. A run that uses it marks it
 * unfinished, durably, before it changes anything, and marks it clean with its own run id only after
 * its publish transaction committed; a run that fails or a process that dies in between leaves it
 * marked unfinished, and the next run decodes the stored state instead (the path every run took
 * before), saying why in its report. A run that does not use it (first run, full read, fallback)
 * builds a new one in its store directory and puts it in place, with one rename, once it has published.
 *
 * Like the run's store it has no journal and no fsync while a run works in it (nothing is rolled back:
 * an unfinished store is never used); the two markers are written with fsync.
 */
// 2: the published rows' digests as sorted blobs (run.ts RowDigests), not a table of a row each.
export const KEPT_STORE_FORMAT = 'readout-kept-store/2';

/** Where a customer's kept store lives. */
export const keptStorePath = (outputDir: string, customer: string): string => join(outputDir, '.readout-store', `${encodeURIComponent(customer)}.sqlite`);

// Half the run store's cache: both are open during a run, and their pages are in the OS page cache anyway.
const CACHE_KIB = 8 * 1024;
/** The tables of a kept store besides the entities': the published rows' digests and the classes' titles (and the people files' layout, below). */
export const ROWS_TABLE = 'published_digests';
export const TITLES_TABLE = 'published_titles';
/** The people's place in the published people files (run.ts PeopleLayout): what a delta run copies unchanged persons' lines by. */
export const LAYOUT_TABLE = 'published_layout';

/** One SQLite file holding a snapshot's entities under fixed table names (a {@link MapFactory}), plus metadata. */
export class SourceDb {
  readonly db: DatabaseSync;
  private inTx = false;
  constructor(readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.db = new DatabaseSync(file);
    // Node opens databases in defensive mode, which refuses journal_mode = OFF (see store.ts).
    this.db.enableDefensive(false);
    for (const pragma of ['journal_mode = OFF', 'synchronous = OFF', 'locking_mode = EXCLUSIVE', 'temp_store = FILE', `cache_size = -${CACHE_KIB}`])
      this.db.prepare(`PRAGMA ${pragma}`).get();
    this.db.exec('CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)');
  }
  /** Starts the run's one transaction (see store.ts: never rolled back). */
  begin(): void {
    if (!this.inTx) this.db.exec('BEGIN');
    this.inTx = true;
  }
  /** A new, empty map under the entity's table name (an older table of that name is dropped). */
  map<T extends { id: string }>(name: string, codec?: Codec<T>): DiskMap<T> {
    this.begin();
    this.db.exec(`DROP TABLE IF EXISTS ${entityTable(name)}`);
    return new DiskMap<T>(this.db, entityTable(name), codec);
  }
  /** The map already in the store under the entity's table name. */
  existing<T extends { id: string }>(name: string, codec?: Codec<T>): DiskMap<T> {
    return new DiskMap<T>(this.db, entityTable(name), codec);
  }
  hasTable(name: string): boolean {
    return this.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(name) !== undefined;
  }
  meta(k: string): string | undefined {
    const r = this.db.prepare('SELECT v FROM meta WHERE k = ?').get(k) as { v: string } | undefined;
    return r?.v;
  }
  setMeta(k: string, v: string): void {
    this.db.prepare('INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v').run(k, v);
  }
  /** Commits what the run wrote and sets `values`, with fsync: on disk when this returns. */
  commitDurably(values: Record<string, string>): void {
    if (this.inTx) this.db.exec('COMMIT');
    this.inTx = false;
    this.db.prepare('PRAGMA synchronous = FULL').get();
    // Everything written so far reaches the disk before the markers do: the markers are a second commit.
    this.db.exec('BEGIN');
    this.setMeta('synced', String(Date.now()));
    this.db.exec('COMMIT');
    this.db.exec('BEGIN');
    for (const [k, v] of Object.entries(values)) this.setMeta(k, v);
    this.db.exec('COMMIT');
    this.db.prepare('PRAGMA synchronous = OFF').get();
  }
  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}

/** The table of an entity's records in a {@link SourceDb}. */
export const entityTable = (name: string) => `src_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;

/**
 * What a kept store must say it was made with to be used: the store's, the snapshot's and the rows'
 * formats (each names the opt-ins and choices that shape what is stored) and the source it was read from.
 */
export function keptIdentity(snapshotHeader: string, rowsFormat: string, sourceUrl: string): string {
  return JSON.stringify([KEPT_STORE_FORMAT, snapshotHeader, rowsFormat, sourceUrl]);
}

/**
 * Opens the kept store for a delta run when it matches the stored state: made with `identity`, by the
 * run `runId` (the one the stored state names), finished cleanly, with every table `entities` names.
 * It is then marked unfinished (durably) and its transaction begun. Otherwise the reason it is not used.
 */
export function openKeptStore(
  outputDir: string,
  customer: string,
  runId: string,
  identity: string,
  entities: string[],
): { store: SourceDb } | { reason: string } {
  const file = keptStorePath(outputDir, customer);
  if (!existsSync(file)) return { reason: 'no kept store (first run of this version, or it was removed)' };
  let s: SourceDb | undefined;
  try {
    s = new SourceDb(file);
    const reason =
      s.meta('identity') !== identity
        ? 'the kept store was made by another version or with another configuration (opt-ins, course field, source)'
        : s.meta('clean') !== '1'
          ? 'the run that last changed the kept store did not finish (it failed or its process stopped)'
          : s.meta('run') !== runId
            ? `the kept store belongs to run ${s.meta('run') ?? '(none)'}, the stored state to run ${runId}`
            : [...entities.map(entityTable), ROWS_TABLE, TITLES_TABLE].some((t) => !s!.hasTable(t)) || !/^\d+$/.test(s.meta('rows_offset') ?? '')
              ? 'the kept store is incomplete (a table or the rows offset is missing)'
              : undefined;
    if (reason) {
      s.close();
      return { reason };
    }
    s.db.prepare('PRAGMA synchronous = FULL').get();
    s.setMeta('clean', '0');
    s.db.prepare('PRAGMA synchronous = OFF').get();
    s.begin();
    return { store: s };
  } catch (e) {
    s?.close();
    return { reason: `the kept store could not be read: ${(e as Error).message}` };
  }
}

/** Puts a store built by a run in place as the customer's kept store, replacing the old one with one rename. */
export function installKeptStore(built: SourceDb, outputDir: string, customer: string): void {
  built.close();
  const target = keptStorePath(outputDir, customer);
  mkdirSync(dirname(target), { recursive: true });
  renameSync(built.file, target);
}
