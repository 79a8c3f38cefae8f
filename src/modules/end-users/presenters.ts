import type { Selectable } from 'kysely';
import { purposeIn } from '../../lib/purposes.ts';
import type { CategoryText } from '../catalog/queries.ts';
import type { ConsentRow, readsOfConsents } from './queries.ts';
import type { PartnerEventsTable } from './tables.ts';

type Reads = Awaited<ReturnType<typeof readsOfConsents>> extends Map<string, infer R> ? R : never;

/**
 * One line of "My connected apps", its texts (purpose, category names and descriptions) in the
 * reader's `language` where given, else another given one (src/lib/purposes.ts).
 */
export const presentConnectedApp = (c: ConsentRow, reads: Reads | undefined, language: string, texts: Map<string, CategoryText>) => ({
  consentId: c.id,
  app: { id: c.app_id, name: c.app_name, partnerName: c.partner_name },
  institution: { number: c.institution_number, name: c.institution_name },
  role: c.role,
  scopes: c.scopes,
  categories: c.data_categories.map((category) => {
    const purpose = purposeIn(c.purposes, language);
    const text = texts.get(category) ?? { name: category, description: '' };
    return {
      apiCode: c.api_code,
      category,
      name: text.name,
      description: text.description,
      purpose: purpose.text,
      purposeLanguage: purpose.language,
      purposes: c.purposes ?? {},
    };
  }),
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
