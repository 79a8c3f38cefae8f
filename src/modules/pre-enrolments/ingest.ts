import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { AppContext } from '../../context.ts';
import { ApiError } from '../../http/errors.ts';
import { recordAudit } from '../audit/record.ts';
import { canonical, type IngestionActor } from '../ss12000/ingest.ts';
import { PRE_ENROLMENT_ENTITY } from './release.ts';
import { preEnrolmentInput, type PreEnrolmentInput } from './schemas.ts';

/** One refused record of a batch, as the SS 12000 ingestion reports them. */
interface Problem {
  index: number;
  field: string;
  code: string;
  message: string;
}

export interface PreEnrolmentBatch {
  upsert?: unknown[];
  delete?: string[];
}

export interface PreEnrolmentLoad {
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

/** Paths of members of `raw` that parsing dropped. */
function dropped(raw: unknown, parsed: unknown, path: string, out: Record<string, number>): void {
  if (Array.isArray(raw) && Array.isArray(parsed)) {
    raw.forEach((r, i) => dropped(r, parsed[i], `${path}[]`, out));
    return;
  }
  if (!raw || typeof raw !== 'object' || !parsed || typeof parsed !== 'object') return;
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (value === undefined || key === 'meta') continue;
    const at = path ? `${path}.${key}` : key;
    if (!(key in (parsed as Record<string, unknown>))) out[at] = (out[at] ?? 0) + 1;
    else dropped(value, (parsed as Record<string, unknown>)[key], at, out);
  }
}

/**
 * Loads a batch of pre-enrolments: validates all of it first (nothing is kept if any record is bad:
 * a 400 listing the records by index and field), then upserts and deletes in one transaction with one
 * audit row. A record identical to the stored one (same digest) is left alone, so loading a batch
 * again changes nothing and bumps no `meta.modified`. A deleted record goes to the deletions feed
 * with its institution.
 */
export async function ingestPreEnrolments(ctx: AppContext, batch: PreEnrolmentBatch, who: IngestionActor): Promise<PreEnrolmentLoad> {
  const problems: Problem[] = [];
  const records: PreEnrolmentInput[] = [];
  const unknownMembers: Record<string, number> = {};
  const ids = new Set<string>();
  const deleting = new Set((batch.delete ?? []).map((id) => id.toLowerCase()));
  (batch.upsert ?? []).forEach((raw, index) => {
    const parsed = preEnrolmentInput.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues.slice(0, 5)) {
        problems.push({ index, field: ['upsert', index, ...issue.path].join('.'), code: issue.code, message: issue.message });
      }
      return;
    }
    const rec = { ...parsed.data, id: parsed.data.id.toLowerCase() };
    dropped(raw, parsed.data, '', unknownMembers);
    if (ids.has(rec.id)) problems.push({ index, field: `upsert.${index}.id`, code: 'duplicate_id', message: `${rec.id} appears twice.` });
    else if (deleting.has(rec.id))
      problems.push({ index, field: `upsert.${index}.id`, code: 'upsert_and_delete', message: `${rec.id} is both upserted and deleted.` });
    ids.add(rec.id);
    records.push(Object.assign(rec, { __index: index }));
  });
  const numbers = [...new Set(records.map((r) => r.institution.institutionNumber))];
  const known = new Set(
    numbers.length
      ? (await ctx.db.selectFrom('institutions').select('number').where('number', 'in', numbers).where('sandbox', '=', false).execute()).map((r) => r.number)
      : [],
  );
  for (const r of records as (PreEnrolmentInput & { __index: number })[]) {
    if (!known.has(r.institution.institutionNumber)) {
      problems.push({
        index: r.__index,
        field: `upsert.${r.__index}.institution.institutionNumber`,
        code: 'unknown_reference',
        message: `No institution ${r.institution.institutionNumber} (import it first).`,
      });
    }
  }
  if (problems.length) {
    const shown = problems.slice(0, MAX_REPORTED);
    throw new ApiError(400, 'invalid_batch', `${problems.length} problem(s) in the batch; nothing was loaded.`, {
      field: shown[0]!.field,
      problemCount: problems.length,
      errors: shown,
    });
  }

  const now = ctx.clock.now();
  const result: PreEnrolmentLoad = { created: 0, updated: 0, unchanged: 0, deleted: 0, noChange: true, unknownMembers };
  await ctx.db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${INGEST_LOCK})`.execute(trx);
    for (const r of records as (PreEnrolmentInput & { __index?: number })[]) {
      delete r.__index;
      const body = canonical(r);
      const hash = createHash('sha256').update(body).digest('base64url');
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
    result.noChange = result.created + result.updated + result.deleted === 0;
    if (!result.noChange) {
      await recordAudit(trx, now, who, {
        action: 'ss12000.data_loaded',
        subjectType: 'pre_enrolments',
        subjectId: 'store',
        clientId: who.clientId ?? null,
        after: {
          created: { [PRE_ENROLMENT_ENTITY]: result.created },
          updated: { [PRE_ENROLMENT_ENTITY]: result.updated },
          deleted: { [PRE_ENROLMENT_ENTITY]: result.deleted },
        },
      });
    }
  });
  return result;
}
