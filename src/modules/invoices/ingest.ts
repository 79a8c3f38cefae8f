import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { AppContext } from '../../context.ts';
import { ApiError } from '../../http/errors.ts';
import { recordAudit } from '../audit/record.ts';
import { droppedMembers } from '../data-api/ingestion.ts';
import { canonical, type IngestionActor } from '../ss12000/ingest.ts';
import { INVOICE_ENTITY } from './release.ts';
import { invoiceInput, type InvoiceInput } from './schemas.ts';

/** One refused record of a batch, as the SS 12000 ingestion reports them. */
interface Problem {
  index: number;
  field: string;
  code: string;
  message: string;
}

export interface InvoiceBatch {
  upsert?: unknown[];
  delete?: string[];
}

export interface InvoiceLoad {
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
  noChange: boolean;
  unknownMembers: Record<string, number>;
}

const MAX_REPORTED = 200;
/** The SS 12000 load's advisory lock: one load of school data at a time. */
const INGEST_LOCK = 727364;

type Indexed = InvoiceInput & { __index?: number };

/**
 * Loads a batch of invoices: validates all of it first (nothing is kept if any record is bad: a 400
 * listing the records by index and field — unknown access groups and institutions, an institution
 * that is not a member of the invoice's access group, totals that disagree with the lines), then
 * upserts and deletes in one transaction with one audit row. A record identical to the stored one
 * (same digest) is left alone, so loading a batch again changes nothing and bumps no
 * `meta.modified`. A deleted invoice goes to the deletions feed with its access group and institution.
 */
export async function ingestInvoices(ctx: AppContext, batch: InvoiceBatch, who: IngestionActor): Promise<InvoiceLoad> {
  const problems: Problem[] = [];
  const records: Indexed[] = [];
  const unknownMembers: Record<string, number> = {};
  const ids = new Set<string>();
  const deleting = new Set((batch.delete ?? []).map((id) => id.toLowerCase()));
  (batch.upsert ?? []).forEach((raw, index) => {
    const parsed = invoiceInput.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues.slice(0, 5)) {
        problems.push({ index, field: ['upsert', index, ...issue.path].join('.'), code: issue.code, message: issue.message });
      }
      return;
    }
    const d = parsed.data;
    const rec: Indexed = {
      ...d,
      id: d.id.toLowerCase(),
      accessGroup: { id: d.accessGroup.id.toLowerCase() },
      debtor: { ...d.debtor, id: d.debtor.id.toLowerCase() },
    };
    droppedMembers(raw, parsed.data, unknownMembers);
    if (ids.has(rec.id)) problems.push({ index, field: `upsert.${index}.id`, code: 'duplicate_id', message: `${rec.id} appears twice.` });
    else if (deleting.has(rec.id))
      problems.push({ index, field: `upsert.${index}.id`, code: 'upsert_and_delete', message: `${rec.id} is both upserted and deleted.` });
    ids.add(rec.id);
    records.push(Object.assign(rec, { __index: index }));
  });
  const numbers = [...new Set(records.map((r) => r.institution.institutionNumber))];
  const groups = [...new Set(records.map((r) => r.accessGroup.id))];
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
  for (const r of records) {
    const at = `upsert.${r.__index}`;
    if (!members.has(r.accessGroup.id)) {
      problems.push({ index: r.__index!, field: `${at}.accessGroup.id`, code: 'unknown_reference', message: `No access group ${r.accessGroup.id}.` });
    } else if (!known.has(r.institution.institutionNumber)) {
      problems.push({
        index: r.__index!,
        field: `${at}.institution.institutionNumber`,
        code: 'unknown_reference',
        message: `No institution ${r.institution.institutionNumber} (import it first).`,
      });
    } else if (!members.has(`${r.accessGroup.id}/${r.institution.institutionNumber}`)) {
      // Stored, it would be read by no grant of its group: refuse rather than keep it unreachable.
      problems.push({
        index: r.__index!,
        field: `${at}.institution.institutionNumber`,
        code: 'not_in_access_group',
        message: `Institution ${r.institution.institutionNumber} is not a member of access group ${r.accessGroup.id}.`,
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
  const result: InvoiceLoad = { created: 0, updated: 0, unchanged: 0, deleted: 0, noChange: true, unknownMembers };
  await ctx.db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${INGEST_LOCK})`.execute(trx);
    for (const r of records) {
      delete r.__index;
      const body = canonical(r);
      const hash = createHash('sha256').update(body).digest('base64url');
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
    result.noChange = result.created + result.updated + result.deleted === 0;
    if (!result.noChange) {
      await recordAudit(trx, now, who, {
        action: 'ss12000.data_loaded',
        subjectType: 'invoices',
        subjectId: 'store',
        clientId: who.clientId ?? null,
        after: {
          created: { [INVOICE_ENTITY]: result.created },
          updated: { [INVOICE_ENTITY]: result.updated },
          deleted: { [INVOICE_ENTITY]: result.deleted },
        },
      });
    }
  });
  return result;
}
