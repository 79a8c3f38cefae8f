import type { AccessLevel, App, AppClientOrigin, AppStatus, Purposes } from '../../db/schema.ts';
import type { Selectable } from 'kysely';
import { withoutSecrets } from '../audit/presenters.ts';
import type { AuditLogTable, ClientSecretsTable, ClientsTable, InvitationsTable } from '../../db/schema.ts';
import { editableFields } from './policies.ts';

export interface ApiRequestRow {
  app_id: string;
  api_code: string;
  api_name: string;
  data_categories: string[];
  purposes: Purposes;
  purpose: string;
  access_level: AccessLevel;
}

/** App row + its API requests + client id → what the partner portal shows. */
export const presentApp = (app: App, requests: ApiRequestRow[], clientId: string | null) => ({
  id: app.id,
  partnerId: app.partner_id,
  name: app.name,
  description: app.description,
  contactEmail: app.contact_email,
  status: app.status,
  editable: editableFields(app.status),
  redirectUris: app.redirect_uris,
  clientType: app.client_type,
  apis: requests
    .filter((r) => r.app_id === app.id)
    .map((r) => ({
      apiCode: r.api_code,
      apiName: r.api_name,
      dataCategories: r.data_categories,
      purposes: r.purposes,
      purpose: r.purpose,
      accessLevel: r.access_level,
    })),
  clientId,
  submittedAt: app.submitted_at,
  approvedAt: app.approved_at,
  accreditationNotes: app.accreditation_notes,
  rejectionReason: app.rejection_reason,
  statusReason: app.status_reason,
  createdAt: app.created_at,
  updatedAt: app.updated_at,
});

/** What the audit log keeps of an app's editable properties. */
export const appSnapshot = (a: {
  name: string;
  description: string;
  contactEmail: string;
  status: AppStatus;
  redirectUris: string[];
  clientType?: 'confidential' | 'public';
  apis: { apiCode: string; dataCategories: string[]; purposes: Purposes; accessLevel?: AccessLevel }[];
}) => ({
  name: a.name,
  description: a.description,
  contactEmail: a.contactEmail,
  status: a.status,
  redirectUris: a.redirectUris,
  ...(a.clientType ? { clientType: a.clientType } : {}),
  // The level only where it is read-write: a read-only app's history reads as it always did.
  apis: a.apis.map((r) => ({
    apiCode: r.apiCode,
    dataCategories: r.dataCategories,
    purposes: r.purposes,
    ...(r.accessLevel === 'read_write' ? { accessLevel: r.accessLevel } : {}),
  })),
});

export const presentSecretInfo = (s: Selectable<ClientSecretsTable>) => ({
  id: s.id,
  hint: s.hint,
  createdAt: s.created_at,
  lastUsedAt: s.last_used_at,
  expiresAt: s.expires_at,
});

export const presentClient = (c: Selectable<ClientsTable>, liveSecrets: Selectable<ClientSecretsTable>[]) => ({
  clientId: c.id,
  name: c.name,
  // Only an app's client is presented here, and that is never an ingestion client.
  origin: c.origin as AppClientOrigin,
  linkedAt: c.linked_at,
  createdAt: c.created_at,
  secrets: liveSecrets.map(presentSecretInfo),
});

export const presentInvitation = (i: Selectable<InvitationsTable>, link: string, now: Date) => ({
  id: i.id,
  email: i.email,
  link,
  createdAt: i.created_at,
  expiresAt: i.expires_at,
  expired: i.expires_at <= now,
  mailId: i.mail_id,
});

// One list of secret-looking keys for every log reader: the audit module's.
export { withoutSecrets };

export const presentLogEntry = (e: Selectable<AuditLogTable>) => ({
  id: String(e.id),
  at: e.at,
  actor: { label: e.actor_label, kind: e.actor_kind },
  action: e.action,
  subjectType: e.subject_type,
  subjectId: e.subject_id,
  clientId: e.client_id,
  institutionNumbers: e.institution_numbers,
  reason: e.reason,
  before: withoutSecrets(e.before ?? null),
  after: withoutSecrets(e.after ?? null),
});

/** A grant of the app's client as the partner sees it (who granted it is in the log). */
export const presentGrant = (g: {
  id: string;
  api_code: string;
  api_name: string;
  institution_number: string | null;
  institution_name: string | null;
  institution_sandbox: boolean | null;
  access_group_id: string | null;
  access_group_name: string | null;
  granted_at: Date;
  reason: string | null;
}) => ({
  id: g.id,
  apiCode: g.api_code,
  apiName: g.api_name,
  institutionNumber: g.institution_number,
  institutionName: g.institution_name,
  sandbox: g.institution_sandbox === true,
  accessGroupId: g.access_group_id,
  accessGroupName: g.access_group_name,
  grantedAt: g.granted_at,
  reason: g.reason,
});
