import { sql } from 'kysely';
import type { Queryable } from '../../context.ts';

/**
 * The grants in force now, by the day (in `timeZone`) they were given: how many of them were given
 * before `from`, and per day from `from` to `to` (both included) how many were given that day. A
 * removed grant leaves `grants` (DOMAIN §2: it stops at once), so it is in neither count; a
 * switched-off one (`suspended_grants`) is not in force. Grants at the developer sandbox are not a
 * school's and are left out.
 */
export async function grantsInForceByDayGiven(
  db: Queryable,
  q: { timeZone: string; from: string; to: string },
): Promise<{ before: number; days: { day: string; given: number }[] }> {
  const tz = q.timeZone;
  const start = sql`(${q.from}::date::timestamp AT TIME ZONE ${tz})`;
  const end = sql`((${q.to}::date + 1)::timestamp AT TIME ZONE ${tz})`;
  const rows = await sql<{ day: string | null; given: string }>`
    SELECT CASE WHEN g.granted_at < ${start} THEN NULL ELSE to_char((g.granted_at AT TIME ZONE ${tz})::date, 'YYYY-MM-DD') END AS day,
           count(*) AS given
      FROM grants g
      LEFT JOIN institutions i ON i.number = g.institution_number
     WHERE g.granted_at < ${end} AND i.sandbox IS NOT TRUE
     GROUP BY 1 ORDER BY 1 NULLS FIRST`.execute(db);
  let before = 0;
  const days: { day: string; given: number }[] = [];
  for (const r of rows.rows) {
    if (r.day === null) before = Number(r.given);
    else days.push({ day: r.day, given: Number(r.given) });
  }
  return { before, days };
}
