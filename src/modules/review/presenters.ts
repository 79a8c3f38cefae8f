import { presentAuditEntry } from '../audit/presenters.ts';
import type { AppClientOrigin } from '../../db/schema.ts';
import { purposeIn } from '../../lib/purposes.ts';
import type { CategoryText } from '../catalog/queries.ts';
import type { appForReview, listAppsForOperator, listLegacyClients, listPartnersForOperator } from './queries.ts';

type OperatorAppListRow = Awaited<ReturnType<typeof listAppsForOperator>>[number];
type Review = NonNullable<Awaited<ReturnType<typeof appForReview>>>;
type PartnerListRow = Awaited<ReturnType<typeof listPartnersForOperator>>[number];
type LegacyRow = Awaited<ReturnType<typeof listLegacyClients>>[number];
type SecretRow = { hint: string; created_at: Date; expires_at: Date | null; last_used_at: Date | null };

const presentSecret = (s: SecretRow) => ({ hint: s.hint, createdAt: s.created_at, expiresAt: s.expires_at, lastUsedAt: s.last_used_at });

export const presentOperatorAppRow = (a: OperatorAppListRow) => ({
  id: a.id,
  name: a.name,
  status: a.status,
  partner: { id: a.partner_id, name: a.partner_name },
  apis: a.api_codes,
  submittedAt: a.submitted_at,
  approvedAt: a.approved_at,
  createdAt: a.created_at,
  updatedAt: a.updated_at,
});

/**
 * The full request as the operator reviews it, with the accreditation and the app's history; each
 * purpose and category text in the reader's `language` where given (src/lib/purposes.ts), and every
 * language the partner wrote the purpose in (the operator approves them all).
 */
export const presentOperatorApp = ({ app, apis, client, secrets, history }: Review, language: string, texts: Map<string, CategoryText>) => ({
  id: app.id,
  name: app.name,
  description: app.description,
  contactEmail: app.contact_email,
  status: app.status,
  statusReason: app.status_reason,
  rejectionReason: app.rejection_reason,
  redirectUris: app.redirect_uris,
  partner: { id: app.partner_id, name: app.partner_name, contactEmail: app.partner_contact_email, website: app.partner_website },
  apis: apis.map((x) => {
    const purpose = purposeIn(x.purposes, language);
    return {
      code: x.code,
      name: x.name,
      dataCategories: x.data_categories,
      categories: x.data_categories.map((c) => ({ code: c, ...(texts.get(c) ?? { name: c, description: '' }) })),
      purpose: purpose.text,
      purposeLanguage: purpose.language,
      purposes: x.purposes,
      accessLevel: x.access_level,
    };
  }),
  client: client ? { id: client.id, name: client.name, origin: client.origin as AppClientOrigin, secrets: secrets.map(presentSecret) } : null,
  accreditation: app.approved_at
    ? {
        approvedAt: app.approved_at,
        approvedBy: app.approved_by ? { id: app.approved_by, name: app.approver_name ?? '' } : null,
        notes: app.accreditation_notes,
      }
    : null,
  submittedAt: app.submitted_at,
  createdAt: app.created_at,
  updatedAt: app.updated_at,
  history: history.map((h) => presentAuditEntry(h, null)),
});

export const presentPartnerRow = (p: PartnerListRow) => ({
  id: p.id,
  name: p.name,
  contactEmail: p.contact_email,
  website: p.website,
  public: p.public,
  membersCount: Number(p.members_count ?? 0),
  apps: p.apps.map((a) => ({ id: a.id, name: a.name, status: a.status })),
  createdAt: p.created_at,
});

export const presentGrant = (g: { api_code: string; institution_number: string | null; access_group_id: string | null }) => ({
  apiCode: g.api_code,
  institutionNumber: g.institution_number,
  accessGroupId: g.access_group_id,
});

export const presentLegacyClient = (c: LegacyRow) => ({
  id: c.id,
  name: c.name,
  createdAt: c.created_at,
  linkedAt: c.linked_at,
  app:
    c.app_id && c.app_name && c.app_status && c.partner_id && c.partner_name
      ? { id: c.app_id, name: c.app_name, status: c.app_status, partner: { id: c.partner_id, name: c.partner_name } }
      : null,
  grants: c.grants.map(presentGrant),
  secrets: c.secrets.map(presentSecret),
});
