import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { AppContext } from '../../context.ts';
import { ApiError } from '../../http/errors.ts';
import { recordAudit } from '../audit/record.ts';
import { droppedMembers } from '../data-api/ingestion.ts';
import { canonical, type IngestionActor } from '../ss12000/ingest.ts';
import { BOARDER_ENTITY } from './release.ts';
import { boarderInput, type BoarderInput } from './schemas.ts';

/** One refused record of a batch, as the SS 12000 ingestion reports them. */
interface Problem {
  index: number;
  field: string;
  code: string;
  message: string;
}

export interface BoarderBatch {
  upsert?: unknown[] | undefined;
  delete?: string[] | undefined;
}

export interface BoarderLoad {
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
  noChange: boolean;
  unknownMembers: Record<string, number>;
}

const MAX_REPORTED = 200;
/** The SS 12000 load's advisory lock: one load of school data at a time (a boarder refers to its persons). */
const INGEST_LOCK = 727364;

type Parsed = { record: BoarderInput; body: string; index: number };

/**
 * Loads a batch of boarders: validates all of it first (nothing is kept if any record is bad: a 400
 * listing the records by index and field — an unknown institution, a person the SS 12000 store does
 * not have, a text PostgreSQL cannot store), then upserts and deletes in one transaction with one
 * audit row. A record identical to the stored one (same digest) is left alone, so loading a batch
 * again changes nothing and bumps no `meta.modified`. A deleted record goes to the deletions feed
 * with its institution, and so does a record that moved to another institution, for the first one.
 */
