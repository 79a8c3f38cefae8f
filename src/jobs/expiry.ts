import type { AppContext } from '../context.ts';
import { clientOwners } from '../modules/access/clients.ts';
import { recordAudit, systemActor } from '../modules/audit/record.ts';
import { sweepExpiredPayloads } from '../oidc/adapter.ts';

/** The scheduled expiry sweep's queue name. */
export const EXPIRY_JOB = 'expiry.sweep';

/** What one sweep did. */
export interface ExpiryResult {
  secretsExpired: number;
  invitationsExpired: number;
}

/**
 * The expiry sweep (runs every 15 minutes): deletes client secrets whose rotation overlap has ended
 * and records invitations whose link has run out, each with its audit row, in one transaction.
 * Token issuance and invitation links check `expires_at` themselves, so the sweep only tidies up and
 * tells the log; it is safe to run at any time, from several processes at once, and records each
 * expiry exactly once.
 */
export async function runExpiry(ctx: AppContext): Promise<ExpiryResult> {
  const now = ctx.clock.now();
  // Expired OAuth/OIDC artefacts (sign-in interactions, codes, refresh tokens): nothing to audit.
  await sweepExpiredPayloads(ctx);
  return ctx.db.transaction().execute(async (trx) => {
    const secrets = await trx
      .deleteFrom('client_secrets')
      .where('expires_at', 'is not', null)
      .where('expires_at', '<=', now)
      .returning(['id', 'client_id', 'hint', 'created_at', 'expires_at', 'last_used_at'])
      .execute();
    const ownerOf = await clientOwners(
      trx,
      secrets.map((s) => s.client_id),
    );
    for (const secret of secrets) {
      const owner = ownerOf.get(secret.client_id);
      await recordAudit(trx, now, systemActor, {
        action: 'client.secret_expired',
        subjectType: 'client',
        subjectId: secret.client_id,
        clientId: secret.client_id,
        appId: owner?.app_id ?? null,
        partnerId: owner?.partner_id ?? null,
        reason: 'The rotation overlap ended.',
        before: {
          secretId: secret.id,
          hint: secret.hint,
          createdAt: secret.created_at,
          expiresAt: secret.expires_at,
          lastUsedAt: secret.last_used_at,
        },
        after: null,
      });
    }

    // The UPDATE claims each invitation once: a second sweep (or process) finds nothing left.
    const invitations = await trx
      .updateTable('invitations')
      .set({ expiry_recorded_at: now })
      .where('expiry_recorded_at', 'is', null)
      .where('expires_at', '<=', now)
      .returning(['id', 'app_id', 'email', 'created_at', 'expires_at', 'invited_by'])
      .execute();
    const appIds = [...new Set(invitations.map((i) => i.app_id))];
    const partnerOf = new Map(
      appIds.length ? (await trx.selectFrom('apps').select(['id', 'partner_id']).where('id', 'in', appIds).execute()).map((a) => [a.id, a.partner_id]) : [],
    );
    for (const invitation of invitations) {
      await recordAudit(trx, now, systemActor, {
        action: 'invitation.expired',
        subjectType: 'invitation',
        subjectId: invitation.id,
        appId: invitation.app_id,
        partnerId: partnerOf.get(invitation.app_id) ?? null,
        reason: 'The invitation link expired.',
        before: { email: invitation.email, createdAt: invitation.created_at, expiresAt: invitation.expires_at },
        after: null,
      });
    }
    if (secrets.length || invitations.length) {
      ctx.log.info({ secrets: secrets.length, invitations: invitations.length }, 'expiry sweep');
    }
    return { secretsExpired: secrets.length, invitationsExpired: invitations.length };
  });
}
