import { mkdir, readdir, rename, rm, symlink, writeFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip, gzipSync } from 'node:zlib';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';
import type { Clock } from '../lib/clock.ts';
import { resolveSecret, type CustomerConfig } from './config.ts';
import { fetchFull, fetchIncremental, type OptIn } from './fetch.ts';
import { ENTITIES, ParseStats, type Snapshot } from './model.ts';
import { localDay } from './rules.ts';
import { select, type Category, type SelectResult, type Tally } from './select.ts';
import { SourceClient, SourceError } from './source.ts';
import {
  oneRosterBulk,
  oneRosterDeltaFiles,
  oneRosterRows,
  ONEROSTER_FILES,
  rowDigest,
  sdsTables,
  type CsvTable,
  type OneRosterDelta,
  type Row,
  writeCsvFile,
  type OneRosterFile,
  type OneRosterRows,
  type PublishedRows,
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
  source: SourceClient['stats'] & { changed?: Record<string, number>; deleted?: Record<string, number> };
  unknownEnums: Record<string, number>;
  skippedRecords: Record<string, number>;
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
 * State blobs are gzip'd NDJSON written in chunks (concatenated gzip members are one valid gzip
 * stream), so that neither side ever holds the whole state as one string.
 */
const CHUNK = 4 << 20;
function ndjsonGzip(lines: Iterable<string>): Buffer {
  const parts: Buffer[] = [];
  let buf: string[] = [];
  let size = 0;
  for (const line of lines) {
    buf.push(line);
    size += line.length + 1;
    if (size >= CHUNK) {
      parts.push(gzipSync(buf.join('\n') + '\n', { level: 1 }));
      buf = [];
      size = 0;
    }
  }
  if (buf.length) parts.push(gzipSync(buf.join('\n') + '\n', { level: 1 }));
  return Buffer.concat(parts);
}
/** The lines of a state blob, decompressed a megabyte at a time: the whole text never exists at once. */
async function* ndjsonLines(b: Uint8Array, header: (first: string) => boolean): AsyncGenerator<string> {
  const gz = createGunzip({ chunkSize: 1 << 20 });
  gz.end(b);
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
 * First line of every state blob; a blob without the expected one (an older format, or a source
 * snapshot trimmed for other opt-ins) is treated as no state: the run reads everything.
 */
const ROWS_FORMAT = '"readout-rows/3"';
const SNAPSHOT_FORMAT = '"readout-state/3';
const snapshotHeader = (o: OptIn) => `${SNAPSHOT_FORMAT} address=${o.address ? 1 : 0} civic=${o.civicNo ? 1 : 0}"`;
const optInOf = (c: CustomerConfig): OptIn => ({ address: c.exportAddress, civicNo: c.exportCivicNo });

class StateFormatError extends Error {}

/** With `release`, each entity's records are dropped from `s` once encoded, so memory frees as it goes. */
export function encodeSnapshot(s: Snapshot, optIn: OptIn, release = false): Buffer {
  return ndjsonGzip(
    (function* () {
      yield snapshotHeader(optIn);
      for (const e of ENTITIES) {
        for (const r of s[e].values()) yield `${JSON.stringify(e)}\t${JSON.stringify(r)}`;
        if (release) s[e].clear();
      }
    })(),
  );
}
/** Decodes a stored source snapshot; with `optIn`, only one trimmed for exactly those opt-ins. */
export async function decodeSnapshot(b: Uint8Array, optIn?: OptIn): Promise<Snapshot> {
  const snap = Object.fromEntries(ENTITIES.map((e) => [e, new Map()])) as unknown as Record<string, Map<string, { id: string }>>;
  for await (const line of ndjsonLines(b, (h) => (optIn ? h === snapshotHeader(optIn) : h.startsWith(SNAPSHOT_FORMAT)))) {
    const tab = line.indexOf('\t');
    const rec = JSON.parse(line.slice(tab + 1)) as { id: string };
    snap[JSON.parse(line.slice(0, tab)) as string]?.set(rec.id, rec);
  }
  return snap as unknown as Snapshot;
}
function encodeRows(r: OneRosterRows): Buffer {
  return ndjsonGzip(
    (function* () {
      yield ROWS_FORMAT;
      for (const f of ONEROSTER_FILES) for (const row of r[f].values()) yield `${JSON.stringify(f)}\t${JSON.stringify(row)}`;
    })(),
  );
}
/**
 * This run's rows against the previous run's digests. Removed rows are left empty here: their ids
 * are returned, and {@link readRemoved} reads them back from the stored state.
 */
function diffRows(r: OneRosterRows, previous: PublishedRows | undefined): { delta: OneRosterDelta; removedIds: Record<OneRosterFile, Set<string>> } {
  const delta = {} as OneRosterDelta;
  const removedIds = {} as Record<OneRosterFile, Set<string>>;
  for (const f of ONEROSTER_FILES) {
    const d: OneRosterDelta[OneRosterFile] = { added: [], updated: [], removed: [] };
    const before = previous?.digests[f];
    for (const [id, row] of r[f]) {
      const old = before?.get(id);
      if (old === undefined) d.added.push(row);
      else if (old !== rowDigest(JSON.stringify(row))) d.updated.push(row);
    }
    const gone = new Set<string>();
    if (before) for (const id of before.keys()) if (!r[f].has(id)) gone.add(id);
    delta[f] = d;
    removedIds[f] = gone;
  }
  return { delta, removedIds };
}
const ROW_ID = /^\{"sourcedId":("(?:[^"\\]|\\.)*")/;
/**
 * The previous run's rows as a digest of each one's JSON text per sourcedId (compact; compared
 * with this run's digests), plus the classes' titles, which the summary compares.
 */
async function decodeRows(b: Uint8Array): Promise<PublishedRows> {
  const digests = Object.fromEntries(ONEROSTER_FILES.map((f) => [f, new Map<string, string>()])) as PublishedRows['digests'];
  const classTitles = new Map<string, string>();
  for await (const line of ndjsonLines(b, (h) => h === ROWS_FORMAT)) {
    const tab = line.indexOf('\t');
    const json = line.slice(tab + 1);
    const id = ROW_ID.exec(json)?.[1];
    if (!id) continue;
    const f = JSON.parse(line.slice(0, tab)) as OneRosterFile;
    const map = digests[f];
    if (!map) continue;
    const sourcedId = JSON.parse(id) as string;
    map.set(sourcedId, rowDigest(json));
    if (f === 'classes.csv') classTitles.set(sourcedId, (JSON.parse(json) as Row).title!);
  }
  return { digests, classTitles };
}
/** The removed rows, read back from the stored state in its order (the order they were published in). */
async function readRemoved(b: Uint8Array, delta: OneRosterDelta, removedIds: Record<OneRosterFile, Set<string>>): Promise<void> {
  if (ONEROSTER_FILES.every((f) => removedIds[f].size === 0)) return;
  for await (const line of ndjsonLines(b, (h) => h === ROWS_FORMAT)) {
    const tab = line.indexOf('\t');
    const json = line.slice(tab + 1);
    const id = ROW_ID.exec(json)?.[1];
    if (!id) continue;
    const f = JSON.parse(line.slice(0, tab)) as OneRosterFile;
    if (removedIds[f]?.has(JSON.parse(id) as string)) delta[f].removed.push(JSON.parse(json) as Row);
  }
}

/** A source client for one customer's configuration. */
export function sourceClientFor(c: CustomerConfig, deps: ReadoutDeps): SourceClient {
  return new SourceClient({ ...c.source, clientSecret: resolveSecret(c.source.clientSecret, deps.env), clock: deps.clock, sleep: deps.sleep, fetch: deps.fetch });
}

function summarise(d: OneRosterDelta, previous: PublishedRows | undefined): DeltaSummary {
  const classes = d['classes.csv'];
  const renamed = classes.updated.filter((r) => {
    const titles = previous?.classTitles;
    return !titles?.has(r.sourcedId!) || titles.get(r.sourcedId!) !== r.title;
  }).length;
  return {
    firstRun: !previous,
    teams: { created: classes.added.length, renamed, updated: classes.updated.length - renamed, removed: classes.removed.length },
    memberships: { added: d['enrollments.csv'].added.length, removed: d['enrollments.csv'].removed.length },
    people: { added: d['users.csv'].added.length, updated: d['users.csv'].updated.length, removed: d['users.csv'].removed.length },
    schools: { added: d['orgs.csv'].added.length, updated: d['orgs.csv'].updated.length, removed: d['orgs.csv'].removed.length },
  };
}

async function writeSet(dir: string, files: Record<string, CsvTable>): Promise<Record<string, number>> {
  await mkdir(dir, { recursive: true });
  const counts: Record<string, number> = {};
  for (const [name, table] of Object.entries(files)) {
    writeCsvFile(join(dir, name), table);
    counts[name] = table.rows.length;
  }
  return counts;
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
  for (const n of (await readdir(runsDir)).filter((x) => x.startsWith('.staging-'))) await rm(join(runsDir, n), { recursive: true, force: true });
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

/** Another run of the same customer holds the slot. */
export class ReadoutBusyError extends Error {}

/** The rules applied to a snapshot for a customer at the clock's current local date. */
export function applyRules(c: CustomerConfig, snapshot: Snapshot, now: Date, keepDecisions = true): SelectResult & { today: string } {
  const today = localDay(now, c.timeZone);
  return {
    today,
    ...select(snapshot, {
      today,
      toleranceDays: c.toleranceDays,
      municipalityCode: c.municipalityCode,
      schoolTypes: c.schoolTypes,
      exportAddress: c.exportAddress,
      exportCivicNo: c.exportCivicNo,
      keepDecisions,
    }),
  };
}

export async function runReadout(c: CustomerConfig, deps: ReadoutDeps, opts: RunOptions = {}): Promise<RunResult> {
  const { db, clock } = deps;
  const t0 = performance.now();
  const startedAt = clock.now();
  const runId = await startRun(db, c.key, opts.trigger ?? 'cli', startedAt);
  const runsDir = join(c.outputDir, 'runs');
  const staging = join(runsDir, `.staging-${runId}`);
  try {
    const state = await db.selectFrom('readout_state').selectAll().where('customer_key', '=', c.key).executeTakeFirst();
    let previousSnapshot: Snapshot | undefined;
    try {
      if (state && !opts.full) previousSnapshot = await decodeSnapshot(state.source_snapshot, optInOf(c));
    } catch (e) {
      if (!(e instanceof StateFormatError)) throw e;
      // The opt-ins changed since the last run: the stored source lacks (or holds too much); read it all.
    }
    if (state) state.source_snapshot = new Uint8Array(0); // decoded (or unusable): the compressed copy can go
    const phase = deps.onPhase ?? (() => {});
    phase('state loaded');
    const client = sourceClientFor(c, deps);
    const stats = new ParseStats();
    const fetchStartedAt = clock.now();

    // 1. Read the source.
    let mode: 'full' | 'incremental' = 'full';
    let fallbackReason: string | undefined;
    let snapshot: Snapshot | undefined;
    let changed: Record<string, number> | undefined;
    let deleted: Record<string, number> | undefined;
    if (state && previousSnapshot) {
      const inc = await fetchIncremental(client, stats, previousSnapshot, new Date(new Date(state.source_watermark).getTime() - c.source.modifiedOverlapSeconds * 1000), optInOf(c));
      if (inc) {
        mode = 'incremental';
        snapshot = inc.snapshot;
        changed = inc.changed;
        deleted = inc.deleted;
      } else {
        fallbackReason = 'the source does not support meta.modified.after or /deletedEntities: full read and diff';
        previousSnapshot = undefined; // half-updated and no longer needed: let it go before the full read
      }
    } else if (!state) fallbackReason = 'first run for this customer';
    else if (opts.full) fallbackReason = 'full read requested';
    else fallbackReason = 'address or civic number opt-in changed since the last run';
    snapshot ??= await fetchFull(client, stats, optInOf(c));
    const t1 = performance.now();
    phase('fetched');

    // 2. Rules, files, delta.
    let sel: (SelectResult & { today: string }) | undefined = applyRules(c, snapshot, clock.now(), false);
    // The source records are needed again only as next run's base: keep them compressed from here
    // on, so that the memory they take is free for the files (the biggest saving on a big world).
    phase('rules applied');
    const snapshotBlob = encodeSnapshot(snapshot, optInOf(c), true);
    snapshot = undefined;
    previousSnapshot = undefined;
    phase('snapshot encoded');
    const name = `${startedAt.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${runId}`;
    await rm(staging, { recursive: true, force: true });
    const files: Record<string, number> = {};
    // SDS first: its tables can be collected before the OneRoster rows and the previous state are built.
    if (c.formats.includes('sds')) Object.assign(files, prefix('sds/', await writeSet(join(staging, 'sds'), sdsTables(sel.selection))));
    phase('sds written');
    let rows: OneRosterRows | undefined = oneRosterRows(sel.selection);
    // The selection itself is needed from here only for its sizes, in the report.
    const output = { schools: sel.selection.schools.length, people: sel.selection.people.length, teams: sel.selection.teams.length, memberships: sel.selection.memberships.length, files };
    sel.selection = undefined as never;
    phase('oneroster rows built');
    let previousRows: PublishedRows | undefined;
    try {
      if (state) previousRows = await decodeRows(state.published_rows);
    } catch (e) {
      if (!(e instanceof StateFormatError)) throw e; // written by an older version: everything counts as new
    }
    phase('previous rows decoded');
    const diff = diffRows(rows, previousRows);
    let delta: OneRosterDelta | undefined = diff.delta;
    if (state && previousRows) await readRemoved(state.published_rows, delta, diff.removedIds);
    phase('delta computed');
    if (c.formats.includes('oneroster')) {
      Object.assign(files, prefix('oneroster/', await writeSet(join(staging, 'oneroster'), oneRosterBulk(rows))));
      Object.assign(files, prefix('oneroster-delta/', await writeSet(join(staging, 'oneroster-delta'), oneRosterDeltaFiles(delta, clock.now().toISOString()))));
    }
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
      delta: summarise(delta, previousRows),
      source: { ...client.stats, changed, deleted },
      unknownEnums: Object.fromEntries(stats.unknownEnums),
      skippedRecords: Object.fromEntries(stats.skipped),
      warnings: sel.warnings.slice(0, 200).concat(sel.warnings.length > 200 ? [`… and ${sel.warnings.length - 200} more warnings`] : []),
    };
    // Only the report and the two state blobs are needed from here: let the rest go before the
    // database write, which holds the blobs a second and third time (hex text, wire message).
    const rowsBlob = encodeRows(rows);
    sel = undefined;
    rows = undefined;
    delta = undefined;
    previousRows = undefined;
    diff.delta = undefined as never;
    await writeFile(join(staging, 'report.json'), JSON.stringify(report, null, 2) + '\n', 'utf8');

    // 3. Publish: state, run record and the symlink swap succeed or fail together.
    const outputPath = join(runsDir, name);
    await db.transaction().execute(async (trx) => {
      const values = {
        last_run_id: runId,
        source_watermark: fetchStartedAt,
        source_snapshot: snapshotBlob,
        published_rows: rowsBlob,
        updated_at: finishedAt,
      };
      await trx
        .insertInto('readout_state')
        .values({ customer_key: c.key, ...values })
        .onConflict((oc) => oc.column('customer_key').doUpdateSet(values))
        .execute();
      await trx
        .updateTable('readout_runs')
        .set({ status: 'succeeded', mode, finished_at: finishedAt, counts: JSON.stringify({ ...report.counts, delta: report.delta }), report: JSON.stringify(report), output_path: outputPath })
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
  }
}

function prefix(p: string, o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [p + k, v]));
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
