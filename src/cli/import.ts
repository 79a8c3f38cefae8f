import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { loadConfig } from '../config.ts';
import { closeContext, createContext } from '../runtime.ts';
import { ApiError } from '../http/errors.ts';
import { ingestBatch, type IngestionProblem } from '../modules/ss12000/ingest.ts';
import { entityTypes, type EntityType, type IngestionBatch } from '../modules/ss12000/schemas.ts';

const USAGE = `Usage: schoolgate import FILE [FILE…]

Loads SS 12000 JSON into the store, all files as one all-or-nothing batch. A file may be
  - a batch: {"upsert": {"persons": [...], ...}, "delete": {"groups": ["<id>", ...]}}
  - collections: {"organisations": [...], "persons": [...], ...} (what \`schoolgate generate\` writes)
  - one API page or array: {"data": [...]} or [...] in a file named after its collection (persons.json).
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

/** `schoolgate import FILE…`: validates and loads SS 12000 JSON; exit code 1 with the bad records listed. */
export async function run(args: string[]): Promise<number> {
  if (!args.length || args.includes('--help')) {
    console.log(USAGE);
    return args.length ? 0 : 2;
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
