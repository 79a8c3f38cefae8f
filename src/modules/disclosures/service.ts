import type { AppContext } from '../../context.ts';
import { invalidField } from '../../http/errors.ts';
import { localDate } from '../../lib/school-year.ts';
import { clientsById, disclosureLines, grantState, relationsOfPerson, type GrantState } from './queries.ts';

/** The longest period one report covers: keeps the part of the access log one request reads bounded. */
export const MAX_DAYS = 3 * 366;

const addDays = (day: string, days: number) => {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
};

/** The report's period: the given days, by default the last 12 months up to today (deployment time zone). */
export function reportPeriod(ctx: AppContext, query: { from?: string; to?: string }): { from: string; to: string } {
  const to = query.to ?? localDate(ctx.clock.now(), ctx.config.TZ);
  const from = query.from ?? `${Number(to.slice(0, 4)) - 1}${to.slice(4)}`.replace(/-02-29$/, '-02-28');
  if (from > to) throw invalidField('querystring.from', 'period_reversed', 'from must not be after to.');
  if (addDays(from, MAX_DAYS) < to) throw invalidField('querystring.from', 'period_too_long', `A report covers at most ${MAX_DAYS} days; choose a later from.`);
  return { from: query.from ? from : addDays(from, 1), to };
}

/** One entry of the report before presentation. */
export interface DisclosureGroup {
  clientId: string | null;
  app: { id: string | null; name: string; partnerName: string | null };
  entries: {
    api: string | null;
    institution: { number: string; name: string };
    grant: Omit<GrantState, 'target'> & { target: GrantState['target'] | 'end_user_consent' };
    firstAt: Date;
    lastAt: Date;
    requests: number;
    endpoints: string[];
    categories: { category: string; firstAt: Date; lastAt: Date; requests: number }[];
  }[];
}

/**
 * Builds the disclosure report of a person over `institutions` (null: all of theirs): which apps
 * received which categories of their data, when, and under which grant. See routes.ts for the rule.
 */
export async function buildReport(ctx: AppContext, personId: string, institutions: string[] | null, period: { from: string; to: string }) {
  const relations = await relationsOfPerson(ctx.db, personId, institutions);
  const covered = new Map(relations.map((r) => [r.institution, r.name]));
  const lines = await disclosureLines(ctx.db, { personId, institutions: [...covered.keys()], ...period, timeZone: ctx.config.TZ });
  const clients = await clientsById(ctx.db, [...new Set(lines.map((l) => l.client_id).filter((c): c is string => c !== null))]);
  const groups = new Map<string, DisclosureGroup>();
  const entries = new Map<string, DisclosureGroup['entries'][number]>();
  const key = (l: (typeof lines)[number]) => `${l.client_id ?? l.app_id}|${l.api}|${l.institution}|${l.via_consent}`;
  // Totals (category NULL) first, so that each entry exists before its categories are added.
  for (const l of [...lines].sort((a, b) => Number(a.category !== null) - Number(b.category !== null))) {
    const groupKey = l.client_id ?? l.app_id ?? 'unknown';
    let group = groups.get(groupKey);
    if (!group) {
      const c = l.client_id ? clients.get(l.client_id) : undefined;
      group = {
        clientId: l.client_id,
        app: { id: c?.app_id ?? l.app_id, name: c?.app_name ?? c?.client_name ?? '—', partnerName: c?.partner_name ?? null },
        entries: [],
      };
      groups.set(groupKey, group);
    }
    if (l.category === null) {
      const grant: DisclosureGroup['entries'][number]['grant'] = l.via_consent
        ? { target: 'end_user_consent', accessGroup: null, grantedAt: null, grantedBy: null, active: false, revokedAt: null, revokedBy: null }
        : l.client_id && l.api
          ? await grantState(ctx.db, l.client_id, l.api, l.institution)
          : { target: 'institution', accessGroup: null, grantedAt: null, grantedBy: null, active: false, revokedAt: null, revokedBy: null };
      const entry = {
        api: l.api,
        institution: { number: l.institution, name: covered.get(l.institution) ?? '' },
        grant,
        firstAt: l.first_at,
        lastAt: l.last_at,
        requests: Number(l.requests),
        endpoints: [...(l.endpoints ?? [])].sort(),
        categories: [],
      };
      entries.set(key(l), entry);
      group.entries.push(entry);
    } else {
      entries.get(key(l))?.categories.push({ category: l.category, firstAt: l.first_at, lastAt: l.last_at, requests: Number(l.requests) });
    }
  }
  const apps = [...groups.values()].sort((a, b) => a.app.name.localeCompare(b.app.name));
  for (const a of apps) a.entries.sort((x, y) => `${x.api}${x.institution.number}`.localeCompare(`${y.api}${y.institution.number}`));
  return {
    institutions: [...covered].map(([number, name]) => ({ number, name })).sort((a, b) => a.number.localeCompare(b.number)),
    apps,
  };
}
