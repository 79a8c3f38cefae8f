import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
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
 * The condition "this audit row is visible" for a reader, on the table `audit_log` (or an alias
 * given as `table`). The one place the visibility rule is written; the list, the export and the
 * autocomplete all read through it.
 */
export function visibleTo<D, T extends keyof D>(eb: ExpressionBuilder<D, T>, visibility: AuditVisibility, table = 'audit_log'): Expression<SqlBool> {
  const col = (c: string) => sql.ref(`${table}.${c}`);
  switch (visibility.kind) {
    case 'all':
      return eb.val(true);
    case 'partner':
      return sql<boolean>`${col('partner_id')} = ${visibility.partnerId}`;
    case 'scope': {
      const { institutionNumbers, accessGroupIds } = visibility;
      const parts = [];
      if (institutionNumbers.length) parts.push(sql<boolean>`${col('institution_numbers')} && ${sql.val(institutionNumbers)}::text[]`);
      if (accessGroupIds.length) parts.push(sql<boolean>`${col('access_group_ids')} && ${sql.val(accessGroupIds)}::uuid[]`);
      return parts.length ? eb.or(parts) : eb.val(false);
    }
  }
}

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
  let q = db
    .selectFrom('audit_log')
    .selectAll()
    .where((eb) => visibleTo(eb, visibility));
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

const like = (q: string) => `%${q.replace(/[\\%_]/g, '\\$&')}%`;
const SUGGESTIONS = 20;

/**
 * Autocomplete for the filters: apps, partners, institutions and actors whose name (or number,
 * or e-mail) contains `q`, drawn only from the rows the reader may see — a partner is offered its
 * own apps and the end users of its entries by their pairwise sub, a school admin only the
 * institutions of their scope. `value` is what the filter takes.
 */
export async function suggestFilterValues(
  db: Queryable,
  visibility: AuditVisibility,
  field: 'app' | 'partner' | 'institution' | 'actor',
  q: string,
): Promise<{ value: string; label: string }[]> {
  const term = like(q.trim());
  const seen = <D, T extends keyof D>(eb: ExpressionBuilder<D, T>) => visibleTo(eb, visibility, 'l');
  switch (field) {
    case 'app': {
      const rows = await db
        .selectFrom('apps as a')
        .innerJoin('partners as p', 'p.id', 'a.partner_id')
        .select(['a.id', 'a.name', 'p.name as partnerName'])
        .where('a.name', 'ilike', term)
        .where(({ exists, selectFrom }) => exists(selectFrom('audit_log as l').select(sql.lit(1).as('one')).whereRef('l.app_id', '=', 'a.id').where(seen)))
        .orderBy('a.name')
        .orderBy('a.id')
        .limit(SUGGESTIONS)
        .execute();
      return rows.map((r) => ({ value: r.id, label: `${r.name} (${r.partnerName})` }));
    }
    case 'partner': {
      const rows = await db
        .selectFrom('partners as p')
        .select(['p.id', 'p.name'])
        .where('p.name', 'ilike', term)
        .where(({ exists, selectFrom }) => exists(selectFrom('audit_log as l').select(sql.lit(1).as('one')).whereRef('l.partner_id', '=', 'p.id').where(seen)))
        .orderBy('p.name')
        .orderBy('p.id')
        .limit(SUGGESTIONS)
        .execute();
      return rows.map((r) => ({ value: r.id, label: r.name }));
    }
    case 'institution': {
      let query = db
        .selectFrom('institutions as i')
        .select(['i.number', 'i.name'])
        .where((eb) => eb.or([eb('i.name', 'ilike', term), eb('i.number', 'like', term)]))
        .where(({ exists, selectFrom }) =>
          exists(
            selectFrom('audit_log as l')
              .select(sql.lit(1).as('one'))
              .where(sql<boolean>`i.number = any(l.institution_numbers)`)
              .where(seen),
          ),
        );
      // A school admin sees other schools blanked out of shared entries: never offer them.
      if (visibility.kind === 'scope') {
        query = visibility.institutionNumbers.length ? query.where('i.number', 'in', visibility.institutionNumbers) : query.where(sql.lit(false));
      }
      const rows = await query.orderBy('i.name').orderBy('i.number').limit(SUGGESTIONS).execute();
      return rows.map((r) => ({ value: r.number, label: `${r.name} (${r.number})` }));
    }
    case 'actor': {
      const rows = await db
        .selectFrom('audit_log as l')
        .select(['l.actor_label', 'l.actor_user_id'])
        .distinct()
        .where('l.actor_label', 'ilike', term)
        .where(seen)
        .orderBy('l.actor_label')
        .limit(SUGGESTIONS)
        .execute();
      // The filter takes a user id, or part of the label (end users and the system have no user id).
      return rows.map((r) => ({ value: r.actor_user_id ?? r.actor_label, label: r.actor_label }));
    }
  }
}
