import { sql } from 'kysely';
import type { Queryable } from '../../context.ts';

/** A stored stay as the read path uses it, with its SS 12000 person as the store has them now. */
export interface BoarderRow {
  id: string;
  institution_number: string;
  body: Record<string, unknown>;
  created_at: Date;
  modified_at: Date;
  /** The SS 12000 person's name and marking; null when the store no longer has the person. */
  given_name: string | null;
  family_name: string | null;
  security_marking: string | null;
  person_found: boolean;
}

/** The list filters, every one on a field released to whoever reaches the record (release.ts `reads`). */
export interface ListFilters {
  institutions?: string[];
  persons?: string[];
  /** Stays that started on or before this day. */
  startOnOrBefore?: string;
  /** Stays that end on or after this day, or are open-ended. */
  endOnOrAfter?: string;
  modifiedAfter?: string;
  modifiedBefore?: string;
}

/** The stays at `reach` with their persons, by id: the read's one statement. */
function base(db: Queryable, reach: string[]) {
  return db
    .selectFrom('boarders as b')
    .leftJoin('ss12000_persons as p', 'p.id', 'b.person_id')
    .select([
      'b.id',
      'b.institution_number',
      'b.body',
      'b.created_at',
      'b.modified_at',
      'p.given_name',
      'p.family_name',
      'p.security_marking',
      sql<boolean>`p.id IS NOT NULL`.as('person_found'),
    ])
    .where('b.institution_number', '=', sql<string>`ANY(${reach}::text[])`);
}

/**
 * One page of the stays at `reach` (institution numbers the client's live grants reach) matching
 * `filters`, by id after `afterId`: at most `limit`, plus whether there is more.
 */
export async function listBoarders(
  db: Queryable,
  reach: string[],
  filters: ListFilters,
  limit: number,
  afterId: string | undefined,
): Promise<{ rows: BoarderRow[]; more: boolean }> {
  if (reach.length === 0) return { rows: [], more: false };
  let q = base(db, reach);
  if (filters.institutions) q = q.where('b.institution_number', '=', sql<string>`ANY(${filters.institutions}::text[])`);
  if (filters.persons) q = q.where('b.person_id', '=', sql<string>`ANY(${filters.persons}::uuid[])`);
  if (filters.startOnOrBefore) q = q.where('b.start_date', '<=', filters.startOnOrBefore);
  if (filters.endOnOrAfter) q = q.where((eb) => eb.or([eb('b.end_date', 'is', null), eb('b.end_date', '>=', filters.endOnOrAfter!)]));
  if (filters.modifiedAfter) q = q.where('b.modified_at', '>', new Date(filters.modifiedAfter));
  if (filters.modifiedBefore) q = q.where('b.modified_at', '<', new Date(filters.modifiedBefore));
  if (afterId) q = q.where('b.id', '>', afterId);
  const rows = await q
    .orderBy('b.id')
    .limit(limit + 1)
    .execute();
  return { rows: rows.slice(0, limit), more: rows.length > limit };
}

/** The stays with these ids that lie at `reach`, by id. */
export async function findBoarders(db: Queryable, reach: string[], ids: string[]): Promise<BoarderRow[]> {
  if (reach.length === 0 || ids.length === 0) return [];
  return base(db, reach)
    .where('b.id', '=', sql<string>`ANY(${ids}::uuid[])`)
    .orderBy('b.id')
    .execute();
}

/** Ids of stays deleted at `reach` after `after`, by time and id after the cursor. */
export async function deletedBoarders(
  db: Queryable,
  reach: string[],
  after: string | undefined,
  cursor: { at: string; id: string } | undefined,
  limit: number,
): Promise<{ rows: { id: string; deleted_at: Date }[]; more: boolean }> {
  if (reach.length === 0) return { rows: [], more: false };
  let q = db
    .selectFrom('boarder_deletions')
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
