import type { AuditRow, ReaderScope } from '../audit/presenters.ts';
import { grantChanges } from '../audit/presenters.ts';
import type { listGrantsInScope, listVisibleApps, findAppWithClient, requestedApis } from './queries.ts';

type VisibleApp = Awaited<ReturnType<typeof listVisibleApps>>[number];
type ScopedGrant = Awaited<ReturnType<typeof listGrantsInScope>>[number];
type AppWithClient = NonNullable<Awaited<ReturnType<typeof findAppWithClient>>>;
type RequestedApi = Awaited<ReturnType<typeof requestedApis>>[number];

/** A row of the Apps table. */
export const presentSchoolAppRow = (a: VisibleApp) => ({
  id: a.id,
  name: a.name,
  status: a.status,
  partner: { id: a.partner_id, name: a.partner_name },
  clientId: a.client_id,
  active: a.status === 'approved',
  apis: a.apis.map((x) => ({ code: x.code, name: x.name })),
  createdAt: a.created_at,
  modifiedAt: a.updated_at,
});

/** A row of the API access table: never the secret or a raw scope string. */
export const presentApiAccessRow = (g: ScopedGrant) => ({
  api: { code: g.api_code, name: g.api_name },
  institution: g.institution_number
    ? { number: g.institution_number, name: g.institution_name ?? '', label: `${g.institution_number} - ${g.institution_name ?? ''}` }
    : null,
  accessGroup: g.access_group_id ? { id: g.access_group_id, name: g.access_group_name ?? '' } : null,
  client: { id: g.client_id, name: g.client_name },
  app: g.app_id && g.app_name ? { id: g.app_id, name: g.app_name } : null,
  status: g.app_status ?? null,
  partner: g.partner_id && g.partner_name ? { id: g.partner_id, name: g.partner_name } : null,
  grantedAt: g.granted_at,
});

/** The General tab: read-only properties of the app. */
export const presentSchoolAppDetail = (a: AppWithClient, apis: RequestedApi[]) => ({
  id: a.id,
  name: a.name,
  description: a.description,
  status: a.status,
  active: a.status === 'approved',
  partner: { id: a.partner_id, name: a.partner_name },
  client: a.client_id && a.client_name ? { id: a.client_id, name: a.client_name } : null,
  apis: apis.map((x) => ({ code: x.code, name: x.name })),
  contactEmail: a.contact_email,
  createdAt: a.created_at,
  modifiedAt: a.updated_at,
});

/** One line of the Logs tab, showing only changes within the reader's scope. */
export const presentLogEntry = (row: AuditRow, scope: ReaderScope) => ({
  id: String(row.id),
  at: row.at,
  actor: row.actor_label,
  action: row.action,
  changes: grantChanges(row, scope),
  reason: row.reason,
});
