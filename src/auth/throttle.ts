import { sql } from 'kysely';
import type { AppContext, Queryable } from '../context.ts';
import { ApiError } from '../http/errors.ts';
import { verifyPassword } from './passwords.ts';

/**
 * Sign-in throttling after OWASP's guidance: failures count per account *and* address pair, per
 * address, and per account, and each limit slows down (a growing wait, `Retry-After`) instead of
 * locking out: a wrong password from one address never stops the owner signing in from another
 * (at most the account's short wait), so guessing at someone's account is no lever to lock them out.
 *  - pair (account from one address): 5 failures in the window, then 1 min, doubling to 15 min;
 *  - address (any accounts, spraying): 30 failures, then 1 min, doubling to 15 min;
 *  - account (from many addresses): 20 failures, then 1 s, doubling to at most 30 s per attempt.
 * The address is the socket's, or what a configured proxy says (TRUST_PROXY), never the client's word.
 */
export const THROTTLE = {
  windowMs: 15 * 60_000,
  pair: { after: 5, firstMs: 60_000, maxMs: 15 * 60_000 },
  ip: { after: 30, firstMs: 60_000, maxMs: 15 * 60_000 },
  account: { after: 20, firstMs: 1_000, maxMs: 30_000 },
};
type Limit = (typeof THROTTLE)['pair'];

/** When the key is held back, the moment it may try again; otherwise null. */
export async function lockedUntil(db: Queryable, key: string, now: Date): Promise<Date | null> {
  const row = await db.selectFrom('login_throttle').select('locked_until').where('key', '=', key).executeTakeFirst();
  return row?.locked_until && row.locked_until > now ? row.locked_until : null;
}

/** Counts one failure for `key`; from the limit on, holds it back for a wait that doubles per further failure. */
export async function recordFailure(db: Queryable, key: string, limit: Limit, now: Date): Promise<void> {
  const windowStart = new Date(now.getTime() - THROTTLE.windowMs);
  // One statement so concurrent failures from several processes all count; the wait is
  // firstMs * 2^(failures - after), at most maxMs.
  await sql`
    INSERT INTO login_throttle (key, failures, window_started_at, locked_until)
    VALUES (${key}, 1, ${now}, NULL)
    ON CONFLICT (key) DO UPDATE SET
      failures = CASE WHEN login_throttle.window_started_at < ${windowStart} THEN 1 ELSE login_throttle.failures + 1 END,
      window_started_at = CASE WHEN login_throttle.window_started_at < ${windowStart} THEN ${now} ELSE login_throttle.window_started_at END,
      locked_until = CASE
        WHEN login_throttle.window_started_at >= ${windowStart} AND login_throttle.failures + 1 >= ${limit.after}
          THEN ${now}::timestamptz + least(${limit.maxMs}::float8, ${limit.firstMs}::float8 * power(2, login_throttle.failures + 1 - ${limit.after})) * interval '1 millisecond'
        ELSE login_throttle.locked_until END
  `.execute(db);
}

export async function clearFailures(db: Queryable, key: string): Promise<void> {
  await db.deleteFrom('login_throttle').where('key', '=', key).execute();
}

/**
 * One throttled password check for every kind of sign-in (staff, partners, end users): refused with
 * 429 and `Retry-After` while the pair, the address or the account is held back; otherwise `find`
 * looks the account up, the password is verified (also when there is no account, so both cost the
 * same), and a failure is counted against all three. Every failure looks the same to the caller:
 * 401 `invalid_credentials`. A success clears the pair and the account. Returns the account's id.
 */
export async function checkThrottledPassword(
  ctx: Pick<AppContext, 'db' | 'clock'>,
  input: { accountKey: string; ip: string; password: string; wrongMessage: string },
  find: () => Promise<{ id: string; passwordHash: string | null } | undefined>,
): Promise<string> {
  const now = ctx.clock.now();
  const ipKey = `ip:${input.ip}`;
  const pairKey = `pair:${input.ip}|${input.accountKey}`;
  const waits = await Promise.all([pairKey, ipKey, input.accountKey].map((k) => lockedUntil(ctx.db, k, now)));
  const until = waits.filter((d): d is Date => !!d).sort((a, b) => b.getTime() - a.getTime())[0];
  if (until) {
    throw new ApiError(429, 'too_many_attempts', 'Too many failed sign-ins. Try again later.', {
      retryAfterSeconds: Math.ceil((until.getTime() - now.getTime()) / 1000),
    });
  }
  const account = await find();
  const ok = await verifyPassword(account?.passwordHash ?? null, input.password);
  if (!account || !ok) {
    await recordFailure(ctx.db, pairKey, THROTTLE.pair, now);
    await recordFailure(ctx.db, ipKey, THROTTLE.ip, now);
    await recordFailure(ctx.db, input.accountKey, THROTTLE.account, now);
    throw new ApiError(401, 'invalid_credentials', input.wrongMessage);
  }
  await clearFailures(ctx.db, pairKey);
  await clearFailures(ctx.db, input.accountKey);
  return account.id;
}
