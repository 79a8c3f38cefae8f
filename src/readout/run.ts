import { H1, H2, hash64, hash64Bytes } from './hash64.ts';
import { closeSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { mkdir, readdir, rename, rm, symlink, writeFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import {
  constants as zlibConstants,
  createGunzip,
  createZstdCompress,
  createZstdDecompress,
  gzip,
  type Gunzip,
  type ZstdCompress,
  type ZstdDecompress,
} from 'node:zlib';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';
import type { Clock } from '../lib/clock.ts';
import { resolveSecret, type CustomerConfig } from './config.ts';
import { fetchContext, fetchFull, fetchIncremental, ZONELESS_SLACK_MS, type OptIn } from './fetch.ts';
import { emptySnapshot, ENTITIES, PackedMap, ParseStats, type MapFactory, type RecordMap, type Snapshot } from './model.ts';
import { renderReportHtml, type RunPoint } from './html-report.ts';
import { localDay, outputId } from './rules.ts';
import {
  select,
  selectInto,
  type Category,
  type KeptPeopleRows,
  type OutPerson,
  type SelectionView,
  type SelectOptions,
  type SelectResult,
  type StreamSelectResult,
  type Tally,
} from './select.ts';
import type { Scratch } from './scratch.ts';
import { evaluateKept, type KeptSelectionResult, type SourceChanges } from './kept-selection.ts';
import type { ProgressEvent } from './progress.ts';
import { DEFAULT_STAFF_ROLES, type RoleMapping } from './roles.ts';
import { SourceClient, SourceError } from './source.ts';
import { DiskMap, StoreDir } from './store.ts';
import { keptIdentity, installKeptStore, LAYOUT_TABLE, openKeptStore, ROWS_TABLE, SourceDb, TITLES_TABLE } from './kept-store.ts';
import { Warnings, type NamedWarning } from './warnings.ts';
import {
  CsvFile,
  manifest,
  ONEROSTER_FILES,
  ONEROSTER_HEADERS,
  AgentsOf,
  csvLine,
  distinctPeople,
  parseCsvLine,
  oneRosterRoleRows,
  oneRosterStreams,
  oneRosterUserRow,
  SDS_HEADERS,
  SDS_PEOPLE_FILES,
  SdsPeopleFiles,
  sdsPersonLines,
  wardSchoolsOf,
  type WardSchools,
  writeCsvFile,
  writeSdsFiles,
  type OneRosterFile,
  type Row,
  type SdsFile,
} from './writers.ts';

/**
 * One readout run for one customer: read the source over HTTP, apply the rules, write the file sets
 * into a staging directory, then — in one database transaction with the new state and the run
 * record — publish them by swapping the `current` symlink. A failure anywhere leaves the previous
 * output, the previous state and therefore the next run's baseline untouched.
 */
export interface ReadoutDeps {
  db: Kysely<DB>;
  clock: Clock;
  env?: NodeJS.ProcessEnv;
  /** Backoff wait; tests pass a no-op. */
  sleep?: (ms: number) => Promise<void>;
  fetch?: typeof fetch;
  /** Called as each phase of a run ends (the benchmark samples memory there). */
  onPhase?: (phase: string) => void;
  /** Progress for a terminal or a log (see progress.ts). */
  onProgress?: (e: ProgressEvent) => void;
}

export interface RunOptions {
  trigger?: 'cli' | 'schedule';
  /** Ignore the stored source state and read everything. */
  full?: boolean;
}

export interface DeltaSummary {
  firstRun: boolean;
  teams: { created: number; renamed: number; updated: number; removed: number };
  memberships: { added: number; removed: number };
  people: { added: number; updated: number; removed: number };
  schools: { added: number; updated: number; removed: number };
}

export interface ReadoutReport {
  customer: string;
  runId: string;
  mode: 'full' | 'incremental';
  fallbackReason?: string;
  startedAt: string;
  finishedAt: string;
  today: string;
  durationMs: number;
  fetchMs: number;
  processMs: number;
  counts: Record<Category, Tally>;
  output: { schools: number; people: number; teams: number; memberships: number; files: Record<string, number> };
  delta: DeltaSummary;
  source: SourceClient['stats'] & { changed?: Record<string, number>; deleted?: Record<string, number>; zonelessTimestamps: number };
  unknownEnums: Record<string, number>;
  skippedRecords: Record<string, number>;
  /** What degraded: each named warning with its count and the rules it kept from being applied. */
  namedWarnings: NamedWarning[];
  /**
   * Whether the delta run started from the store kept from the last run (kept-store.ts), and if not
   * why: the previous snapshot and rows were then decoded from the stored state. Absent on a first run.
   */
  keptStore?: { used: boolean; reason?: string };
  /**
   * A delta run that evaluated in part: whether its people files were made by carrying the unchanged
   * persons' lines over from the last run's files, and if not why (every person's kept rows were then read).
   */
  peopleCarried?: { used: boolean; reason?: string };
  /** How much of the rules this run evaluated: everything (and why), or the units the change touched. */
  evaluated?: KeptSelectionResult['evaluated'];
  /** How the source snapshot was stored: a new base, or this run's change log appended to the stored one; its compressed bytes. */
  snapshotStored?: { as: 'base' | 'change log'; bytes: number };
  warnings: string[];
}

export interface RunResult {
  runId: string;
  status: 'succeeded' | 'failed';
  report?: ReadoutReport;
  outputPath?: string;
  error?: string;
}

/** Runs that have said "running" this long were abandoned by a dead process. */
const ABANDONED_AFTER_MS = 6 * 3600_000;
/** Published run directories kept besides `current`, for an operator comparing nights. */
const KEEP_RUNS = 3;

/**
 * State blobs are compressed NDJSON written in chunks (concatenated gzip members are one valid gzip
 * stream; see {@link Codec}), so that neither side ever holds the whole state as one string. A blob stays a list of
 * those members until it is stored, and is stored and read back a few megabytes at a time (see
 * {@link storeState} and {@link stateChunks}): never as one buffer, one hex text or one wire message.
 */
const CHUNK = 4 << 20;
/**
 * A blob's compressed parts in order: buffers, or a file of the run's store holding parts one after
 * the other (read back a few megabytes at a time when the blob is stored).
 */
export type Parts = (Buffer | { file: string })[];
/**
 * How a blob is compressed. The source snapshot is gzip'd, a member per part; the rows state,
 * rewritten on every run, is one zstd frame written a part at a time (Node's zstd decompressor stops
 * at the end of the first frame, where gunzip reads on into the next member): its ~75 MB at 60,000
 * students took gzip (level 1) ~1 s of CPU a run, zstd (level 1) about a quarter of that, and come out
 * a tenth smaller. A blob's reader tells them apart by their first bytes.
 */
export type Codec = 'gzip' | 'zstd';
const ZSTD_LEVEL_1 = { params: { [zlibConstants.ZSTD_c_compressionLevel]: 1 } };
/** A zstd frame's first four bytes (gzip's are 1f 8b). */
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
/**
 * A state blob as it is written: NDJSON lines compressed a part (~4 MB) at a time on libuv's pool, into
 * a file of the run's store or kept as buffers. Exported for its test.
 */
export class NdjsonParts {
  /** The compressed parts in order, each compressed on libuv's thread pool while the run goes on. */
  private readonly pending: Promise<Buffer>[] = [];
  /** With a file: parts are appended to it in order as they are done, and not kept. */
  private readonly fd: number | undefined;
  private written: Promise<void> = Promise.resolve();
  constructor(
    private readonly file?: string,
    private readonly codec: Codec = 'gzip',
  ) {
    if (file) this.fd = openSync(file, 'w');
  }
  private inFlight = 0;
  private settled: (() => void) | undefined;
  /** Buffers whose compression has finished, for reuse as the next scratch. */
  private readonly spare: Buffer[] = [];
  /**
   * Lines go straight into this buffer as they come: kept as strings until a part is full, they
   * would live long enough to be promoted to the old generation and pile up there as garbage
   * (~100 MB of it per run on a big world).
   */
  private scratch: Buffer | undefined = Buffer.allocUnsafe(CHUNK + (1 << 20));
  private pos = 0;
  bytes = 0;
  /**
   * With `hashFrom`, the 64-bit hash of the line's UTF-8 bytes from that offset on (an ASCII
   * prefix's length) is left in H1/H2: hashing the bytes just written is cheaper than the string.
   */
  push(line: string, hashFrom = -1): void {
    let scratch = this.scratch!;
    if (this.pos + line.length * 3 + 1 > scratch.length) {
      this.flush();
      scratch = this.scratch!;
      if (line.length * 3 + 1 > scratch.length) scratch = this.scratch = Buffer.allocUnsafe(line.length * 3 + 1);
    }
    const start = this.pos;
    this.pos += scratch.write(line, this.pos);
    if (hashFrom >= 0) hash64Bytes(scratch, start + hashFrom, this.pos);
    scratch[this.pos++] = 10;
    if (this.pos >= CHUNK) this.flush();
  }
  /** CSV lines (each ending in CRLF) as UTF-8 bytes, each as a line of its own after `key`. */
  pushCsvLines(key: Uint8Array, csv: Uint8Array): void {
    for (let at = 0; at < csv.length;) {
      let end = csv.indexOf(13, at);
      if (end < 0) end = csv.length;
      const need = key.length + (end - at) + 1;
      let scratch = this.scratch!;
      if (this.pos + need > scratch.length) {
        this.flush();
        scratch = this.scratch!;
        if (need > scratch.length) scratch = this.scratch = Buffer.allocUnsafe(need);
      }
      scratch.set(key, this.pos);
      scratch.set(csv.subarray(at, end), this.pos + key.length);
      this.pos += need;
      scratch[this.pos - 1] = 10;
      at = end + 2;
      if (this.pos >= CHUNK) this.flush();
    }
  }
  /**
   * Whether the caller should `await` {@link settle} before pushing more: compression running
   * behind would otherwise pile up uncompressed parts (a few megabytes each) in memory.
   */
  get behind(): boolean {
    return this.inFlight >= 2;
  }
  /** Resolves when at most one part is still being compressed. */
  settle(): Promise<void> {
    if (this.inFlight < 2) return Promise.resolve();
    return new Promise((resolve) => (this.settled = resolve));
  }
  /** The zstd stream, once a part was written to it; its output goes to the file (or `zstdOut`) as it comes. */
  private zstd: { stream: ZstdCompress; out: Buffer[]; ended: Promise<void> } | undefined;
  private flush(): void {
    if (!this.pos) return;
    const input = this.scratch!;
    const len = this.pos;
    this.inFlight++;
    if (this.codec === 'zstd') {
      this.zstd ??= this.openZstd();
      // The stream compresses on the pool; the callback says it has consumed the part.
      this.zstd.stream.write(input.subarray(0, len), () => {
        this.inFlight--;
        if (input.length === CHUNK + (1 << 20)) this.spare.push(input);
        const s = this.settled;
        this.settled = undefined;
        s?.();
      });
      this.scratch = this.spare.pop() ?? Buffer.allocUnsafe(CHUNK + (1 << 20));
      this.pos = 0;
      return;
    }
    // gzipSync here cost the run's main thread ~2 s of CPU per run on a big world; the pool does it alongside.
    const part = new Promise<Buffer>((resolve, reject) => {
      const done = (err: Error | null, out: Buffer) => {
        this.inFlight--;
        // Only now is the input free: the pool read it until this callback.
        if (input.length === CHUNK + (1 << 20)) this.spare.push(input);
        const s = this.settled;
        this.settled = undefined;
        s?.();
        if (err) reject(err);
        else {
          this.bytes += out.length;
          resolve(out);
        }
      };
      gzip(input.subarray(0, len), { level: 1 }, done);
    });
    // A run that fails before finish() must not also die of an unhandled rejection; finish() still sees it.
    part.catch(() => {});
    if (this.fd !== undefined) {
      const fd = this.fd;
      this.written = this.written.then(() => part).then((b) => void writeSync(fd, b));
      this.written.catch(() => {});
    } else this.pending.push(part);
    this.scratch = this.spare.pop() ?? Buffer.allocUnsafe(CHUNK + (1 << 20));
    this.pos = 0;
  }
  private openZstd(): NonNullable<NdjsonParts['zstd']> {
    const stream = createZstdCompress({ ...ZSTD_LEVEL_1, chunkSize: 1 << 20 });
    const out: Buffer[] = [];
    stream.on('data', (b: Buffer) => {
      this.bytes += b.length;
      if (this.fd !== undefined) writeSync(this.fd, b);
      else out.push(b);
    });
    const ended = new Promise<void>((resolve, reject) => {
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    // A run that fails before finish() must not also die of an unhandled rejection; finish() still sees it.
    ended.catch(() => {});
    return { stream, out, ended };
  }
  async finish(): Promise<Parts> {
    this.flush();
    this.scratch = undefined;
    this.spare.length = 0;
    if (this.codec === 'zstd') {
      const z = (this.zstd ??= this.openZstd());
      z.stream.end();
      try {
        await z.ended;
      } finally {
        if (this.fd !== undefined) closeSync(this.fd);
      }
      return this.fd === undefined ? z.out : [{ file: this.file! }];
    }
    if (this.fd === undefined) return Promise.all(this.pending);
    try {
      await this.written;
    } finally {
      closeSync(this.fd);
    }
    return [{ file: this.file! }];
  }
}
/** A blob as a list of compressed parts (what {@link NdjsonParts} makes), or one buffer, or chunks as read. */
export type Blob = Uint8Array | AsyncIterable<Uint8Array>;
/** A decompressor for a blob that starts with `first` (see {@link Codec}). */
function decompressor(first: Uint8Array): Gunzip | ZstdDecompress {
  const zstd = first.length >= 4 && ZSTD_MAGIC.equals(first.subarray(0, 4));
  return zstd ? createZstdDecompress({ chunkSize: 1 << 20 }) : createGunzip({ chunkSize: 1 << 20 });
}
/**
 * The lines of a state blob (after its first, which `header` must accept), decompressed a megabyte at
 * a time: the whole text never exists at once. Exported for its test.
 */
export async function* ndjsonLines(b: Blob, header: (first: string) => boolean): AsyncGenerator<string> {
  let gz: Gunzip | ZstdDecompress;
  if (b instanceof Uint8Array) {
    gz = decompressor(b);
    gz.end(b);
  } else {
    // The first chunk says how the blob is compressed; it is read again with the rest.
    const it = b[Symbol.asyncIterator]();
    const first = await it.next();
    gz = decompressor(first.done ? new Uint8Array(0) : first.value);
    const chunks = async function* () {
      for (let r = first; !r.done; r = await it.next()) yield r.value;
    };
    void pipeline(Readable.from(chunks()), gz).catch(() => {
      // Surfaces through the iteration below (the decompressor errors too).
    });
  }
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let first = true;
  for await (const chunk of gz as AsyncIterable<Buffer>) {
    const text = rest + decoder.write(chunk);
    let start = 0;
    for (;;) {
      const end = text.indexOf('\n', start);
      if (end < 0) break;
      const line = text.slice(start, end);
      start = end + 1;
      if (first) {
        if (!header(line)) throw new StateFormatError();
        first = false;
      } else if (line) yield line;
    }
    rest = text.slice(start);
  }
  if (first) throw new StateFormatError();
}

/**
 * Reading and writing the stored state: this many bytes per statement. Each statement's buffers
 * (the bytea as hex text on the way in, the protocol message on the way out) are a few times its
 * size and outside the heap; small statements keep that small. Blobs are stored uncompressed by
 * TOAST (gzip does not compress), so reading a slice reads only that slice.
 */
const READ_CHUNK = 2 << 20;
/** The columns of `readout_state` that hold a blob. */
export type StateBlob = 'source_snapshot' | 'published_rows';
/** One stored state blob, a few megabytes per query: never one hex string of the whole. */
export async function* stateChunks(db: Kysely<DB>, customer: string, column: StateBlob, from = 0): AsyncGenerator<Uint8Array> {
  const len = await sql<{ n: number | null }>`select octet_length(${sql.ref(column)}) as n from readout_state where customer_key = ${customer}`.execute(db);
  const n = Number(len.rows[0]?.n ?? 0);
  for (let off = from; off < n; off += READ_CHUNK) {
    const r = await sql<{
      b: Uint8Array;
    }>`select substring(${sql.ref(column)} from ${off + 1}::int for ${READ_CHUNK}::int) as b from readout_state where customer_key = ${customer}`.execute(db);
    const b = r.rows[0]?.b;
    if (!b) throw new Error(`readout state of ${customer} changed while it was read`);
    yield b;
  }
}

/** A blob's parts as buffers of at most {@link READ_CHUNK} bytes (a file is read that much at a time). */
function* partBuffers(parts: Parts): Generator<Buffer> {
  for (const p of parts) {
    if (Buffer.isBuffer(p)) {
      yield p;
      continue;
    }
    const fd = openSync(p.file, 'r');
    try {
      for (;;) {
        const b = Buffer.allocUnsafe(READ_CHUNK);
        const n = readSync(fd, b, 0, READ_CHUNK, null);
        if (!n) break;
        yield b.subarray(0, n);
      }
    } finally {
      closeSync(fd);
    }
  }
}

/** A stored blob's length in bytes (0 when there is none). */
async function blobBytes(db: Kysely<DB>, customer: string, column: StateBlob): Promise<number> {
  const r = await sql<{ n: number | null }>`select octet_length(${sql.ref(column)}) as n from readout_state where customer_key = ${customer}`.execute(db);
  return Number(r.rows[0]?.n ?? 0);
}

/** How many bytes a blob's parts hold. */
function partsBytes(parts: Parts): number {
  return parts.reduce((n, p) => n + (Buffer.isBuffer(p) ? p.length : statSync(p.file).size), 0);
}

/**
 * Appends a blob given as compressed parts to its column (empty, or a stored snapshot that a change
 * log follows), inside the publish transaction. The parts go ~2 MB per statement into a temporary
 * table and join the column in one statement at the end: appending each to the column
 * (`col = col || part`) made PostgreSQL write the whole growing value again every statement, which
 * is quadratic in the blob — at 300,000 students some 37 s of the delta run's publish (appending 1 MB
 * ten times took 0.23 s to a 0–10 MB value and 1.96 s to a 30–40 MB one). Exported for its test.
 */
export async function storeBlob(db: Kysely<DB>, customer: string, column: StateBlob, parts: Parts): Promise<void> {
  await sql`create temp table if not exists readout_blob_parts (seq integer primary key, b bytea not null) on commit drop`.execute(db);
  await sql`truncate readout_blob_parts`.execute(db);
  let group: Buffer[] = [];
  let size = 0;
  let seq = 0;
  const append = async () => {
    if (!group.length) return;
    const b = group.length === 1 ? group[0]! : Buffer.concat(group);
    await sql`insert into readout_blob_parts (seq, b) values (${seq++}, ${b})`.execute(db);
    group = [];
    size = 0;
  };
  for (const p of partBuffers(parts)) {
    if (size + p.length > READ_CHUNK) await append();
    group.push(p);
    size += p.length;
  }
  await append();
  if (!seq) return;
  await sql`update readout_state set ${sql.ref(column)} = ${sql.ref(column)} || (select string_agg(p.b, ''::bytea order by p.seq) from readout_blob_parts p)
    where customer_key = ${customer}`.execute(db);
}

/**
 * First line of every state blob; a blob without the expected one (an older format, or a source
 * snapshot trimmed for other opt-ins) is treated as no state: the run reads everything.
 */
// 5: a row is its bulk CSV line (4: its JSON, which a person's kept rows would hold a second time);
// 4: the rows blob starts with their hash index (see RowIndexWriter). An older blob counts as no rows, once.
// 6: the rows zstd'd (the blob's magic SGRZ); a /5 blob (gzip'd, SGRI) is read as it is.
const ROWS_FORMAT = '"readout-rows/6"';
const ROWS_FORMAT_GZIP = '"readout-rows/5"';
// 5: the snapshot as a base and a change log after it (lines `"entity"\t-"id"` delete); a /4 state is read as none, once.
const SNAPSHOT_FORMAT = '"readout-state/5';
const snapshotHeader = (o: OptIn) =>
  `${SNAPSHOT_FORMAT} address=${o.address ? 1 : 0} civic=${o.civicNo ? 1 : 0}${o.courseField && o.courseField !== 'syllabus' ? ` course=${o.courseField}` : ''}"`;
const optInOf = (c: CustomerConfig): OptIn => ({ address: c.exportAddress, civicNo: c.exportCivicNo, courseField: c.mapping.courseField });

/** A stored state in another format (an older version, other opt-ins): read as no state. */
export class StateFormatError extends Error {}

/** Each record's JSON text as it is kept: a packed map's own text, else the record stringified. */
function* recordTexts(m: RecordMap<{ id: string }>): Generator<string> {
  if (m instanceof PackedMap || m instanceof DiskMap) yield* m.texts();
  else for (const r of m.values()) yield JSON.stringify(r);
}

/** With `release`, each entity's records are dropped from `s` once encoded, so memory frees as it goes. */
export async function encodeSnapshot(s: Snapshot, optIn: OptIn, release = false, file?: string): Promise<Parts> {
  const out = new NdjsonParts(file);
  out.push(snapshotHeader(optIn));
  for (const e of ENTITIES) {
    const prefix = `${JSON.stringify(e)}\t`;
    for (const text of recordTexts(s[e] as RecordMap<{ id: string }>)) {
      out.push(prefix + text);
      if (out.behind) await out.settle();
    }
    if (release) s[e].clear();
  }
  return out.finish();
}
/**
 * A delta run's change to the stored snapshot, appended to it rather than the whole snapshot encoded
 * again: per entity, in the order the run set them, each touched record as it now is, or a deletion
 * (`-` and the id as JSON) when it is gone. Decoding the base and the logs after it in order gives the
 * snapshot as the kept store holds it (a record set again keeps its place, one deleted and set again
 * goes to the end, as in the store's tables).
 */
export async function encodeChangeLog(s: Snapshot, touched: SourceChanges, file: string): Promise<Parts> {
  const out = new NdjsonParts(file);
  for (const e of ENTITIES) {
    const prefix = `${JSON.stringify(e)}\t`;
    const map = s[e] as unknown as DiskMap<{ id: string }>;
    for (const id of touched[e]) {
      const text = map.text(id);
      out.push(prefix + (text ?? `-${JSON.stringify(id)}`));
      if (out.behind) await out.settle();
    }
  }
  return out.finish();
}
/** The id at the start of a record's JSON: `{"id":"…"` or, for a flat array, `["…"`. */
const REC_ID = /^(?:\{"id":|\[)("(?:[^"\\]|\\.)*")/;
/**
 * Decodes a stored source snapshot; with `optIn`, only one trimmed for exactly those opt-ins. With
 * `store`, into maps on disk (a run), else into the heap.
 */
export async function decodeSnapshot(b: Blob, optIn?: OptIn, store?: MapFactory): Promise<Snapshot> {
  const snap = emptySnapshot(store) as unknown as Record<string, PackedMap<{ id: string }>>;
  const maps = new Map<string, PackedMap<{ id: string }>>(ENTITIES.map((e) => [JSON.stringify(e), snap[e]!]));
  for await (const line of ndjsonLines(b, (h) => (optIn ? h === snapshotHeader(optIn) : h.startsWith(SNAPSHOT_FORMAT)))) {
    const tab = line.indexOf('\t');
    const map = maps.get(line.slice(0, tab));
    if (!map) continue;
    const json = line.slice(tab + 1);
    if (json.startsWith('-')) {
      // A change log's deletion (encodeChangeLog).
      map.delete(JSON.parse(json.slice(1)) as string);
      continue;
    }
    const m = REC_ID.exec(json);
    // Records are written with their id first; anything else is parsed whole.
    const id = m ? (JSON.parse(m[1]!) as string) : (JSON.parse(json) as { id: string }).id;
    if (typeof id !== 'string') throw new StateFormatError();
    map.setText(id, json);
  }
  return snap as unknown as Snapshot;
}

/** What the OneRoster pass asks of the previous run's rows. */
interface PreviousRows {
  /** Where the rows start in the previous rows blob. */
  rowsOffset: number;
  /** The title a class had in the previous run. */
  classTitle(id: string): string | undefined;
  /** This run's row (by its hashes: key k0/k1, row JSON v0/v1) against the previous one with its key. */
  check(k0: number, k1: number, v0: number, v1: number): 'added' | 'updated' | 'same';
  /** With a kept store: this run's rows, all of them, before {@link unseen} and {@link unseenCount} are asked. */
  produced?(current: RowDigests): void;
  /** A previous row this run did not produce: it is removed. */
  unseen(file: string, id: string): boolean;
  /** How many previous rows this run did not produce. */
  readonly unseenCount: number;
}

/**
 * The previous run's published rows, compact: per (file, sourcedId) a 64-bit hash of the row's JSON
 * text, in a table of the run's store (16 bytes a row on disk, nothing per row in the heap), plus the
 * classes' titles, which the summary compares (a changed title is a rename). Used when the run decodes
 * the stored state; with a kept store, {@link KeptRowIndex}.
 */
class RowIndex implements PreviousRows {
  private readonly q: Record<'add' | 'check' | 'seen' | 'unseen' | 'title' | 'addTitle', StatementSync>;
  rowsOffset = 0;
  constructor(store: StoreDir) {
    const db = store.db;
    const rows = store.table('previous_rows');
    const titles = store.table('previous_titles');
    db.exec(
      `CREATE TABLE ${rows} (k INTEGER PRIMARY KEY, v0 INTEGER NOT NULL, v1 INTEGER NOT NULL, seen INTEGER NOT NULL DEFAULT 0);` +
        `CREATE TABLE ${titles} (id TEXT PRIMARY KEY, title TEXT)`,
    );
    this.q = {
      add: db.prepare(`INSERT OR REPLACE INTO ${rows} (k, v0, v1) VALUES (?, ?, ?)`),
      check: db.prepare(`UPDATE ${rows} SET seen = 1 WHERE k = ? RETURNING v0, v1`),
      seen: db.prepare(`SELECT seen FROM ${rows} WHERE k = ?`),
      unseen: db.prepare(`SELECT count(*) AS n FROM ${rows} WHERE seen = 0`),
      title: db.prepare(`SELECT title FROM ${titles} WHERE id = ?`),
      addTitle: db.prepare(`INSERT OR REPLACE INTO ${titles} (id, title) VALUES (?, ?)`),
    };
    this.q.check.setReturnArrays(true);
  }
  /** A previous row by its hashes: key (file and sourcedId) k0/k1, row JSON v0/v1. */
  add(k0: number, k1: number, v0: number, v1: number): void {
    this.q.add.run(key64(k0, k1), v0, v1);
  }
  addTitle(id: string, title: string | null): void {
    this.q.addTitle.run(id, title);
  }
  classTitle(id: string): string | undefined {
    const r = this.q.title.get(id) as { title: string | null } | undefined;
    return r?.title ?? undefined;
  }
  /** Marks the previous row seen. */
  check(k0: number, k1: number, v0: number, v1: number): 'added' | 'updated' | 'same' {
    const r = this.q.check.get(key64(k0, k1)) as unknown as [number, number] | undefined;
    if (!r) return 'added';
    return r[0] === v0 && r[1] === v1 ? 'same' : 'updated';
  }
  unseen(file: string, id: string): boolean {
    hash64(`${file}\t${id}`);
    const r = this.q.seen.get(key64(H1, H2)) as { seen: number } | undefined;
    return r?.seen === 0;
  }
  get unseenCount(): number {
    return Number((this.q.unseen.get() as { n: number }).n);
  }
}

/** Rows per block of {@link RowDigests}: 1 MB each. */
const DIGEST_BLOCK_ROWS = 1 << 16;
const DIGEST_BLOCK_SHIFT = 16;
const DIGEST_BLOCK_MASK = DIGEST_BLOCK_ROWS - 1;
const IS_LE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Rows' digests — per row its key hash (k0, k1: file and sourcedId) and JSON hash (v0, v1) as four
 * u32 — sorted by key, one per key. 16 bytes a row outside the JavaScript heap (~7 MB for the
 * ~450,000 rows of a 60,000-student world): a row is looked up by binary search, with no SQLite
 * statement per row (the per-row lookups and the rebuilt, re-keyed table of the SQLite index cost a
 * delta run ~8 s of CPU on that world, more than half of its OneRoster pass). Held in blocks of a
 * megabyte, never as one array: made, read and sorted where they are, the rows never need a second
 * copy of themselves (one array made the OneRoster pass hold two copies at once, 32 MB each at
 * 300,000 students, and a kept store's read held its parts beside the array too).
 */
export class RowDigests {
  constructor(
    /** The blocks, DIGEST_BLOCK_ROWS rows each (the last one partly used). */
    private readonly blocks: readonly Uint32Array[],
    /** How many rows. */
    readonly size: number,
  ) {}
  /** Lane `l` of row `i` (0, 1: the key hash; 2, 3: the row's hash). */
  lane(i: number, l: number): number {
    return this.blocks[i >>> DIGEST_BLOCK_SHIFT]![4 * (i & DIGEST_BLOCK_MASK) + l]!;
  }
  /** The row's position, or -1. */
  find(k0: number, k1: number): number {
    let lo = 0;
    let hi = this.size - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const b = this.blocks[mid >>> DIGEST_BLOCK_SHIFT]!;
      const at = 4 * (mid & DIGEST_BLOCK_MASK);
      const a0 = b[at]!;
      const a1 = b[at + 1]!;
      if (a0 < k0 || (a0 === k0 && a1 < k1)) lo = mid + 1;
      else if (a0 === k0 && a1 === k1) return mid;
      else hi = mid - 1;
    }
    return -1;
  }
  /** Every row's four lanes in order (for tests and small sets: it copies them all). */
  all(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.size; i++) for (let l = 0; l < 4; l++) out.push(this.lane(i, l));
    return out;
  }
  /** As stored (little-endian u32s, the format of the rows blob's index): a part per block. */
  *parts(): Generator<Buffer> {
    for (let i = 0; i * DIGEST_BLOCK_ROWS < this.size; i++) {
      const q = this.blocks[i]!.subarray(0, 4 * Math.min(DIGEST_BLOCK_ROWS, this.size - i * DIGEST_BLOCK_ROWS));
      const b = Buffer.from(q.buffer, q.byteOffset, q.byteLength);
      if (IS_LE) yield b;
      else {
        const out = Buffer.allocUnsafe(b.length);
        for (let j = 0; j < q.length; j++) out.writeUInt32LE(q[j]!, j * 4);
        yield out;
      }
    }
  }
  /** Digests stored as {@link parts} made them, in parts of any size; a total not a whole number of rows is a {@link StateFormatError}. */
  static fromParts(parts: Iterable<Uint8Array>): RowDigests {
    const blocks: Uint32Array[] = [];
    let bytes: Uint8Array | undefined;
    let pos = 0;
    let total = 0;
    for (const p of parts) {
      total += p.length;
      for (let at = 0; at < p.length;) {
        if (!bytes || pos === bytes.length) {
          const block = new Uint32Array(4 * DIGEST_BLOCK_ROWS);
          blocks.push(block);
          bytes = new Uint8Array(block.buffer);
          pos = 0;
        }
        const take = Math.min(p.length - at, bytes.length - pos);
        bytes.set(p.subarray(at, at + take), pos);
        pos += take;
        at += take;
      }
    }
    if (total % 16) throw new StateFormatError();
    if (!IS_LE)
      for (const q of blocks) {
        const v = new DataView(q.buffer);
        for (let j = 0; j < q.length; j++) q[j] = v.getUint32(4 * j, true);
      }
    return new RowDigests(blocks, total / 16);
  }
}

/**
 * Collects rows' digests as they are made; {@link finish} sorts them by key, the last of a key winning.
 * The digests are kept in blocks of a megabyte (an array grown by doubling held the old and the new
 * array at once: ~100 MB at 300,000 students) and sorted in place, with one index array beside them.
 */
export class DigestCollector {
  private blocks: Uint32Array[] = [];
  private n = 0;
  add(k0: number, k1: number, v0: number, v1: number): void {
    const at = this.n & DIGEST_BLOCK_MASK;
    if (at === 0) this.blocks.push(new Uint32Array(4 * DIGEST_BLOCK_ROWS));
    const b = this.blocks[this.blocks.length - 1]!;
    b[4 * at] = k0;
    b[4 * at + 1] = k1;
    b[4 * at + 2] = v0;
    b[4 * at + 3] = v1;
    this.n++;
  }
  /** The rows sorted, in the same blocks (the collector is empty after it). */
  finish(): RowDigests {
    const n = this.n;
    const blocks = this.blocks;
    this.blocks = [];
    this.n = 0;
    const lane = (r: number, l: number) => blocks[r >>> DIGEST_BLOCK_SHIFT]![4 * (r & DIGEST_BLOCK_MASK) + l]!;
    /** Row `to` takes row `from`'s lanes. */
    const copy = (to: number, from: number) => {
      const tb = blocks[to >>> DIGEST_BLOCK_SHIFT]!;
      const t = 4 * (to & DIGEST_BLOCK_MASK);
      const fb = blocks[from >>> DIGEST_BLOCK_SHIFT]!;
      const f = 4 * (from & DIGEST_BLOCK_MASK);
      tb[t] = fb[f]!;
      tb[t + 1] = fb[f + 1]!;
      tb[t + 2] = fb[f + 2]!;
      tb[t + 3] = fb[f + 3]!;
    };
    // By key, then as added: of a key's rows the last added is the one kept (as decodeRowIndex keeps it).
    const order = sortedByKey(n, lane);
    // Row j takes row order[j]'s digests: the permutation applied in place, cycle by cycle.
    const DONE = 0xffffffff;
    for (let start = 0; start < n; start++) {
      if (order[start] === DONE) continue;
      const t0 = lane(start, 0);
      const t1 = lane(start, 1);
      const t2 = lane(start, 2);
      const t3 = lane(start, 3);
      let k = start;
      for (;;) {
        const from = order[k]!;
        order[k] = DONE;
        if (from === start) {
          const b = blocks[k >>> DIGEST_BLOCK_SHIFT]!;
          const at = 4 * (k & DIGEST_BLOCK_MASK);
          b[at] = t0;
          b[at + 1] = t1;
          b[at + 2] = t2;
          b[at + 3] = t3;
          break;
        }
        copy(k, from);
        k = from;
      }
    }
    // One per key: the last of each run of equal keys.
    let m = 0;
    for (let j = 0; j < n; j++) {
      if (j + 1 < n && lane(j + 1, 0) === lane(j, 0) && lane(j + 1, 1) === lane(j, 1)) continue;
      if (m !== j) copy(m, j);
      m++;
    }
    // Blocks left empty by the duplicates go.
    blocks.length = Math.ceil(m / DIGEST_BLOCK_ROWS);
    return new RowDigests(blocks, m);
  }
}

/**
 * The rows 0…n-1 ordered by their key (lanes 0, then 1) and, within a key, as added: a least
 * significant digit radix sort, 16 bits a pass, each pass stable — lane 1's low and high halves,
 * then lane 0's. Four passes over the rows instead of a comparison sort's ~20 comparisons a row
 * through a callback (~0.3 s of a 60,000-student delta, seconds at 300,000).
 */
function sortedByKey(n: number, lane: (row: number, l: number) => number): Uint32Array {
  let order = new Uint32Array(n);
  let next = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const count = new Uint32Array(1 << 16);
  for (const [l, shift] of [
    [1, 0],
    [1, 16],
    [0, 0],
    [0, 16],
  ] as const) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[(lane(i, l) >>> shift) & 0xffff]!++;
    let at = 0;
    for (let d = 0; d < count.length; d++) {
      const c = count[d]!;
      count[d] = at;
      at += c;
    }
    for (let i = 0; i < n; i++) {
      const row = order[i]!;
      next[count[(lane(row, l) >>> shift) & 0xffff]!++] = row;
    }
    [order, next] = [next, order];
  }
  return order;
}

/**
 * The previous run's rows as a kept store holds them (kept-store.ts): their digests, sorted, and the
 * classes' titles. Read only: this run's rows go into the kept store by {@link RowIndexWriter}.
 */
class KeptRowIndex implements PreviousRows {
  private readonly title: StatementSync;
  private removed: RowDigests | undefined;
  constructor(
    db: DatabaseSync,
    private readonly previous: RowDigests,
    public rowsOffset: number,
  ) {
    this.title = db.prepare(`SELECT title FROM ${TITLES_TABLE} WHERE id = ?`);
  }
  classTitle(id: string): string | undefined {
    const r = this.title.get(id) as { title: string | null } | undefined;
    return r?.title ?? undefined;
  }
  check(k0: number, k1: number, v0: number, v1: number): 'added' | 'updated' | 'same' {
    const p = this.previous;
    const i = p.find(k0, k1);
    if (i < 0) return 'added';
    return p.lane(i, 2) === v0 && p.lane(i, 3) === v1 ? 'same' : 'updated';
  }
  /** The previous rows whose keys `current` lacks, found in one merge of the two sorted lists. */
  produced(current: RowDigests): void {
    const p = this.previous;
    const c = current;
    const gone = new DigestCollector();
    let j = 0;
    for (let i = 0; i < p.size; i++) {
      const p0 = p.lane(i, 0);
      const p1 = p.lane(i, 1);
      while (j < c.size && (c.lane(j, 0) < p0 || (c.lane(j, 0) === p0 && c.lane(j, 1) < p1))) j++;
      if (j < c.size && c.lane(j, 0) === p0 && c.lane(j, 1) === p1) continue;
      gone.add(p0, p1, p.lane(i, 2), p.lane(i, 3));
    }
    this.removed = gone.finish();
  }
  unseen(file: string, id: string): boolean {
    hash64(`${file}\t${id}`);
    return this.removed!.find(H1, H2) >= 0;
  }
  get unseenCount(): number {
    return this.removed!.size;
  }
}
/** Two 32-bit hash lanes as one signed 64-bit SQLite integer key. */
const key64 = (k0: number, k1: number): bigint => BigInt.asIntN(64, (BigInt(k0) << 32n) | BigInt(k1));

/** Walks a stored rows blob: file, sourcedId and CSV line of each row, in the order published. */
async function* storedRows(b: Blob): AsyncGenerator<[OneRosterFile, string, string]> {
  const files = new Map(ONEROSTER_FILES.map((f) => [JSON.stringify(f), f]));
  for await (const text of ndjsonLines(b, (h) => h === ROWS_FORMAT || h === ROWS_FORMAT_GZIP)) {
    const tab = text.indexOf('\t');
    const f = files.get(text.slice(0, tab));
    if (!f) continue;
    const line = text.slice(tab + 1);
    // sourcedId comes first; output ids never need quotes, but the line is read as CSV all the same.
    const comma = line.indexOf(',');
    const id = line[0] === '"' ? parseCsvLine(ONEROSTER_HEADERS[f], line).sourcedId! : line.slice(0, comma < 0 ? line.length : comma);
    if (!id) continue;
    yield [f, id, line];
  }
}

/**
 * The rows blob: `SGRI`, the index's length (u32 LE), the index — row count (u32), per row its
 * key and JSON hashes as four u32 LE, then the classes' titles as JSON [[id, title], …] — and after
 * it the zstd'd NDJSON of the rows themselves. The next run needs only the index (a few megabytes,
 * read without touching the rest) to tell added, changed and unchanged rows apart; the rows are read
 * back only when some were removed, from the end of the index on. Re-hashing every stored
 * row each run instead cost seconds of CPU on a big world.
 */
// A version that cannot read zstd finds no magic of its own in a /6 blob: no rows, once, rather than a failed run.
const ROWS_MAGIC = 0x5a524753; // 'SGRZ' read as u32 LE
const ROWS_MAGIC_GZIP = 0x49524753; // 'SGRI': a /5 blob
/**
 * The index of this run's rows as it is made: the rows' hashes appended to a file of the store, the
 * classes' titles to another (a JSON array), each through a 1 MB buffer; {@link parts} puts the blob's
 * index together from them without reading them into the heap.
 */
class RowIndexWriter {
  private readonly hashes: AppendFile;
  private readonly titles: AppendFile;
  private rows = 0;
  private firstTitle = true;
  private readonly row = Buffer.alloc(16);
  /** With a source store: the digests go into it too, for the next run to use as they are (kept-store.ts). */
  private readonly kept: { db: DatabaseSync; title: StatementSync; digests: DigestCollector; sorted?: RowDigests } | undefined;
  constructor(dir: string, kept?: SourceDb) {
    this.hashes = new AppendFile(join(dir, 'row-hashes.bin'));
    this.titles = new AppendFile(join(dir, 'row-titles.json'));
    this.titles.write(Buffer.from('['));
    if (kept) {
      const db = kept.db;
      kept.begin();
      db.exec(`DROP TABLE IF EXISTS ${TITLES_TABLE}_next; CREATE TABLE ${TITLES_TABLE}_next (id TEXT PRIMARY KEY, title TEXT)`);
      this.kept = { db, title: db.prepare(`INSERT OR REPLACE INTO ${TITLES_TABLE}_next (id, title) VALUES (?, ?)`), digests: new DigestCollector() };
    }
  }
  add(k0: number, k1: number, v0: number, v1: number): void {
    this.row.writeUInt32LE(k0, 0);
    this.row.writeUInt32LE(k1, 4);
    this.row.writeUInt32LE(v0, 8);
    this.row.writeUInt32LE(v1, 12);
    this.hashes.write(this.row);
    this.rows++;
    this.kept?.digests.add(k0, k1, v0, v1);
  }
  title(id: string, title: string | undefined): void {
    this.titles.write(Buffer.from(`${this.firstTitle ? '' : ','}${JSON.stringify([id, title ?? null])}`, 'utf8'));
    this.firstTitle = false;
    this.kept?.title.run(id, title ?? null);
  }
  /** With a source store: every row added so far, sorted (what a {@link KeptRowIndex} finds unseen rows with). Ends the adding. */
  digests(): RowDigests | undefined {
    const kept = this.kept;
    if (!kept) return undefined;
    kept.sorted ??= kept.digests.finish();
    return kept.sorted;
  }
  /** Where the rows start in the blob {@link parts} makes (what {@link decodeRowIndex} finds as `rowsOffset`). */
  get rowsOffset(): number {
    return 12 + this.hashes.size + this.titles.size;
  }
  /** The blob: header, hashes, titles, then the rows' compressed parts. With a source store, its digests and titles replace the previous ones. */
  parts(rowsParts: Parts): Parts {
    this.titles.write(Buffer.from(']'));
    this.hashes.close();
    this.titles.close();
    const kept = this.kept;
    if (kept) writeKeptDigests(kept.db, this.digests()!);
    const head = Buffer.allocUnsafe(12);
    head.writeUInt32LE(ROWS_MAGIC, 0);
    head.writeUInt32LE(4 + this.hashes.size + this.titles.size, 4);
    head.writeUInt32LE(this.rows, 8);
    return [head, { file: this.hashes.path }, { file: this.titles.path }, ...rowsParts];
  }
}
/** Replaces the kept store's digests and titles with this run's: a blob per block of the digests (1 MB), not a statement per row. */
function writeKeptDigests(db: DatabaseSync, digests: RowDigests): void {
  db.exec(
    `DROP TABLE IF EXISTS ${ROWS_TABLE}; DROP TABLE IF EXISTS ${TITLES_TABLE};` +
      `CREATE TABLE ${ROWS_TABLE} (part INTEGER PRIMARY KEY, b BLOB NOT NULL);` +
      `ALTER TABLE ${TITLES_TABLE}_next RENAME TO ${TITLES_TABLE}`,
  );
  const put = db.prepare(`INSERT INTO ${ROWS_TABLE} (part, b) VALUES (?, ?)`);
  let part = 0;
  for (const b of digests.parts()) put.run(part++, b);
}
/** The digests a kept store holds (written by {@link writeKeptDigests}; earlier versions wrote 16 MB parts), a part at a time. */
function readKeptDigests(db: DatabaseSync): RowDigests {
  const st = db.prepare(`SELECT b FROM ${ROWS_TABLE} ORDER BY part`);
  st.setReturnArrays(true);
  return RowDigests.fromParts(
    (function* () {
      for (const r of st.iterate() as Iterable<unknown>) yield (r as [Uint8Array])[0];
    })(),
  );
}
/** A file written front to back through a 1 MB buffer. */
class AppendFile {
  private readonly fd: number;
  private readonly buf = Buffer.allocUnsafe(1 << 20);
  private pos = 0;
  size = 0;
  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }
  write(b: Buffer): void {
    if (this.pos + b.length > this.buf.length) this.flush();
    if (b.length > this.buf.length) writeSync(this.fd, b);
    else this.pos += b.copy(this.buf, this.pos);
    this.size += b.length;
  }
  private flush(): void {
    if (this.pos) writeSync(this.fd, this.buf, 0, this.pos);
    this.pos = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}
/**
 * Reads only the index of a rows blob (chunks as {@link stateChunks} yields them) into a table of the
 * store, a chunk at a time; another format is a {@link StateFormatError}.
 */
async function decodeRowIndex(b: AsyncIterable<Uint8Array>, store: StoreDir): Promise<RowIndex> {
  const index = new RowIndex(store);
  let pending: Buffer = Buffer.alloc(0);
  /** Where the index ends (from the blob's start), once the header is read. */
  let need = 0;
  let rows = -1;
  let done = 0;
  let at = 0;
  const titles: Buffer[] = [];
  for await (const chunk of b) {
    pending = pending.length ? Buffer.concat([pending, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    if (rows < 0) {
      if (pending.length < 12) continue;
      const magic = pending.readUInt32LE(0);
      if (magic !== ROWS_MAGIC && magic !== ROWS_MAGIC_GZIP) throw new StateFormatError();
      need = 8 + pending.readUInt32LE(4);
      rows = pending.readUInt32LE(8);
      pending = pending.subarray(12);
      at = 12;
    }
    let pos = 0;
    for (; done < rows && pos + 16 <= pending.length; done++, pos += 16)
      index.add(pending.readUInt32LE(pos), pending.readUInt32LE(pos + 4), pending.readUInt32LE(pos + 8), pending.readUInt32LE(pos + 12));
    at += pos;
    pending = pending.subarray(pos);
    if (done < rows) continue;
    const take = Math.min(pending.length, need - at);
    titles.push(Buffer.from(pending.subarray(0, take)));
    at += take;
    pending = pending.subarray(take);
    if (at >= need) break; // the rest (the rows) is not read
  }
  if (rows < 0 || at < need) throw new StateFormatError();
  for (const [id, title] of JSON.parse(Buffer.concat(titles).toString('utf8')) as [string, string | null][]) index.addTitle(id, title);
  index.rowsOffset = need;
  return index;
}

/**
 * A person's published rows in one blob, built once and kept with the person (kept-selection.ts) until
 * something they are made of changes: SDS's users, roles and relationships lines, OneRoster's users
 * and roles lines (the bulk files' bytes, and the rows state's lines too), and per OneRoster row its
 * key and line hashes — so a delta run copies an unchanged person's bytes instead of building,
 * hashing and formatting their rows again. Layout: eight u32 LE (SDS roles rows, SDS relationships
 * rows, OneRoster rows — the users row, then roles —, and the byte lengths of the five CSV
 * sections), 16 bytes of hashes per OneRoster row, then the five sections.
 */
class PersonRows {
  private constructor(
    private readonly b: Buffer,
    readonly sdsRoles: number,
    readonly sdsRelationships: number,
    readonly oneRoster: number,
    private readonly starts: number[],
  ) {}
  static of(bytes: Uint8Array): PersonRows {
    const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const oneRoster = b.readUInt32LE(8);
    const starts = [32 + 16 * oneRoster];
    for (let i = 0; i < 5; i++) starts.push(starts[i]! + b.readUInt32LE(12 + 4 * i));
    return new PersonRows(b, b.readUInt32LE(0), b.readUInt32LE(4), oneRoster, starts);
  }
  /** CSV section `i`: SDS users, roles, relationships, OneRoster users, roles. */
  section(i: number): Buffer {
    return this.b.subarray(this.starts[i], this.starts[i + 1]);
  }
  digest(i: number): [number, number, number, number] {
    const at = 32 + 16 * i;
    return [this.b.readUInt32LE(at), this.b.readUInt32LE(at + 4), this.b.readUInt32LE(at + 8), this.b.readUInt32LE(at + 12)];
  }
  /** OneRoster row `i` read back from its line (for the delta files: few rows). */
  row(i: number): Row {
    if (i === 0) return parseCsvLine(ONEROSTER_HEADERS['users.csv'], this.section(3).toString('utf8').slice(0, -2));
    return parseCsvLine(ONEROSTER_HEADERS['roles.csv'], this.section(4).toString('utf8').split('\r\n')[i - 1]!);
  }
}

/**
 * The people files a run writes, in the order of a {@link PersonRows}' sections: SDS's users, roles and
 * relationships, OneRoster's users and roles. Paths relative to the run's directory.
 */
const PEOPLE_FILES = ['sds/users.csv', 'sds/roles.csv', 'sds/relationships.csv', 'oneroster/users.csv', 'oneroster/roles.csv'] as const;
/** Each people file's header line, as its writer wrote it (what its first person's lines follow). */
const PEOPLE_HEADERS = [
  SDS_HEADERS['users.csv'],
  SDS_HEADERS['roles.csv'],
  SDS_HEADERS['relationships.csv'],
  ONEROSTER_HEADERS['users.csv'],
  ONEROSTER_HEADERS['roles.csv'],
].map((h) => Buffer.from(csvLine(h, Object.fromEntries(h.map((x) => [x, x]))), 'utf8'));
/** A {@link PersonRows}' head: its row counts and section lengths (eight u32 LE). */
const PERSON_HEAD = 32;
/** A {@link PersonRows}' head and its OneRoster rows' digests: the bytes of it a layout keeps. */
const personPrefix = (rows: Uint8Array, at = 0): number => PERSON_HEAD + 16 * new DataView(rows.buffer, rows.byteOffset + at + 8, 4).getUint32(0, true);
/** The layout's format (2: with the OneRoster rows' digests), in the kept store's record of the people files. */
const LAYOUT_FORMAT = 2;
/** Layout blocks of about a megabyte each. */
const LAYOUT_BLOCK = 1 << 20;

/**
 * Where each kept person's lines are in the people files the run published: per person in the files'
 * order (the kept people's sort keys) their sort key and the start of their {@link PersonRows} — row
 * counts and each section's length in bytes (so the lines of a run of persons are one range of bytes
 * per file), and their OneRoster rows' digests (so lines carried over need not be hashed again).
 * Entries are a u32 LE key length, the key, that prefix; kept in the kept store in blocks of about a megabyte.
 */
class PeopleLayout {
  private block = Buffer.allocUnsafe(LAYOUT_BLOCK);
  private pos = 0;
  private part = 0;
  private readonly put: StatementSync;
  /** A new layout, its blocks written to the kept store as they fill (the old one stays readable until {@link finish}). */
  constructor(private readonly db: DatabaseSync) {
    db.exec(`DROP TABLE IF EXISTS ${LAYOUT_TABLE}_next; CREATE TABLE ${LAYOUT_TABLE}_next (part INTEGER PRIMARY KEY, b BLOB NOT NULL)`);
    this.put = db.prepare(`INSERT INTO ${LAYOUT_TABLE}_next (part, b) VALUES (?, ?)`);
  }
  private room(need: number): void {
    if (this.pos + need <= this.block.length) return;
    this.flush();
    if (need > this.block.length) this.block = Buffer.allocUnsafe(need);
  }
  private flush(): void {
    if (this.pos) this.put.run(this.part++, this.block.subarray(0, this.pos));
    this.pos = 0;
  }
  /** A person's entry: their sort key and their rows (of which the prefix is kept). */
  add(sk: Uint8Array, rows: Uint8Array): void {
    const prefix = personPrefix(rows);
    this.room(4 + sk.length + prefix);
    this.block.writeUInt32LE(sk.length, this.pos);
    this.block.set(sk, this.pos + 4);
    this.block.set(rows.subarray(0, prefix), this.pos + 4 + sk.length);
    this.pos += 4 + sk.length + prefix;
  }
  /** An entry as {@link read} found it in another layout: `b[from, to)`. */
  addEntry(b: Buffer, from: number, to: number): void {
    this.room(to - from);
    this.pos += b.copy(this.block, this.pos, from, to);
  }
  /** Replaces the kept store's layout with this one. */
  finish(): void {
    this.flush();
    this.db.exec(`DROP TABLE IF EXISTS ${LAYOUT_TABLE}; ALTER TABLE ${LAYOUT_TABLE}_next RENAME TO ${LAYOUT_TABLE}`);
  }
  /**
   * The entries a kept store holds, in order: each one's block, where it starts, where its key and its
   * rows' prefix are in it, and where it ends. One object, changed for each entry.
   */
  static *read(db: DatabaseSync): Generator<{ b: Buffer; at: number; sk: number; rows: number; end: number }> {
    const st = db.prepare(`SELECT b FROM ${LAYOUT_TABLE} ORDER BY part`);
    st.setReturnArrays(true);
    const e: { b: Buffer; at: number; sk: number; rows: number; end: number } = { b: Buffer.alloc(0), at: 0, sk: 0, rows: 0, end: 0 };
    for (const [u] of st.iterate() as Iterable<[Uint8Array]>) {
      e.b = Buffer.from(u.buffer, u.byteOffset, u.byteLength);
      for (e.at = 0; e.at < e.b.length; e.at = e.end) {
        e.sk = e.at + 4;
        e.rows = e.sk + e.b.readUInt32LE(e.at);
        e.end = e.rows + personPrefix(e.b, e.rows);
        yield e;
      }
    }
  }
}

/** The people files of the run a delta run follows, to carry unchanged persons' lines over from (see {@link previousPeopleFiles}). */
interface PreviousPeopleFiles {
  /** Per section of {@link PEOPLE_FILES}, the previous file's path, or undefined for a file this run does not write. */
  paths: (string | undefined)[];
}

/**
 * The people files the kept store's layout describes, when a delta run can carry lines over from them:
 * the layout is there, and each file this run writes is in the published run's directory at the size
 * it had when published, starting with the header this version writes. Otherwise why not (every
 * person's rows are then read from the kept store, as before).
 */
function previousPeopleFiles(outputDir: string, source: SourceDb, written: boolean[]): PreviousPeopleFiles | string {
  if (!written[3] || !written[4]) return 'OneRoster is not written (its lines are what the rows state is made of)';
  const meta = source.meta('people_files');
  if (!meta || !source.hasTable(LAYOUT_TABLE)) return 'the kept store has no layout of the people files';
  const { dir, sizes, layout } = JSON.parse(meta) as { dir: string; sizes: (number | null)[]; layout?: number };
  if (layout !== LAYOUT_FORMAT) return 'the kept store has a layout of another format';
  const paths: (string | undefined)[] = [];
  for (const [i, file] of PEOPLE_FILES.entries()) {
    if (!written[i]) {
      paths.push(undefined);
      continue;
    }
    const path = join(outputDir, 'runs', dir, file);
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      return `${file} of the last run is gone`;
    }
    if (size !== sizes[i]) return `${file} of the last run is not the size it was published at`;
    const head = PEOPLE_HEADERS[i]!;
    const fd = openSync(path, 'r');
    try {
      const b = Buffer.alloc(head.length);
      readSync(fd, b, 0, b.length, 0);
      if (!b.equals(head)) return `${file} of the last run has another header`;
    } finally {
      closeSync(fd);
    }
    paths.push(path);
  }
  return { paths };
}

/** A previous people file read front to back: ranges of it copied (a run of unchanged persons' lines) or skipped (a changed person's). */
class CarriedFile {
  private readonly fd: number;
  private pos: number;
  private static readonly buf = Buffer.allocUnsafe(1 << 20);
  /** Section `section` of {@link PEOPLE_FILES}, at `path`: its lines start after its header. */
  constructor(path: string, section: number) {
    this.fd = openSync(path, 'r');
    this.pos = PEOPLE_HEADERS[section]!.length;
    // OneRoster's lines go to the rows state too, a line at a time.
    this.lineWise = section >= 3;
  }
  private readonly lineWise: boolean;
  skip(len: number): void {
    this.pos += len;
  }
  /**
   * Hands the next `len` bytes to `to` in blocks of up to a megabyte; when line-wise, each block ends
   * with a whole line (the range does: it is whole persons' lines).
   */
  async copy(len: number, to: (b: Buffer) => void | Promise<void>): Promise<void> {
    const buf = CarriedFile.buf;
    while (len > 0) {
      const n = readSync(this.fd, buf, 0, Math.min(len, buf.length), this.pos);
      if (n <= 0) throw new Error('readout: a published people file ended early');
      let take = n;
      if (this.lineWise && n < len) {
        take = buf.lastIndexOf(10, n - 1) + 1;
        if (take <= 0) throw new Error('readout: a line of a published people file is longer than a megabyte');
      }
      await to(buf.subarray(0, take));
      this.pos += take;
      len -= take;
    }
  }
  close(): void {
    closeSync(this.fd);
  }
}

/** Builds a person's {@link PersonRows}: the same rows, bytes and hashes as writing each row as it is made. */
function personRows(p: OutPerson, guardians: string[], wardSchools: WardSchools, session: string): Buffer {
  const sds = sdsPersonLines(p, session);
  const rows: [OneRosterFile, string, Row][] = [['users.csv', ...oneRosterUserRow(p, guardians)]];
  for (const [id, row] of oneRosterRoleRows(p, wardSchools)) rows.push(['roles.csv', id, row]);
  const digests = Buffer.allocUnsafe(16 * rows.length);
  let users = '';
  let roles = '';
  rows.forEach(([f, id, row], i) => {
    const line = csvLine(ONEROSTER_HEADERS[f], row);
    hash64(`${f}\t${id}`);
    digests.writeUInt32LE(H1, 16 * i);
    digests.writeUInt32LE(H2, 16 * i + 4);
    // As the rows state holds it: the line without its CRLF.
    const bytes = Buffer.from(line, 'utf8');
    hash64Bytes(bytes, 0, bytes.length - 2);
    digests.writeUInt32LE(H1, 16 * i + 8);
    digests.writeUInt32LE(H2, 16 * i + 12);
    if (i === 0) users = line;
    else roles += line;
  });
  const sections = [sds.users, sds.roles.join(''), sds.relationships.join(''), users, roles].map((x) => Buffer.from(x, 'utf8'));
  const head = Buffer.allocUnsafe(32);
  [sds.roles.length, sds.relationships.length, rows.length, ...sections.map((x) => x.length)].forEach((v, i) => head.writeUInt32LE(v, 4 * i));
  return Buffer.concat([head, digests, ...sections]);
}

/** What the OneRoster pass hands back: row counts per written file, the summary and the rows state. */
interface OneRosterOutcome {
  files: Record<string, number>;
  delta: DeltaSummary;
  rowsParts: Parts;
  /** Where the rows start in the rows blob (kept with the kept store's index). */
  rowsOffset: number;
  /** With an SDS directory: the rows of SDS's people files, written in the same walk of the people. */
  sdsPeople?: Record<(typeof SDS_PEOPLE_FILES)[number], number>;
  /** A delta run from a kept selection: whether the people files were made by carrying the last run's lines over, and if not why. */
  peopleCarried?: { used: boolean; reason?: string };
}

/**
 * The OneRoster bulk and delta sets and the next run's rows state in one walk over the rows: each
 * row is written to the bulk file, compared with the previous run's (by hash), written to the
 * delta file when added or changed, and appended to the rows state — then dropped. Changed rows go
 * to a fragment appended after the added ones, and rows gone since the previous run are read back
 * from its stored state afterwards, so the delta files keep the order added, updated, removed.
 * Without `outDir` (SDS only) nothing is written but the summary and the state are still made.
 */
async function oneRosterPass(
  sel: SelectionView,
  previous: PreviousRows | undefined,
  previousBlob: (from: number) => Blob,
  outDir: string | undefined,
  stamp: string,
  store: StoreDir,
  source: SourceDb,
  sdsDir?: string,
  carried?: PreviousPeopleFiles | string,
): Promise<OneRosterOutcome> {
  const rowsOut = new NdjsonParts(join(store.path, 'published_rows.zst'), 'zstd');
  rowsOut.push(ROWS_FORMAT);
  const bulkDir = outDir && join(outDir, 'oneroster');
  const deltaDir = outDir && join(outDir, 'oneroster-delta');
  const bulkFiles: Record<string, number> = {};
  const deltaFiles: Record<string, number> = {};
  if (bulkDir && deltaDir) {
    await mkdir(bulkDir, { recursive: true });
    await mkdir(deltaDir, { recursive: true });
    const bulkManifest = manifest('bulk');
    writeCsvFile(join(bulkDir, 'manifest.csv'), bulkManifest);
    bulkFiles['oneroster/manifest.csv'] = bulkManifest.rows.length;
  }
  const active: Row = { status: 'active', dateLastModified: stamp };
  const gone: Row = { status: 'tobedeleted', dateLastModified: stamp };
  const n = {} as Record<OneRosterFile, { added: number; updated: number; removed: number }>;
  const open = {} as Record<OneRosterFile, { delta: CsvFile; updated: CsvFile; removed?: CsvFile }>;
  let renamed = 0;
  // This run's index for the next: per row its key and JSON hashes, as decodeRowIndex reads them.
  const index = new RowIndexWriter(store.path, source);
  const streams = oneRosterStreams(sel);
  const bulkOf = {} as Record<OneRosterFile, CsvFile | undefined>;
  const keys = {} as Record<OneRosterFile, string>;
  const keyBytes = {} as Record<OneRosterFile, Buffer>;
  for (const f of ONEROSTER_FILES) {
    n[f] = { added: 0, updated: 0, removed: 0 };
    keys[f] = `${JSON.stringify(f)}\t`;
    keyBytes[f] = Buffer.from(keys[f], 'utf8');
  }
  /** One row: to the bulk file, digested, to the rows state, and to the delta file when added or changed. */
  const emit = async (f: OneRosterFile, id: string, row: Row) => {
    const line = csvLine(ONEROSTER_HEADERS[f], row);
    hash64(`${f}\t${id}`);
    const k0 = H1;
    const k1 = H2;
    // The row's hash (H1/H2) from its UTF-8 bytes as they go into the rows state: its bulk line without the CRLF.
    const key = keys[f];
    rowsOut.push(key + line.slice(0, -2), key.length);
    const v0 = H1;
    const v1 = H2;
    if (rowsOut.behind) await rowsOut.settle();
    bulkOf[f]?.line(line);
    index.add(k0, k1, v0, v1);
    if (f === 'classes.csv') index.title(id, row.title);
    const status = previous ? previous.check(k0, k1, v0, v1) : 'added';
    if (status === 'added') {
      n[f].added++;
      open[f]?.delta.row(row, active);
    } else if (status === 'updated') {
      n[f].updated++;
      open[f]?.updated.row(row, active);
      if (f === 'classes.csv' && previous!.classTitle(id) !== row.title) renamed++;
    }
  };
  let sdsPeople: SdsPeopleFiles | undefined;
  /** A person's rows as {@link personRows} made them: to the files, the rows state and the index, and to the delta when added or changed. */
  const person = async (rows: Uint8Array) => {
    const r = PersonRows.of(rows);
    sdsPeople?.bytes(r.section(0), r.section(1), r.sdsRoles, r.section(2), r.sdsRelationships);
    bulkOf['users.csv']?.bytes(r.section(3), 1);
    bulkOf['roles.csv']?.bytes(r.section(4), r.oneRoster - 1);
    rowsOut.pushCsvLines(keyBytes['users.csv'], r.section(3));
    rowsOut.pushCsvLines(keyBytes['roles.csv'], r.section(4));
    if (rowsOut.behind) await rowsOut.settle();
    for (let i = 0; i < r.oneRoster; i++) {
      const [k0, k1, v0, v1] = r.digest(i);
      index.add(k0, k1, v0, v1);
      const status = previous ? previous.check(k0, k1, v0, v1) : 'added';
      if (status === 'same') continue;
      const f: OneRosterFile = i === 0 ? 'users.csv' : 'roles.csv';
      const row = r.row(i);
      if (status === 'added') {
        n[f].added++;
        open[f]?.delta.row(row, active);
      } else {
        n[f].updated++;
        open[f]?.updated.row(row, active);
      }
    }
  };
  /** Whether the people files were made by carrying lines over from the last run's, and if not why (absent: a full evaluation). */
  let peopleCarried: OneRosterOutcome['peopleCarried'];
  /**
   * The people files of a delta run: the lines of the persons the change did not touch copied from
   * the last run's files a range at a time (to the rows state too, their digests from the layout to
   * the next run's index, unread otherwise: they are the rows the last run published, so none is added or changed),
   * the touched persons' built again in their place, in the files' order — the bytes a walk of every
   * person's kept rows writes, without reading, parsing and writing ~130,000 persons one by one.
   */
  const carryPeople = async (kept: KeptPeopleRows, from: PreviousPeopleFiles, build: (p: OutPerson) => Buffer, layout: PeopleLayout) => {
    const stale = kept.stale!;
    const files = from.paths.map((path, i) => (path ? new CarriedFile(path, i) : undefined));
    try {
      /** Per section, the bytes and rows of the unchanged persons met since the last copy. */
      const bytes: number[] = [0, 0, 0, 0, 0];
      const rows: number[] = [0, 0, 0, 0, 0];
      const copy = async () => {
        for (let i = 0; i < 5; i++) {
          const file = files[i];
          if (!file || !bytes[i]) continue;
          let left = rows[i]!;
          await file.copy(bytes[i]!, async (b) => {
            if (i < 3) {
              sdsPeople?.section(SDS_PEOPLE_FILES[i]!, b, left);
              left = 0;
              return;
            }
            const f: OneRosterFile = i === 3 ? 'users.csv' : 'roles.csv';
            bulkOf[f]!.bytes(b, left);
            left = 0;
            rowsOut.pushCsvLines(keyBytes[f], b);
            if (rowsOut.behind) await rowsOut.settle();
          });
          bytes[i] = 0;
          rows[i] = 0;
        }
      };
      const touched = async (sk: Uint8Array) => {
        const p = kept.person(sk);
        if (!p) return; // no longer kept: their old lines are skipped, their rows are removed
        const r = build(p);
        kept.keep(sk, r);
        await person(r);
        layout.add(sk, r);
      };
      let s = 0;
      for (const { b, at, sk, rows: head, end } of PeopleLayout.read(source.db)) {
        const key = b.subarray(sk, head);
        while (s < stale.length && Buffer.compare(stale[s]!, key) < 0) {
          await copy();
          await touched(stale[s++]!);
        }
        if (s < stale.length && stale[s]!.equals(key)) {
          // A touched person's old lines: skipped, their new ones written in their place.
          await copy();
          for (let i = 0; i < 5; i++) files[i]?.skip(b.readUInt32LE(head + 12 + 4 * i));
          await touched(stale[s++]!);
          continue;
        }
        // An unchanged person: their lines join the range copied next, their digests go to the index as they are.
        for (let i = 0; i < 5; i++) bytes[i]! += b.readUInt32LE(head + 12 + 4 * i);
        const oneRoster = b.readUInt32LE(head + 8);
        rows[0]! += 1;
        rows[1]! += b.readUInt32LE(head);
        rows[2]! += b.readUInt32LE(head + 4);
        rows[3]! += 1;
        rows[4]! += oneRoster - 1;
        for (let i = 0, d = head + PERSON_HEAD; i < oneRoster; i++, d += 16)
          index.add(b.readUInt32LE(d), b.readUInt32LE(d + 4), b.readUInt32LE(d + 8), b.readUInt32LE(d + 12));
        layout.addEntry(b, at, end);
      }
      await copy();
      while (s < stale.length) await touched(stale[s++]!);
    } finally {
      for (const f of files) f?.close();
    }
  };
  let sdsRows: Record<(typeof SDS_PEOPLE_FILES)[number], number> | undefined;
  try {
    try {
      for (const f of ONEROSTER_FILES) {
        const header = ONEROSTER_HEADERS[f];
        bulkOf[f] = bulkDir ? new CsvFile(join(bulkDir, f), header) : undefined;
        if (deltaDir) open[f] = { delta: new CsvFile(join(deltaDir, f), header), updated: new CsvFile(join(deltaDir, `.${f}.updated`), header, false) };
      }
      // The rows state holds the files one after the other, but users and roles are made in the same
      // walk of the people, with SDS's people files too: each walk of the people reads and parses every
      // kept person again (~0.3 s a walk at 60,000 students). Their rows are interleaved in the rows
      // state, which is read per file (removed rows keep their order within their file).
      sdsPeople = sdsDir ? new SdsPeopleFiles(sdsDir, sel.session.id) : undefined;
      for (const f of ONEROSTER_FILES) {
        if (f === 'roles.csv') continue;
        if (f !== 'users.csv') {
          for (const [id, row] of streams[f]()) await emit(f, id, row);
          continue;
        }
        // A kept selection has each person's rows as the last run built them: only the persons the
        // change touched are built again (a delta run at 60,000 students built all ~280,000 rows).
        const kept = sel.peopleRows;
        const merged = !kept || kept.all;
        const agents = merged ? new AgentsOf(sel) : { of: (id: string) => kept.guardiansOf(id).map(outputId) };
        const wardSchools: WardSchools = merged
          ? wardSchoolsOf(sel)
          : (p) => {
              const schools = kept.wardSchoolsOf(p.id);
              return (id) => schools.get(id);
            };
        const build = (p: OutPerson) => personRows(p, agents.of(p.id), wardSchools, sel.session.id);
        // The layout of the files written, for the next run to carry lines over by (none without a kept selection).
        const layout = kept ? new PeopleLayout(source.db) : undefined;
        // Without one, no layout: a layout of another run's files must not outlive them.
        if (!layout) source.db.exec(`DROP TABLE IF EXISTS ${LAYOUT_TABLE}`);
        if (kept && kept.stale && typeof carried === 'object') {
          await carryPeople(kept, carried, build, layout!);
          peopleCarried = { used: true };
        } else if (kept) {
          if (typeof carried === 'string') peopleCarried = { used: false, reason: carried };
          for (const x of kept.walk()) {
            let rows = x.rows;
            if (!rows) kept.keep(x.sk, (rows = build(x.person!)));
            await person(rows);
            layout!.add(x.sk, rows);
          }
        } else for (const p of distinctPeople(sel)) await person(build(p));
        kept?.done();
        layout?.finish();
      }
    } finally {
      sdsRows = sdsPeople?.close();
      for (const f of ONEROSTER_FILES) bulkOf[f]?.close();
    }
    for (const f of ONEROSTER_FILES) {
      const bulk = bulkOf[f];
      if (bulk) bulkFiles[`oneroster/${f}`] = bulk.rows;
    }
    previous?.produced?.(index.digests()!);
    if (previous && previous.unseenCount > 0) {
      if (deltaDir) for (const f of ONEROSTER_FILES) open[f].removed = new CsvFile(join(deltaDir, `.${f}.removed`), ONEROSTER_HEADERS[f], false);
      for await (const [f, id, line] of storedRows(previousBlob(previous.rowsOffset))) {
        if (!n[f] || !previous.unseen(f, id)) continue;
        n[f].removed++;
        open[f]?.removed?.row(parseCsvLine(ONEROSTER_HEADERS[f], line), gone);
      }
    }
  } finally {
    for (const f of ONEROSTER_FILES) {
      const o = open[f];
      if (!o) continue;
      o.updated.close();
      o.removed?.close();
      o.delta.append(o.updated.path);
      if (o.removed) o.delta.append(o.removed.path);
      o.delta.close();
      await rm(o.updated.path, { force: true });
      if (o.removed) await rm(o.removed.path, { force: true });
      const rows = n[f].added + n[f].updated + n[f].removed;
      // A delta file with a header and nothing else says nothing; the manifest marks it absent instead.
      if (rows) deltaFiles[`oneroster-delta/${f}`] = rows;
      else await rm(o.delta.path, { force: true });
    }
  }
  if (deltaDir) {
    const written = new Set(ONEROSTER_FILES.filter((f) => deltaFiles[`oneroster-delta/${f}`]));
    const deltaManifest = manifest('delta', written);
    writeCsvFile(join(deltaDir, 'manifest.csv'), deltaManifest);
    deltaFiles['oneroster-delta/manifest.csv'] = deltaManifest.rows.length;
  }
  const classes = n['classes.csv'];
  return {
    files: { ...bulkFiles, ...deltaFiles },
    delta: {
      firstRun: !previous,
      teams: { created: classes.added, renamed, updated: classes.updated - renamed, removed: classes.removed },
      memberships: { added: n['enrollments.csv'].added, removed: n['enrollments.csv'].removed },
      people: { added: n['users.csv'].added, updated: n['users.csv'].updated, removed: n['users.csv'].removed },
      schools: { added: n['orgs.csv'].added, updated: n['orgs.csv'].updated, removed: n['orgs.csv'].removed },
    },
    rowsParts: index.parts(await rowsOut.finish()),
    rowsOffset: index.rowsOffset,
    sdsPeople: sdsRows,
    peopleCarried,
  };
}

/** A source client for one customer's configuration. */
export function sourceClientFor(c: CustomerConfig, deps: ReadoutDeps, warnings?: Warnings, onPage?: (path: string, records: number) => void): SourceClient {
  return new SourceClient({
    ...c.source,
    warnings,
    onPage,
    clientSecret: resolveSecret(c.source.clientSecret, deps.env),
    clock: deps.clock,
    sleep: deps.sleep,
    fetch: deps.fetch,
  });
}

/** Swaps `current` to point at `target` with one rename: readers see the old set or the new, never a mix. */
async function publish(outputDir: string, target: string): Promise<void> {
  const tmp = join(outputDir, `.current-${process.pid}-${Date.now()}`);
  await symlink(join('runs', target), tmp);
  await rename(tmp, join(outputDir, 'current'));
}

async function pruneRuns(outputDir: string): Promise<void> {
  const runsDir = join(outputDir, 'runs');
  const current = await readlink(join(outputDir, 'current')).catch(() => '');
  const names = (await readdir(runsDir)).filter((n) => !n.startsWith('.')).sort();
  for (const n of names.slice(0, Math.max(0, names.length - KEEP_RUNS))) {
    if (current.endsWith(n)) continue;
    await rm(join(runsDir, n), { recursive: true, force: true });
  }
  for (const n of (await readdir(runsDir)).filter((x) => x.startsWith('.staging-') || x.startsWith('.store-')))
    await rm(join(runsDir, n), { recursive: true, force: true });
}

/** Starts a run record; refuses when another run of the same customer is in progress. */
async function startRun(db: Kysely<DB>, customer: string, trigger: 'cli' | 'schedule', now: Date): Promise<string> {
  await db
    .updateTable('readout_runs')
    .set({ status: 'failed', finished_at: now, error: 'abandoned: the process running it stopped' })
    .where('customer_key', '=', customer)
    .where('status', '=', 'running')
    .where('started_at', '<', new Date(now.getTime() - ABANDONED_AFTER_MS))
    .execute();
  try {
    const row = await db
      .insertInto('readout_runs')
      .values({ customer_key: customer, trigger, status: 'running', started_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  } catch (e) {
    if ((e as { code?: string }).code === '23505') throw new ReadoutBusyError(`A readout run for customer "${customer}" is already in progress`);
    throw e;
  }
}

/** The customer's staff-title table: the built-in one with the customer's entries over it. */
export function roleMappingOf(c: CustomerConfig): RoleMapping {
  return { table: { ...DEFAULT_STAFF_ROLES, ...c.mapping.staffRoles }, unknown: c.mapping.unknownStaffRole };
}

/** Another run of the same customer holds the slot. */
export class ReadoutBusyError extends Error {}

/** The customer's rule options at a local date. */
function selectOptions(c: CustomerConfig, today: string, keepDecisions: boolean, namedWarnings?: Warnings): SelectOptions {
  return {
    today,
    toleranceDays: c.toleranceDays,
    municipalityCode: c.municipalityCode,
    schoolTypes: c.schoolTypes,
    exportAddress: c.exportAddress,
    exportCivicNo: c.exportCivicNo,
    keepDecisions,
    dutiesOnParentOrganisations: c.mapping.dutiesOnParentOrganisations,
    roles: roleMappingOf(c),
    namedWarnings,
  };
}

/** The rules applied to a snapshot for a customer at the clock's current local date, the selection in the heap. */
export function applyRules(c: CustomerConfig, snapshot: Snapshot, now: Date, keepDecisions = true, namedWarnings?: Warnings): SelectResult & { today: string } {
  const today = localDay(now, c.timeZone);
  return { today, ...select(snapshot, selectOptions(c, today, keepDecisions, namedWarnings)) };
}

/**
 * The same rules with what they build kept in `scratch` (a run: the run's store). With `explainId`,
 * the verdicts of that one record are kept as well (`readout explain`).
 */
export function applyRulesInto(
  c: CustomerConfig,
  snapshot: Snapshot,
  now: Date,
  scratch: Scratch,
  namedWarnings?: Warnings,
  explainId?: string,
): StreamSelectResult & { today: string } {
  const today = localDay(now, c.timeZone);
  const o = selectOptions(c, today, explainId !== undefined, namedWarnings);
  return { today, ...selectInto(snapshot, { ...o, decisionsFor: explainId }, scratch) };
}

export async function runReadout(c: CustomerConfig, deps: ReadoutDeps, opts: RunOptions = {}): Promise<RunResult> {
  const { db, clock } = deps;
  const t0 = performance.now();
  const startedAt = clock.now();
  const runId = await startRun(db, c.key, opts.trigger ?? 'cli', startedAt);
  const runsDir = join(c.outputDir, 'runs');
  const staging = join(runsDir, `.staging-${runId}`);
  let store: StoreDir | undefined;
  /** The source's records and the rows' digests: the kept store (changed in place), or a new one that replaces it once published. */
  let source: SourceDb | undefined;
  let sourceKept = false;
  try {
    // What the rules build, on disk for the run (see store.ts); removed whatever the outcome.
    await mkdir(runsDir, { recursive: true });
    store = new StoreDir(join(runsDir, `.store-${runId}`));
    const state = await db.selectFrom('readout_state').select(['source_watermark', 'last_run_id']).where('customer_key', '=', c.key).executeTakeFirst();
    // A delta run starts from the kept store when it matches the stored state exactly (kept-store.ts).
    const identity = keptIdentity(snapshotHeader(optInOf(c)), ROWS_FORMAT, c.source.baseUrl);
    let keptStore: ReadoutReport['keptStore'];
    if (state && !opts.full) {
      const k = openKeptStore(c.outputDir, c.key, state.last_run_id, identity, ENTITIES);
      if ('store' in k) {
        source = k.store;
        sourceKept = true;
        keptStore = { used: true };
      } else keptStore = { used: false, reason: `${k.reason}; the previous snapshot and rows were decoded from the stored state` };
    } else if (state) keptStore = { used: false, reason: 'full read requested' };
    source ??= new SourceDb(join(store.path, 'source.sqlite'));
    let previousSnapshot: Snapshot | undefined;
    if (sourceKept) previousSnapshot = keptSnapshot(source);
    else {
      // The blobs are read in chunks as they are decoded, never whole.
      try {
        if (state && !opts.full) previousSnapshot = await decodeSnapshot(stateChunks(db, c.key, 'source_snapshot'), optInOf(c), source);
      } catch (e) {
        if (!(e instanceof StateFormatError)) throw e;
        // The opt-ins changed since the last run: the stored source lacks (or holds too much); read it all.
      }
    }
    const phase = (name: string) => {
      deps.onPhase?.(name);
      deps.onProgress?.({ kind: 'phase', phase: name, elapsedMs: performance.now() - t0 });
    };
    phase('state loaded');
    const warnings = new Warnings();
    const last = await lastSucceededReport(db, c.key);
    // The last run's record count is the estimate of this one's (a full read reads about as much again).
    const expected = last?.mode === 'full' ? last.source?.records : undefined;
    const pagesOf = new Map<string, number>();
    const recordsOf = new Map<string, number>();
    let total = 0;
    const tRead = performance.now();
    const onPage = deps.onProgress
      ? (path: string, records: number) => {
          pagesOf.set(path, (pagesOf.get(path) ?? 0) + 1);
          recordsOf.set(path, (recordsOf.get(path) ?? 0) + records);
          total += records;
          const secs = (performance.now() - tRead) / 1000;
          const perSecond = secs > 0 ? total / secs : 0;
          const full = mode === 'full' && !previousSnapshot;
          deps.onProgress!({
            kind: 'page',
            path,
            pages: pagesOf.get(path)!,
            records: recordsOf.get(path)!,
            totalRecords: total,
            elapsedMs: performance.now() - t0,
            perSecond,
            etaSeconds: full && expected && perSecond > 0 ? Math.max(0, (expected - total) / perSecond) : undefined,
          });
        }
      : undefined;
    const client = sourceClientFor(c, deps, warnings, onPage);
    const stats = new ParseStats();
    const ctx = fetchContext(c, client, stats, source);
    const fetchStartedAt = clock.now();

    // 1. Read the source.
    let mode: 'full' | 'incremental' = 'full';
    let fallbackReason: string | undefined;
    let snapshot: Snapshot | undefined;
    let changed: Record<string, number> | undefined;
    let deleted: Record<string, number> | undefined;
    let touched: SourceChanges | undefined;
    if (state && previousSnapshot) {
      let after = new Date(state.source_watermark).getTime() - c.source.modifiedOverlapSeconds * 1000;
      if ((last?.source?.zonelessTimestamps ?? 0) > 0) {
        // The source may compare our UTC watermark with its local wall time: read far enough back to cover any offset.
        after -= ZONELESS_SLACK_MS;
        warnings.add(
          'source.timestamps_without_zone',
          'the source sends meta.modified without a time zone: incremental reads start 14 hours earlier to cover any offset',
          [],
        );
      }
      const inc = await fetchIncremental(ctx, previousSnapshot, new Date(after));
      if ('snapshot' in inc) {
        mode = 'incremental';
        snapshot = inc.snapshot;
        changed = inc.changed;
        deleted = inc.deleted;
        touched = inc.touched;
      } else {
        fallbackReason = `${inc.fallback}: full read and diff`;
        warnings.add('source.delta_unusable', 'the delta feed could not be used; the run read everything and compared', [], inc.fallback);
        for (const e of ENTITIES) previousSnapshot[e].clear(); // half-updated and no longer needed: its files are emptied before the full read
        previousSnapshot = undefined;
      }
    } else if (!state) fallbackReason = 'first run for this customer';
    else if (opts.full) fallbackReason = 'full read requested';
    else fallbackReason = 'address or civic number opt-in (or mapping.courseField) changed since the last run';
    snapshot ??= await fetchFull(ctx);
    if (stats.zonelessTimestamps && !warnings.has('source.timestamps_without_zone')) {
      warnings.add(
        'source.timestamps_without_zone',
        'the source sends meta.modified without a time zone: the next incremental reads start 14 hours earlier to cover any offset',
        [],
        undefined,
        stats.zonelessTimestamps,
      );
    }
    for (const [reason, n] of stats.skipped)
      warnings.add('source.record_skipped', `records skipped: ${reason}`, ['every rule (the record is not read)'], undefined, n);
    for (const [value, n] of stats.unknownEnums) {
      warnings.add(
        'source.unknown_value',
        `a value outside the spec's list: ${value} (kept as it is)`,
        ['rules comparing this field treat it as no match'],
        undefined,
        n,
      );
    }
    for (const [field, n] of stats.nonSpec) {
      const name = field.split('.')[1];
      if (name === c.mapping.courseField) continue;
      warnings.add(
        'source.non_spec_field',
        `${field} is sent instead of the spec's syllabus; set mapping.courseField: ${name} to take courses from it`,
        ['group.no_syllabus', 'course titles and codes'],
        undefined,
        n,
      );
    }
    const t1 = performance.now();
    phase('fetched');

    // 2. Rules, files, delta.
    // The stored snapshot is a base and the change logs of the delta runs since: a delta run that
    // started from the kept store appends its own log, until the logs would outweigh the base; then,
    // and on every other run, the whole snapshot is encoded again as a new base (while the heap is small).
    let snapshotParts: Parts | undefined;
    let snapshotBase: number | undefined;
    const baseBytes = sourceKept ? Number(source.meta('snapshot_base_bytes')) : NaN;
    if (touched && Number.isFinite(baseBytes)) {
      const log = await encodeChangeLog(snapshot, touched, join(store.path, 'source_snapshot.log.gz'));
      if ((await blobBytes(db, c.key, 'source_snapshot')) + partsBytes(log) <= 2 * baseBytes) snapshotParts = log;
    }
    if (!snapshotParts) {
      snapshotParts = await encodeSnapshot(snapshot, optInOf(c), false, join(store.path, 'source_snapshot.gz'));
      snapshotBase = partsBytes(snapshotParts);
    }
    phase('snapshot encoded');
    // The rules, kept per unit in the source store: a delta read re-evaluates what it touched (kept-selection.ts).
    const today = localDay(clock.now(), c.timeZone);
    const sel = { today, ...evaluateKept(source, snapshot, selectOptions(c, today, false, warnings), touched) };
    touched = undefined;
    snapshot = undefined;
    previousSnapshot = undefined;
    phase('rules applied');
    const name = `${startedAt
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z')}-${runId}`;
    await rm(staging, { recursive: true, force: true });
    const files: Record<string, number> = {};
    let selection: SelectionView | undefined = sel.selection;
    const sdsDir = c.formats.includes('sds') ? join(staging, 'sds') : undefined;
    // SDS's files but its people's (the OneRoster pass's walk of the people writes those), while the heap is small.
    let sdsOthers: Partial<Record<SdsFile, number>> | undefined;
    if (sdsDir) {
      await mkdir(sdsDir, { recursive: true });
      sdsOthers = writeSdsFiles(sdsDir, selection, false);
    }
    phase('sds written');
    let previousRows: PreviousRows | undefined;
    if (sourceKept) previousRows = new KeptRowIndex(source.db, readKeptDigests(source.db), Number(source.meta('rows_offset')));
    else {
      try {
        if (state) previousRows = await decodeRowIndex(stateChunks(db, c.key, 'published_rows'), store);
      } catch (e) {
        if (!(e instanceof StateFormatError)) throw e; // written by an older version: everything counts as new
      }
    }
    phase('previous rows decoded');
    const output = { ...sel.sizes, files };
    const oneRoster = c.formats.includes('oneroster');
    const written = PEOPLE_FILES.map((f) => (f.startsWith('sds/') ? !!sdsDir : oneRoster));
    // A kept store's people files are those of the run the state names, the one published now.
    const carried = sourceKept ? previousPeopleFiles(c.outputDir, source, written) : undefined;
    const or = await oneRosterPass(
      selection,
      previousRows,
      (from) => stateChunks(db, c.key, 'published_rows', from),
      c.formats.includes('oneroster') ? staging : undefined,
      clock.now().toISOString(),
      store,
      source,
      sdsDir,
      carried,
    );
    previousRows = undefined;
    // What the next run finds its people files by (previousPeopleFiles).
    const peopleFiles = JSON.stringify({
      dir: name,
      sizes: PEOPLE_FILES.map((f, i) => (written[i] ? statSync(join(staging, f)).size : null)),
      layout: LAYOUT_FORMAT,
    });
    // In the SDS set's order, then OneRoster's (the report lists the files so).
    if (sdsOthers) for (const f of Object.keys(SDS_HEADERS) as SdsFile[]) files[`sds/${f}`] = sdsOthers[f] ?? or.sdsPeople![f as keyof typeof or.sdsPeople];
    Object.assign(files, or.files);
    selection = undefined;
    phase('oneroster written');
    const t2 = performance.now();
    const finishedAt = clock.now();
    const report: ReadoutReport = {
      customer: c.key,
      runId,
      mode,
      fallbackReason,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      today: sel.today,
      durationMs: Math.round(t2 - t0),
      fetchMs: Math.round(t1 - t0),
      processMs: Math.round(t2 - t1),
      counts: sel.counts,
      output,
      delta: or.delta,
      source: { ...client.stats, changed, deleted, zonelessTimestamps: stats.zonelessTimestamps },
      unknownEnums: Object.fromEntries(stats.unknownEnums),
      skippedRecords: Object.fromEntries(stats.skipped),
      namedWarnings: warnings.list(),
      keptStore,
      peopleCarried: or.peopleCarried,
      evaluated: sel.evaluated,
      snapshotStored: { as: snapshotBase === undefined ? 'change log' : 'base', bytes: partsBytes(snapshotParts) },
      warnings: sel.warnings.slice(0, 200).concat(sel.warnings.length > 200 ? [`… and ${sel.warnings.length - 200} more warnings`] : []),
    };
    await writeFile(join(staging, 'report.json'), JSON.stringify(report, null, 2) + '\n', 'utf8');
    await writeFile(join(staging, 'report.html'), renderReportHtml(report, await keptHistory(db, c.key)), 'utf8');

    // 3. Publish: state, run record and the symlink swap succeed or fail together.
    // The store is on disk (and, when it is not the kept one, marked as made by this run) before the
    // state names this run: a kept store is marked clean only once the state does.
    source.commitDurably({
      identity,
      run: runId,
      rows_offset: String(or.rowsOffset),
      people_files: peopleFiles,
      clean: sourceKept ? '0' : '1',
      ...(snapshotBase !== undefined ? { snapshot_base_bytes: String(snapshotBase) } : {}),
    });
    const outputPath = join(runsDir, name);
    await db.transaction().execute(async (trx) => {
      const values = {
        last_run_id: runId,
        source_watermark: fetchStartedAt,
        published_rows: Buffer.alloc(0),
        updated_at: finishedAt,
      };
      // A change log is appended to the stored snapshot; a new base replaces it.
      if (snapshotBase === undefined) await trx.updateTable('readout_state').set(values).where('customer_key', '=', c.key).execute();
      else
        await trx
          .insertInto('readout_state')
          .values({ customer_key: c.key, ...values, source_snapshot: Buffer.alloc(0) })
          .onConflict((oc) => oc.column('customer_key').doUpdateSet({ ...values, source_snapshot: Buffer.alloc(0) }))
          .execute();
      await storeBlob(trx, c.key, 'source_snapshot', snapshotParts);
      await storeBlob(trx, c.key, 'published_rows', or.rowsParts);
      await trx
        .updateTable('readout_runs')
        .set({
          status: 'succeeded',
          mode,
          finished_at: finishedAt,
          counts: JSON.stringify({ ...report.counts, delta: report.delta }),
          report: JSON.stringify(report),
          output_path: outputPath,
        })
        .where('id', '=', runId)
        .execute();
      await rename(staging, outputPath);
      try {
        await publish(c.outputDir, name);
      } catch (e) {
        await rename(outputPath, staging).catch(() => {});
        throw e;
      }
    });
    try {
      if (sourceKept) source.commitDurably({ clean: '1' });
      else installKeptStore(source, c.outputDir, c.key);
    } catch {
      // Published all the same: the next run finds the kept store unfinished or of another run, and decodes the state.
    }
    await pruneRuns(c.outputDir).catch(() => {});
    return { runId, status: 'succeeded', report, outputPath };
  } catch (e) {
    const message = e instanceof SourceError ? `${e.code}: ${e.message}` : (e as Error).message;
    await rm(staging, { recursive: true, force: true }).catch(() => {});
    await db
      .updateTable('readout_runs')
      .set({ status: 'failed', finished_at: clock.now(), error: message.slice(0, 2000) })
      .where('id', '=', runId)
      .execute();
    return { runId, status: 'failed', error: message };
  } finally {
    source?.close();
    store?.close();
  }
}

/** The snapshot in a kept store, its tables as the run before left them. */
function keptSnapshot(s: SourceDb): Snapshot {
  return emptySnapshot({ map: (name, codec) => s.existing(name, codec) });
}

/** Kept counts of the customer's last succeeded runs, oldest first, for the report's chart (this run not included). */
async function keptHistory(db: Kysely<DB>, customer: string, runs = 29): Promise<RunPoint[]> {
  const rows = await db
    .selectFrom('readout_runs')
    .select(['started_at', 'counts'])
    .where('customer_key', '=', customer)
    .where('status', '=', 'succeeded')
    .orderBy('started_at', 'desc')
    .limit(runs)
    .execute();
  return rows.reverse().map((r) => ({
    startedAt: new Date(r.started_at).toISOString(),
    counts: ((typeof r.counts === 'string' ? JSON.parse(r.counts) : r.counts) ?? {}) as RunPoint['counts'],
  }));
}

/** The report of the customer's last succeeded run (it says how much was read, and how). */
async function lastSucceededReport(db: Kysely<DB>, customer: string): Promise<Partial<ReadoutReport> | undefined> {
  const row = await db
    .selectFrom('readout_runs')
    .select(['report'])
    .where('customer_key', '=', customer)
    .where('status', '=', 'succeeded')
    .orderBy('started_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return (typeof row?.report === 'string' ? JSON.parse(row.report) : row?.report) ?? undefined;
}

/** The latest runs of a customer (or all), newest first, for the operator. */
export async function listRuns(db: Kysely<DB>, customer?: string, limit = 20) {
  let q = db
    .selectFrom('readout_runs')
    .select(['id', 'customer_key', 'trigger', 'status', 'mode', 'started_at', 'finished_at', 'counts', 'error', 'output_path'])
    .orderBy('started_at', 'desc')
    .orderBy(sql`id`, 'desc')
    .limit(limit);
  if (customer) q = q.where('customer_key', '=', customer);
  return q.execute();
}
