import { sql } from 'kysely';
import type { AppContext } from '../context.ts';
import { ApiError } from '../http/errors.ts';

/**
 * Limits on actions that send mail or create accounts (sign-up, invitations …), per actor and per
 * client address, shared by every process through the database (the `login_throttle` table, keys
 * `action:<name>:<who>`). Each call counts one action; past `max` in the window the caller gets 429
 * with `Retry-After` until the window ends. What gets counted is the attempt, so a flood costs the
 * flooder and not the addressees.
 */
export interface ActionLimit {
  /** A name for the action, part of the key. */
  name: string;
  /** Actions allowed per key within the window. */
  max: number;
  windowMs: number;
}

/** Sign-ups per client address (an hour). */
export const SIGNUPS: ActionLimit = { name: 'signup', max: 5, windowMs: 60 * 60_000 };
/** Invitation mails per partner member and per client address (an hour). */
export const INVITATIONS: ActionLimit = { name: 'invitation', max: 100, windowMs: 60 * 60_000 };

/**
 * Counts `weight` actions (e.g. the mails one request sends) under each of `keys` (e.g. the actor's
 * id and the client address) and refuses them with 429 `too_many_requests` when any key is past the
 * limit.
 */
export async function limitAction(ctx: Pick<AppContext, 'db' | 'clock'>, limit: ActionLimit, keys: string[], weight = 1): Promise<void> {
  const now = ctx.clock.now();
  const windowStart = new Date(now.getTime() - limit.windowMs);
  let retryAfterMs = 0;
  for (const who of keys) {
    // One statement per key so concurrent actions from several processes all count.
    const row = await sql<{ failures: number; window_started_at: Date }>`
      INSERT INTO login_throttle (key, failures, window_started_at, locked_until)
      VALUES (${`action:${limit.name}:${who}`}, ${weight}, ${now}, NULL)
      ON CONFLICT (key) DO UPDATE SET
        failures = CASE WHEN login_throttle.window_started_at < ${windowStart} THEN ${weight} ELSE login_throttle.failures + ${weight} END,
        window_started_at = CASE WHEN login_throttle.window_started_at < ${windowStart} THEN ${now} ELSE login_throttle.window_started_at END
      RETURNING failures, window_started_at`.execute(ctx.db);
    const { failures, window_started_at } = row.rows[0]!;
    if (failures > limit.max) retryAfterMs = Math.max(retryAfterMs, new Date(window_started_at).getTime() + limit.windowMs - now.getTime());
  }
  if (retryAfterMs > 0) {
    throw new ApiError(429, 'too_many_requests', `Too many ${limit.name} requests; try again later.`, {
      retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)),
    });
  }
}