export async function ingestBoarders(ctx: AppContext, batch: BoarderBatch, who: IngestionActor): Promise<BoarderLoad> {
  const problems: Problem[] = [];
  const records: Parsed[] = [];
  const unknownMembers: Record<string, number> = {};
  const ids = new Set<string>();
  const deleting = new Set((batch.delete ?? []).map((id) => id.toLowerCase()));
  (batch.upsert ?? []).forEach((raw, index) => {
    const parsed = boarderInput.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues.slice(0, 5)) {
        problems.push({ index, field: ['upsert', index, ...issue.path].join('.'), code: issue.code, message: issue.message });
      }
      return;
    }
    const record = { ...parsed.data, id: parsed.data.id.toLowerCase(), person: { id: parsed.data.person.id.toLowerCase() } };
    droppedMembers(raw, parsed.data, unknownMembers);
    const body = canonical(record);
    // PostgreSQL's jsonb cannot hold U+0000: refused here, named, rather than failing the transaction.
    if (body.includes('\\u0000')) {
      problems.push({ index, field: `upsert.${index}`, code: 'nul_character', message: 'A text contains the NUL character (U+0000), which cannot be stored.' });
      return;
    }
    if (ids.has(record.id)) problems.push({ index, field: `upsert.${index}.id`, code: 'duplicate_id', message: `${record.id} appears twice.` });
    else if (deleting.has(record.id))
      problems.push({ index, field: `upsert.${index}.id`, code: 'upsert_and_delete', message: `${record.id} is both upserted and deleted.` });
    ids.add(record.id);
    records.push({ record, body, index });
  });
  const numbers = [...new Set(records.map((r) => r.record.institution.institutionNumber))];
  const knownInstitutions = new Set(
    numbers.length
      ? (await ctx.db.selectFrom('institutions').select('number').where('number', 'in', numbers).where('sandbox', '=', false).execute()).map((r) => r.number)
      : [],
  );
  const personIds = [...new Set(records.map((r) => r.record.person.id))];
  const knownPersons = new Set(
    personIds.length
      ? (
          await ctx.db
            .selectFrom('ss12000_persons')
            .select('id')
            .where('id', '=', sql<string>`ANY(${personIds}::uuid[])`)
            .execute()
        ).map((r) => r.id)
      : [],
  );
  for (const { record, index } of records) {
    if (!knownInstitutions.has(record.institution.institutionNumber)) {
      problems.push({
        index,
        field: `upsert.${index}.institution.institutionNumber`,
        code: 'unknown_reference',
        message: `No institution ${record.institution.institutionNumber} (import it first).`,
      });
    }
    if (!knownPersons.has(record.person.id)) {
      problems.push({
        index,
        field: `upsert.${index}.person.id`,
        code: 'unknown_reference',
        message: `No person ${record.person.id} in the SS 12000 store (load the person first).`,
      });
    }
  }
  if (problems.length) {
    problems.sort((a, b) => a.index - b.index);
    const shown = problems.slice(0, MAX_REPORTED);
    throw new ApiError(400, 'invalid_batch', `${problems.length} problem(s) in the batch; nothing was loaded.`, {
      field: shown[0]!.field,
      problemCount: problems.length,
      errors: shown,
    });
  }

  const now = ctx.clock.now();
  const result: BoarderLoad = { created: 0, updated: 0, unchanged: 0, deleted: 0, noChange: true, unknownMembers };
  await ctx.db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${INGEST_LOCK})`.execute(trx);
    // A stay that moves to another institution is gone from the first one's point of view: its
    // readers learn it from the deletions feed, as if it had been deleted there.
    const loading = records.map((r) => r.record.id);
    const before = new Map(
      loading.length
        ? (
            await trx
              .selectFrom('boarders')
              .select(['id', 'institution_number'])
              .where('id', '=', sql<string>`ANY(${loading}::uuid[])`)
              .execute()
          ).map((r) => [r.id, r.institution_number] as const)
        : [],
    );
    for (const { record } of records) {
      const was = before.get(record.id);
      if (was !== undefined && was !== record.institution.institutionNumber) {
        await trx.insertInto('boarder_deletions').values({ id: record.id, institution_number: was, deleted_at: now }).execute();
      }
    }
    for (const { record, body } of records) {
      const hash = createHash('sha256').update(body).digest('base64url');
      const row = await trx
        .insertInto('boarders')
        .values({
          id: record.id,
          institution_number: record.institution.institutionNumber,
          person_id: record.person.id,
          start_date: record.startDate,
          end_date: record.endDate ?? null,
          body,
          hash,
          created_at: now,
          modified_at: now,
        })
        .onConflict((oc) =>
          oc
            .column('id')
            .doUpdateSet({
              institution_number: (eb) => eb.ref('excluded.institution_number'),
              person_id: (eb) => eb.ref('excluded.person_id'),
              start_date: (eb) => eb.ref('excluded.start_date'),
              end_date: (eb) => eb.ref('excluded.end_date'),
              body: (eb) => eb.ref('excluded.body'),
              hash: (eb) => eb.ref('excluded.hash'),
              modified_at: (eb) => eb.ref('excluded.modified_at'),
            })
            .where(sql<boolean>`boarders.hash <> excluded.hash`),
        )
        .returning(sql<boolean>`(xmax = 0)`.as('inserted'))
        .executeTakeFirst();
      if (!row) result.unchanged++;
      else if (row.inserted) result.created++;
      else result.updated++;
    }
    for (const id of deleting) {
      const gone = await trx.deleteFrom('boarders').where('id', '=', id).returning('institution_number').executeTakeFirst();
      if (!gone) continue;
      await trx.insertInto('boarder_deletions').values({ id, institution_number: gone.institution_number, deleted_at: now }).execute();
      result.deleted++;
    }
    result.noChange = result.created + result.updated + result.deleted === 0;
    if (!result.noChange) {
      await recordAudit(trx, now, who, {
        action: 'ss12000.data_loaded',
        subjectType: 'boarders',
        subjectId: 'store',
        clientId: who.clientId ?? null,
        after: {
          created: { [BOARDER_ENTITY]: result.created },
          updated: { [BOARDER_ENTITY]: result.updated },
          deleted: { [BOARDER_ENTITY]: result.deleted },
        },
      });
    }
  });
  return result;
}
