import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import type { ZodApp } from '../../http/types.ts';
import { errors } from '../../http/common-schemas.ts';
import { actorForToken, clearSessionCookie, createSession, setSessionCookie } from '../../auth/session.ts';
import { ApiError, notFound } from '../../http/errors.ts';
import { endUserCredentialsMatch } from '../end-users/service.ts';
import { checkSignIn, confirmEmail, signUpPartnerMember } from './service.ts';
import { confirmBody, loginBody, sessionSchema, signupBody } from './schemas.ts';
import { partnerIdOf, presentSessionUser } from './presenters.ts';
import { limitAction, SIGNUPS } from '../../auth/action-limit.ts';

/** Sign-up, e-mail confirmation, sign-in and sign-out for every kind of human user. */
export default async function authRoutes(app: ZodApp, ctx: AppContext): Promise<void> {
  app.post(
    '/auth/signup',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'A partner member signs up; a confirmation link is mailed',
        description:
          'Answers 202 alike whether or not the address has an account (its owner is mailed instead), so the answer tells nobody who has one. At most 5 sign-ups per client address an hour (429 with Retry-After).',
        body: signupBody,
        response: { 202: z.object({ emailConfirmationSent: z.literal(true) }), ...errors(400, 429) },
      },
    },
    async (request, reply) => {
      await limitAction(ctx, SIGNUPS, [`ip:${request.ip}`]);
      await signUpPartnerMember(ctx, request.body);
      return reply.status(202).send({ emailConfirmationSent: true as const });
    },
  );

  app.post(
    '/auth/confirm-email',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Confirm an e-mail address with the token from the confirmation mail',
        body: confirmBody,
        response: { 200: z.object({ confirmed: z.literal(true) }), ...errors(400, 409, 410) },
      },
    },
    async (request) => {
      await confirmEmail(ctx, request.body.token);
      return { confirmed: true as const };
    },
  );

  app.post(
    '/auth/login',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Sign in; sets the httpOnly session cookie and returns the CSRF token',
        body: loginBody,
        response: { 200: sessionSchema, ...errors(400, 401, 429) },
      },
    },
    async (request, reply) => {
      const { email, password } = request.body;
      const userId = await checkSignIn(ctx, email, password, request.ip).catch(async (error: unknown) => {
        // A pupil, guardian or staff member who used their school account here is told where it works
        // (the failure is already counted; the match proves they know the password, so it reveals nothing).
        if (error instanceof ApiError && error.code === 'invalid_credentials' && (await endUserCredentialsMatch(ctx, email, password))) {
          throw new ApiError(
            401,
            'end_user_account',
            'This is a school account: sign in at My connected apps (/my/apps) to see and withdraw the apps you allowed.',
            {
              signInUrl: '/my/apps',
            },
          );
        }
        throw error;
      });
      const session = await createSession(ctx, userId);
      setSessionCookie(ctx, reply, session.token, session.expiresAt);
      const { actor } = await actorForToken(ctx, session.token);
      if (actor.kind === 'anonymous') throw new Error('session just created is not readable');
      return { user: presentSessionUser(actor.user, partnerIdOf(actor)), csrfToken: session.csrfToken, expiresAt: session.expiresAt };
    },
  );

  app.get(
    '/auth/session',
    {
      config: { access: 'signed_in' },
      schema: { tags: ['auth'], summary: 'The signed-in user and the CSRF token', response: { 200: sessionSchema, ...errors(401) } },
    },
    async (request) => {
      const actor = request.actor;
      if (actor.kind === 'anonymous') throw notFound('session_not_found', 'No session.');
      const row = await ctx.db.selectFrom('sessions').select(['csrf_token', 'expires_at']).where('token_hash', '=', actor.sessionId).executeTakeFirstOrThrow();
      return { user: presentSessionUser(actor.user, partnerIdOf(actor)), csrfToken: row.csrf_token, expiresAt: row.expires_at };
    },
  );

  app.post(
    '/auth/logout',
    {
      config: { access: 'signed_in' },
      schema: { tags: ['auth'], summary: 'Sign out: the session ends everywhere at once', response: { 204: z.null(), ...errors(401, 403) } },
    },
    async (request, reply) => {
      if (request.actor.kind !== 'anonymous') {
        await ctx.db.deleteFrom('sessions').where('token_hash', '=', request.actor.sessionId).execute();
      }
      clearSessionCookie(reply);
      return reply.status(204).send(null);
    },
  );
}
