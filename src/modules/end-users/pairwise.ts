import { createHmac, randomBytes } from 'node:crypto';
import type { Queryable } from '../../context.ts';

/*
 * How a partner sees an end user: by a pairwise `sub`, never by name or Schoolgate's person id.
 * Owned here, below the sign-in (src/oidc), which re-exports it from src/oidc/accounts.ts.
 */

const SALT_NAME = 'pairwise_salt';
/** Salt per database: it never changes once made, so a process may keep it. */
const saltCache = new WeakMap<object, string>();

/**
 * The instance-wide pairwise salt from `instance_secrets`, created on first use. INSERT … ON CONFLICT
 * DO NOTHING then a read, so two processes starting together agree on one value.
 */
export async function pairwiseSalt(db: Queryable): Promise<string> {
  const cached = saltCache.get(db);
  if (cached) return cached;
  await db
    .insertInto('instance_secrets')
    .values({ name: SALT_NAME, value: randomBytes(32).toString('base64url') })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await db.selectFrom('instance_secrets').select('value').where('name', '=', SALT_NAME).executeTakeFirstOrThrow();
  saltCache.set(db, row.value);
  return row.value;
}

/**
 * The `sub` a partner's apps see for a person: HMAC-SHA256(salt, partnerId + ':' + personId),
 * base64url. The same for every app of one partner, different between partners, so two partners
 * cannot correlate a student; the salt keeps it from being recomputed outside Schoolgate.
 */
export async function pairwiseSub(db: Queryable, partnerId: string, personId: string): Promise<string> {
  const salt = await pairwiseSalt(db);
  return createHmac('sha256', salt).update(`${partnerId}:${personId}`).digest('base64url');
}

/**
 * The audit actor of an end user's own act (consent given or updated, consent withdrawn), as the
 * partner may see it: partners read their apps' audit rows, so the person is named only by the
 * pairwise `sub` that partner already knows — never by name (which they may not have consented to
 * share) nor by Schoolgate's person id. The operator finds the person through the consent (subject).
 */
export async function endUserAuditActor(db: Queryable, partnerId: string, personId: string): Promise<{ id: null; label: string; kind: 'person' }> {
  return { id: null, label: `End user ${await pairwiseSub(db, partnerId, personId)}`, kind: 'person' };
}
