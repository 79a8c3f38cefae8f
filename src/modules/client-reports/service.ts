import type { AppContext } from '../../context.ts';
import type { Scope } from '../ss12000/scope.ts';
import { concernedInstitutions, ssError } from './policies.ts';
import { insertClientReport } from './queries.ts';
import { logEntrySchema, statisticsEntrySchema, type LogEntry, type ReportKind, type StatisticsEntry } from './schemas.ts';

/**
 * A report body validated against its kind's schema; the first problem is a 400 `invalid_body`
 * naming the member, in the data API's `{code, message}` shape (the code lookup bodies have).
 */
export function parseReport<K extends ReportKind>(kind: K, body: unknown): K extends 'log' ? LogEntry : StatisticsEntry {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw ssError(400, 'invalid_body', `The body must be a JSON object (a ${kind === 'log' ? 'LogEntry' : 'StatisticsEntry'}).`);
  const result = (kind === 'log' ? logEntrySchema : statisticsEntrySchema).safeParse(body);
  if (result.success) return result.data as never;
  const unknown = result.error.issues.find((i) => i.code === 'unrecognized_keys');
  if (unknown) {
    const name = unknown.keys[0]!;
    throw ssError(
      400,
      'invalid_body',
      `${name.length > 60 ? `${name.slice(0, 60)}…` : name} is not a member of a ${kind === 'log' ? 'LogEntry' : 'StatisticsEntry'}.`,
    );
  }
  const issue = result.error.issues[0]!;
  const name = String(issue.path[0] ?? '');
  const message = issue.code === 'invalid_type' && issue.input === undefined ? `${name} is required.` : issue.message;
  throw ssError(400, 'invalid_body', message.startsWith(name) ? message : `${name}: ${message}`);
}

/**
 * Stores what a client reported, with the client and the institutions it concerns (decided from
 * the client's scope of this request, see `concernedInstitutions`), in one transaction. No audit
 * row: a report is the client's statement, not a change anyone governs; the request itself is in
 * the access log under the same request id.
 */
export async function recordClientReport(
  ctx: AppContext,
  scope: Scope,
  requestId: string,
  report: { kind: 'log'; entry: LogEntry } | { kind: 'statistics'; entry: StatisticsEntry },
): Promise<{ id: string; institutionNumbers: string[] }> {
  const institutionNumbers = concernedInstitutions(scope, report.entry);
  const e = report.entry;
  const log = report.kind === 'log' ? report.entry : undefined;
  const stats = report.kind === 'statistics' ? report.entry : undefined;
  const id = await ctx.db.transaction().execute((trx) =>
    insertClientReport(
      trx,
      {
        client_id: scope.identity.clientId,
        kind: report.kind,
        received_at: ctx.clock.now(),
        request_id: requestId,
        resource_type: e.resourceType ?? null,
        resource_id: log?.resourceId ?? null,
        resource_url: e.resourceUrl ?? null,
        occurred_at: e.timeOfOccurance ?? null,
        severity_level: log?.severityLevel ?? null,
        message_type: log?.messageType ?? null,
        message: log?.message ?? null,
        new_count: stats ? String(stats.newCount) : null,
        updated_count: stats ? String(stats.updatedCount) : null,
        deleted_count: stats ? String(stats.deletedCount) : null,
      },
      institutionNumbers,
    ),
  );
  return { id, institutionNumbers };
}
