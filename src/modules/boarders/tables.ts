import type { ColumnType } from 'kysely';

/** Kysely's view of the boarder tables (migration 0071), merged into `DB` in src/db/schema.ts. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type DateCol = ColumnType<string, string, string>;

export interface BoardersTable {
  id: string;
  institution_number: string;
  /** The SS 12000 person boarding (ss12000_persons.id; no foreign key, see the migration). */
  person_id: string;
  start_date: DateCol;
  end_date: ColumnType<string | null, string | null | undefined, string | null>;
  /** The record as ingested (canonical JSON text on write), presented through release.ts. */
  body: ColumnType<Record<string, unknown>, string, string>;
  hash: string;
  created_at: Timestamp;
  modified_at: Timestamp;
}

export interface BoarderDeletionsTable {
  id: string;
  institution_number: string;
  deleted_at: Timestamp;
}

export interface BoarderTables {
  boarders: BoardersTable;
  boarder_deletions: BoarderDeletionsTable;
}
