import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { StoreDir } from './store.ts';

/**
 * Where the rules keep what they build while they walk the source: kept people, guardians' relations,
 * duties by person, teams, memberships. Two implementations with one behaviour: in the heap (tests,
 * `select()` on a small snapshot) and in the run's SQLite store (a run: the heap then holds one
 * person, one group at a time, and memory does not grow with the source).
 *
 * Values are copies in the store: a value changed after `set` must be set again.
 */
export interface Scratch {
  /** Whether values live outside the heap (then interning strings buys nothing). */
  readonly onDisk: boolean;
  kv<V>(name: string): Kv<V>;
  multi<V>(name: string): Multi<V>;
  list<V>(name: string): SortedList<V>;
}

/** Key → value, in order of first set (like a Map). */
export interface Kv<V> {
  get(k: string): V | undefined;
  has(k: string): boolean;
  set(k: string, v: V): void;
  readonly size: number;
  /** In order of first set. */
  values(): Iterable<V>;
  /** By key, as JavaScript compares strings (UTF-16 code units). */
  sorted(): Iterable<V>;
}

/** Key → values in the order added; groups in order of their first value. */
export interface Multi<V> {
  add(k: string, v: V): void;
  get(k: string): V[] | undefined;
  groups(): Iterable<[string, V[]]>;
  /** The groups of more than one value, in the order of {@link groups}. */
  shared(): Iterable<[string, V[]]>;
}

