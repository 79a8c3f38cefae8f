import { sql } from 'kysely';
import type { Queryable } from '../../context.ts';

/** Outbox rows, newest first, optionally for one address and/or template. */
export function listMailbox(db: Queryable, filter: { to?: string; template?: string; limit: number }) {
  let query = db.selectFrom('mail_outbox').selectAll();
  if (filter.to) query = query.where(sql<string>`lower(to_address)`, '=', filter.to.toLowerCase());
  if (filter.template) query = query.where('template', '=', filter.template);
  return query.orderBy('seq', 'desc').limit(filter.limit).execute();
}
