import { sql } from 'kysely';
import type { Queryable } from '../../context.ts';

/**
 * Grants over time, from the grant history (`grant_history`, written by the triggers of
 * `src/db/live/60_grant_history.sql`), so also grants removed or switched off since count for the
 * days they were in force. Days are calendar days in `timeZone`, from `from` to `to` (both
 * included). `before`: grants in force when `from` began. Per day that changed anything: `given`,
 * new grants given that day (also if removed since; a switch-on is not a new grant), and `delta`,
 * the change of the number in force over the day (periods begun minus periods ended), so that the
 * number in force at the end of a day is `before` plus the deltas up to it. Grants at the developer
 * sandbox are not a school's and are left out.
 */
export async function grantsByDay(
  db: Queryable,
  q: { timeZone: string; from: string; to: string },
): Promise<{ before: number; days: { day: string; given: number; delta: number }[] }> {
  const tz = q.timeZone;
  const start = sql`(${q.from}::date::timestamp AT TIME ZONE ${tz})`;
  const end = sql`((${q.to}::date + 1)::timestamp AT TIME ZONE ${tz})`;
  // Only periods that overlap the window: begun before its end, not ended before its start. A
  // period ending at an instant is no longer in force at that instant.
  const rows = await sql<{ day: string | null; given: string; delta: string }>`
    WITH h AS (
      SELECT started_at, start_kind, ended_at FROM grant_history
       WHERE NOT sandbox AND started_at < ${end} AND (ended_at IS NULL OR ended_at >= ${start})
    ), moves AS (
      SELECT CASE WHEN started_at < ${start} THEN NULL ELSE started_at END AS at, 1 AS delta, (start_kind = 'granted')::int AS given FROM h
      UNION ALL
      SELECT ended_at, -1, 0 FROM h WHERE ended_at < ${end}
    )
    SELECT CASE WHEN at IS NULL THEN NULL ELSE to_char((at AT TIME ZONE ${tz})::date, 'YYYY-MM-DD') END AS day,
           sum(given) AS given, sum(delta) AS delta
      FROM moves GROUP BY 1 ORDER BY 1 NULLS FIRST`.execute(db);
  let before = 0;
  const days: { day: string; given: number; delta: number }[] = [];
  for (const r of rows.rows) {
    if (r.day === null) before = Number(r.delta);
    else days.push({ day: r.day, given: Number(r.given), delta: Number(r.delta) });
  }
  return { before, days };
}
