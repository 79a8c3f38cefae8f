import type { Queryable } from '../../context.ts';
import { newId, randomToken, sha256 } from '../../lib/ids.ts';
import { listLiveSecrets } from './queries.ts';

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
