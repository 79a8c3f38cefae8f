import type { FastifyReply, FastifyRequest } from 'fastify';
import * as oidc from 'openid-client';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { ApiError } from '../../http/errors.ts';
import type { ZodApp } from '../../http/types.ts';
import { randomToken, sha256 } from '../../lib/ids.ts';
import { providerOf } from '../provider.ts';
import { completeLogin } from '../interactions/login.ts';
import { isFinished, progressOf } from '../interactions/progress.ts';
import { configurationOf, upstreamCallbackUrl } from './client.ts';
import { providerById, providerForInstitution, type UpstreamProvider } from './index.ts';
import { institutionNumber } from '../../http/common-schemas.ts';
import { belongsToSchool } from '../../modules/end-users/schools.ts';
import { startEndUserSession } from '../../modules/end-users/session.ts';
import { claimValue, findPersonByClaim } from './persons.ts';
import { saveTransaction, takeTransaction, TRANSACTION_TTL_S } from './transactions.ts';

/**
 * Error codes the sign-in page (`/signin/<uid>?error=<code>`) shows after an upstream sign-in did
 * not sign anyone in. Stable: the web app translates them.
 */
export const UPSTREAM_ERRORS = {
  /** The person cancelled or refused at their school board's provider. */
  denied: 'upstream_denied',
  /** The upstream answered with an error, or its answer did not validate (state, nonce, signature …). */
  failed: 'upstream_failed',
  /** The upstream could not be reached (discovery failed). */
  unavailable: 'upstream_unavailable',
  /** The chosen school's board has no upstream provider (any more). */
  notConfigured: 'upstream_not_configured',
  /** The upstream named someone the school data does not know (or several people). */
  personNotFound: 'upstream_person_not_found',
} as const;

/** The cookie that ties a callback to the browser that started the sign-in (one per transaction). */
const bindingCookie = (state: string) => `sg_upstream_${state}`;
const CALLBACK_PATH = '/signin/upstream/callback';

const uidParams = z.object({ uid: z.string().min(1).max(64) });
const callbackQuery = z
  .object({
    state: z.string().max(512).optional(),
    code: z.string().max(4096).optional(),
    error: z.string().max(256).optional(),
    error_description: z.string().max(2048).optional(),
  })
  .loose();

const escape = (value: unknown) =>
  String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A page for a callback we cannot place in any sign-in (no or unknown state): nowhere safe to redirect to. */
