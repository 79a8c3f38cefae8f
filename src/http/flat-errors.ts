import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ApiError } from './errors.ts';

/**
 * The error shape of the data surfaces (the SS 12000 API and the data APIs beside it): the spec's
 * flat `{code, message}`, with the request id as an extra member (SS 12000's `Error` allows it),
 * rather than the management API's problem documents (problem.ts). A client's mistake keeps its
 * status and a stable code; anything else is a logged 500 that says nothing of its cause.
 *
 * @param name the API's name in the log line of an unhandled error, e.g. `SS 12000`.
 */
export function installFlatErrors(api: FastifyInstance, name: string): void {
  api.setErrorHandler((error: FastifyError, request, reply) => {
    const requestId = request.id;
    if (error instanceof ApiError) return reply.status(error.status).send({ code: error.code, message: error.message, requestId });
    if (hasZodFastifySchemaValidationErrors(error)) return reply.status(400).send({ code: 'invalid_request', message: error.message, requestId });
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500)
      return reply.status(status).send({ code: status === 415 ? 'unsupported_media_type' : 'bad_request', message: error.message, requestId });
    request.log.error({ err: error }, `unhandled error in the ${name} API`);
    return reply.status(500).send({ code: 'internal_error', message: 'Internal error.', requestId });
  });
  api.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ code: 'not_found', message: `${request.method} ${request.url.split('?')[0]} does not exist.`, requestId: request.id }),
  );
}
