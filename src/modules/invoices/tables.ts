import type { ColumnType } from 'kysely';

/** Kysely's view of the invoice tables (migration 0072), merged into `DB` in src/db/schema.ts. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;

export interface InvoicesTable {
  id: string;
  access_group_id: string;
  institution_number: string;
  debtor_id: string;
  school_year: number;
  /** The record as ingested (canonical JSON text on write), presented through release.ts. */
  body: ColumnType<Record<string, unknown>, string, string>;
  hash: string;
  created_at: Timestamp;
  modified_at: Timestamp;
}

export interface InvoiceDeletionsTable {
  id: string;
  access_group_id: string;
  institution_number: string;
  deleted_at: Timestamp;
}

export interface InvoiceTables {
  invoices: InvoicesTable;
  invoice_deletions: InvoiceDeletionsTable;
}
