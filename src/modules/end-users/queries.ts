import { sql } from 'kysely';
import type { Queryable } from '../../context.ts';
import { institutionsOfTargets } from '../access/reach.ts';
import type { AdminScope } from '../school/policies.ts';

/** How many recent reads "My connected apps" shows per app. */
export const RECENT_READS = 10;

/** A person's live consents with the app, its partner, the school and the registration's purposes. */
export async function liveConsentsOfPerson(db: Queryable, personId: string) {
  return db
    .selectFrom('end_user_consents as c')
    .innerJoin('clients as cl', 'cl.id', 'c.client_id')
    .innerJoin('apps as a', 'a.id', 'cl.app_id')
    .innerJoin('partners as p', 'p.id', 'a.partner_id')
    .innerJoin('institutions as i', 'i.number', 'c.institution_number')
    .leftJoin('app_api_requests as r', (join) => join.onRef('r.app_id', '=', 'a.id').onRef('r.api_code', '=', 'c.api_code'))
    .select([
      'c.id',
      'c.role',
      'c.api_code',
      'c.scopes',
      'c.data_categories',
      'c.consented_at',
      'c.updated_at',
      'a.id as app_id',
      'a.name as app_name',
      'p.name as partner_name',
      'i.number as institution_number',
      'i.name as institution_name',
      'r.purposes',
    ])
    .where('c.person_id', '=', personId)
    .where('c.withdrawn_at', 'is', null)
    .orderBy('c.consented_at', 'desc')
    .orderBy('c.id')
    .execute();
}

/** One row of `liveConsentsOfPerson`. */
export type ConsentRow = Awaited<ReturnType<typeof liveConsentsOfPerson>>[number];

/**
 * The app's successful reads under each consent: count, last time and the latest few. Two queries
 * for any number of consents (the access log is indexed on consent_id, at).
 */
export async function readsOfConsents(db: Queryable, consentIds: string[]) {
  const result = new Map<string, { total: number; lastAt: Date | null; recent: { at: Date; endpoint: string; records: number }[] }>();
  if (consentIds.length === 0) return result;
  for (const id of consentIds) result.set(id, { total: 0, lastAt: null, recent: [] });
  // A refused request (401 after a withdrawal, 403, 404) read nothing of the person's data.
  const totals = await db
    .selectFrom('ss12000_access_log')
    .select(['consent_id', sql<string>`count(*)`.as('total'), sql<Date>`max(at)`.as('last_at')])
    .where('consent_id', 'in', consentIds)
    .where('status', '<', 400)
    .groupBy('consent_id')
    .execute();
  for (const t of totals) {
    const entry = result.get(t.consent_id!)!;
    entry.total = Number(t.total);
    entry.lastAt = t.last_at === null ? null : new Date(t.last_at);
  }
  const recent = await sql<{ consent_id: string; at: Date; endpoint: string; record_count: number }>`
    SELECT l.consent_id, l.at, l.endpoint, l.record_count
    FROM unnest(${consentIds}::uuid[]) AS c(id)
    CROSS JOIN LATERAL (
      SELECT consent_id, at, endpoint, record_count FROM ss12000_access_log
      WHERE consent_id = c.id AND status < 400
      ORDER BY at DESC, id DESC LIMIT ${RECENT_READS}
    ) l
    ORDER BY l.at DESC`.execute(db);
  for (const r of recent.rows) {
    result.get(r.consent_id)!.recent.push({ at: new Date(r.at), endpoint: r.endpoint, records: Number(r.record_count) });
  }
  return result;
}

/** The admin's institutions: those of their rights, directly or through an access group (src/modules/access/reach.ts). */
export async function institutionsOfScope(db: Queryable, scope: AdminScope): Promise<string[]> {
  return institutionsOfTargets(db, { institutions: scope.institutions.keys(), accessGroups: scope.accessGroups.keys() });
}

/**
 * Live sign-in consents for the app's client at the admin's institutions, per institution: `count`
 * is the students (what the issue asks for); `byRole` adds guardians and staff. Institutions with no
 * live consent are left out (count 0).
 */
export async function consentCountsForAdmin(db: Queryable, scope: AdminScope, clientId: string | null) {
  if (!clientId) return [];
  const institutions = await institutionsOfScope(db, scope);
  if (institutions.length === 0) return [];
  const rows = await db
    .selectFrom('end_user_consents')
    .select(['institution_number', 'role', sql<string>`count(*)`.as('n')])
    .where('client_id', '=', clientId)
    .where('withdrawn_at', 'is', null)
    .where('institution_number', 'in', institutions)
    .groupBy(['institution_number', 'role'])
    .execute();
  const byInstitution = new Map<string, { student: number; guardian: number; staff: number }>();
  for (const r of rows) {
    const entry = byInstitution.get(r.institution_number) ?? { student: 0, guardian: 0, staff: 0 };
    entry[r.role] = Number(r.n);
    byInstitution.set(r.institution_number, entry);
  }
  return [...byInstitution.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([institutionNumber, byRole]) => ({ institutionNumber, count: byRole.student, byRole }));
}

/** One page of an app's partner events in insertion order, after `after` (exclusive). */
export async function listAppEvents(db: Queryable, appId: string, after: string | undefined, limit: number) {
  let q = db.selectFrom('partner_events').selectAll().where('app_id', '=', appId);
  if (after !== undefined) q = q.where('seq', '>', sql<string>`${after}::bigint`);
  return q.orderBy('seq').limit(limit).execute();
}
