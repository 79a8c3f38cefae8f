import type { AuditRow, ReaderScope } from '../audit/presenters.ts';
import { grantChanges } from '../audit/presenters.ts';
import type { Language } from '../../db/schema.ts';
import { purposeIn } from '../../lib/purposes.ts';
import type { listAccreditedApps, listGrantsInScope, listVisibleApps, findAppWithClient, requestedApis } from './queries.ts';

type VisibleApp = Awaited<ReturnType<typeof listVisibleApps>>[number];
type ScopedGrant = Awaited<ReturnType<typeof listGrantsInScope>>[number];
type AppWithClient = NonNullable<Awaited<ReturnType<typeof findAppWithClient>>>;
type RequestedApi = Awaited<ReturnType<typeof requestedApis>>[number];
type AccreditedApp = Awaited<ReturnType<typeof listAccreditedApps>>[number];

/** The on/off switch as the admin sees it (state over their institutions, and the latest switch there). */
export interface SwitchView {
  state: 'on' | 'off' | 'partly_off' | 'not_granted';
  lastChange: { on: boolean; at: Date; by: string; reason: string | null } | null;
}

/** An API as the app was approved for it, its purpose in the reader's language (else another given). */
const presentApprovedApi = (x: { code: string; name: string; purposes: Partial<Record<Language, string>> }, categories: string[], language: Language) => ({
  code: x.code,
  name: x.name,
  dataCategories: categories,
  purposes: x.purposes,
  purpose: purposeIn(x.purposes, language).text,
});

/** A row of the accredited apps list: what the app was approved for, and the admin's switch. */
export const presentAccreditedApp = (a: AccreditedApp, language: Language, switchView: SwitchView) => ({
  id: a.id,
  name: a.name,
  description: a.description,
  partner: { id: a.partner_id, name: a.partner_name },
  approvedAt: a.approved_at,
  apis: a.apis.map((x) => presentApprovedApi(x, x.data_categories, language)),
  switch: switchView,
});

/** A row of the Apps table. */
export const presentSchoolAppRow = (a: VisibleApp, switchView: SwitchView) => ({
  id: a.id,
  name: a.name,
  status: a.status,
  partner: { id: a.partner_id, name: a.partner_name },
  clientId: a.client_id,
  active: a.status === 'approved',
  apis: a.apis.map((x) => ({ code: x.code, name: x.name })),
  createdAt: a.created_at,
  modifiedAt: a.updated_at,
  switch: switchView,
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
export const presentSchoolAppDetail = (a: AppWithClient, apis: RequestedApi[], language: Language, switchView: SwitchView) => ({
  id: a.id,
  name: a.name,
  description: a.description,
  status: a.status,
  active: a.status === 'approved',
  partner: { id: a.partner_id, name: a.partner_name },
  client: a.client_id && a.client_name ? { id: a.client_id, name: a.client_name } : null,
  apis: apis.map((x) => presentApprovedApi(x, x.requested_categories, language)),
  accreditation: { approvedAt: a.approved_at, notes: a.accreditation_notes },
  switch: switchView,
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
