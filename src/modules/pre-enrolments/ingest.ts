import { sql } from 'kysely';
import type { AppContext } from '../../context.ts';
import { lockLoad, parseBatch, recordLoad, refuseProblems, type DataBatch, type DataLoad } from '../data-api/batch.ts';
import type { IngestionActor } from '../ss12000/ingest.ts';
import { PRE_ENROLMENT_ENTITY } from './release.ts';
import { preEnrolmentInput } from './schemas.ts';

export type PreEnrolmentBatch = DataBatch;
export type PreEnrolmentLoad = DataLoad;

/**
 * Loads a batch of pre-enrolments: validates all of it first (nothing is kept if any record is bad:
 * a 400 listing the records by index and field), then upserts and deletes in one transaction with one
 * audit row. A record identical to the stored one (same digest) is left alone, so loading a batch
 * again changes nothing and bumps no `meta.modified`. A deleted record goes to the deletions feed
 * with its institution.
 */
export async function ingestPreEnrolments(ctx: AppContext, batch: PreEnrolmentBatch, who: IngestionActor): Promise<PreEnrolmentLoad> {
  const { records, problems, unknownMembers, deleting } = parseBatch(batch, preEnrolmentInput, (d) => ({ ...d, id: d.id.toLowerCase() }));
  const numbers = [...new Set(records.map((r) => r.record.institution.institutionNumber))];
  const known = new Set(
    numbers.length
      ? (await ctx.db.selectFrom('institutions').select('number').where('number', 'in', numbers).where('sandbox', '=', false).execute()).map((r) => r.number)
      : [],
  );
  for (const { record: r, index } of records) {
    if (!known.has(r.institution.institutionNumber)) {
      problems.push({
        index,
        field: `upsert.${index}.institution.institutionNumber`,
        code: 'unknown_reference',
        message: `No institution ${r.institution.institutionNumber} (import it first).`,
      });
    }
  }
  refuseProblems(problems);

  const now = ctx.clock.now();
  const result: PreEnrolmentLoad = { created: 0, updated: 0, unchanged: 0, deleted: 0, noChange: true, unknownMembers };
  await ctx.db.transaction().execute(async (trx) => {
    await lockLoad(trx);
    for (const { record: r, body, hash } of records) {
      const row = await trx
        .insertInto('pre_enrolments')
        .values({
          id: r.id,
          institution_number: r.institution.institutionNumber,
          school_year: r.schoolYear,
          status: r.status,
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
              school_year: (eb) => eb.ref('excluded.school_year'),
              status: (eb) => eb.ref('excluded.status'),
              body: (eb) => eb.ref('excluded.body'),
              hash: (eb) => eb.ref('excluded.hash'),
              modified_at: (eb) => eb.ref('excluded.modified_at'),
            })
            .where(sql<boolean>`pre_enrolments.hash <> excluded.hash`),
        )
        .returning(sql<boolean>`(xmax = 0)`.as('inserted'))
        .executeTakeFirst();
      if (!row) result.unchanged++;
      else if (row.inserted) result.created++;
      else result.updated++;
    }
    for (const id of deleting) {
      const gone = await trx.deleteFrom('pre_enrolments').where('id', '=', id).returning('institution_number').executeTakeFirst();
      if (!gone) continue;
      await trx.insertInto('pre_enrolment_deletions').values({ id, institution_number: gone.institution_number, deleted_at: now }).execute();
      result.deleted++;
    }
    await recordLoad(trx, now, who, { subjectType: 'pre_enrolments', entity: PRE_ENROLMENT_ENTITY }, result);
  });
  return result;
}
