import type { AppContext } from '../../context.ts';

/**
 * One upstream sign-in in flight, from the redirect to the upstream until its callback. Kept in
 * `oidc_payloads` (type UpstreamSignin, id = state, uid = the interaction) rather than in memory:
 * the callback may reach another process than the one that sent the browser away.
 */
export interface UpstreamTransaction {
  /** The interaction of an app sign-in; null for a sign-in to "My connected apps" (`flow: 'my'`). */
  uid: string | null;
  /** 'my': the person signs in to Schoolgate's "My connected apps", not to an app. */
  flow?: 'my' | undefined;
  providerId: string;
  institution: string;
  /** PKCE code verifier: proves at the upstream's token endpoint that we started this request. */
  verifier: string;
  /** Expected in the ID token: ties the token to this request. */
  nonce: string;
  /** sha256 of the binding cookie's value: ties the callback to the browser that started it. */
  bindingHash: string;
}

const TYPE = 'UpstreamSignin';
/** How long a person may spend at their board's provider, seconds. */
export const TRANSACTION_TTL_S = 10 * 60;

/** Stores a transaction under its `state`. */
export async function saveTransaction(ctx: Pick<AppContext, 'db' | 'clock'>, state: string, tx: UpstreamTransaction, ttlSeconds: number): Promise<void> {
  const now = ctx.clock.now();
  // Sign-ins abandoned at the upstream never reach the callback; nothing else removes their rows.
  // Cheap: the primary key starts with the type, and only transactions in flight are of this type.
  await ctx.db.deleteFrom('oidc_payloads').where('type', '=', TYPE).where('expires_at', '<=', now).execute();
  await ctx.db
    .insertInto('oidc_payloads')
    .values({
      id: state,
      type: TYPE,
      payload: JSON.stringify(tx),
      uid: tx.uid,
      expires_at: new Date(now.getTime() + ttlSeconds * 1000),
    })
    .execute();
}

/**
 * Takes the transaction of `state` out of the database: a DELETE … RETURNING, so that of two
 * callbacks with one state (a replay, a double click) exactly one gets it. Undefined when unknown,
 * used or expired.
 */
export async function takeTransaction(ctx: Pick<AppContext, 'db' | 'clock'>, state: string): Promise<UpstreamTransaction | undefined> {
  const row = await ctx.db.deleteFrom('oidc_payloads').where('type', '=', TYPE).where('id', '=', state).returning(['payload', 'expires_at']).executeTakeFirst();
  if (!row || (row.expires_at && row.expires_at <= ctx.clock.now())) return undefined;
  return (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as UpstreamTransaction;
}
