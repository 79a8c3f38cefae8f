import type { ColumnType } from 'kysely';

/** Kysely's view of the pre-enrolment tables (migration 0067), merged into `DB` in src/db/schema.ts. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;

export type PreEnrolmentStatus = 'submitted' | 'accepted' | 'refused' | 'withdrawn';

export interface PreEnrolmentsTable {
  id: string;
  institution_number: string;
  school_year: number;
  status: PreEnrolmentStatus;
  /** The record as ingested (canonical JSON text on write), presented through release.ts. */
  body: ColumnType<Record<string, unknown>, string, string>;
  hash: string;
  created_at: Timestamp;
  modified_at: Timestamp;
}

export interface PreEnrolmentDeletionsTable {
  id: string;
  institution_number: string;
  deleted_at: Timestamp;
}

export interface PreEnrolmentTables {
  pre_enrolments: PreEnrolmentsTable;
  pre_enrolment_deletions: PreEnrolmentDeletionsTable;
}
