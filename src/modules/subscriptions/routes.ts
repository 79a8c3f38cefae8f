import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.ts';
import { createSubscription, deleteSubscription, getSubscription, listSubscriptions, renewSubscription } from './service.ts';

/** A CreateSubscription is a name, a few types and a URL: a body beyond this is not one. */
const SUBSCRIPTION_BODY_LIMIT = 16 * 1024;

/**
 * `/subscriptions` of the SS 12000 data API (POST, GET, and GET/PATCH/DELETE `/subscriptions/{id}`),
 * registered by the data API inside its prefix (src/modules/ss12000/routes.ts) behind its bearer
 * `guard`: the client's live grants, rate limit and access log as for every read. A client sees and
 * changes only its own subscriptions (another client's id is a 404). Errors in the data API's
 * `{code, message, requestId}` shape: 400 `invalid_body` naming the member, 400 `invalid_target`,
 * 400 `invalid_id`, 400 `unknown_parameter`, 403 `client_token_required` (an end user's token),
 * 404 `not_found`, 409 `too_many_subscriptions`.
 */
export function subscriptionRoutes(api: FastifyInstance, ctx: AppContext, guard: (request: FastifyRequest, reply: FastifyReply) => Promise<void>): void {
  const opts = { schema: { hide: true }, preHandler: guard, config: { access: 'client' as const } };
  const identity = (request: FastifyRequest) => request.ss12000!.scope.identity;
  api.post('/subscriptions', { ...opts, bodyLimit: SUBSCRIPTION_BODY_LIMIT }, async (request, reply) => {
    const created = await createSubscription(ctx, identity(request), request.body);
    return reply.status(201).send(created);
  });
  api.get('/subscriptions', opts, async (request) => listSubscriptions(ctx, identity(request), request.query as Record<string, unknown>));
  api.get('/subscriptions/:id', opts, async (request) => getSubscription(ctx, identity(request), (request.params as { id: string }).id));
  api.patch('/subscriptions/:id', { ...opts, bodyLimit: SUBSCRIPTION_BODY_LIMIT }, async (request) =>
    renewSubscription(ctx, identity(request), (request.params as { id: string }).id),
  );
  api.delete('/subscriptions/:id', opts, async (request, reply) => {
    await deleteSubscription(ctx, identity(request), (request.params as { id: string }).id);
    return reply.status(204).send();
  });
}
