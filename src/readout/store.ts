import { closeSync, ftruncateSync, mkdirSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Codec, RecordMap } from './model.ts';

/**
 * The source's records on disk: one append-only file per entity holding each record's JSON text,
 * and in the heap only an index from id to where its text lies (two numbers per record). A run reads
 * pages straight into it and the rules read records back one at a time, so what the heap holds is
 * the index — tens of bytes a record — rather than the source (hundreds of bytes a record, and the
 * 60,000-student bench world's ~60 MB of record texts plus the garbage of building them).
 *
 * Why files and not a database: the readout reads each entity front to back a few times and looks up
 * a few hundred thousand records by id; an append-only file with an id → (offset, length) index does
 * both with one `pread` each, which the OS page cache serves (outside the process's heap and RSS), and
 * adds no dependency. node:sqlite would do the same with more code per lookup, and a PGlite or
 * PostgreSQL schema would put the whole source through the database's wire protocol twice a run.
 *
 * The files live in a directory of the run (under the customer's output directory, not /tmp, which
 * may be a RAM disk) and are deleted with it.
 */
export class StoreDir {
  private n = 0;
  private readonly maps: DiskMap<{ id: string }>[] = [];
  constructor(readonly path: string) {
    rmSync(path, { recursive: true, force: true });
    mkdirSync(path, { recursive: true });
  }
  /** A new, empty {@link DiskMap} with its own file in this directory. */
  map<T extends { id: string }>(name: string, codec?: Codec<T>): DiskMap<T> {
    const m = new DiskMap<T>(join(this.path, `${String(this.n++).padStart(2, '0')}-${name}.ndjson`), codec);
    this.maps.push(m as unknown as DiskMap<{ id: string }>);
    return m;
  }
  /** Closes every file and removes the directory. */
  close(): void {
    for (const m of this.maps) m.close();
    rmSync(this.path, { recursive: true, force: true });
  }
}

/** Bytes buffered before a write; also the read window when records are walked in order. */
const WINDOW = 1 << 20;

/**
 * A {@link RecordMap} whose record texts live in a file: `set` appends, `get` reads the one record
 * back, `values()` walks them in insertion order through a 1 MB read window. Like a Map (and the
 * in-memory PackedMap it replaces), setting an id again keeps its first position and takes the new
 * value; the old text stays in the file, unreferenced.
 */
export class DiskMap<T extends { id: string }> implements RecordMap<T> {
  private fd: number;
  /** id → slot; a slot's text is at `off[slot]`, `len[slot]` bytes (len -1: deleted). */
  private readonly index = new Map<string, number>();
  private off = new Float64Array(1024);
  private len = new Int32Array(1024);
  private slots = 0;
  private live = 0;
  /** Bytes in the file, and the pending tail not yet written to it. */
  private fileSize = 0;
  private readonly buf = Buffer.allocUnsafe(WINDOW);
  private pos = 0;
  private closed = false;

  constructor(
    readonly path: string,
    private readonly codec?: Codec<T>,
  ) {
    this.fd = openSync(path, 'w+');
  }

  get size(): number {
    return this.live;
  }
  has(id: string): boolean {
    return this.index.has(id);
  }
  get(id: string): T | undefined {
    const slot = this.index.get(id);
    return slot === undefined ? undefined : this.decode(this.read(slot));
  }
  set(id: string, rec: T): this {
    this.setText(id, JSON.stringify(this.codec ? this.codec.encode(rec) : rec));
    return this;
  }
  /** Stores a record already in its JSON form (a state line). */
  setText(id: string, json: string): void {
    const at = this.fileSize + this.pos;
    const bytes = this.append(json);
    let slot = this.index.get(id);
    if (slot === undefined) {
      if (this.slots === this.off.length) this.grow();
      slot = this.slots++;
      this.index.set(id, slot);
      this.live++;
    }
    this.off[slot] = at;
    this.len[slot] = bytes;
  }
  delete(id: string): boolean {
    const slot = this.index.get(id);
    if (slot === undefined) return false;
    this.index.delete(id);
    this.len[slot] = -1;
    this.live--;
    return true;
  }
  clear(): void {
    this.index.clear();
    this.slots = this.live = 0;
    this.off = new Float64Array(1024);
    this.len = new Int32Array(1024);
    this.pos = 0;
    this.fileSize = 0;
    if (!this.closed) ftruncateSync(this.fd, 0);
  }
  keys(): IterableIterator<string> {
    return this.index.keys();
  }
  /** The records' JSON texts, in insertion order. */
  *texts(): IterableIterator<string> {
    this.flush();
    const window = Buffer.allocUnsafe(WINDOW);
    let from = 0;
    let to = 0;
    for (let slot = 0; slot < this.slots; slot++) {
      const len = this.len[slot]!;
      if (len < 0) continue;
      const off = this.off[slot]!;
      if (off < from || off + len > to) {
        if (len > WINDOW) {
          yield this.read(slot);
          continue;
        }
        to = off + readSync(this.fd, window, 0, WINDOW, off);
        from = off;
      }
      yield window.toString('utf8', off - from, off - from + len);
    }
  }
  *values(): IterableIterator<T> {
    for (const s of this.texts()) yield this.decode(s);
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  private decode(s: string): T {
    return this.codec ? this.codec.decode(JSON.parse(s)) : (JSON.parse(s) as T);
  }
  private read(slot: number): string {
    this.flush();
    const len = this.len[slot]!;
    const b = len <= WINDOW ? this.buf : Buffer.allocUnsafe(len);
    readSync(this.fd, b, 0, len, this.off[slot]!);
    return b.toString('utf8', 0, len);
  }
  /** Appends one line; returns the text's length in bytes (without the newline). */
  private append(s: string): number {
    if (this.pos + s.length * 3 + 1 > this.buf.length) {
      this.flush();
      if (s.length * 3 + 1 > this.buf.length) {
        const b = Buffer.from(`${s}\n`, 'utf8');
        writeSync(this.fd, b, 0, b.length, this.fileSize);
        this.fileSize += b.length;
        return b.length - 1;
      }
    }
    const n = this.buf.write(s, this.pos);
    this.pos += n;
    this.buf[this.pos++] = 10;
    return n;
  }
  private flush(): void {
    if (!this.pos) return;
    writeSync(this.fd, this.buf, 0, this.pos, this.fileSize);
    this.fileSize += this.pos;
    this.pos = 0;
  }
  private grow(): void {
    const off = new Float64Array(this.off.length * 2);
    off.set(this.off);
    this.off = off;
    const len = new Int32Array(this.len.length * 2);
    len.set(this.len);
    this.len = len;
  }
}
