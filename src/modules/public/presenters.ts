import type { approvedAppsWithApis } from './queries.ts';
import { servedFields } from '../catalog/presenters.ts';
import type { Language } from '../../db/schema.ts';
import { purposeIn } from '../../lib/purposes.ts';

type ApprovedApp = Awaited<ReturnType<typeof approvedAppsWithApis>>[number];

/** The public partner directory: public partners with at least one approved app, and those apps. */
export function presentDirectory(apps: ApprovedApp[]) {
  type DirectoryApp = { id: string; name: string; description: string; apis: { code: string; name: string }[] };
  const partners = new Map<string, { id: string; name: string; description: string; website: string | null; apps: DirectoryApp[] }>();
  for (const a of apps) {
    const p = partners.get(a.partner_id) ?? {
      id: a.partner_id,
      name: a.partner_name,
      description: a.partner_description,
      website: a.partner_website,
      apps: [],
    };
    p.apps.push({ id: a.id, name: a.name, description: a.description, apis: a.apis.map((x) => ({ code: x.code, name: x.name })) });
    partners.set(a.partner_id, p);
  }
  return [...partners.values()];
}

/** One line of the purpose register: who receives which data for what, since when. */
export const presentRegisterEntry = (a: ApprovedApp, language: Language) => ({
  partner: { id: a.partner_id, name: a.partner_name },
  app: { id: a.id, name: a.name },
  apis: a.apis.map((x) => ({
    code: x.code,
    name: x.name,
    dataCategories: x.data_categories,
    // What each category releases, from the release policy of the data API the catalog says serves the API: a
    // reader of the register sees the fields, not just a code. An API no data API serves releases nothing yet.
    releases: Object.fromEntries(x.data_categories.map((c) => [c, servedFields(x.served_by, c).map((f) => `${f.entity}.${f.field}`)])),
    purposes: x.purposes,
    // The reader's language where the partner gave it, else another given one.
    purpose: purposeIn(x.purposes, language).text,
  })),
  approvedAt: a.approved_at,
});
