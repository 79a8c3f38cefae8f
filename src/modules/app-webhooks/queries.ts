import type { Queryable } from '../../context.ts';

/** The app's webhook endpoint, if configured. */
export const findAppWebhook = (db: Queryable, appId: string) => db.selectFrom('app_webhooks').selectAll().where('app_id', '=', appId).executeTakeFirst();

/** Attempts shown per delivery. */
const ATTEMPTS_SHOWN = 10;

/** The app's deliveries, newest first, with their latest attempts. */
export async function listAppDeliveries(db: Queryable, appId: string, options: { limit: number; before?: Date | undefined }) {
  let q = db.selectFrom('webhook_deliveries').selectAll().where('app_id', '=', appId);
  if (options.before) q = q.where('created_at', '<', options.before);
  const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(options.limit).execute();
  if (!rows.length) return [];
  const attempts = await db
    .selectFrom('webhook_delivery_attempts')
    .selectAll()
    .where(
      'delivery_id',
      'in',
      rows.map((r) => r.id),
    )
    .orderBy('id', 'desc')
    .execute();
  const byDelivery = new Map<string, typeof attempts>();
  for (const a of attempts) {
    const list = byDelivery.get(a.delivery_id) ?? [];
    if (list.length < ATTEMPTS_SHOWN) list.push(a);
    byDelivery.set(a.delivery_id, list);
  }
  return rows.map((r) => ({ ...r, attemptLog: byDelivery.get(r.id) ?? [] }));
}

/** One delivery of the app, or undefined (another app's is as absent as a made-up one). */
export const findAppDelivery = (db: Queryable, appId: string, id: string) =>
  db.selectFrom('webhook_deliveries').select(['id', 'app_id']).where('id', '=', id).where('app_id', '=', appId).executeTakeFirst();
