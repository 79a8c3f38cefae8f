import type { ClientReportRow } from './queries.ts';
import type { ClientReportView } from './schemas.ts';

const iso = (d: Date | string) => (d instanceof Date ? d : new Date(d)).toISOString();
const num = (n: string | number | null) => (n === null ? null : Number(n));

/** A stored report as the operator and school admins read it (institutions already narrowed by the query). */
export function presentClientReport(r: ClientReportRow): ClientReportView {
  return {
    id: String(r.id),
    kind: r.kind,
    receivedAt: iso(r.received_at),
    requestId: r.request_id,
    client: { id: r.client_id, name: r.client_name },
    app: r.app_id && r.app_name !== null ? { id: r.app_id, name: r.app_name } : null,
    institutionNumbers: r.institution_numbers,
    resourceType: r.resource_type,
    resourceId: r.resource_id,
    resourceUrl: r.resource_url,
    timeOfOccurance: r.occurred_at === null ? null : iso(r.occurred_at),
    severityLevel: r.severity_level,
    messageType: r.message_type,
    message: r.message,
    newCount: num(r.new_count),
    updatedCount: num(r.updated_count),
    deletedCount: num(r.deleted_count),
  };
}
