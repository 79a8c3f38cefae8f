import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { ApiError } from './errors.ts';

/** PostgreSQL data exceptions that only client input can cause (class 22, SQLSTATE). */
const CLIENT_DATA_ERRORS = new Set([
  '22021', // character_not_in_repertoire (NUL in text)
  '22P05', // untranslatable_character
  '22003', // numeric_value_out_of_range
  '22008', // datetime_field_overflow
  '22007', // invalid_datetime_format
  '22P02', // invalid_text_representation
  '22001', // string_data_right_truncation
]);

/** Problem document (RFC 9457) with our stable `code`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  field?: string;
  errors?: { field: string; code: string; message: string }[];
  /** The request's id, as in its `X-Request-Id` header and its log lines: what an operator greps for. */
  requestId?: string;
  [extra: string]: unknown;
}

const send = (reply: import('fastify').FastifyReply, problem: Problem) =>
  reply
    .status(problem.status)
    .type('application/problem+json')
    .send({ ...problem, requestId: reply.request.id });

/**
 * Installs the error and not-found handlers: validation → 400 naming the field, ApiError → its
 * status and code, anything unexpected → 500 with no internals (logged with the request id).
 */
export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof ApiError) {
      // A refusal that says when to come back says it in the header too (RFC 9110 §10.2.3).
      const retry = (error.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
      if (typeof retry === 'number') void reply.header('Retry-After', String(retry));
      // Details first: a detail may never overwrite the status or code of the problem.
      return send(reply, {
        ...error.details,
        type: `about:blank`,
        title: error.message,
        status: error.status,
        code: error.code,
        detail: error.message,
      });
    }
    const pgCode = (error as { code?: unknown }).code;
    if (typeof pgCode === 'string' && CLIENT_DATA_ERRORS.has(pgCode)) {
      // Input that passed validation but that PostgreSQL cannot store (a NUL byte, an out-of-range
      // value): the client's fault, so a 400, never a 500.
      return send(reply, {
        type: 'about:blank',
        title: 'The request holds a value that cannot be stored.',
        status: 400,
        code: 'invalid_value',
        detail: 'A value in the request is not acceptable (for example a NUL character or a number out of range).',
        field: 'body',
      });
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const where = error.validationContext ?? 'body';
      const errors = error.validation.map((v) => {
        const path = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
        return {
          field: path ? `${where}.${path}` : where,
          code: String((v.params as { issue?: { code?: string } }).issue?.code ?? v.keyword),
          message: v.message ?? 'invalid',
        };
      });
      return send(reply, {
        type: 'about:blank',
        title: 'The request is not valid.',
        status: 400,
        code: 'validation_failed',
        detail: errors.map((e) => `${e.field}: ${e.message}`).join('; '),
        field: errors[0]?.field,
        errors,
      });
    }
    if (isResponseSerializationError(error)) {
      request.log.error({ err: error }, 'response did not match its schema');
      return send(reply, { type: 'about:blank', title: 'Internal error', status: 500, code: 'internal_error' });
    }
    // Fastify's own client errors: bad JSON, wrong content type, body too large …
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const code =
        error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'unsupported_media_type'
          : error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
            ? 'payload_too_large'
            : error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError
              ? 'malformed_body'
              : status === 429
                ? 'rate_limited'
                : 'bad_request';
      return send(reply, { type: 'about:blank', title: error.message, status, code, detail: error.message, field: 'body' });
    }
    request.log.error({ err: error }, 'unhandled error');
    return send(reply, { type: 'about:blank', title: 'Internal error', status: 500, code: 'internal_error' });
  });

  app.setNotFoundHandler((request, reply) =>
    send(reply, {
      type: 'about:blank',
      title: 'Not found',
      status: 404,
      code: 'route_not_found',
      detail: `${request.method} ${request.url.split('?')[0]} does not exist.`,
    }),
  );
}

/** The SS 12000 API answers in the spec's flat `{code, message}`; every other surface in problem+json. */
const isFlatSurface = (url: string) => url.startsWith('/ss12000/');

/**
 * A refusal in the error shape of the surface that `url` belongs to: [content type, body]. The
 * request id is an extra member in both shapes (the SS 12000 `Error` schema allows extra members).
 */
export function refusal(url: string, status: number, code: string, message: string, requestId: string): [string, string] {
  if (isFlatSurface(url)) return ['application/json; charset=utf-8', JSON.stringify({ code, message, requestId })];
  return ['application/problem+json; charset=utf-8', JSON.stringify({ type: 'about:blank', title: message, status, code, detail: message, requestId })];
}

/**
 * Fastify's `frameworkErrors`: what the router refuses before any route runs — a path that is not
 * valid percent-encoded UTF-8 (`/api/v1/%ud800`) and a path parameter over its maximum length —
 * in the surface's shape with a stable code instead of Fastify's own JSON.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const [status, code, message] =
    error.code === 'FST_ERR_BAD_URL'
      ? [400, 'invalid_url', 'The path is not valid percent-encoded UTF-8.']
      : error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? [414, 'path_parameter_too_long', 'A path parameter is longer than any valid value.']
        : [500, 'internal_error', 'Internal error.'];
  if (status === 500) request.log.error({ err: error }, 'router error');
  const [type, body] = refusal(request.url, status, code, message, request.id);
  // No route, so no onRequest hook has set it.
  void reply.status(status).type(type).header('X-Request-Id', request.id).send(body);
}

/**
 * Node's `clientError`: a request the HTTP parser refuses before Fastify sees it (a request line or
 * header block over the 16 KB limit, a malformed request). Answered in the surface's shape as far as
 * the request line can be read, then the connection is closed (it cannot be reused).
 */
export function clientErrorHandler(error: Error & { code?: string; rawPacket?: unknown }, socket: Socket): void {
  if (!socket.writable) return void socket.destroy();
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? 431 : 400;
  const line = Buffer.isBuffer(error.rawPacket) ? error.rawPacket.subarray(0, 200).toString('latin1') : '';
  const url = / (\/[^ ]*)/.exec(line)?.[1] ?? '/';
  // Refused before Fastify made a request of it: its own id, since the headers could not be read.
  const id = randomUUID();
  const [type, body] = tooLarge
    ? refusal(url, status, 'request_too_large', 'The request line or headers exceed 16 KB; send long lists in a POST body (e.g. /lookup).', id)
    : refusal(url, status, 'malformed_request', 'The request is not valid HTTP.', id);
  const reason = tooLarge ? 'Request Header Fields Too Large' : 'Bad Request';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${id}\r\nConnection: close\r\n\r\n${body}`,
  );
}
