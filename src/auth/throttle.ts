import { sql } from 'kysely';
import type { Queryable } from '../context.ts';

/** Failed sign-ins allowed per key within the window before it is locked. */
export const THROTTLE = {
  windowMs: 15 * 60_000,
  lockMs: 15 * 60_000,
  perAccount: 5,
  perIp: 30,
};

/** When the key is locked, the moment it unlocks; otherwise null. */
export async function lockedUntil(db: Queryable, key: string, now: Date): Promise<Date | null> {
  const row = await db.selectFrom('login_throttle').select('locked_until').where('key', '=', key).executeTakeFirst();
  return row?.locked_until && row.locked_until > now ? row.locked_until : null;
}

/** Counts one failure for `key`; locks it when the limit is reached within the window. */
export async function recordFailure(db: Queryable, key: string, limit: number, now: Date): Promise<void> {
  const windowStart = new Date(now.getTime() - THROTTLE.windowMs);
  const lockUntil = new Date(now.getTime() + THROTTLE.lockMs);
  // One statement so concurrent failures from several processes all count.
  await sql`
    INSERT INTO login_throttle (key, failures, window_started_at, locked_until)
    VALUES (${key}, 1, ${now}, NULL)
    ON CONFLICT (key) DO UPDATE SET
      failures = CASE WHEN login_throttle.window_started_at < ${windowStart} THEN 1 ELSE login_throttle.failures + 1 END,
      window_started_at = CASE WHEN login_throttle.window_started_at < ${windowStart} THEN ${now} ELSE login_throttle.window_started_at END,
      locked_until = CASE
        WHEN login_throttle.window_started_at >= ${windowStart} AND login_throttle.failures + 1 >= ${limit} THEN ${lockUntil}
        ELSE login_throttle.locked_until END
  `.execute(db);
}

export async function clearFailures(db: Queryable, key: string): Promise<void> {
  await db.deleteFrom('login_throttle').where('key', '=', key).execute();
}
