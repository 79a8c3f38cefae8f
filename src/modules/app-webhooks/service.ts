import type { Actor } from '../../auth/actor.ts';
import type { AppContext } from '../../context.ts';
import { badRequest, notFound } from '../../http/errors.ts';
import { auditActor, recordAudit } from '../audit/record.ts';
import { lockRequiredPartnerApp, requirePartnerApp } from '../apps/policies.ts';
import { replayDelivery } from '../webhooks/delivery.ts';
import { newSigningSecret } from '../webhooks/signing.ts';
import { appWebhookAad, secretBoxFor } from '../webhooks/secrets.ts';
import { resolveTarget, TargetRefused } from '../webhooks/targets.ts';
import { findAppDelivery, findAppWebhook } from './queries.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Sets the endpoint of an app's events (target checked like a subscription's: https and public
 * addresses only in production). The first time, or with `rotateSecret`, a new signing secret is made
 * and returned this once; otherwise the secret stays. One transaction with its audit row.
 */
export async function configureAppWebhook(
  ctx: AppContext,
  actor: Actor,
  partnerId: string,
  appId: string,
  input: { target: string; rotateSecret?: boolean | undefined },
) {
  try {
    await resolveTarget(ctx.config, input.target);
  } catch (error) {
    if (error instanceof TargetRefused) throw badRequest('invalid_target', `target: ${error.message}.`, { field: 'body.target' });
    throw error;
  }
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const app = await lockRequiredPartnerApp(trx, partnerId, appId);
    const before = await findAppWebhook(trx, app.id);
    const secret = !before || input.rotateSecret ? newSigningSecret() : undefined;
    // Stored sealed (src/modules/webhooks/secrets.ts); the partner sees it in the clear this once.
    const sealed = secret ? secretBoxFor(ctx.config).seal(secret, appWebhookAad(app.id)) : undefined;
    const row = await trx
      .insertInto('app_webhooks')
      .values({ app_id: app.id, target: input.target, secret: sealed ?? before!.secret, created_at: now, updated_at: now })
      .onConflict((oc) => oc.column('app_id').doUpdateSet({ target: input.target, ...(sealed ? { secret: sealed } : {}), updated_at: now }))
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, now, auditActor(actor), {
      action: 'app.webhook_configured',
      subjectType: 'app',
      subjectId: app.id,
      partnerId: app.partner_id,
      appId: app.id,
      before: before ? { target: before.target } : null,
      after: { target: row.target, secretRotated: Boolean(secret && before) },
    });
    return { row, secret };
  });
}

/** Removes the endpoint: nothing more is sent to it (pending deliveries are withheld at their next attempt). Idempotent. */
export async function removeAppWebhook(ctx: AppContext, actor: Actor, partnerId: string, appId: string): Promise<void> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const app = await lockRequiredPartnerApp(trx, partnerId, appId);
    const removed = await trx.deleteFrom('app_webhooks').where('app_id', '=', app.id).returning('target').executeTakeFirst();
    // Removing what is not there is done already (the same 204, nothing to audit).
    if (!removed) return;
    await recordAudit(trx, now, auditActor(actor), {
      action: 'app.webhook_removed',
      subjectType: 'app',
      subjectId: app.id,
      partnerId: app.partner_id,
      appId: app.id,
      before: { target: removed.target },
      after: null,
    });
  });
}

/**
 * "Send again": queues a delivery of the app once more (a new webhook-id, the same body; a
 * notification is re-checked against the subscriber's live grants like the first), with its audit row.
 */
export async function replayAppDelivery(ctx: AppContext, actor: Actor, partnerId: string, appId: string, deliveryId: string): Promise<string> {
  const app = await requirePartnerApp(ctx.db, partnerId, appId);
  if (!UUID.test(deliveryId)) throw badRequest('invalid_id', 'The delivery id must be a UUID.', { field: 'params.deliveryId' });
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const delivery = await findAppDelivery(trx, app.id, deliveryId.toLowerCase());
    if (!delivery) throw notFound('delivery_not_found', 'No such delivery of this app.');
    const id = (await replayDelivery(trx, ctx, delivery.id))!;
    await recordAudit(trx, now, auditActor(actor), {
      action: 'webhook.replayed',
      subjectType: 'webhook_delivery',
      subjectId: id,
      partnerId: app.partner_id,
      appId: app.id,
      before: { deliveryId: delivery.id },
      after: { deliveryId: id },
    });
    return id;
  });
}
