import type { DisclosureGroup } from './service.ts';

/** Who sees the report: the back-office sees who granted and revoked, the end user only when. */
export type Audience = 'back_office' | 'end_user';

/** A report as the API returns it. */
export function presentReport(
  person: { id: string; display_name: string },
  period: { from: string; to: string },
  report: { institutions: { number: string; name: string }[]; apps: DisclosureGroup[] },
  audience: Audience,
) {
  return {
    person: { id: person.id, displayName: person.display_name },
    from: period.from,
    to: period.to,
    institutions: report.institutions,
    apps: report.apps.map((a) => ({
      app: a.app,
      clientId: audience === 'back_office' ? a.clientId : null,
      entries: a.entries.map((e) => ({
        ...e,
        grant: audience === 'back_office' ? e.grant : { ...e.grant, grantedBy: null, revokedBy: null },
      })),
    })),
  };
}

/** A person hit of the back-office search. */
export const presentPersonHit = (p: { id: string; display_name: string; institutions: { number: string; name: string }[] | null; roles: string[] | null }) => ({
  id: p.id,
  displayName: p.display_name,
  roles: [...new Set(p.roles ?? [])].sort() as ('student' | 'guardian' | 'staff')[],
  institutions: [...(p.institutions ?? [])].sort((a, b) => a.number.localeCompare(b.number)),
});
