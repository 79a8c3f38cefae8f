import { sql } from 'kysely';
import type { AppContext, Queryable } from '../../context.ts';
import { BearerError, readerById } from '../access/tokens/bearer.ts';
import { queueDelivery, type NoticeToCheck } from '../webhooks/delivery.ts';
import { endpointByType } from './endpoints.ts';
import { deletedVisibleSql, entityEnum, findVisible } from './read.ts';
import { loadScope, uuids, type Scope } from './scope.ts';
import type { EntityType } from './schemas.ts';

/**
 * The notices of SS 12000 subscriptions. The spec's notice (the callback of POST /subscriptions) says
 * only WHICH resource types have new or changed records (`modifiedEntites`, the spec's spelling) and
 * WHETHER there are deletions to fetch (`deletedEntities`): no id, no field. The subscriber then reads
 * through the data API, where its live grants decide as on every read. Still, the notice itself tells
 * that something within reach changed, so a subscriber hears only of changes to entities its grants
 * reach: decided when the notice is created (`fanOutNotices`) and again on every attempt to deliver
 * it (`recheckNotice`), from the client's live grants each time.
 */

/** The event type of a notification in webhook_deliveries. */
export const NOTICE_EVENT = 'ss12000.notification';
/** At most this many ids per type are kept with a notice for the re-check at delivery. */
const MAX_REFS = 10_000;
/** Ids looked up in one statement. */
const CHUNK = 500;

/** The spec's notice body (`_subscriptions_get_request`). */
export interface NoticeBody {
  modifiedEntites: string[];
  deletedEntities: boolean;
}

/** The entity ids behind a notice, per collection: kept for the re-check at delivery, never sent. */
export interface NoticeRefs {
  modified: Partial<Record<EntityType, string[]>>;
  deleted: Partial<Record<EntityType, string[]>>;
}

/** The spec's resource type name (EndPointsEnum) of each collection the facade serves. */
const nameOf = new Map(Object.entries(entityEnum).map(([name, type]) => [type, name]));
/** The collections a subscription's resource types name (types the facade does not serve name none). */
const typesOf = (resourceTypes: readonly string[]) => new Set(resourceTypes.map((r) => entityEnum[r]).filter((t): t is EntityType => !!t));

/** Of `ids` (changed records of `type`), those `scope` sees now: the rule of GET /{type}/{id}. */
async function visibleModified(db: Queryable, scope: Scope, type: EntityType, ids: string[]): Promise<string[]> {
  const def = endpointByType[type];
  if (!def) return [];
  const seen: string[] = [];
  for (let i = 0; i < ids.length && seen.length < MAX_REFS; i += CHUNK) {
    const rows = await findVisible(db, scope, def, ids.slice(i, i + CHUNK));
    for (const r of rows) seen.push(r.id);
  }
  return seen.slice(0, MAX_REFS);
}

/** Of `ids` (deleted records of `type`), those `scope` could have seen: the rule of GET /deletedEntities. */
async function visibleDeleted(db: Queryable, scope: Scope, type: EntityType, ids: string[]): Promise<string[]> {
  const seen = new Set<string>();
  for (let i = 0; i < ids.length && seen.size < MAX_REFS; i += CHUNK) {
    const rows = await sql<{ entity_id: string }>`
      SELECT DISTINCT d.entity_id FROM ss12000_deleted_entities d
      WHERE d.entity_type = ${type} AND d.entity_id = ANY(${uuids(ids.slice(i, i + CHUNK))}) AND (${deletedVisibleSql(scope)})`.execute(db);
    for (const r of rows.rows) seen.add(r.entity_id);
  }
  return [...seen].slice(0, MAX_REFS);
}

/**
 * The scope of a subscriber's client right now (its own token's: no end user), or undefined when the
 * client may not read at all any more (gone, app suspended or archived, an ingestion client).
 */
async function scopeOf(ctx: AppContext, clientId: string): Promise<Scope | undefined> {
  try {
    return await loadScope(ctx.db, await readerById(ctx, clientId));
  } catch (error) {
    if (error instanceof BearerError) return undefined;
    throw error;
  }
}

