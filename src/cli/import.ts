import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { loadConfig } from '../config.ts';
import { closeContext, createContext } from '../runtime.ts';
import { ApiError } from '../http/errors.ts';
import { ingestPreEnrolments, type PreEnrolmentBatch } from '../modules/pre-enrolments/ingest.ts';
import { preEnrolmentBatchSchema } from '../modules/pre-enrolments/schemas.ts';
import { ingestBatch, type IngestionProblem } from '../modules/ss12000/ingest.ts';
import { entityTypes, type EntityType, type IngestionBatch } from '../modules/ss12000/schemas.ts';

const USAGE = `Usage: schoolgate import FILE [FILE…]
       schoolgate import --pre-enrolments FILE [FILE…]

Loads SS 12000 JSON into the store, all files as one all-or-nothing batch. A file may be
  - a batch: {"upsert": {"persons": [...], ...}, "delete": {"groups": ["<id>", ...]}}
  - collections: {"organisations": [...], "persons": [...], ...} (what \`schoolgate generate\` writes)
  - one API page or array: {"data": [...]} or [...] in a file named after its collection (persons.json).
With --pre-enrolments, loads pre-enrolments (Voorinschrijvingen) instead, all files as one
all-or-nothing batch, in the format of POST /api/v1/ingestion/pre-enrolments:
  {"upsert": [<pre-enrolment>, ...], "delete": ["<id>", ...]}, or an array of pre-enrolments.
Loading the same data again changes nothing.`;

/** One file's JSON; a missing, unreadable or invalid file is one line naming it (the CLI prints it as is). */
function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      `${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a file' : `cannot be read (${code ?? 'error'})`}`,
      { cause: error },
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new Error(`${file}: is not valid JSON (truncated or damaged?): ${(error as Error).message}`, { cause: error });
  }
}

/** Reads SS 12000 JSON files into one ingestion batch. */
export function readBatch(files: string[]): IngestionBatch {
  const batch: Required<IngestionBatch> = { upsert: {}, delete: {} };
  const add = (type: EntityType, records: unknown[]) => {
    (batch.upsert[type] ??= []).push(...records);
  };
  for (const file of files) {
    const json = readJson(file);
    const fromName = basename(file)
      .replace(/\.json$/i, '')
      .toLowerCase() as EntityType;
    if (Array.isArray(json) || (json && typeof json === 'object' && Array.isArray((json as { data?: unknown }).data))) {
      if (!entityTypes.includes(fromName)) throw new Error(`${file}: name the file after its collection (${entityTypes.join(', ')}).json`);
      add(fromName, Array.isArray(json) ? json : (json as { data: unknown[] }).data);
      continue;
    }
    if (!json || typeof json !== 'object') throw new Error(`${file}: not an SS 12000 JSON object`);
    const obj = json as Record<string, unknown>;
    const source = (obj.upsert ?? obj) as Record<string, unknown>;
    for (const [key, value] of Object.entries(source)) {
      if (key === 'delete' || key === 'upsert') continue;
      if (!entityTypes.includes(key as EntityType) || !Array.isArray(value)) throw new Error(`${file}: unknown collection "${key}"`);
      add(key as EntityType, value);
    }
    for (const [key, value] of Object.entries((obj.delete ?? {}) as Record<string, unknown>)) {
      if (!entityTypes.includes(key as EntityType) || !Array.isArray(value)) throw new Error(`${file}: unknown collection "${key}" in delete`);
      (batch.delete[key as EntityType] ??= []).push(...(value as string[]));
    }
  }
  return batch;
}

/** Where each record of a merged pre-enrolment batch came from: its file and its index there. */
interface Origin {
  file: string;
  index: number;
}

/** A pre-enrolment batch read from files, with each record's and each deleted id's origin. */
interface PreEnrolmentFiles {
  batch: Required<PreEnrolmentBatch>;
  upserts: Origin[];
  deletes: Origin[];
}

/** The first NUL or lone surrogate in a JSON value's strings or keys (PostgreSQL stores neither), with its path. */
function badText(value: unknown, path: string): string | null {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) return `${path}: contains a NUL character`;
    if (/\p{Surrogate}/u.test(value)) return `${path}: contains an invalid code point (a lone surrogate)`;
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      const at = path ? `${path}.${key}` : key;
      const found = badText(key, at) ?? badText(v, at);
      if (found) return found;
    }
  }
  return null;
}

/** A place in a batch as a person finds it in the file: "upsert item 3, child.givenName". */
function placeOf(path: readonly PropertyKey[]): string {
  const [list, index, ...rest] = path.map(String);
  if ((list === 'upsert' || list === 'delete') && index !== undefined && /^\d+$/.test(index)) {
    return `${list} item ${Number(index) + 1}${rest.length ? `, ${rest.join('.')}` : ''}`;
  }
  return path.map(String).join('.');
}

/**
 * Reads pre-enrolment batch files (the ingestion endpoint's body, or an array of records) into one
 * batch. A file that is not one is refused in one line naming the file and the place in it.
 */
