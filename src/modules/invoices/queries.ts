import { sql, type RawBuilder } from 'kysely';
import type { Queryable } from '../../context.ts';
import { grantReach } from '../access/reach.ts';

/** A stored invoice as the read path uses it. */
export interface InvoiceRow {
  id: string;
  access_group_id: string;
  institution_number: string;
  body: Record<string, unknown>;
  created_at: Date;
  modified_at: Date;
}

/** Who reads: the client, and the catalog's API codes served by the invoices API. */
export interface Reader {
  clientId: string;
  apiCodes: readonly string[];
}

/** The list filters, every one on a field released to whoever reaches the record (release.ts `reads`). */
export interface ListFilters {
  accessGroups?: string[];
  institutions?: string[];
  schoolYears?: number[];
  debtors?: string[];
  modifiedAfter?: string;
  modifiedBefore?: string;
}

/**
 * SQL condition: the invoice (alias `i`) lies in what the reader's live grants reach — a pair
 * (access group, institution) of the view `grant_reach` (src/modules/access/reach.ts): a grant of the
 * invoice's access group while its institution is a member. Read in the same statement as the page,
 * so a revoked grant or an institution that left the group counts at once; an institution in several
 * access groups shows only the invoices of the groups granted.
 */
function reachedSql(db: Queryable, reader: Reader): RawBuilder<boolean> {
  const pairs = grantReach(db)
    .select(['r.access_group_id', 'r.institution_number'])
    .where('r.client_id', '=', reader.clientId)
    .where('r.api_code', 'in', [...reader.apiCodes])
    .where('r.access_group_id', 'is not', null);
  // Kysely puts the embedded subquery in parentheses itself.
  return sql<boolean>`(i.access_group_id, i.institution_number) IN ${pairs}`;
}

const COLUMNS = ['i.id', 'i.access_group_id', 'i.institution_number', 'i.body', 'i.created_at', 'i.modified_at'] as const;

/**
 * One page of the invoices the reader reaches matching `filters`, by id after `afterId`: at most
 * `limit`, plus whether there is more.
 */
export async function listInvoices(
  db: Queryable,
  reader: Reader,
  filters: ListFilters,
  limit: number,
  afterId: string | undefined,
): Promise<{ rows: InvoiceRow[]; more: boolean }> {
  if (reader.apiCodes.length === 0) return { rows: [], more: false };
  let q = db.selectFrom('invoices as i').select(COLUMNS).where(reachedSql(db, reader));
  if (filters.accessGroups) q = q.where('i.access_group_id', '=', sql<string>`ANY(${filters.accessGroups}::uuid[])`);
  if (filters.institutions) q = q.where('i.institution_number', '=', sql<string>`ANY(${filters.institutions}::text[])`);
  if (filters.schoolYears) q = q.where('i.school_year', '=', sql<number>`ANY(${filters.schoolYears}::integer[])`);
  if (filters.debtors) q = q.where('i.debtor_id', '=', sql<string>`ANY(${filters.debtors}::uuid[])`);
  if (filters.modifiedAfter) q = q.where('i.modified_at', '>', new Date(filters.modifiedAfter));
  if (filters.modifiedBefore) q = q.where('i.modified_at', '<', new Date(filters.modifiedBefore));
  if (afterId) q = q.where('i.id', '>', afterId);
  const rows = await q
    .orderBy('i.id')
    .limit(limit + 1)
    .execute();
  return { rows: rows.slice(0, limit), more: rows.length > limit };
}

/** The invoices with these ids that the reader reaches, by id. */
export async function findInvoices(db: Queryable, reader: Reader, ids: string[]): Promise<InvoiceRow[]> {
  if (reader.apiCodes.length === 0 || ids.length === 0) return [];
  return db
    .selectFrom('invoices as i')
    .select(COLUMNS)
    .where(reachedSql(db, reader))
    .where('i.id', '=', sql<string>`ANY(${ids}::uuid[])`)
    .orderBy('i.id')
    .execute();
}

/** Ids of invoices deleted where the reader reaches, after `after`, by time and id after the cursor. */
export async function deletedInvoices(
  db: Queryable,
  reader: Reader,
  after: string | undefined,
  cursor: { at: string; id: string } | undefined,
  limit: number,
): Promise<{ rows: { id: string; deleted_at: Date }[]; more: boolean }> {
  if (reader.apiCodes.length === 0) return { rows: [], more: false };
  let q = db.selectFrom('invoice_deletions as i').select(['i.id', 'i.deleted_at']).where(reachedSql(db, reader));
  if (after) q = q.where('i.deleted_at', '>', new Date(after));
  if (cursor) q = q.where(sql<boolean>`(i.deleted_at, i.id) > (${new Date(cursor.at)}::timestamptz, ${cursor.id}::uuid)`);
  const rows = await q
    .orderBy('i.deleted_at')
    .orderBy('i.id')
    .limit(limit + 1)
    .execute();
  return { rows: rows.slice(0, limit), more: rows.length > limit };
}
