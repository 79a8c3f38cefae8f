import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { errors } from '../../http/common-schemas.ts';
import type { ZodApp } from '../../http/types.ts';
import { requirePartnerApp } from '../apps/policies.ts';
import { appIdParams } from '../apps/schemas.ts';
import { partnerOf } from '../partners/policies.ts';
import { presentAppWebhook, presentDelivery } from './presenters.ts';
import { findAppWebhook, listAppDeliveries } from './queries.ts';
import { deliveriesQuery, deliveryParams, deliverySchema, webhookBody, webhookSchema } from './schemas.ts';
import { configureAppWebhook, removeAppWebhook, replayAppDelivery } from './service.ts';

/**
 * The partner's webhooks per app: the endpoint its events go to (grant changes, app status, consent
 * withdrawn), and every signed message of the app — those events and the SS 12000 notifications of its
 * client's subscriptions — with status and attempts, and "send again". Another partner's app is a 404.
 */
export default async function appWebhookRoutes(app: ZodApp, ctx: AppContext): Promise<void> {
  const tags = ['partner apps'];
  const config = { access: 'partner_member' as const };

  app.get(
    '/partner/apps/:appId/webhook',
    {
      config,
      schema: {
        tags,
        summary: "The app's webhook endpoint for its events (never the secret), or null",
        params: appIdParams,
        response: { 200: z.object({ webhook: webhookSchema.nullable() }), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const row = await requirePartnerApp(ctx.db, partnerOf(request.actor), request.params.appId);
      const webhook = await findAppWebhook(ctx.db, row.id);
      return { webhook: webhook ? presentAppWebhook(webhook) : null };
    },
  );

  app.put(
    '/partner/apps/:appId/webhook',
    {
      config,
      schema: {
        tags,
        summary: "Set the app's webhook endpoint; the first time (or with rotateSecret) the signing secret is shown, once",
        description:
          'Events: grants.changed, app.status_changed, consent.withdrawn, each as { type, timestamp, data }, signed following Standard Webhooks ' +
          '(webhook-id, webhook-timestamp, webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body> with the key after whsec_). ' +
          'grants.changed data: { appId, change, reason, at } and, for change "replaced" (a school admin\'s grant editor), added, removed and ' +
          'levelChanged; for "suspended" or "restored" (a school\'s on/off switch), grants. Each grant is { apiCode, institutionNumber, ' +
          'accessGroupId, accessLevel } with accessLevel "read" or "read_write" (for a removed grant, what it allowed); a levelChanged entry ' +
          'is a grant kept at another level, with from (the old level) and accessLevel (the new one).',
        params: appIdParams,
        body: webhookBody,
        response: { 200: z.object({ webhook: webhookSchema }), ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { row, secret } = await configureAppWebhook(ctx, request.actor, partnerOf(request.actor), request.params.appId, request.body);
      if (secret) reply.header('cache-control', 'no-store');
      return { webhook: { ...presentAppWebhook(row), ...(secret ? { secret } : {}) } };
    },
  );

  app.delete(
    '/partner/apps/:appId/webhook',
    {
      config,
      schema: { tags, summary: "Remove the app's webhook endpoint", params: appIdParams, response: { 204: z.null(), ...errors(400, 401, 403, 404) } },
    },
    async (request, reply) => {
      await removeAppWebhook(ctx, request.actor, partnerOf(request.actor), request.params.appId);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/partner/apps/:appId/webhook-deliveries',
    {
      config,
      schema: {
        tags,
        summary: "The app's signed messages (events and its client's SS 12000 notifications), newest first, with their attempts",
        params: appIdParams,
        querystring: deliveriesQuery,
        response: { 200: z.object({ data: z.array(deliverySchema) }), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const row = await requirePartnerApp(ctx.db, partnerOf(request.actor), request.params.appId);
      const rows = await listAppDeliveries(ctx.db, row.id, {
        limit: request.query.limit ?? 50,
        before: request.query.before ? new Date(request.query.before) : undefined,
      });
      return { data: rows.map(presentDelivery) };
    },
  );

  app.post(
    '/partner/apps/:appId/webhook-deliveries/:deliveryId/replay',
    {
      config,
      schema: {
        tags,
        summary: 'Send a message again, as a new delivery (a new webhook-id, the same body)',
        params: deliveryParams,
        response: { 202: z.object({ id: z.uuid() }), ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const id = await replayAppDelivery(ctx, request.actor, partnerOf(request.actor), request.params.appId, request.params.deliveryId);
      return reply.status(202).send({ id });
    },
  );
}
