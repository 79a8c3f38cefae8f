import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { z } from 'zod';
import type { Queryable } from '../../context.ts';
import { ApiError } from '../../http/errors.ts';
import { recordAudit } from '../audit/record.ts';
import { canonical, type IngestionActor } from '../ss12000/ingest.ts';
import { droppedMembers } from './ingestion.ts';

/**
 * What the ingestion services of the data APIs beside SS 12000 (pre-enrolments, boarders, invoices)
 * share: the first pass over a batch, its refusal, the lock and the load's audit row. Each service
 * adds its own reference checks and writes its own table between them.
 */

/** One refused record of a batch, as the SS 12000 ingestion reports them. */
export interface BatchProblem {
  index: number;
  field: string;
  code: string;
  message: string;
}

/** A data API's ingestion batch: records to create or replace by id, ids to delete. */
export interface DataBatch {
  upsert?: unknown[] | undefined;
  delete?: string[] | undefined;
}

/** What loading a batch did. */
export interface DataLoad {
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
  noChange: boolean;
  /** Members the schema does not know, dropped (never stored, never served), per path, with how many records had them. */
  unknownMembers: Record<string, number>;
}

/** A record of the batch that parsed: normalised, its canonical body (what is stored) and its digest, and its index in `upsert`. */
export interface ParsedRecord<T> {
  record: T;
  body: string;
  hash: string;
  index: number;
}

/** Problems listed in a refusal; the count says how many there were. */
const MAX_REPORTED = 200;
/** The SS 12000 load's advisory lock: one load of school data at a time (the data APIs refer to its persons and institutions). */
const INGEST_LOCK = 727364;

/**
 * The first pass over a batch: each upserted record parsed by `schema` and normalised (`normalise`:
 * ids in lower case), its canonical body and digest, and the members parsing dropped. A record that
 * does not parse, holds a NUL (PostgreSQL's jsonb cannot: refused here, named, rather than failing
 * the transaction), repeats an id, or is both upserted and deleted is a problem.
 */
export function parseBatch<I, T extends { id: string }>(
  batch: DataBatch,
  schema: z.ZodType<I>,
  normalise: (input: I) => T,
): { records: ParsedRecord<T>[]; problems: BatchProblem[]; unknownMembers: Record<string, number>; deleting: Set<string> } {
  const problems: BatchProblem[] = [];
  const records: ParsedRecord<T>[] = [];
  const unknownMembers: Record<string, number> = {};
  const ids = new Set<string>();
  const deleting = new Set((batch.delete ?? []).map((id) => id.toLowerCase()));
  (batch.upsert ?? []).forEach((raw, index) => {
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues.slice(0, 5)) {
        problems.push({ index, field: ['upsert', index, ...issue.path].join('.'), code: issue.code, message: issue.message });
      }
      return;
    }
    const record = normalise(parsed.data);
    droppedMembers(raw, parsed.data, unknownMembers);
    const body = canonical(record);
    if (body.includes('\\u0000')) {
      problems.push({ index, field: `upsert.${index}`, code: 'nul_character', message: 'A text contains the NUL character (U+0000), which cannot be stored.' });
      return;
    }
    if (ids.has(record.id)) problems.push({ index, field: `upsert.${index}.id`, code: 'duplicate_id', message: `${record.id} appears twice.` });
    else if (deleting.has(record.id))
      problems.push({ index, field: `upsert.${index}.id`, code: 'upsert_and_delete', message: `${record.id} is both upserted and deleted.` });
    ids.add(record.id);
    records.push({ record, body, hash: createHash('sha256').update(body).digest('base64url'), index });
  });
  return { records, problems, unknownMembers, deleting };
}

/** Refuses the whole batch when it has problems: a 400 `invalid_batch` listing them by record index and field. */
export function refuseProblems(problems: BatchProblem[]): void {
  if (!problems.length) return;
  problems.sort((a, b) => a.index - b.index);
  const shown = problems.slice(0, MAX_REPORTED);
  throw new ApiError(400, 'invalid_batch', `${problems.length} problem(s) in the batch; nothing was loaded.`, {
    field: shown[0]!.field,
    problemCount: problems.length,
    errors: shown,
  });
}

/** Takes the load lock inside the load's transaction: one load of school data at a time. */
export async function lockLoad(trx: Queryable): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${INGEST_LOCK})`.execute(trx);
}

/** Settles `result.noChange` and, when something changed, writes the load's audit row in its transaction. */
export async function recordLoad(
  trx: Queryable,
  now: Date,
  who: IngestionActor,
  what: { subjectType: string; entity: string },
  result: DataLoad,
): Promise<void> {
  result.noChange = result.created + result.updated + result.deleted === 0;
  if (result.noChange) return;
  await recordAudit(trx, now, who, {
    action: 'ss12000.data_loaded',
    subjectType: what.subjectType,
    subjectId: 'store',
    clientId: who.clientId ?? null,
    after: {
      created: { [what.entity]: result.created },
      updated: { [what.entity]: result.updated },
      deleted: { [what.entity]: result.deleted },
    },
  });
}
