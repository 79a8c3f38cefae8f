import { sql } from 'kysely';
import type { Queryable } from '../../context.ts';
import type { ReportKind } from './schemas.ts';

/** What one accepted report stores (see migration 0058). */
export interface NewClientReport {
  client_id: string;
  kind: ReportKind;
  received_at: Date;
  request_id: string;
  resource_type: string | null;
  resource_id: string | null;
  resource_url: string | null;
  occurred_at: Date | null;
  severity_level: string | null;
  message_type: string | null;
  message: string | null;
  /** bigint columns, written as text. */
  new_count: string | null;
  updated_count: string | null;
  deleted_count: string | null;
}

/** Stores a report and the institutions it concerns (only institutions that exist); returns its id. */
export async function insertClientReport(db: Queryable, report: NewClientReport, institutions: readonly string[]): Promise<string> {
  const { id } = await db.insertInto('client_reports').values(report).returning('id').executeTakeFirstOrThrow();
  if (institutions.length)
    await db
      .insertInto('client_report_institutions')
      .columns(['report_id', 'institution_number'])
      .expression((eb) =>
        eb
          .selectFrom('institutions')
          .select([sql<string>`${id}::bigint`.as('report_id'), 'number'])
          .where('number', 'in', institutions),
      )
      .execute();
  return String(id);
}

/** A report row as read for the management API, with its client, app and institutions. */
export interface ClientReportRow {
  id: string;
  kind: ReportKind;
  received_at: Date;
  request_id: string;
  client_id: string;
  client_name: string;
  app_id: string | null;
  app_name: string | null;
  institution_numbers: string[];
  resource_type: string | null;
  resource_id: string | null;
  resource_url: string | null;
  occurred_at: Date | null;
  severity_level: 'Info' | 'Warning' | 'Error' | null;
  message_type: string | null;
  message: string | null;
  new_count: string | null;
  updated_count: string | null;
  deleted_count: string | null;
}

/** The management API's filters; `institutions` null: every report (the operator). */
export interface ReportFilter {
  institutions: string[] | null;
  kind?: ReportKind;
  appId?: string;
  clientId?: string;
  institutionNumber?: string;
  severityLevel?: string;
  from?: string;
  to?: string;
  timeZone: string;
  limit: number;
}

/**
 * Reports newest first. A reader limited to some institutions gets the reports concerning one of
 * them, and of each report only those institutions (the others are another school's business).
 */
export async function listClientReports(db: Queryable, f: ReportFilter): Promise<ClientReportRow[]> {
  const mine = f.institutions === null ? null : sql`${f.institutions}::text[]`;
  const conds = [sql`true`];
  if (mine) conds.push(sql`EXISTS (SELECT 1 FROM client_report_institutions ri WHERE ri.report_id = r.id AND ri.institution_number = ANY(${mine}))`);
  if (f.institutionNumber)
    conds.push(sql`EXISTS (SELECT 1 FROM client_report_institutions ri WHERE ri.report_id = r.id AND ri.institution_number = ${f.institutionNumber})`);
  if (f.kind) conds.push(sql`r.kind = ${f.kind}`);
  if (f.appId) conds.push(sql`c.app_id = ${f.appId}::uuid`);
  if (f.clientId) conds.push(sql`r.client_id = ${f.clientId}::uuid`);
  if (f.severityLevel) conds.push(sql`r.severity_level = ${f.severityLevel}`);
  if (f.from) conds.push(sql`r.received_at >= (${f.from}::date::timestamp AT TIME ZONE ${f.timeZone})`);
  if (f.to) conds.push(sql`r.received_at < ((${f.to}::date + 1)::timestamp AT TIME ZONE ${f.timeZone})`);
  const shown = mine ? sql`AND ri.institution_number = ANY(${mine})` : sql``;
  const result = await sql<ClientReportRow>`
    SELECT r.id::text AS id, r.kind, r.received_at, r.request_id, r.client_id, c.name AS client_name, c.app_id, a.name AS app_name,
           ARRAY(SELECT ri.institution_number FROM client_report_institutions ri WHERE ri.report_id = r.id ${shown} ORDER BY 1) AS institution_numbers,
           r.resource_type, r.resource_id, r.resource_url, r.occurred_at, r.severity_level, r.message_type, r.message,
           r.new_count, r.updated_count, r.deleted_count
    FROM client_reports r
    JOIN clients c ON c.id = r.client_id
    LEFT JOIN apps a ON a.id = c.app_id
    WHERE ${sql.join(conds, sql` AND `)}
    ORDER BY r.received_at DESC, r.id DESC
    LIMIT ${f.limit}`.execute(db);
  return result.rows;
}
