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
 * The statement of one page of the invoices the reader reaches matching `filters`, by id after
 * `afterId`: at most `limit + 1` rows (the extra one says there is more). Exported so that the
 * bench's baseline runs this very statement.
 *
 * Without a debtor or `meta.modified` filter the page starts from the scope: the access groups the
 * reader's grants reach, each read through `invoices_group_idx` in id order after the cursor (only
 * the institutions reached kept) and cut at the page size, then merged — with an institution
 * filter, the (access group, institution) pairs reached through `invoices_reach_idx`. Its cost
 * follows the page and the number of groups, never the invoices the reader does not reach (a
 * semi-join on the reach walks every invoice of the group, or the primary key through every group's
 * invoices, to sort out a page). A debtor or
 * modification filter is selective on its own index, so the reach is then a semi-join the planner
 * may put after that index.
 */
export function invoicePageQuery(db: Queryable, reader: Reader, filters: ListFilters, limit: number, afterId: string | undefined) {
  // The filters on the invoice row (alias `i`); the access group and institution ones go on the pairs when the page starts from them.
  const conditions = (byPair: boolean): RawBuilder<boolean>[] => [
    ...(!byPair && filters.accessGroups ? [sql<boolean>`i.access_group_id = ANY(${filters.accessGroups}::uuid[])`] : []),
    ...(!byPair && filters.institutions ? [sql<boolean>`i.institution_number = ANY(${filters.institutions}::text[])`] : []),
    ...(filters.schoolYears ? [sql<boolean>`i.school_year = ANY(${filters.schoolYears}::integer[])`] : []),
    ...(filters.debtors ? [sql<boolean>`i.debtor_id = ANY(${filters.debtors}::uuid[])`] : []),
    ...(filters.modifiedAfter ? [sql<boolean>`i.modified_at > ${new Date(filters.modifiedAfter)}`] : []),
    ...(filters.modifiedBefore ? [sql<boolean>`i.modified_at < ${new Date(filters.modifiedBefore)}`] : []),
    ...(afterId ? [sql<boolean>`i.id > ${afterId}`] : []),
  ];
  const all = (list: RawBuilder<boolean>[]) => (list.length ? sql<boolean>`${sql.join(list, sql` AND `)}` : sql<boolean>`true`);
  if (filters.debtors || filters.modifiedAfter || filters.modifiedBefore) {
    return db
      .selectFrom('invoices as i')
      .select(COLUMNS)
      .where(reachedSql(db, reader))
      .where(all(conditions(false)))
      .orderBy('i.id')
      .limit(limit + 1);
  }
  if (!filters.institutions) {
    // Per access group reached, its invoices in id order through invoices_group_idx (migration 0075),
    // keeping those of the institutions reached (a group's grant reaches all its members, so nearly
    // every row read is kept): a page reads about a page per group.
    let reached = grantReach(db)
      .select(['r.access_group_id', sql<string[]>`array_agg(DISTINCT r.institution_number)`.as('institutions')])
      .where('r.client_id', '=', reader.clientId)
      .where('r.api_code', 'in', [...reader.apiCodes])
      .where('r.access_group_id', 'is not', null)
      .groupBy('r.access_group_id');
    if (filters.accessGroups) reached = reached.where('r.access_group_id', '=', sql<string>`ANY(${filters.accessGroups}::uuid[])`);
    return db
      .selectFrom(reached.as('p'))
      .innerJoinLateral(
        (eb) =>
          eb
            .selectFrom('invoices as i')
            .select(COLUMNS)
            .whereRef('i.access_group_id', '=', 'p.access_group_id')
            .where(sql<boolean>`i.institution_number = ANY(p.institutions)`)
            .where(all(conditions(true)))
            .orderBy('i.id')
            .limit(limit + 1)
            .as('i'),
        (join) => join.onTrue(),
      )
      .select(['i.id', 'i.access_group_id', 'i.institution_number', 'i.body', 'i.created_at', 'i.modified_at'])
      .orderBy('i.id')
      .limit(limit + 1);
  }
  // An institution filter: per (access group, institution) pair reached, through invoices_reach_idx.
  let pairs = grantReach(db)
    .select(['r.access_group_id', 'r.institution_number'])
    .distinct()
    .where('r.client_id', '=', reader.clientId)
    .where('r.api_code', 'in', [...reader.apiCodes])
    .where('r.access_group_id', 'is not', null);
  if (filters.accessGroups) pairs = pairs.where('r.access_group_id', '=', sql<string>`ANY(${filters.accessGroups}::uuid[])`);
  pairs = pairs.where('r.institution_number', '=', sql<string>`ANY(${filters.institutions}::text[])`);
  return db
    .selectFrom(pairs.as('p'))
    .innerJoinLateral(
      (eb) =>
        eb
          .selectFrom('invoices as i')
          .select(COLUMNS)
          .whereRef('i.access_group_id', '=', 'p.access_group_id')
          .whereRef('i.institution_number', '=', 'p.institution_number')
          .where(all(conditions(true)))
          .orderBy('i.id')
          .limit(limit + 1)
          .as('i'),
      (join) => join.onTrue(),
    )
    .select(['i.id', 'i.access_group_id', 'i.institution_number', 'i.body', 'i.created_at', 'i.modified_at'])
    .orderBy('i.id')
    .limit(limit + 1);
}

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
  const rows = (await invoicePageQuery(db, reader, filters, limit, afterId).execute()) as InvoiceRow[];
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
