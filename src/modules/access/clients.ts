import type { AppContext, Queryable } from '../../context.ts';
import { newId, randomToken, sha256 } from '../../lib/ids.ts';

/**
 * The one place that creates OAuth clients, whatever their origin, so the rules of DOMAIN.md
 * ("an app has at most one client"; a secret is 256-bit random, stored as SHA-256 with a hint, shown
 * once) hold for all of them. The caller records the audit row of the change it is part of (an
 * approval, an operator issuing a key), because that row says more than "a client exists".
 */

/** What kind of client to create. */
export type NewClient =
  /**
   * An app's client, made at approval. No secret: the partner takes it, once, from its own
   * endpoint. Seeding may give one to have known demo credentials.
   */
  | { origin: 'app'; appId: string; name: string; id?: string | undefined; secret?: string | undefined }
  /** A client without an app, as before the consent system (operator-issued; the partner may link it). */
  | { origin: 'legacy'; name: string; id?: string | undefined; secret?: string | undefined }
  /** A client of the SIS side that may only load SS 12000 data; never an app's client. */
  | { origin: 'ingestion'; name: string; id?: string | undefined; secret?: string | undefined };

/** A created client; `secret` is the raw secret, to be shown once, or null when none was made. */
export interface CreatedClient {
  clientId: string;
  secret: string | null;
}

/**
 * Creates a client (and its first secret for legacy and ingestion clients) inside the caller's
 * transaction. `ctx` may be null only for test and seed builders without a clock: the rows then
 * take the database's now().
 */
export async function createClient(trx: Queryable, ctx: Pick<AppContext, 'clock'> | null, input: NewClient): Promise<CreatedClient> {
  const now = ctx?.clock.now();
  const clientId = input.id ?? newId();
  const secret = input.secret ?? (input.origin === 'app' ? null : randomToken());
  await trx
    .insertInto('clients')
    .values({
      id: clientId,
      app_id: input.origin === 'app' ? input.appId : null,
      name: input.name,
      origin: input.origin,
      linked_at: null,
      ...(now ? { created_at: now } : {}),
    })
    .execute();
  if (secret !== null) {
    await trx
      .insertInto('client_secrets')
      .values({ id: newId(), client_id: clientId, secret_hash: sha256(secret), hint: secret.slice(-4), ...(now ? { created_at: now } : {}) })
      .execute();
  }
  return { clientId, secret };
}

/** Secrets of a client that still work at `now`, newest first. */
export const listLiveSecrets = (db: Queryable, clientId: string, now: Date) =>
  db
    .selectFrom('client_secrets')
    .selectAll()
    .where('client_id', '=', clientId)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .execute();

const DAY_MS = 86_400_000;

/** What a rotation did, for the caller's audit row and response. The new secret is in no other place. */
export interface RotatedSecret {
  secretId: string;
  secret: string;
  hint: string;
  /** The live secrets before the rotation. */
  before: { id: string; hint: string; expiresAt: Date | null }[];
  /** The secret that keeps working until the overlap ends, if there was one. */
  previousSecret: { id: string; hint: string; expiresAt: Date } | null;
  /** Older live secrets that stopped now (at most two are ever live). */
  endedNow: { id: string; hint: string }[];
}

/**
 * Adds a new secret to a client inside the caller's transaction (the caller locks the client row
 * and writes the audit row). The newest live secret keeps working for `overlapDays` so the owner
 * can roll the new one out; any older live secret ends now, so at most two are ever live. One rule
 * for app clients and ingestion clients.
 */
export async function rotateClientSecret(trx: Queryable, clientId: string, now: Date, overlapDays: number): Promise<RotatedSecret> {
  const secret = randomToken();
  const secretId = newId();
  const hint = secret.slice(-4);
  const live = await listLiveSecrets(trx, clientId, now);
  // The one that keeps working: the current secret (no expiry) if any, else the longest-lived one.
  const [keep, ...end] = [...live].sort((a, b) => {
    const ea = a.expires_at?.getTime() ?? Infinity;
    const eb = b.expires_at?.getTime() ?? Infinity;
    return eb - ea || b.created_at.getTime() - a.created_at.getTime();
  });
  let previousSecret: RotatedSecret['previousSecret'] = null;
  if (keep) {
    const overlapEnd = new Date(now.getTime() + overlapDays * DAY_MS);
    const expiresAt = keep.expires_at && keep.expires_at < overlapEnd ? keep.expires_at : overlapEnd;
    await trx.updateTable('client_secrets').set({ expires_at: expiresAt }).where('id', '=', keep.id).execute();
    previousSecret = { id: keep.id, hint: keep.hint, expiresAt };
  }
  if (end.length > 0) {
    await trx
      .updateTable('client_secrets')
      .set({ expires_at: now })
      .where(
        'id',
        'in',
        end.map((s) => s.id),
      )
      .execute();
  }
  await trx
    .insertInto('client_secrets')
    .values({ id: secretId, client_id: clientId, secret_hash: sha256(secret), hint, created_at: now, expires_at: null })
    .execute();
  return {
    secretId,
    secret,
    hint,
    before: live.map((s) => ({ id: s.id, hint: s.hint, expiresAt: s.expires_at })),
    previousSecret,
    endedNow: end.map((s) => ({ id: s.id, hint: s.hint })),
  };
}

/** Who a client belongs to, for audit rows about it: its app and the app's partner (null for a client without an app). */
export interface ClientOwner {
  id: string;
  app_id: string | null;
  partner_id: string | null;
}

/** The owners of `clientIds`, keyed by client id: one query for a batch of audit rows (expiry sweeps). */
export async function clientOwners(db: Queryable, clientIds: readonly string[]): Promise<Map<string, ClientOwner>> {
  if (!clientIds.length) return new Map();
  const owners = await db
    .selectFrom('clients as c')
    .leftJoin('apps as a', 'a.id', 'c.app_id')
    .select(['c.id', 'c.app_id', 'a.partner_id'])
    .where('c.id', 'in', [...new Set(clientIds)])
    .execute();
  return new Map(owners.map((o) => [o.id, o]));
}
