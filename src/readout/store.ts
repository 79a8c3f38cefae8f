import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { Codec, RecordMap } from './model.ts';

/**
 * The run's local store: one SQLite database (Node's built-in `node:sqlite`, no dependency) in a
 * directory of the run, holding the source's records as they are read and everything the rules and
 * writers would otherwise build in the heap (kept people, memberships, teams, the previous run's row
 * digests; see scratch.ts). The heap holds what one record, one group or one page needs; the rest is
 * in SQLite's page cache (bounded: {@link CACHE_KIB}) and on disk, so a run's memory does not grow with
 * the size of the source.
 *
 * The database is scratch: no journal, no fsync, one transaction that is never committed (dirty pages
 * spill to the file when the cache is full), deleted with the directory at the end of the run. The
 * directory is under the customer's output directory, not /tmp, which may be a RAM disk.
 */
const CACHE_KIB = 16 * 1024;
/** Records per insert statement of a {@link DiskMap}. */
const SET_BATCH = 32;

export class StoreDir {
  private n = 0;
  readonly db: DatabaseSync;
  constructor(readonly path: string) {
    rmSync(path, { recursive: true, force: true });
    mkdirSync(path, { recursive: true });
    this.db = new DatabaseSync(join(path, 'store.sqlite'));
    // Node opens databases in defensive mode, which refuses journal_mode = OFF; this file is scratch.
    this.db.enableDefensive(false);
    for (const pragma of ['journal_mode = OFF', 'synchronous = OFF', 'locking_mode = EXCLUSIVE', 'temp_store = FILE', `cache_size = -${CACHE_KIB}`])
      this.db.prepare(`PRAGMA ${pragma}`).get();
    this.db.exec('BEGIN');
  }
  /** A fresh table name in this store (scratch tables, maps). */
  table(name: string): string {
    return `t${String(this.n++).padStart(2, '0')}_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
  }
  /** A new, empty {@link DiskMap} with its own table in this store. */
  map<T extends { id: string }>(name: string, codec?: Codec<T>): DiskMap<T> {
    return new DiskMap<T>(this.db, this.table(name), codec);
  }
  /** Closes the database and removes the directory. */
  close(): void {
    if (this.db.isOpen) this.db.close();
    rmSync(this.path, { recursive: true, force: true });
  }
}

/**
 * A {@link RecordMap} in a table of the store: each record's JSON text by id, in insertion order. Like
 * a Map, setting an id again keeps its first position and takes the new value; deleting and setting
 * again moves it to the end.
 */
export class DiskMap<T extends { id: string }> implements RecordMap<T> {
  private readonly q: Record<'get' | 'has' | 'set' | 'del' | 'clear' | 'count', StatementSync>;

  constructor(
    private readonly db: DatabaseSync,
    readonly table: string,
    private readonly codec?: Codec<T>,
  ) {
    // IF NOT EXISTS: a kept store (kept-store.ts) opens the tables of the run before.
    db.exec(`CREATE TABLE IF NOT EXISTS ${table} (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, json TEXT NOT NULL)`);
    this.q = {
      get: db.prepare(`SELECT json FROM ${table} WHERE id = ?`),
      has: db.prepare(`SELECT 1 FROM ${table} WHERE id = ?`),
      set: db.prepare(`INSERT INTO ${table} (id, json) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json`),
      del: db.prepare(`DELETE FROM ${table} WHERE id = ?`),
      clear: db.prepare(`DELETE FROM ${table}`),
      count: db.prepare(`SELECT count(*) AS n FROM ${table}`),
    };
    this.q.get.setReturnArrays(true);
    this.many = db.prepare(
      `INSERT INTO ${table} (id, json) VALUES ${Array<string>(SET_BATCH).fill('(?, ?)').join(', ')} ON CONFLICT (id) DO UPDATE SET json = excluded.json`,
    );
  }
  /**
   * Records set and not yet inserted: {@link SET_BATCH} go in with one statement (a statement call
   * costs more than SQLite's insert of a row). Every read inserts them first, so reads see every set.
   */
  private readonly pending: string[] = [];
  private readonly many: StatementSync;
  private flush(): void {
    const p = this.pending;
    for (let i = 0; i < p.length; i += 2) this.q.set.run(p[i]!, p[i + 1]!);
    p.length = 0;
  }
  /** A statement of its own per walk: walks may nest, and a statement walks one at a time. */
  private walk(column: 'id' | 'json'): Iterable<[string]> {
    this.flush();
    const st = this.db.prepare(`SELECT ${column} FROM ${this.table} ORDER BY seq`);
    st.setReturnArrays(true);
    return st.iterate() as Iterable<unknown> as Iterable<[string]>;
  }

  get size(): number {
    this.flush();
    return Number((this.q.count.get() as { n: number }).n);
  }
  has(id: string): boolean {
    this.flush();
    return this.q.has.get(id) !== undefined;
  }
  get(id: string): T | undefined {
    this.flush();
    const row = this.q.get.get(id) as unknown as [string] | undefined;
    return row === undefined ? undefined : this.decode(row[0]);
  }
  set(id: string, rec: T): this {
    this.setText(id, JSON.stringify(this.codec ? this.codec.encode(rec) : rec));
    return this;
  }
  /** Stores a record already in its JSON form (a state line). */
  setText(id: string, json: string): void {
    const p = this.pending;
    p.push(id, json);
    if (p.length === 2 * SET_BATCH) {
      this.many.run(...p);
      p.length = 0;
    }
  }
  delete(id: string): boolean {
    this.flush();
    return Number(this.q.del.run(id).changes) > 0;
  }
  clear(): void {
    this.pending.length = 0;
    this.q.clear.run();
  }
  *keys(): IterableIterator<string> {
    for (const row of this.walk('id')) yield row[0];
  }
  /** A record's JSON text as stored, or undefined. */
  text(id: string): string | undefined {
    this.flush();
    const row = this.q.get.get(id) as unknown as [string] | undefined;
    return row?.[0];
  }
  /** The records' JSON texts, in insertion order. */
  *texts(): IterableIterator<string> {
    for (const row of this.walk('json')) yield row[0];
  }
  *values(): IterableIterator<T> {
    for (const s of this.texts()) yield this.decode(s);
  }
  /** Kept for the interface of the file-backed map it replaced: the store closes the database. */
  close(): void {}

  private decode(s: string): T {
    return this.codec ? this.codec.decode(JSON.parse(s)) : (JSON.parse(s) as T);
  }
}