/** What `scope` sees of the changes: the notice's body and the ids behind it, or null when nothing. */
async function noticeFor(
  db: Queryable,
  scope: Scope,
  wanted: Set<EntityType>,
  changes: { modified: Map<EntityType, string[]>; deleted: Map<EntityType, string[]> },
): Promise<{ body: NoticeBody; refs: NoticeRefs } | null> {
  const refs: NoticeRefs = { modified: {}, deleted: {} };
  for (const [type, ids] of changes.modified) {
    if (!wanted.has(type)) continue;
    const seen = await visibleModified(db, scope, type, ids);
    if (seen.length) refs.modified[type] = seen;
  }
  for (const [type, ids] of changes.deleted) {
    if (!wanted.has(type)) continue;
    const seen = await visibleDeleted(db, scope, type, ids);
    if (seen.length) refs.deleted[type] = seen;
  }
  const modifiedTypes = Object.keys(refs.modified) as EntityType[];
  const deleted = Object.keys(refs.deleted).length > 0;
  if (!modifiedTypes.length && !deleted) return null;
  // In the order of the spec's enum as the facade lists it, so equal notices read equal.
  const names = [...nameOf.entries()].filter(([type]) => modifiedTypes.includes(type)).map(([, name]) => name);
  return { body: { modifiedEntites: names, deletedEntities: deleted }, refs };
}

/**
 * The fan-out job of one load (`subscriptions.fanout`, queued by `recordEntityChanges`): for every
 * live subscription, the changes of its resource types that its client's live grants reach become one
 * notification (a webhook delivery, queued); a subscriber that sees none of them gets nothing. One
 * transaction: the deliveries and the end of the load's change rows go together, so a retried job
 * neither loses nor repeats a notification.
 */
export async function fanOutNotices(ctx: AppContext, loadId: string): Promise<{ notified: number }> {
  const grouped = await sql<{ entity_type: EntityType; deleted: boolean; ids: string[] }>`
    SELECT entity_type, deleted, array_agg(entity_id::text ORDER BY id) AS ids FROM ss12000_entity_changes
    WHERE load_id = ${loadId}::uuid GROUP BY entity_type, deleted`.execute(ctx.db);
  if (!grouped.rows.length) return { notified: 0 };
  const changes = { modified: new Map<EntityType, string[]>(), deleted: new Map<EntityType, string[]>() };
  for (const g of grouped.rows) (g.deleted ? changes.deleted : changes.modified).set(g.entity_type, g.ids);
  const now = ctx.clock.now();
  const subscriptions = await ctx.db
    .selectFrom('ss12000_subscriptions as s')
    .innerJoin('clients as c', 'c.id', 's.client_id')
    .select(['s.id', 's.client_id', 's.resource_types', 'c.app_id'])
    .where('s.expires_at', '>', now)
    .orderBy('s.client_id')
    .execute();
  const notices: { subscriptionId: string; appId: string | null; body: NoticeBody; refs: NoticeRefs }[] = [];
  const scopes = new Map<string, Scope | undefined>();
  for (const s of subscriptions) {
    const wanted = typesOf(s.resource_types);
    if (![...changes.modified.keys(), ...changes.deleted.keys()].some((t) => wanted.has(t))) continue;
    if (!scopes.has(s.client_id)) scopes.set(s.client_id, await scopeOf(ctx, s.client_id));
    const scope = scopes.get(s.client_id);
    if (!scope) continue;
    const notice = await noticeFor(ctx.db, scope, wanted, changes);
    if (notice) notices.push({ subscriptionId: s.id, appId: s.app_id, ...notice });
  }
  await ctx.db.transaction().execute(async (trx) => {
    for (const n of notices) {
      await queueDelivery(trx, ctx, {
        kind: 'subscription',
        subscriptionId: n.subscriptionId,
        appId: n.appId,
        eventType: NOTICE_EVENT,
        payload: n.body,
        entityRefs: n.refs,
      });
    }
    await trx.deleteFrom('ss12000_entity_changes').where('load_id', '=', loadId).execute();
  });
  return { notified: notices.length };
}

/**
 * The re-check on every attempt to deliver a notice (`NoticeCheck` of the delivery job): what the
 * subscriber's client sees NOW of the entities behind the notice, as a notice body narrowed to that
 * (a type it no longer sees is left out), or null when it sees none of them or may not read at all.
 */
export async function recheckNotice(ctx: AppContext, notice: NoticeToCheck): Promise<NoticeBody | null> {
  const scope = await scopeOf(ctx, notice.clientId);
  if (!scope) return null;
  const refs = (notice.entityRefs ?? { modified: {}, deleted: {} }) as NoticeRefs;
  const changes = {
    modified: new Map(Object.entries(refs.modified ?? {}) as [EntityType, string[]][]),
    deleted: new Map(Object.entries(refs.deleted ?? {}) as [EntityType, string[]][]),
  };
  // The subscription's types now (they cannot change today, but a notice never says more than they name).
  const result = await noticeFor(ctx.db, scope, typesOf(notice.resourceTypes), changes);
  return result?.body ?? null;
}
