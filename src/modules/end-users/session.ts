import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.ts';
import { randomToken, sha256 } from '../../lib/ids.ts';
import { forbidden, unauthorized } from '../../http/errors.ts';
import { CSRF_HEADER, cookieMaxAge } from '../../auth/session.ts';

/**
 * Cookie of an end user's session on Schoolgate (a person of the SS 12000 store: student, guardian,
 * staff). A name of its own, apart from `sg_session` (operators, partners, SIS users): a browser may
 * hold both, and neither must ever be taken for the other.
 */
export const END_USER_COOKIE = 'sg_person';

/** The part of a raw Node response this module writes to: the OIDC interaction may only have that. */
export type ServerResponseLike = Pick<ServerResponse, 'getHeader' | 'setHeader'>;

/** A live end-user session, as read from the cookie. */
export interface EndUserSession {
  personId: string;
  displayName: string;
  csrfToken: string;
  /** sha256 of the cookie token: the row's key, safe to log or compare. */
  tokenHash: string;
  expiresAt: Date;
}

const isFastifyReply = (reply: FastifyReply | ServerResponseLike): reply is FastifyReply => typeof (reply as FastifyReply).setCookie === 'function';

function cookieAttributes(ctx: AppContext, expiresAt: Date | null): string {
  const parts = ['Path=/', 'HttpOnly', 'SameSite=Lax'];
  // Secure only over https: a plain-http dev or test server would otherwise never get the cookie back.
  if (ctx.config.PUBLIC_URL.startsWith('https://')) parts.push('Secure');
  parts.push(`Max-Age=${expiresAt ? cookieMaxAge(ctx, expiresAt) : 0}`);
  return parts.join('; ');
}

/** Appends one Set-Cookie line without dropping what oidc-provider (or anyone) set before. */
function appendSetCookie(res: ServerResponseLike, line: string): void {
  const existing = res.getHeader('set-cookie');
  const lines = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
  res.setHeader('set-cookie', [...lines, line]);
}

function writeCookie(ctx: AppContext, reply: FastifyReply | ServerResponseLike, token: string, expiresAt: Date | null): void {
  if (isFastifyReply(reply)) {
    const options = {
      path: '/',
      httpOnly: true,
      sameSite: 'lax' as const,
      secure: ctx.config.PUBLIC_URL.startsWith('https://'),
    };
    if (expiresAt) reply.setCookie(END_USER_COOKIE, token, { ...options, maxAge: cookieMaxAge(ctx, expiresAt) });
    else reply.clearCookie(END_USER_COOKIE, options);
    return;
  }
  // The token is base64url, so it needs no encoding inside a cookie value.
  appendSetCookie(reply, `${END_USER_COOKIE}=${token}; ${cookieAttributes(ctx, expiresAt)}`);
}

/**
 * Signs `personId` in on Schoolgate: stores a new session (only the token's hash and a CSRF token)
 * and sets the `sg_person` cookie (httpOnly, SameSite=Lax, Secure under https, same lifetime as
 * staff sessions).
 *
 * Called by `POST /api/v1/my/session` and by the OIDC interaction when a person signs in to an app,
 * so that "My connected apps" works right after. Pass a `FastifyReply`, or the raw Node response
 * when the route writes to it directly (a hijacked reply never runs @fastify/cookie's hook).
 * The caller has checked the person's credentials; this function does not. Returns the new
 * session's CSRF token (callers that only need the cookie ignore it).
 */
export async function startEndUserSession(
  ctx: AppContext,
  reply: FastifyReply | ServerResponseLike,
  personId: string,
): Promise<{ csrfToken: string; expiresAt: Date }> {
  const token = randomToken();
  const csrfToken = randomToken(24);
  const now = ctx.clock.now();
  const expiresAt = new Date(now.getTime() + ctx.config.SESSION_TTL_HOURS * 3_600_000);
  await ctx.db.transaction().execute(async (trx) => {
    // Housekeeping on the way: this person's expired sessions are dead weight.
    await trx.deleteFrom('end_user_sessions').where('person_id', '=', personId).where('expires_at', '<=', now).execute();
    await trx
      .insertInto('end_user_sessions')
      .values({ token_hash: sha256(token), person_id: personId, csrf_token: csrfToken, created_at: now, expires_at: expiresAt })
      .execute();
  });
  writeCookie(ctx, reply, token, expiresAt);
  return { csrfToken, expiresAt };
}

/** The raw `sg_person` token of a Fastify request or a plain Node request. */
export function endUserCookieToken(request: FastifyRequest | IncomingMessage): string | undefined {
  const parsed = (request as FastifyRequest).cookies;
  if (parsed) return parsed[END_USER_COOKIE];
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === END_USER_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The end-user session behind the request's `sg_person` cookie, or null when there is none, it is
 * unknown or it has expired. Does not check CSRF: see `requireEndUser`.
 */
export async function readEndUserSession(ctx: AppContext, request: FastifyRequest | IncomingMessage): Promise<EndUserSession | null> {
  const token = endUserCookieToken(request);
  // A real token is 43 base64url characters; anything else cannot match and is not worth a query.
  if (!token || token.length > 128) return null;
  const tokenHash = sha256(token);
  const row = await ctx.db
    .selectFrom('end_user_sessions as s')
    .innerJoin('ss12000_persons as p', 'p.id', 's.person_id')
    .select(['s.person_id', 's.csrf_token', 's.expires_at', 'p.display_name'])
    .where('s.token_hash', '=', tokenHash)
    .executeTakeFirst();
  if (!row || row.expires_at <= ctx.clock.now()) return null;
  return { personId: row.person_id, displayName: row.display_name, csrfToken: row.csrf_token, tokenHash, expiresAt: row.expires_at };
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The end-user session of a request to a `/my/*` route: 401 `unauthenticated` without one; on a
 * state-changing request 403 `csrf_token_invalid` unless the `x-csrf-token` header echoes the
 * session's CSRF token (synchronizer token, SameSite=Lax being the second line — as for staff).
 */
export async function requireEndUser(ctx: AppContext, request: FastifyRequest): Promise<EndUserSession> {
  const session = await readEndUserSession(ctx, request);
  if (!session) throw unauthorized();
  if (UNSAFE.has(request.method)) {
    const sent = request.headers[CSRF_HEADER];
    if (typeof sent !== 'string' || sent !== session.csrfToken) {
      throw forbidden('csrf_token_invalid', `State-changing requests need the session's CSRF token in the ${CSRF_HEADER} header.`);
    }
  }
  return session;
}

/** Ends the request's end-user session (the row) and clears the cookie; a no-op without one. */
export async function endEndUserSession(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const token = endUserCookieToken(request);
  if (token) await ctx.db.deleteFrom('end_user_sessions').where('token_hash', '=', sha256(token)).execute();
  writeCookie(ctx, reply, '', null);
}
