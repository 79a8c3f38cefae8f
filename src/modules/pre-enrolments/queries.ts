import { sql } from 'kysely';
import type { Queryable } from '../../context.ts';
import type { PreEnrolmentStatus } from './tables.ts';

/** A stored pre-enrolment as the read path uses it. */
export interface PreEnrolmentRow {
  id: string;
  institution_number: string;
  body: Record<string, unknown>;
  created_at: Date;
  modified_at: Date;
}

/** The list filters, every one on a field released to whoever reaches the record (release.ts `reads`). */
export interface ListFilters {
  institutions?: string[];
  schoolYears?: number[];
  statuses?: PreEnrolmentStatus[];
  modifiedAfter?: string;
  modifiedBefore?: string;
}

/**
 * One page of the pre-enrolments at `reach` (institution numbers the client's live grants reach)
 * matching `filters`, by id after `afterId`: at most `limit`, plus whether there is more.
 */
export async function listPreEnrolments(
  db: Queryable,
  reach: string[],
  filters: ListFilters,
  limit: number,
  afterId: string | undefined,
): Promise<{ rows: PreEnrolmentRow[]; more: boolean }> {
  if (reach.length === 0) return { rows: [], more: false };
  let q = db
    .selectFrom('pre_enrolments')
    .select(['id', 'institution_number', 'body', 'created_at', 'modified_at'])
    .where('institution_number', '=', sql<string>`ANY(${reach}::text[])`);
  if (filters.institutions) q = q.where('institution_number', '=', sql<string>`ANY(${filters.institutions}::text[])`);
  if (filters.schoolYears) q = q.where('school_year', '=', sql<number>`ANY(${filters.schoolYears}::integer[])`);
  if (filters.statuses) q = q.where('status', '=', sql<PreEnrolmentStatus>`ANY(${filters.statuses}::text[])`);
  if (filters.modifiedAfter) q = q.where('modified_at', '>', new Date(filters.modifiedAfter));
  if (filters.modifiedBefore) q = q.where('modified_at', '<', new Date(filters.modifiedBefore));
  if (afterId) q = q.where('id', '>', afterId);
  const rows = await q
    .orderBy('id')
    .limit(limit + 1)
    .execute();
  return { rows: rows.slice(0, limit), more: rows.length > limit };
}

/** The pre-enrolments with these ids that lie at `reach`, by id. */
export async function findPreEnrolments(db: Queryable, reach: string[], ids: string[]): Promise<PreEnrolmentRow[]> {
  if (reach.length === 0 || ids.length === 0) return [];
  return db
    .selectFrom('pre_enrolments')
    .select(['id', 'institution_number', 'body', 'created_at', 'modified_at'])
    .where('institution_number', '=', sql<string>`ANY(${reach}::text[])`)
    .where('id', '=', sql<string>`ANY(${ids}::uuid[])`)
    .orderBy('id')
    .execute();
}

/** Ids of pre-enrolments deleted at `reach` after `after`, by time and id after the cursor. */
export async function deletedPreEnrolments(
  db: Queryable,
  reach: string[],
  after: string | undefined,
  cursor: { at: string; id: string } | undefined,
  limit: number,
): Promise<{ rows: { id: string; deleted_at: Date }[]; more: boolean }> {
  if (reach.length === 0) return { rows: [], more: false };
  let q = db
    .selectFrom('pre_enrolment_deletions')
    .select(['id', 'deleted_at'])
    .where('institution_number', '=', sql<string>`ANY(${reach}::text[])`);
  if (after) q = q.where('deleted_at', '>', new Date(after));
  if (cursor) q = q.where(sql<boolean>`(deleted_at, id) > (${new Date(cursor.at)}::timestamptz, ${cursor.id}::uuid)`);
  const rows = await q
    .orderBy('deleted_at')
    .orderBy('id')
    .limit(limit + 1)
    .execute();
  return { rows: rows.slice(0, limit), more: rows.length > limit };
}
