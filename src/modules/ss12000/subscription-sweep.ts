import { sql } from 'kysely';
import type { AppContext } from '../../context.ts';
import { clientOwners } from '../access/clients.ts';
import { recordAudit, systemActor } from '../audit/record.ts';
import { entityEnum } from './read.ts';

/**
 * The scheduled sweep's queue name (hourly, see src/jobs/definitions.ts). The sweep lives beside the
 * notices (notices.ts) as it reads the data API's resource types; the /subscriptions routes are in
 * src/modules/subscriptions/.
 */
export const SUBSCRIPTION_SWEEP_JOB = 'subscriptions.sweep';

/**
 * How long an expired subscription is kept before the sweep deletes it. Nothing is sent for it from the
 * moment it expires (no change is recorded for it, the fan-out skips it, a pending delivery is
 * withheld); during these days its client still lists it (GET /subscriptions) and may renew it
 * (PATCH), and the partner portal still shows its messages. Afterwards it is deleted with its
 * messages and their attempts, with an audit row.
 */
export const SUBSCRIPTION_GRACE_DAYS = 7;

/**
 * A change row older than this is deleted whatever it names: its load's fan-out job (retried for
 * minutes) has given up on it, so nobody will ever read it.
 */
export const ORPHAN_CHANGE_HOURS = 24;

const DAY_MS = 86_400_000;

/** What one sweep did. */
export interface SubscriptionSweepResult {
  subscriptionsDeleted: number;
  changesDeleted: number;
}

/**
 * The subscription sweep (job `subscriptions.sweep`): deletes the subscriptions that expired more than
 * `SUBSCRIPTION_GRACE_DAYS` ago, each with its audit row (`subscription.expired`), and the recorded
 * entity changes (`ss12000_entity_changes`) that no live subscription needs — of a resource type no
 * live subscription names, or older than `ORPHAN_CHANGE_HOURS` — in one transaction. Safe to run at
 * any time and from several processes: a deleted row is deleted, and audited, once.
 */
export async function sweepSubscriptions(ctx: AppContext): Promise<SubscriptionSweepResult> {
  const now = ctx.clock.now();
  const cutoff = new Date(now.getTime() - SUBSCRIPTION_GRACE_DAYS * DAY_MS);
  return ctx.db.transaction().execute(async (trx) => {
    const gone = await trx
      .deleteFrom('ss12000_subscriptions')
      .where('expires_at', '<=', cutoff)
      .returning(['id', 'client_id', 'name', 'resource_types', 'target', 'created_at', 'expires_at'])
      .execute();
    const ownerOf = await clientOwners(
      trx,
      gone.map((s) => s.client_id),
    );
    for (const s of gone) {
      const owner = ownerOf.get(s.client_id);
      await recordAudit(trx, now, systemActor, {
        action: 'subscription.expired',
        subjectType: 'subscription',
        subjectId: s.id,
        clientId: s.client_id,
        appId: owner?.app_id ?? null,
        partnerId: owner?.partner_id ?? null,
        reason: `Expired more than ${SUBSCRIPTION_GRACE_DAYS} days ago without renewal.`,
        before: {
          name: s.name,
          resourceTypes: s.resource_types,
          target: s.target,
          createdAt: s.created_at.toISOString(),
          expires: s.expires_at.toISOString(),
        },
        after: null,
      });
    }

    // The collections some live subscription names: a change of any other collection is read by nobody.
    const live = await trx.selectFrom('ss12000_subscriptions').select('resource_types').where('expires_at', '>', now).execute();
    const needed = [...new Set(live.flatMap((s) => s.resource_types.flatMap((r) => entityEnum[r] ?? [])))];
    const oldest = new Date(now.getTime() - ORPHAN_CHANGE_HOURS * 3_600_000);
    const changes = await sql<{ n: string }>`
      WITH gone AS (
        DELETE FROM ss12000_entity_changes
        WHERE changed_at <= ${oldest} OR NOT (entity_type = ANY(${needed}::text[]))
        RETURNING 1
      ) SELECT count(*) AS n FROM gone`.execute(trx);
    const changesDeleted = Number(changes.rows[0]?.n ?? 0);
    if (gone.length || changesDeleted) ctx.log.info({ subscriptions: gone.length, changes: changesDeleted }, 'subscription sweep');
    return { subscriptionsDeleted: gone.length, changesDeleted };
  });
}
