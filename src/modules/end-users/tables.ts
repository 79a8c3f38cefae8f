import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type TimestampNullable = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

/** Kysely's view of migration 0041 (`partner_events`), merged into `DB` in `src/db/schema.ts`. */
export interface PartnerEventsTable {
  /** int8 as text; the paging cursor. */
  seq: Generated<string>;
  id: string;
  partner_id: string;
  app_id: string | null;
  type: string;
  data: ColumnType<Record<string, unknown>, string, string>;
  created_at: Timestamp;
  delivered_at: TimestampNullable;
}

/** The tables of the end-user portal part of the database. */
export interface EndUserTables {
  partner_events: PartnerEventsTable;
}
