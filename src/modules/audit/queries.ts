import { sql } from 'kysely';
import type { Queryable } from '../../context.ts';

export interface AuditFilters {
  action?: string | undefined;
  /** Any of these actions (internal use). */
  actions?: string[] | undefined;
  appId?: string | undefined;
  partnerId?: string | undefined;
  institution?: string | undefined;
  /** A user id, or part of the actor's label (name or e-mail). */
  actor?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
}

/** Which rows a reader may see at all (decided by `auditReaderFor`). */
export type AuditVisibility =
  { kind: 'all' } | { kind: 'partner'; partnerId: string } | { kind: 'scope'; institutionNumbers: string[]; accessGroupIds: string[] };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Audit rows newest first, keyset-paged on the identity (`before`: the last id of the previous page),
 * restricted to what the reader may see and to the filters.
 */
export async function listAuditEntries(
  db: Queryable,
  visibility: AuditVisibility,
  filters: AuditFilters,
  page: { before?: string | undefined; limit: number },
) {
  let q = db.selectFrom('audit_log').selectAll();
  if (visibility.kind === 'partner') q = q.where('partner_id', '=', visibility.partnerId);
  if (visibility.kind === 'scope') {
    const { institutionNumbers, accessGroupIds } = visibility;
    q = q.where((eb) => {
      const parts = [];
      if (institutionNumbers.length) parts.push(sql<boolean>`institution_numbers && ${sql.val(institutionNumbers)}::text[]`);
      if (accessGroupIds.length) parts.push(sql<boolean>`access_group_ids && ${sql.val(accessGroupIds)}::uuid[]`);
      return parts.length ? eb.or(parts) : eb.val(false);
    });
  }
  if (filters.action) {
    // "grants.*" style prefixes match a family of actions.
    q = filters.action.endsWith('.*')
      ? q.where('action', 'like', `${filters.action.slice(0, -2).replace(/[\\%_]/g, '\\$&')}.%`)
      : q.where('action', '=', filters.action);
  }
  if (filters.actions) q = q.where('action', 'in', filters.actions);
  if (filters.appId) q = q.where('app_id', '=', filters.appId);
  if (filters.partnerId) q = q.where('partner_id', '=', filters.partnerId);
  if (filters.institution) q = q.where(sql<boolean>`${filters.institution} = any(institution_numbers)`);
  if (filters.actor) {
    const actor = filters.actor;
    q = UUID.test(actor) ? q.where('actor_user_id', '=', actor) : q.where('actor_label', 'ilike', `%${actor.replace(/[\\%_]/g, '\\$&')}%`);
  }
  if (filters.from) q = q.where('at', '>=', filters.from);
  if (filters.to) q = q.where('at', '<', filters.to);
  if (page.before) q = q.where('id', '<', page.before);
  const rows = await q
    .orderBy('id', 'desc')
    .limit(page.limit + 1)
    .execute();
  const more = rows.length > page.limit;
  const data = more ? rows.slice(0, page.limit) : rows;
  return { rows: data, nextCursor: more ? String(data[data.length - 1]!.id) : null };
}

/** The actions that change grants (the school back-office's Logs tab shows these). */
export const GRANT_ACTIONS = ['grants.replaced', 'grants.suspended', 'grants.restored', 'legacy_client.grants_replaced', 'legacy_client.created'];

/** Grant changes of one app that touch the given institutions or access groups, newest first. */
export async function appGrantLog(db: Queryable, appId: string, institutionNumbers: string[], accessGroupIds: string[], limit = 200) {
  const { rows } = await listAuditEntries(db, { kind: 'scope', institutionNumbers, accessGroupIds }, { appId, actions: GRANT_ACTIONS }, { limit });
  return rows;
}
