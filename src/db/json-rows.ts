import { sql, type RawBuilder } from 'kysely';

/**
 * Rows sent as one JSON parameter and read back as the table's row type (`json_populate_recordset`),
 * as `x`, rather than as a multi-row VALUES with a parameter per cell: a load of the bench world spent
 * an eighth of the server's CPU writing tens of thousands of parameters per statement into Bind
 * messages (and PostgreSQL parsing as many), where one JSON text costs one JSON.stringify and one
 * parse; and the statement's text no longer depends on how many rows it carries. `rows` are the JSON
 * texts of the rows, members named as the table's columns; a missing member is NULL (not the column's
 * default). Used by ingestion (src/modules/ss12000/ingest.ts) and the access log's group commit.
 */
export function jsonRows(table: string, rows: string[]): RawBuilder<unknown> {
  return sql`json_populate_recordset(NULL::${sql.table(table)}, ${`[${rows.join(',')}]`}::json) AS x`;
}
