import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { DATA_SCOPE } from '../modules/access/tokens/urls.ts';

/**
 * The body adapter of the token endpoint, on the Fastify side (oidc-provider itself is not changed).
 *
 * - Clients may send the token request as `multipart/form-data` as well as
 *   `application/x-www-form-urlencoded` (IST's EduCloud samples send multipart; RFC 6749 names only
 *   the latter, oidc-provider reads only that): a multipart body's text fields become the same form.
 *   A file part is no parameter of a token request: 400 `invalid_request`.
 * - A client-credentials request without `scope` is given `scope=data`, the data API (the only
 *   thing such a token is good for), so the token response — and the token — name the granted scope.
 *
 * The normalised form reaches oidc-provider as `req.body` (text), its documented way of taking a
 * body an upstream parser has read; it then parses that text as it would the stream. Other content
 * types are not read here, and oidc-provider refuses them as before.
 */

/** The largest token request body: oidc-provider's own limit for the bodies it reads. */
export const TOKEN_BODY_LIMIT = 56 * 1024;

/** What the content-type parser hands on for a token request: the body as sent, or why it was not read. */
export type TokenBody = { bytes: Buffer; type: string } | { tooLarge: true };

/** True for `POST /oidc/token` (with or without a query string). */
export const isTokenRequest = (prefix: string, request: Pick<FastifyRequest, 'method' | 'url'>) =>
  request.method === 'POST' && request.url.split('?')[0]!.replace(/\/+$/, '') === `${prefix}/token`;

/**
 * Reads the body of a token request up to TOKEN_BODY_LIMIT; beyond it the rest is drained and the
 * request answered with 413 by `normaliseTokenBody`, in the token endpoint's error shape.
 */
export async function readTokenBody(payload: NodeJS.ReadableStream, type: string): Promise<TokenBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of payload) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += b.length;
    if (size <= TOKEN_BODY_LIMIT) chunks.push(b);
  }
  return size > TOKEN_BODY_LIMIT ? { tooLarge: true } : { bytes: Buffer.concat(chunks), type };
}

/** An OAuth 2.0 error answer (RFC 6749 §5.2), as oidc-provider writes its own. */
function oauthError(reply: FastifyReply, status: number, description: string): false {
  reply.hijack();
  reply.raw.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  reply.raw.end(JSON.stringify({ error: 'invalid_request', error_description: description }));
  return false;
}

/**
 * Turns the token request's body into the urlencoded text oidc-provider reads (see above), on
 * `raw`; false when it answered the request itself (a body it cannot use).
 */
export async function normaliseTokenBody(body: TokenBody, raw: IncomingMessage & { body?: unknown }, reply: FastifyReply): Promise<boolean> {
  if ('tooLarge' in body) return oauthError(reply, 413, `the request body is larger than ${TOKEN_BODY_LIMIT} bytes`);
  let form: URLSearchParams;
  if (/^multipart\/form-data\b/i.test(body.type)) {
    let parsed: FormData;
    try {
      parsed = await new Response(new Uint8Array(body.bytes), { headers: { 'content-type': body.type } }).formData();
    } catch {
      return oauthError(reply, 400, 'failed to parse the multipart/form-data body');
    }
    form = new URLSearchParams();
    for (const [name, value] of parsed.entries()) {
      if (typeof value !== 'string') return oauthError(reply, 400, `${name.slice(0, 60)} is a file; a token request takes text fields only`);
      form.append(name, value);
    }
  } else {
    form = new URLSearchParams(body.bytes.toString('utf8'));
  }
  if (form.get('grant_type') === 'client_credentials' && !form.get('scope')) form.set('scope', DATA_SCOPE);
  const text = form.toString();
  raw.headers['content-type'] = 'application/x-www-form-urlencoded';
  raw.headers['content-length'] = String(Buffer.byteLength(text));
  raw.body = text;
  return true;
}
