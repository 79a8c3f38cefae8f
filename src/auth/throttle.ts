import { sql } from 'kysely';
import type { AppContext, Queryable } from '../context.ts';
import { ApiError } from '../http/errors.ts';
import { verifyPassword } from './passwords.ts';

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

/**
 * One throttled password check for every kind of sign-in (staff, partners, end users): refused with
 * 429 while the account or the IP is locked; otherwise `find` looks the account up, the password is
 * verified (also when there is no account, so both cost the same), and a failure is counted against
 * the account and the IP alike. Every failure looks the same to the caller: 401 `invalid_credentials`.
 * Returns the account's id.
 */
export async function checkThrottledPassword(
  ctx: Pick<AppContext, 'db' | 'clock'>,
  input: { accountKey: string; ip: string; password: string; wrongMessage: string },
  find: () => Promise<{ id: string; passwordHash: string | null } | undefined>,
): Promise<string> {
  const now = ctx.clock.now();
  const ipKey = `ip:${input.ip}`;
  const until = (await lockedUntil(ctx.db, input.accountKey, now)) ?? (await lockedUntil(ctx.db, ipKey, now));
  if (until) {
    throw new ApiError(429, 'too_many_attempts', 'Too many failed sign-ins. Try again later.', {
      retryAfterSeconds: Math.ceil((until.getTime() - now.getTime()) / 1000),
    });
  }
  const account = await find();
  const ok = await verifyPassword(account?.passwordHash ?? null, input.password);
  if (!account || !ok) {
    await recordFailure(ctx.db, input.accountKey, THROTTLE.perAccount, now);
    await recordFailure(ctx.db, ipKey, THROTTLE.perIp, now);
    throw new ApiError(401, 'invalid_credentials', input.wrongMessage);
  }
  await clearFailures(ctx.db, input.accountKey);
  return account.id;
}
