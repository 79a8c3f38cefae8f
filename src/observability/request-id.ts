import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import type { FastifyInstance } from 'fastify';

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
