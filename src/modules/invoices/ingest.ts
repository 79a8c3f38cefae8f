import { sql } from 'kysely';
import type { AppContext } from '../../context.ts';
import { lockLoad, parseBatch, recordLoad, refuseProblems, type DataBatch, type DataLoad } from '../data-api/batch.ts';
import type { IngestionActor } from '../ss12000/ingest.ts';
import { INVOICE_ENTITY } from './release.ts';
import { invoiceInput } from './schemas.ts';

export type InvoiceBatch = DataBatch;
export type InvoiceLoad = DataLoad;

/**
 * Loads a batch of invoices: validates all of it first (nothing is kept if any record is bad: a 400
 * listing the records by index and field — unknown access groups and institutions, an institution
 * that is not a member of the invoice's access group, totals that disagree with the lines), then
 * upserts and deletes in one transaction with one audit row. A record identical to the stored one
 * (same digest) is left alone, so loading a batch again changes nothing and bumps no
 * `meta.modified`. A deleted invoice goes to the deletions feed with its access group and institution.
 */
export async function ingestInvoices(ctx: AppContext, batch: InvoiceBatch, who: IngestionActor): Promise<InvoiceLoad> {
  const { records, problems, unknownMembers, deleting } = parseBatch(batch, invoiceInput, (d) => ({
    ...d,
    id: d.id.toLowerCase(),
    accessGroup: { id: d.accessGroup.id.toLowerCase() },
    debtor: { ...d.debtor, id: d.debtor.id.toLowerCase() },
  }));
  const numbers = [...new Set(records.map((r) => r.record.institution.institutionNumber))];
  const groups = [...new Set(records.map((r) => r.record.accessGroup.id))];
  const known = new Set(
    numbers.length
      ? (await ctx.db.selectFrom('institutions').select('number').where('number', 'in', numbers).where('sandbox', '=', false).execute()).map((r) => r.number)
      : [],
  );
  const members = new Set(
    groups.length
      ? (
          await ctx.db
            .selectFrom('access_groups as g')
            .leftJoin('access_group_institutions as m', 'm.access_group_id', 'g.id')
            .select(['g.id', 'm.institution_number'])
            .where('g.id', '=', sql<string>`ANY(${groups}::uuid[])`)
            .execute()
        ).flatMap((r) => [r.id, `${r.id}/${r.institution_number}`])
      : [],
  );
  for (const { record: r, index } of records) {
    const at = `upsert.${index}`;
    if (!members.has(r.accessGroup.id)) {
      problems.push({ index, field: `${at}.accessGroup.id`, code: 'unknown_reference', message: `No access group ${r.accessGroup.id}.` });
    } else if (!known.has(r.institution.institutionNumber)) {
      problems.push({
        index,
        field: `${at}.institution.institutionNumber`,
        code: 'unknown_reference',
        message: `No institution ${r.institution.institutionNumber} (import it first).`,
      });
    } else if (!members.has(`${r.accessGroup.id}/${r.institution.institutionNumber}`)) {
      // Stored, it would be read by no grant of its group: refuse rather than keep it unreachable.
      problems.push({
        index,
        field: `${at}.institution.institutionNumber`,
        code: 'not_in_access_group',
        message: `Institution ${r.institution.institutionNumber} is not a member of access group ${r.accessGroup.id}.`,
      });
    }
  }
  refuseProblems(problems);

  const now = ctx.clock.now();
  const result: InvoiceLoad = { created: 0, updated: 0, unchanged: 0, deleted: 0, noChange: true, unknownMembers };
  await ctx.db.transaction().execute(async (trx) => {
    await lockLoad(trx);
    for (const { record: r, body, hash } of records) {
      const row = await trx
        .insertInto('invoices')
        .values({
          id: r.id,
          access_group_id: r.accessGroup.id,
          institution_number: r.institution.institutionNumber,
          debtor_id: r.debtor.id,
          school_year: r.schoolYear,
          body,
          hash,
          created_at: now,
          modified_at: now,
        })
        .onConflict((oc) =>
          oc
            .column('id')
            .doUpdateSet({
              access_group_id: (eb) => eb.ref('excluded.access_group_id'),
              institution_number: (eb) => eb.ref('excluded.institution_number'),
              debtor_id: (eb) => eb.ref('excluded.debtor_id'),
              school_year: (eb) => eb.ref('excluded.school_year'),
              body: (eb) => eb.ref('excluded.body'),
              hash: (eb) => eb.ref('excluded.hash'),
              modified_at: (eb) => eb.ref('excluded.modified_at'),
            })
            .where(sql<boolean>`invoices.hash <> excluded.hash`),
        )
        .returning(sql<boolean>`(xmax = 0)`.as('inserted'))
        .executeTakeFirst();
      if (!row) result.unchanged++;
      else if (row.inserted) result.created++;
      else result.updated++;
    }
    for (const id of deleting) {
      const gone = await trx.deleteFrom('invoices').where('id', '=', id).returning(['access_group_id', 'institution_number']).executeTakeFirst();
      if (!gone) continue;
      await trx
        .insertInto('invoice_deletions')
        .values({ id, access_group_id: gone.access_group_id, institution_number: gone.institution_number, deleted_at: now })
        .execute();
      result.deleted++;
    }
    await recordLoad(trx, now, who, { subjectType: 'invoices', entity: INVOICE_ENTITY }, result);
  });
  return result;
}
