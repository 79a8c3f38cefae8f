import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { AppContext, Queryable } from '../../context.ts';
import type { EntityType } from './schemas.ts';

/** The job that turns one load's changes into notifications (`fanOutNotices`, notices.ts); data `{ loadId }`. */
export const NOTICE_FANOUT_JOB = 'subscriptions.fanout';

/** What one load changed: ids per collection, created or updated, and deleted. */
export interface EntityChanges {
  modified: Map<EntityType, string[]>;
  deleted: Map<EntityType, string[]>;
}

/** An empty change set, for a load to fill in. */
export const noChanges = (): EntityChanges => ({ modified: new Map(), deleted: new Map() });

const CHUNK = 5000;

/**
 * Records what a load changed, in the load's transaction, for the subscriptions (POST /subscriptions):
 * the ids in `ss12000_entity_changes` under one load id and the fan-out job that reads them. Nothing
 * is written while no subscription is live, so a deployment without subscribers pays one EXISTS per
 * load. Which subscriber may hear of which change is decided by the job from live grants, not here.
 */
export async function recordEntityChanges(trx: Queryable, ctx: AppContext, at: Date, changes: EntityChanges): Promise<void> {
  if (!changes.modified.size && !changes.deleted.size) return;
  const live = await sql<{ live: boolean }>`SELECT EXISTS (SELECT 1 FROM ss12000_subscriptions WHERE expires_at > ${at}) AS live`.execute(trx);
  if (!live.rows[0]?.live) return;
  const loadId = randomUUID();
  for (const [deleted, byType] of [
    [false, changes.modified],
    [true, changes.deleted],
  ] as const) {
    for (const [type, ids] of byType) {
      for (let i = 0; i < ids.length; i += CHUNK) {
        await sql`INSERT INTO ss12000_entity_changes (load_id, entity_type, entity_id, deleted, changed_at)
          SELECT ${loadId}::uuid, ${type}, id, ${deleted}, ${at}::timestamptz FROM unnest(${ids.slice(i, i + CHUNK)}::uuid[]) AS id`.execute(trx);
      }
    }
  }
  await ctx.jobs.sendInTransaction(trx, NOTICE_FANOUT_JOB, { loadId });
}