function errorPage(reply: FastifyReply, status: number, code: string, message: string) {
  return reply.status(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign-in error</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 3rem auto; padding: 0 1rem">
<h1>This sign-in cannot continue</h1>
<p>${escape(message)} Go back to the app and start the sign-in again.</p>
<p><code data-error="${escape(code)}">${escape(code)}</code></p>
</body></html>`);
}

const backToSignin = (reply: FastifyReply, uid: string | null, error?: string) =>
  uid === null
    ? backToMy(reply, error)
    : reply.header('cache-control', 'no-store').redirect(`/signin/${encodeURIComponent(uid)}${error ? `?error=${encodeURIComponent(error)}` : ''}`, 303);

/** Back to "My connected apps", with `?error=<code>` when nobody was signed in. */
const backToMy = (reply: FastifyReply, error?: string) =>
  reply.header('cache-control', 'no-store').redirect(`/my/apps${error ? `?error=${encodeURIComponent(error)}` : ''}`, 303);

const myStartQuery = z.object({ institution: institutionNumber });

/**
 * The browser half of upstream sign-in.
 *
 * `GET /signin/:uid/upstream` (the "Sign in with <board>" button): checks the browser owns the
 * interaction (oidc-provider's interaction cookie, path `/signin/<uid>`), finds the chosen school's
 * board provider, stores the transaction (PKCE verifier, nonce, uid) in the database under its
 * `state` — the callback may reach another process — and sends the browser upstream.
 *
 * `GET /signin/upstream/callback` (one fixed redirect URI for every upstream): takes the
 * transaction by `state` (single use), checks the binding cookie, lets openid-client validate the
 * answer (state, PKCE, nonce, ID token), finds the person by the board's claim and hands them to
 * the interaction's `completeLogin`, then sends the browser back to `/signin/<uid>`, with
 * `?error=<code>` when nobody was signed in.
 */
export async function registerUpstreamSignin(app: ZodApp, ctx: AppContext): Promise<void> {
  app.get('/signin/:uid/upstream', { schema: { hide: true, params: uidParams } }, async (request, reply) => {
    const { uid } = request.params;
    const provider = await providerOf(ctx);
    const interaction = await provider.interactionDetails(request.raw, reply.raw).catch(() => undefined);
    if (!interaction || interaction.uid !== uid || isFinished(interaction)) {
      return errorPage(reply, 410, 'interaction_expired', 'This sign-in has expired or was already completed.');
    }
    const institution = progressOf(interaction).institution;
    if (!institution) return backToSignin(reply, uid);
    const upstream = await providerForInstitution(ctx.db, institution);
    if (!upstream) return backToSignin(reply, uid, UPSTREAM_ERRORS.notConfigured);
    let config: oidc.Configuration;
    try {
      config = await configurationOf(upstream);
    } catch (error) {
      request.log.warn({ err: error, issuer: upstream.issuer }, 'upstream discovery failed');
      return backToSignin(reply, uid, UPSTREAM_ERRORS.unavailable);
    }
    // Never longer than the interaction itself: a later callback has nothing left to sign in to.
    // (interaction.exp is oidc-provider's, stamped with real time like all its artefacts.)
    const ttl = Math.max(1, Math.min(TRANSACTION_TTL_S, interaction.exp - Math.floor(Date.now() / 1000)));
    return sendUpstream(ctx, reply, config, upstream, { uid, institution }, ttl);
  });

  // "My connected apps" (/my/apps): the person chose a school whose board has its own sign-in.
  app.get('/signin/upstream/my', { schema: { hide: true, querystring: myStartQuery } }, async (request, reply) => {
    const { institution } = request.query;
    const upstream = await providerForInstitution(ctx.db, institution);
    if (!upstream) return backToMy(reply, UPSTREAM_ERRORS.notConfigured);
    let config: oidc.Configuration;
    try {
      config = await configurationOf(upstream);
    } catch (error) {
      request.log.warn({ err: error, issuer: upstream.issuer }, 'upstream discovery failed');
      return backToMy(reply, UPSTREAM_ERRORS.unavailable);
    }
    return sendUpstream(ctx, reply, config, upstream, { uid: null, flow: 'my', institution }, TRANSACTION_TTL_S);
  });

  app.get(CALLBACK_PATH, { schema: { hide: true, querystring: callbackQuery } }, async (request, reply) => {
    const { state } = request.query;
    const tx = state ? await takeTransaction(ctx, state) : undefined;
    if (!state || !tx) {
      return errorPage(
        reply,
        400,
        'upstream_state_invalid',
        "This answer from your school board's sign-in belongs to no sign-in in progress (it was used already, has expired, or was not started here).",
      );
    }
    const cookieName = bindingCookie(state);
    const binding = request.cookies[cookieName];
    reply.clearCookie(cookieName, { path: CALLBACK_PATH });
    if (!binding || sha256(binding) !== tx.bindingHash) {
      // Someone else's answer pasted into this browser (login CSRF): sign nobody in.
      request.log.warn({ uid: tx.uid }, 'upstream callback without the binding cookie of its transaction');
      return backToSignin(reply, tx.uid, UPSTREAM_ERRORS.failed);
    }
    const { error } = request.query;
    if (error) {
      request.log.info({ uid: tx.uid, error, description: request.query.error_description }, 'upstream answered with an error');
      return backToSignin(reply, tx.uid, error === 'access_denied' ? UPSTREAM_ERRORS.denied : UPSTREAM_ERRORS.failed);
    }
    const upstream = await providerById(ctx.db, tx.providerId);
    // The board's provider must still be the one of the chosen school (the operator may have changed it).
    const current = await providerForInstitution(ctx.db, tx.institution);
    if (!upstream || current?.id !== upstream.id) return backToSignin(reply, tx.uid, UPSTREAM_ERRORS.notConfigured);

    let claims: Record<string, unknown>;
    try {
      const config = await configurationOf(upstream);
      const tokens = await oidc.authorizationCodeGrant(config, callbackUrl(ctx, request), {
        pkceCodeVerifier: tx.verifier,
        expectedState: state,
        expectedNonce: tx.nonce,
        idTokenExpected: true,
      });
      claims = { ...tokens.claims() };
      if (!claimValue(upstream.personClaim, claims) && config.serverMetadata().userinfo_endpoint) {
        // Many providers release attributes at userinfo only; the subject must match the ID token's.
        claims = { ...(await oidc.fetchUserInfo(config, tokens.access_token, String(claims.sub))), ...claims };
      }
    } catch (err) {
      request.log.warn({ err, uid: tx.uid, issuer: upstream.issuer }, 'upstream sign-in did not validate');
      return backToSignin(reply, tx.uid, UPSTREAM_ERRORS.failed);
    }
    const value = claimValue(upstream.personClaim, claims);
    const personId = value ? await findPersonByClaim(ctx.db, upstream.personClaim, value, tx.institution) : undefined;
    if (!personId) {
      request.log.info({ uid: tx.uid, claim: upstream.personClaim, present: Boolean(value) }, 'upstream person not found');
      return backToSignin(reply, tx.uid, UPSTREAM_ERRORS.personNotFound);
    }
    if (tx.flow === 'my' || tx.uid === null) {
      // "My connected apps": the person must be of the chosen school, as with a password there.
      if (!(await belongsToSchool(ctx.db, personId, tx.institution))) return backToMy(reply, 'not_at_school');
      await startEndUserSession(ctx, reply, personId);
      return backToMy(reply);
    }
    try {
      await completeLogin(ctx, request, reply, tx.uid, personId, 'upstream');
    } catch (err) {
      // role_not_granted, interaction_expired …: the page shows the code like after a password login.
      if (err instanceof ApiError) return backToSignin(reply, tx.uid, err.code);
      throw err;
    }
    return backToSignin(reply, tx.uid);
  });
}

/** The URL the upstream redirected to, as openid-client validates it: our public callback URL with the query received. */
function callbackUrl(ctx: AppContext, request: FastifyRequest): URL {
  const url = new URL(upstreamCallbackUrl(ctx.config));
  url.search = new URL(request.url, 'http://x').search;
  return url;
}

/**
 * Stores the transaction (PKCE verifier, nonce, what it signs in to, hash of a browser-binding
 * cookie) under a fresh `state`, sets the binding cookie and sends the browser to the upstream.
 */
async function sendUpstream(
  ctx: AppContext,
  reply: FastifyReply,
  config: oidc.Configuration,
  upstream: UpstreamProvider,
  target: { uid: string | null; flow?: 'my'; institution: string },
  ttl: number,
) {
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const verifier = oidc.randomPKCECodeVerifier();
  const binding = randomToken();
  await saveTransaction(ctx, state, { ...target, providerId: upstream.id, verifier, nonce, bindingHash: sha256(binding) }, ttl);
  reply.setCookie(bindingCookie(state), binding, {
    path: CALLBACK_PATH,
    httpOnly: true,
    // Lax: the upstream sends the browser back with a top-level GET, which carries Lax cookies.
    sameSite: 'lax',
    secure: ctx.config.PUBLIC_URL.startsWith('https://'),
    maxAge: ttl,
  });
  const scope = upstream.personClaim === 'email' ? 'openid email' : 'openid';
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: upstreamCallbackUrl(ctx.config),
    scope,
    response_type: 'code',
    state,
    nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  return reply.header('cache-control', 'no-store').redirect(url.href, 303);
}