/** Values walked in order of one or two string keys (as JavaScript compares strings), ties in order added. */
export interface SortedList<V> {
  add(v: V, k1: string, k2?: string): void;
  readonly size: number;
  sorted(): Iterable<V>;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The heap implementation. */
export function memoryScratch(): Scratch {
  return {
    onDisk: false,
    kv<V>(): Kv<V> {
      const m = new Map<string, V>();
      return {
        get: (k) => m.get(k),
        has: (k) => m.has(k),
        set: (k, v) => void m.set(k, v),
        get size() {
          return m.size;
        },
        values: () => m.values(),
        sorted: () => [...m.entries()].sort((a, b) => cmp(a[0], b[0])).map((e) => e[1]),
      };
    },
    multi<V>(): Multi<V> {
      const m = new Map<string, V[]>();
      return {
        add(k, v) {
          const list = m.get(k);
          if (list) list.push(v);
          else m.set(k, [v]);
        },
        get: (k) => m.get(k),
        groups: () => m.entries(),
        shared: () => [...m.entries()].filter((e) => e[1].length > 1),
      };
    },
    list<V>(): SortedList<V> {
      const items: { v: V; k1: string; k2: string }[] = [];
      return {
        add: (v, k1, k2 = '') => void items.push({ v, k1, k2 }),
        get size() {
          return items.length;
        },
        sorted: () => items.sort((a, b) => cmp(a.k1, b.k1) || cmp(a.k2, b.k2)).map((x) => x.v),
      };
    },
  };
}

/**
 * A string's sort key as a BLOB: its UTF-16 code units big-endian, so that SQLite's byte order is
 * JavaScript's string order (UTF-8 bytes would order U+E000–U+FFFF after astral characters). A
 * leading byte keeps the empty string's key a (non-NULL) BLOB; it is the same for all, so orders nothing.
 */
export function sortKey(s: string): Buffer {
  const b = Buffer.allocUnsafe(1 + 2 * s.length);
  b[0] = 1;
  b.write(s, 1, 'utf16le');
  b.subarray(1).swap16();
  return b;
}

/** Rows of a statement as arrays. */
function rows<R extends unknown[]>(st: StatementSync, ...params: (string | number | Buffer)[]): Iterable<R> {
  st.setReturnArrays(true);
  return st.iterate(...params) as Iterable<unknown> as Iterable<R>;
}

/** Rows per insert statement of an {@link appender}. */
export const APPEND_BATCH = 32;

/**
 * Appends rows to a table, {@link APPEND_BATCH} per statement: a statement call costs more than
 * SQLite's insert of a row. Rows are in the table, in the order added, once {@link flush} returned.
 */
function appender(db: DatabaseSync, table: string, cols: string[]) {
  const row = `(${cols.map(() => '?').join(', ')})`;
  const one = db.prepare(`INSERT INTO ${table} (${cols.join(', ')}) VALUES ${row}`);
  const many = db.prepare(`INSERT INTO ${table} (${cols.join(', ')}) VALUES ${Array<string>(APPEND_BATCH).fill(row).join(', ')}`);
  const full = APPEND_BATCH * cols.length;
  const params: (string | Buffer)[] = [];
  return {
    add(...values: (string | Buffer)[]): void {
      for (const v of values) params.push(v);
      if (params.length === full) {
        many.run(...params);
        params.length = 0;
      }
    },
    flush(): void {
      for (let i = 0; i < params.length; i += cols.length) one.run(...params.slice(i, i + cols.length));
      params.length = 0;
    },
  };
}

/**
 * The values of `table` in `order`, copied once into a table of their own in that order: the writers
 * walk people, teams and memberships several times, and a walk of a copy reads pages in order where
 * a walk by an index reads the table's rows at random (a sort each walk was worse still). A change
 * to the table makes the next walk copy again.
 */
function sortedCopy(db: DatabaseSync, table: string, order: string) {
  let copy: string | undefined;
  let n = 0;
  return {
    stale(): void {
      copy = undefined;
    },
    *walk(): Generator<string> {
      if (!copy) {
        copy = `${table}_sorted${n++}`;
        db.exec(`CREATE TABLE ${copy} AS SELECT v FROM ${table} ORDER BY ${order}`);
      }
      for (const [v] of rows<[string]>(db.prepare(`SELECT v FROM ${copy} ORDER BY rowid`))) yield v;
    },
  };
}

/** The implementation in a run's SQLite store. */
export function storeScratch(store: StoreDir): Scratch {
  const db: DatabaseSync = store.db;
  // A key's sort key, for indexes on expressions: JavaScript's string order in SQLite's byte order.
  db.function('js_order', { deterministic: true }, (k) => sortKey(String(k)));
  return {
    onDisk: true,
    kv<V>(name: string): Kv<V> {
      const t = store.table(name);
      // No sort key per row: most of these maps are never walked sorted; one that is is copied in js_order(k) then.
      db.exec(`CREATE TABLE ${t} (seq INTEGER PRIMARY KEY, k TEXT NOT NULL UNIQUE, v TEXT NOT NULL)`);
      const get = db.prepare(`SELECT v FROM ${t} WHERE k = ?`);
      get.setReturnArrays(true);
      const has = db.prepare(`SELECT 1 FROM ${t} WHERE k = ?`);
      const set = db.prepare(`INSERT INTO ${t} (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v`);
      const count = db.prepare(`SELECT count(*) AS n FROM ${t}`);
      const copy = sortedCopy(db, t, 'js_order(k)');
      return {
        get(k) {
          const r = get.get(k) as unknown as [string] | undefined;
          return r === undefined ? undefined : (JSON.parse(r[0]) as V);
        },
        has: (k) => has.get(k) !== undefined,
        set(k, v) {
          copy.stale();
          set.run(k, JSON.stringify(v));
        },
        get size() {
          return Number((count.get() as { n: number }).n);
        },
        *values() {
          for (const [v] of rows<[string]>(db.prepare(`SELECT v FROM ${t} ORDER BY seq`))) yield JSON.parse(v) as V;
        },
        *sorted() {
          for (const v of copy.walk()) yield JSON.parse(v) as V;
        },
      };
    },
    multi<V>(name: string): Multi<V> {
      const t = store.table(name);
      db.exec(`CREATE TABLE ${t} (seq INTEGER PRIMARY KEY, k TEXT NOT NULL, v TEXT NOT NULL)`);
      const add = appender(db, t, ['k', 'v']);
      // The index is built once the values are in (they are added first, then read), not row by row.
      let indexed = false;
      const ready = () => {
        add.flush();
        if (!indexed) db.exec(`CREATE INDEX ${t}_k ON ${t} (k, seq)`);
        indexed = true;
      };
      let get: StatementSync | undefined;
      const valuesOf = (k: string): V[] | undefined => {
        ready();
        if (!get) {
          get = db.prepare(`SELECT v FROM ${t} WHERE k = ? ORDER BY seq`);
          get.setReturnArrays(true);
        }
        const out = (get.all(k) as unknown as [string][]).map((r) => JSON.parse(r[0]) as V);
        return out.length ? out : undefined;
      };
      return {
        add: (k, v) => add.add(k, JSON.stringify(v)),
        get: valuesOf,
        *groups() {
          ready();
          const st = db.prepare(`SELECT t.k, t.v FROM ${t} t JOIN (SELECT k, min(seq) AS f FROM ${t} GROUP BY k) g ON g.k = t.k ORDER BY g.f, t.seq`);
          let key: string | undefined;
          let group: V[] = [];
          for (const [k, v] of rows<[string, string]>(st)) {
            if (k !== key) {
              if (key !== undefined) yield [key, group];
              key = k;
              group = [];
            }
            group.push(JSON.parse(v) as V);
          }
          if (key !== undefined) yield [key, group];
        },
        *shared() {
          ready();
          const keys = rows<[string]>(db.prepare(`SELECT k FROM ${t} GROUP BY k HAVING count(*) > 1 ORDER BY min(seq)`));
          for (const [k] of keys) yield [k, valuesOf(k)!];
        },
      };
    },
    list<V>(name: string): SortedList<V> {
      const t = store.table(name);
      db.exec(`CREATE TABLE ${t} (seq INTEGER PRIMARY KEY, k1 BLOB NOT NULL, k2 BLOB NOT NULL, v TEXT NOT NULL)`);
      const add = appender(db, t, ['k1', 'k2', 'v']);
      const count = db.prepare(`SELECT count(*) AS n FROM ${t}`);
      const copy = sortedCopy(db, t, 'k1, k2, seq');
      return {
        add(v, k1, k2 = '') {
          copy.stale();
          add.add(sortKey(k1), sortKey(k2), JSON.stringify(v));
        },
        get size() {
          add.flush();
          return Number((count.get() as { n: number }).n);
        },
        *sorted() {
          add.flush();
          for (const v of copy.walk()) yield JSON.parse(v) as V;
        },
      };
    },
  };
}
