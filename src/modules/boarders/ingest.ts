import { sql } from 'kysely';
import type { AppContext } from '../../context.ts';
import { lockLoad, parseBatch, recordLoad, refuseProblems, type DataBatch, type DataLoad } from '../data-api/batch.ts';
import type { IngestionActor } from '../ss12000/ingest.ts';
import { BOARDER_ENTITY } from './release.ts';
import { boarderInput } from './schemas.ts';

export type BoarderBatch = DataBatch;
export type BoarderLoad = DataLoad;

/**
 * Loads a batch of boarders: validates all of it first (nothing is kept if any record is bad: a 400
 * listing the records by index and field — an unknown institution, a person the SS 12000 store does
 * not have, a text PostgreSQL cannot store), then upserts and deletes in one transaction with one
 * audit row. A record identical to the stored one (same digest) is left alone, so loading a batch
 * again changes nothing and bumps no `meta.modified`. A deleted record goes to the deletions feed
 * with its institution, and so does a record that moved to another institution, for the first one.
 */
export async function ingestBoarders(ctx: AppContext, batch: BoarderBatch, who: IngestionActor): Promise<BoarderLoad> {
  const { records, problems, unknownMembers, deleting } = parseBatch(batch, boarderInput, (d) => ({
    ...d,
    id: d.id.toLowerCase(),
    person: { id: d.person.id.toLowerCase() },
  }));
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
  refuseProblems(problems);

  const now = ctx.clock.now();
  const result: BoarderLoad = { created: 0, updated: 0, unchanged: 0, deleted: 0, noChange: true, unknownMembers };
  await ctx.db.transaction().execute(async (trx) => {
    await lockLoad(trx);
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
    for (const { record, body, hash } of records) {
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
    await recordLoad(trx, now, who, { subjectType: 'boarders', entity: BOARDER_ENTITY }, result);
  });
  return result;
}