export function readPreEnrolmentBatch(files: string[]): PreEnrolmentFiles {
  const out: PreEnrolmentFiles = { batch: { upsert: [], delete: [] }, upserts: [], deletes: [] };
  for (const file of files) {
    const json = readJson(file);
    const parsed = preEnrolmentBatchSchema.safeParse(Array.isArray(json) ? { upsert: json } : json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const what =
        issue.code === 'invalid_type' && issue.path.length === 0
          ? 'not a pre-enrolment batch ({"upsert": [...], "delete": [...]}) nor an array of pre-enrolments'
          : issue.message;
      throw new Error(`${file}: ${issue.path.length ? `${placeOf(issue.path)}: ` : ''}${what}`);
    }
    for (const [index, record] of (parsed.data.upsert ?? []).entries()) {
      const bad = badText(record, '');
      if (bad) throw new Error(`${file}: upsert item ${index + 1}, ${bad}`);
      out.batch.upsert.push(record);
      out.upserts.push({ file, index });
    }
    (parsed.data.delete ?? []).forEach((id, index) => {
      out.batch.delete.push(id);
      out.deletes.push({ file, index });
    });
  }
  return out;
}

/**
 * `schoolgate import --pre-enrolments FILE…`: one all-or-nothing batch through the ingestion's own
 * service (one transaction, its audit row, the deletions feed). A refused record is one line naming
 * its file, its place there and the field; nothing is loaded then.
 */
async function importPreEnrolments(files: string[]): Promise<number> {
  let read: PreEnrolmentFiles;
  try {
    read = readPreEnrolmentBatch(files);
  } catch (error) {
    console.error(`schoolgate import: ${(error as Error).message}`);
    return 2;
  }
  const ctx = await createContext(loadConfig(), { workers: false });
  try {
    const started = Date.now();
    const result = await ingestPreEnrolments(ctx, read.batch, { id: null, label: 'schoolgate import', kind: 'system' });
    console.log(`pre-enrolments: created ${result.created}, updated ${result.updated}, unchanged ${result.unchanged}, deleted ${result.deleted}`);
    const ignored = Object.entries(result.unknownMembers);
    if (ignored.length) console.log(`ignored members (not in the schema): ${ignored.map(([path, n]) => `${path} (${n})`).join(', ')}`);
    console.log(result.noChange ? 'Nothing changed.' : `Loaded in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    return 0;
  } catch (error) {
    if (error instanceof ApiError && error.code === 'invalid_batch') {
      // "upsert.3.child.givenName" of the merged batch → the file, "item 4" of its list, the field.
      for (const p of (error.details.errors as { index: number; field: string; message: string }[]) ?? []) {
        const [list = 'upsert', , ...field] = p.field.split('.');
        const origin = (list === 'delete' ? read.deletes : read.upserts)[p.index];
        const where = origin ? `${origin.file}: ${list} item ${origin.index + 1}` : 'the batch';
        console.error(`schoolgate import: ${where}, ${field.join('.') || 'id'}: ${p.message}`);
      }
      const more = Number(error.details.problemCount ?? 0) - ((error.details.errors as unknown[]) ?? []).length;
      if (more > 0) console.error(`schoolgate import: ${more} more problem(s); nothing was loaded.`);
      return 1;
    }
    throw error;
  } finally {
    await closeContext(ctx);
  }
}

/** `schoolgate import FILE…`: validates and loads SS 12000 JSON; exit code 1 with the bad records listed. */
export async function run(args: string[]): Promise<number> {
  if (!args.length || args.includes('--help')) {
    console.log(USAGE);
    return args.length ? 0 : 2;
  }
  if (args.includes('--pre-enrolments')) {
    const files = args.filter((a) => a !== '--pre-enrolments');
    if (!files.length) {
      console.error(USAGE);
      return 2;
    }
    return importPreEnrolments(files);
  }
  let batch: IngestionBatch;
  try {
    batch = readBatch(args);
  } catch (error) {
    console.error(`schoolgate import: ${(error as Error).message}`);
    return 2;
  }
  const ctx = await createContext(loadConfig(), { workers: false });
  try {
    const started = Date.now();
    const result = await ingestBatch(ctx, batch, { id: null, label: 'schoolgate import', kind: 'system' });
    const line = (name: string, counts: Partial<Record<string, number>>) =>
      `${name}: ${
        Object.entries(counts)
          .filter(([, n]) => n)
          .map(([k, n]) => `${k} ${n}`)
          .join(', ') || 'none'
      }`;
    console.log(
      [line('created', result.created), line('updated', result.updated), line('unchanged', result.unchanged), line('deleted', result.deleted)].join('\n'),
    );
    console.log(result.noChange ? 'Nothing changed.' : `Loaded in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    return 0;
  } catch (error) {
    if (error instanceof ApiError && error.code === 'invalid_batch') {
      console.error(error.message);
      for (const p of (error.details.errors as IngestionProblem[]) ?? []) console.error(`  ${p.field}: ${p.message} [${p.code}]`);
      return 1;
    }
    throw error;
  } finally {
    await closeContext(ctx);
  }
}
