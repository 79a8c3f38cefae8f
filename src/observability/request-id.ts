import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { NAMES_ITS_REQUEST, workScope, type WorkScope } from '../lib/work-scope.ts';

/** The header that carries a request's id, in and out. */
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * What an incoming id may look like: a UUID, a proxy's or a tracer's id. Anything else (a list, a
 * space, a control character, something longer than any real id) is not taken: it would end up in
 * log lines, the access log and problem documents.
 */
const WELL_FORMED = /^[A-Za-z0-9][A-Za-z0-9._:@+=/-]{0,127}$/;

/**
 * Fastify's `genReqId`: one id per request. A well-formed incoming `X-Request-Id` is kept only when
 * the request comes straight from a trusted proxy (TRUST_PROXY), so a proxy's id follows the request
 * through; from anyone else it is ignored (a client could otherwise choose ids that collide with
 * other requests in the logs and the access log), and a random UUID is used.
 */
export function requestIdGenerator(trustProxy: string[]): (req: IncomingMessage) => string {
  if (!trustProxy.length) return () => randomUUID();
  const trusted = proxyAddr.compile(trustProxy);
  return (req) => {
    const incoming = req.headers[REQUEST_ID_HEADER];
    const peer = req.socket?.remoteAddress;
    if (typeof incoming === 'string' && WELL_FORMED.test(incoming) && peer && trusted(peer, 0)) return incoming;
    return randomUUID();
  };
}

/**
 * Echoes the request id in `X-Request-Id` on every answer. Set on the raw response so that answers
 * Fastify does not send itself (oidc-provider's, which hijacks the reply) carry it too.
 */
export function installRequestIdHeader(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.raw.setHeader('X-Request-Id', request.id);
  });
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's work scope (`installRequestScope`), entered again where Fastify continues in another async context. */
    workScope: WorkScope | null;
  }
}

/**
 * Makes the request's id known to everything that runs for it (`workScope`, src/lib/work-scope.ts),
 * so that a line logged through the process logger (`ctx.log`) inside a request carries its `reqId`
 * as the request's own logger's lines do. Install it before any other hook: hooks that run before it
 * run outside the scope.
 *
 * Entered in the first `onRequest` hook, whose `done` runs the rest of the request's hooks and its
 * handler. Where Fastify goes on from the connection's events instead (after the body's 'end',
 * from the answer's 'finish') whether the scope follows depends on how Node schedules them (on
 * Node 24 it does, even for a body sent after its headers: request-id.test.ts), so it is entered
 * again in `preValidation` and `onResponse` when it is not the current one; when it is, that costs
 * a comparison. One object per request, no timers.
 */
export function installRequestScope(app: FastifyInstance): void {
  app.decorateRequest('workScope', null);
  app.addHook('onRequest', (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const scope: WorkScope = { reqId: request.id };
    request.workScope = scope;
    workScope.run(scope, done);
  });
  const enterAgain = (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
    if (request.workScope && workScope.getStore() !== request.workScope) workScope.run(request.workScope, done);
    else done();
  };
  app.addHook('preValidation', enterAgain);
  app.addHook('onResponse', enterAgain);
}

/**
 * Fastify's `childLoggerFactory`: the request's logger as Fastify makes it (bound to `reqId`),
 * marked so that the process logger's mixin does not add the id a second time to its lines.
 */
export function requestChildLogger(
  logger: FastifyBaseLogger,
  bindings: Record<string, unknown>,
  options: Parameters<FastifyBaseLogger['child']>[1],
): FastifyBaseLogger {
  const child = logger.child(bindings, options);
  (child as { [NAMES_ITS_REQUEST]?: boolean })[NAMES_ITS_REQUEST] = true;
  return child;
}
