import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.ts';
import { randomToken, sha256 } from '../lib/ids.ts';
import { forbidden, unauthorized } from '../http/errors.ts';
import type { Access, Actor } from './actor.ts';

export const SESSION_COOKIE = 'sg_session';
export const CSRF_HEADER = 'x-csrf-token';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor;
  }
  interface FastifyContextConfig {
    /** Who may call the route at all; see `Access`. Required on every /api route. */
    access?: Access;
  }
}

/** Starts a session for `userId`; returns the raw token (cookie) and the CSRF token. */
export async function createSession(ctx: AppContext, userId: string) {
  const token = randomToken();
  const csrfToken = randomToken(24);
  const expiresAt = new Date(ctx.clock.now().getTime() + ctx.config.SESSION_TTL_HOURS * 3_600_000);
  await ctx.db
    .insertInto('sessions')
    .values({ token_hash: sha256(token), user_id: userId, csrf_token: csrfToken, expires_at: expiresAt })
    .execute();
  return { token, csrfToken, expiresAt };
}

/**
 * Seconds from the server's now until `expiresAt`, for a cookie's Max-Age. Max-Age rather than
 * Expires: the browser counts it from when it receives the cookie, so a browser whose clock is
 * ahead of the server's does not drop the session before the server would end it (the database
 * row's `expires_at` stays the authority).
 */
export const cookieMaxAge = (ctx: AppContext, expiresAt: Date): number => Math.max(0, Math.floor((expiresAt.getTime() - ctx.clock.now().getTime()) / 1000));

export function setSessionCookie(ctx: AppContext, reply: FastifyReply, token: string, expiresAt: Date): void {
  reply.setCookie(SESSION_COOKIE, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: ctx.config.PUBLIC_URL.startsWith('https://'),
    maxAge: cookieMaxAge(ctx, expiresAt),
  });
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/' });
}

/** Looks up the session behind a raw cookie token; anonymous when absent, unknown or expired. */
export async function actorForToken(ctx: AppContext, token: string | undefined): Promise<{ actor: Actor; csrfToken?: string }> {
  if (!token) return { actor: { kind: 'anonymous' } };
  const row = await ctx.db
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .leftJoin('partner_members as pm', 'pm.user_id', 'u.id')
    .selectAll('u')
    .select(['s.csrf_token', 's.expires_at', 's.token_hash', 'pm.partner_id'])
    .where('s.token_hash', '=', sha256(token))
    .executeTakeFirst();
  if (!row || row.expires_at <= ctx.clock.now()) return { actor: { kind: 'anonymous' } };
  const { csrf_token, expires_at: _expires, token_hash, partner_id, ...user } = row;
  const sessionId = token_hash;
  const actor: Actor =
    user.kind === 'partner'
      ? { kind: 'partner', user, sessionId, partnerId: partner_id }
      : user.kind === 'operator'
        ? { kind: 'operator', user, sessionId }
        : { kind: 'school', user, sessionId };
  return { actor, csrfToken: csrf_token };
}

/** Whether the request authenticates with an OAuth bearer token rather than a session. */
export const hasBearer = (request: FastifyRequest): boolean => /^bearer\s/i.test(request.headers.authorization ?? '');

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Resolves the actor of every request and enforces the route's declared `access` and CSRF.
 * CSRF: a state-changing request that rides on a session cookie must echo the session's CSRF token
 * in the `x-csrf-token` header (synchronizer token); SameSite=Lax is the second line.
 */
export function installSessionHooks(app: FastifyInstance, ctx: AppContext): void {
  app.decorateRequest('actor', null as never);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const access = request.routeOptions.config?.access;
    // A bearer token on an ingestion route is checked by its handler, never mixed with a cookie.
    // End-user routes ignore the staff cookie: a school admin who is also a person with an end-user
    // session must not have the staff session's CSRF token demanded of their "My apps" requests.
    if (access === 'client' || access === 'end_user' || access === undefined || (access === 'ingestion' && hasBearer(request))) {
      request.actor = { kind: 'anonymous' };
      return;
    }
    const { actor, csrfToken } = await actorForToken(ctx, request.cookies[SESSION_COOKIE]);
    request.actor = actor;
    if (actor.kind !== 'anonymous' && UNSAFE.has(request.method)) {
      const sent = request.headers[CSRF_HEADER];
      if (typeof sent !== 'string' || sent !== csrfToken) {
        throw forbidden('csrf_token_invalid', `State-changing requests need the session's CSRF token in the ${CSRF_HEADER} header.`);
      }
    }
    enforceAccess(ctx, access, actor);
  });
}

function enforceAccess(ctx: AppContext, access: Access, actor: Actor): void {
  if (access === 'public') return;
  if (actor.kind === 'anonymous') throw unauthorized();
  switch (access) {
    case 'signed_in':
      return;
    case 'partner':
    case 'partner_member':
      if (actor.kind !== 'partner') throw forbidden('partner_only', 'Only partner members can do this.');
      if (!actor.user.email_verified_at) throw forbidden('email_not_confirmed', 'Confirm your e-mail address first.');
      if (access === 'partner_member' && !actor.partnerId) throw forbidden('partner_profile_missing', 'Create your partner profile first.');
      return;
    case 'operator':
    case 'ingestion':
      if (actor.kind !== 'operator') throw forbidden('operator_only', 'Only the operator can do this.');
      return;
    case 'dev':
      if (actor.kind !== 'operator') throw forbidden('operator_only', 'Only the operator can do this.');
      if (ctx.config.NODE_ENV === 'production') throw forbidden('not_in_production', 'Not available in production.');
      return;
    case 'school_admin':
      if (actor.kind !== 'school') throw forbidden('school_only', 'Only school administrators can do this.');
      if (!actor.user.user_management_access) throw forbidden('no_access', 'You have no access to user management, so the API portal is not available to you.');
      return;
  }
}
