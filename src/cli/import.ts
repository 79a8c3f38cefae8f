import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { loadConfig } from '../config.ts';
import { closeContext, createContext } from '../runtime.ts';
import { ApiError } from '../http/errors.ts';
import type { z } from 'zod';
import { ingestBoarders } from '../modules/boarders/ingest.ts';
import { boarderBatchSchema } from '../modules/boarders/schemas.ts';
import { ingestInvoices } from '../modules/invoices/ingest.ts';
import { invoiceBatchSchema } from '../modules/invoices/schemas.ts';
import { ingestPreEnrolments } from '../modules/pre-enrolments/ingest.ts';
import { preEnrolmentBatchSchema } from '../modules/pre-enrolments/schemas.ts';
import { ingestBatch, type IngestionActor, type IngestionProblem } from '../modules/ss12000/ingest.ts';
import type { AppContext } from '../context.ts';
import type { DataLoad } from '../modules/data-api/batch.ts';
import { entityTypes, type EntityType, type IngestionBatch } from '../modules/ss12000/schemas.ts';

const USAGE = `Usage: schoolgate import FILE [FILE…]
       schoolgate import --pre-enrolments|--boarders|--invoices FILE [FILE…]

Loads SS 12000 JSON into the store, all files as one all-or-nothing batch. A file may be
  - a batch: {"upsert": {"persons": [...], ...}, "delete": {"groups": ["<id>", ...]}}
  - collections: {"organisations": [...], "persons": [...], ...} (what \`schoolgate generate\` writes)
  - one API page or array: {"data": [...]} or [...] in a file named after its collection (persons.json).
With --pre-enrolments (Voorinschrijvingen), --boarders (Internen) or --invoices (Rekeningen), loads
that data API's records instead, all files as one all-or-nothing batch, in the format of its
ingestion endpoint (POST /api/v1/ingestion/pre-enrolments, …/boarders, …/invoices):
  {"upsert": [<record>, ...], "delete": ["<id>", ...]}, or an array of records.
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

/** Where each record of a merged data-API batch came from: its file and its index there. */
interface Origin {
  file: string;
  index: number;
}

/** A data-API batch read from files, with each record's and each deleted id's origin. */
interface BatchFiles {
  batch: { upsert: unknown[]; delete: string[] };
  upserts: Origin[];
  deletes: Origin[];
}

/** A data API beside SS 12000 that `schoolgate import --<flag>` loads through its ingestion service. */
interface DataApiImport {
  flag: string;
  /** What a record is called, plural, in the result line. */
  plural: string;
  /** What a record is called, singular, in the refusal of a file that is no batch. */
  singular: string;
  schema: z.ZodType<{ upsert?: unknown[] | undefined; delete?: string[] | undefined }>;
  ingest: (ctx: AppContext, batch: { upsert: unknown[]; delete: string[] }, who: IngestionActor) => Promise<DataLoad>;
}

/** The data APIs the CLI loads, each with its ingestion endpoint's batch format and service. */
const DATA_APIS: DataApiImport[] = [
  { flag: '--pre-enrolments', plural: 'pre-enrolments', singular: 'pre-enrolment', schema: preEnrolmentBatchSchema, ingest: ingestPreEnrolments },
  { flag: '--boarders', plural: 'boarders', singular: 'boarder', schema: boarderBatchSchema, ingest: ingestBoarders },
  { flag: '--invoices', plural: 'invoices', singular: 'invoice', schema: invoiceBatchSchema, ingest: ingestInvoices },
];

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
 * Reads a data API's batch files (its ingestion endpoint's body, or an array of records) into one
 * batch. A file that is not one is refused in one line naming the file and the place in it.
 */
function readDataApiBatch(api: DataApiImport, files: string[]): BatchFiles {
  const out: BatchFiles = { batch: { upsert: [], delete: [] }, upserts: [], deletes: [] };
  for (const file of files) {
    const json = readJson(file);
    const parsed = api.schema.safeParse(Array.isArray(json) ? { upsert: json } : json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const what =
        issue.code === 'invalid_type' && issue.path.length === 0
          ? `not a ${api.singular} batch ({"upsert": [...], "delete": [...]}) nor an array of ${api.plural}`
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
 * `schoolgate import --pre-enrolments|--boarders|--invoices FILE…`: one all-or-nothing batch through
 * the ingestion's own service (one transaction, its audit row, the deletions feed). A file that is
 * not a batch is refused before the database opens (exit 2); a record the service refuses is one
 * line naming its file, its place there and the field, and nothing is loaded (exit 1).
 */
async function importDataApi(api: DataApiImport, files: string[]): Promise<number> {
  let read: BatchFiles;
  try {
    read = readDataApiBatch(api, files);
  } catch (error) {
    console.error(`schoolgate import: ${(error as Error).message}`);
    return 2;
  }
  const ctx = await createContext(loadConfig(), { workers: false });
  try {
    const started = Date.now();
    const result = await api.ingest(ctx, read.batch, { id: null, label: 'schoolgate import', kind: 'system' });
    console.log(`${api.plural}: created ${result.created}, updated ${result.updated}, unchanged ${result.unchanged}, deleted ${result.deleted}`);
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
        console.error(`schoolgate import: ${where}, ${field.join('.') || (list === 'delete' ? 'id' : 'record')}: ${p.message}`);
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
  const apis = DATA_APIS.filter((api) => args.includes(api.flag));
  if (apis.length > 1) {
    console.error(`schoolgate import: one of ${DATA_APIS.map((a) => a.flag).join(', ')} at a time (each is its own batch)`);
    return 2;
  }
  if (apis[0]) {
    const files = args.filter((a) => a !== apis[0]!.flag);
    if (!files.length) {
      console.error(USAGE);
      return 2;
    }
    return importDataApi(apis[0], files);
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
