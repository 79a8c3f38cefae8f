import type { ColumnType, Generated } from 'kysely';

/** Kysely types of migration 0020_readout.sql. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type TimestampNullable = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json = ColumnType<unknown, string | null | undefined, string | null>;

export interface ReadoutRunsTable {
  id: Generated<string>;
  customer_key: string;
  trigger: 'cli' | 'schedule';
  status: 'running' | 'succeeded' | 'failed';
  mode: 'full' | 'incremental' | null;
  started_at: Timestamp;
  finished_at: TimestampNullable;
  counts: Json;
  report: Json;
  error: string | null;
  output_path: string | null;
}

export interface ReadoutStateTable {
  customer_key: string;
  last_run_id: string;
  source_watermark: Timestamp;
  source_snapshot: Uint8Array;
  published_rows: Uint8Array;
  updated_at: Timestamp;
}

export interface ReadoutTables {
  readout_runs: ReadoutRunsTable;
  readout_state: ReadoutStateTable;
}
