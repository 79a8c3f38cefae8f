import type { Selectable } from 'kysely';
import type { ConsentRow, readsOfConsents } from './queries.ts';
import type { PartnerEventsTable } from './tables.ts';

type Reads = Awaited<ReturnType<typeof readsOfConsents>> extends Map<string, infer R> ? R : never;

/** One line of "My connected apps". */
export const presentConnectedApp = (c: ConsentRow, reads: Reads | undefined) => ({
  consentId: c.id,
  app: { id: c.app_id, name: c.app_name, partnerName: c.partner_name },
  institution: { number: c.institution_number, name: c.institution_name },
  role: c.role,
  scopes: c.scopes,
  categories: c.data_categories.map((category) => ({ apiCode: c.api_code, category, purpose: c.purpose ?? '' })),
  consentedAt: c.consented_at,
  updatedAt: c.updated_at,
  reads: reads ?? { total: 0, lastAt: null, recent: [] },
});

/** A partner event as the partner API shows it. */
export const presentPartnerEvent = (e: Selectable<PartnerEventsTable>) => ({
  id: e.id,
  seq: String(e.seq),
  type: e.type,
  createdAt: e.created_at,
  data: (typeof e.data === 'string' ? JSON.parse(e.data) : e.data) as Record<string, unknown>,
});
