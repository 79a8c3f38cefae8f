import { sql } from 'kysely';
import type { Queryable } from '../../context.ts';

/** One day × app of answered reads. */
export interface ReadsOfDay {
  /** YYYY-MM-DD in the time zone asked for. */
  day: string;
  /** Null: a client without an app (a legacy key). */
  appId: string | null;
  /** Answered requests (2xx) that count for the reader. */
  requests: number;
  /** Records released by them (for a school admin: of their institutions only). */
  records: number;
}

/**
 * Reads of the SS 12000 API per day (in `timeZone`) and app, for the charts. A read is an answered
 * request (status below 300): a refusal released nothing and is not a read. Without `institutions`
 * every such request counts, with the records it released (`record_count`: each record once); with
 * them (a school admin's institutions) only a request that released records of one of them counts,
 * with the records of those institutions, read through `ss12000_access_log_parts` as the daily
 * aggregate does. `from`/`to` are calendar days, both included; the window is a range on `at`, so
 * the index on it serves it.
 */
export async function readsPerDay(
  db: Queryable,
  q: { timeZone: string; from: string; to: string; partnerId?: string | undefined; appId?: string | undefined; institutions?: readonly string[] | undefined },
): Promise<ReadsOfDay[]> {
  const tz = q.timeZone;
  const conds = [
    sql`l.status < 300`,
    sql`l.at >= (${q.from}::date::timestamp AT TIME ZONE ${tz})`,
    sql`l.at < ((${q.to}::date + 1)::timestamp AT TIME ZONE ${tz})`,
  ];
  if (q.partnerId) conds.push(sql`l.partner_id = ${q.partnerId}`);
  if (q.appId) conds.push(sql`l.app_id = ${q.appId}`);
  let rows;
  if (q.institutions) {
    if (q.institutions.length === 0) return [];
    const mine = sql`${[...q.institutions]}::text[]`;
    rows = await sql<{ day: string; app_id: string | null; requests: string; records: string }>`
      SELECT to_char((r.at AT TIME ZONE ${tz})::date, 'YYYY-MM-DD') AS day, r.app_id, count(*) AS requests, sum(r.records) AS records
        FROM (SELECT l.at, l.app_id,
                     (SELECT coalesce(sum((e->>'records')::bigint), 0) FROM ss12000_access_log_parts(l.released) e
                       WHERE e->>'institution' = ANY(${mine})) AS records
                FROM ss12000_access_log l
               WHERE l.institution_numbers && ${mine} AND ${sql.join(conds, sql` AND `)}) r
       WHERE r.records > 0
       GROUP BY 1, 2 ORDER BY 1, 2`.execute(db);
  } else {
    rows = await sql<{ day: string; app_id: string | null; requests: string; records: string }>`
      SELECT to_char((l.at AT TIME ZONE ${tz})::date, 'YYYY-MM-DD') AS day, l.app_id, count(*) AS requests, coalesce(sum(l.record_count), 0) AS records
        FROM ss12000_access_log l
       WHERE ${sql.join(conds, sql` AND `)}
       GROUP BY 1, 2 ORDER BY 1, 2`.execute(db);
  }
  return rows.rows.map((r) => ({ day: r.day, appId: r.app_id, requests: Number(r.requests), records: Number(r.records) }));
}
