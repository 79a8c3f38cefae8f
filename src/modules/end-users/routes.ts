import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import type { ZodApp } from '../../http/types.ts';
import { errors } from '../../http/common-schemas.ts';
import { partnerOf } from '../partners/policies.ts';
import { requirePartnerApp } from '../apps/policies.ts';
import { appIdParams } from '../apps/schemas.ts';
import { endEndUserSession, readEndUserSession, requireEndUser, startEndUserSession } from './session.ts';
import { checkEndUserPassword, withdrawConsent } from './service.ts';
import { liveConsentsOfPerson, listAppEvents, readsOfConsents } from './queries.ts';
import { presentConnectedApp, presentPartnerEvent } from './presenters.ts';
import { categoryTexts } from '../catalog/queries.ts';
import { ApiError, forbidden, invalidField } from '../../http/errors.ts';
import { belongsToSchool, myUpstreamPath, signinSchool, signinSchools } from './schools.ts';
import {
  connectedAppSchema,
  consentParams,
  myAppsQuery,
  schoolsQuery,
  signinSchoolSchema,
  endUserLoginBody,
  endUserSessionSchema,
  eventsQuery,
  partnerEventSchema,
} from './schemas.ts';

/**
 * "My connected apps": end users (people of the SS 12000 store) sign in on Schoolgate, see the apps
 * they consented to with the apps' reads of their data, and withdraw consent. Plus the partner's
 * side of a withdrawal: the app's event stream.
 */
export default async function endUserRoutes(app: ZodApp, ctx: AppContext): Promise<void> {
  const tags = ['my apps'];
  // The staff session is not consulted on these routes; every handler calls requireEndUser (or
  // reads the end-user session itself), which also checks CSRF on state changes.
  const config = { access: 'end_user' as const };

  /** The language of the person's end-user account; English without one. */
  const accountLanguage = async (personId: string) =>
    (await ctx.db.selectFrom('end_user_accounts').select('language').where('person_id', '=', personId).executeTakeFirst())?.language ?? 'en';

  const sessionView = async (personId: string, csrfToken: string, expiresAt: Date) => {
    const account = await ctx.db
      .selectFrom('ss12000_persons as p')
      .leftJoin('end_user_accounts as a', 'a.person_id', 'p.id')
      .select(['p.display_name', 'a.language'])
      .where('p.id', '=', personId)
      .executeTakeFirstOrThrow();
    return { person: { displayName: account.display_name, language: account.language ?? 'en' }, csrfToken, expiresAt };
  };

  app.post(
    '/my/session',
    {
      config,
      schema: {
        tags,
        summary: 'An end user signs in on Schoolgate; sets the httpOnly sg_person cookie and returns the CSRF token',
        body: endUserLoginBody,
        response: { 200: endUserSessionSchema, ...errors(400, 401, 403, 429) },
      },
    },
    async (request, reply) => {
      const { institution } = request.body;
      const school = institution === undefined ? undefined : await signinSchool(ctx.db, institution);
      if (institution !== undefined && !school) {
        throw invalidField(
          'body.institution',
          'institution_not_available',
          'Nobody can sign in to Schoolgate at this school. Choose your school from the list.',
        );
      }
      if (school && !school.password) {
        throw new ApiError(403, 'password_login_disabled', `This school signs in through ${school.upstream?.name ?? 'its school board'} only.`);
      }
      const personId = await checkEndUserPassword(ctx, request.body.login, request.body.password, request.ip);
      // The right password of someone of another school: they chose the wrong school, which they may be told.
      if (institution !== undefined && !(await belongsToSchool(ctx.db, personId, institution))) {
        throw forbidden('not_at_school', 'You are not a student, guardian or staff member of this school. Choose your own school.');
      }
      // A previous session in this browser (maybe another person's) ends here rather than lingering.
      await endEndUserSession(ctx, request, reply);
      const session = await startEndUserSession(ctx, reply, personId);
      return sessionView(personId, session.csrfToken, session.expiresAt);
    },
  );

  app.get(
    '/my/schools',
    {
      config: { access: 'public' },
      schema: {
        tags,
        summary: 'The schools whose people can sign in to Schoolgate (a password or the school board’s own sign-in), searchable: the first step of signing in',
        querystring: schoolsQuery,
        response: { 200: z.object({ items: z.array(signinSchoolSchema) }), ...errors(400) },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const schools = await signinSchools(ctx.db, { q: request.query.q });
      return {
        items: schools.map((s) => ({ ...s, upstream: s.upstream ? { name: s.upstream.name, url: myUpstreamPath(s.number) } : null })),
      };
    },
  );

  app.get(
    '/my/session',
    {
      config,
      schema: { tags, summary: 'The signed-in end user and the CSRF token', response: { 200: endUserSessionSchema, ...errors(401) } },
    },
    async (request) => {
      const session = await requireEndUser(ctx, request);
      return sessionView(session.personId, session.csrfToken, session.expiresAt);
    },
  );

  app.delete(
    '/my/session',
    {
      config,
      schema: { tags, summary: 'Sign out of Schoolgate (end user); a no-op without a session', response: { 204: z.null(), ...errors(403) } },
    },
    async (request, reply) => {
      // With a session, CSRF is required (no cross-site sign-out); without one there is nothing to end.
      if (await readEndUserSession(ctx, request)) await requireEndUser(ctx, request);
      await endEndUserSession(ctx, request, reply);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/my/apps',
    {
      config,
      schema: {
        tags,
        summary: 'The apps the signed-in end user consented to (live consents), with what they may read and why, and their reads',
        querystring: myAppsQuery,
        response: { 200: z.object({ items: z.array(connectedAppSchema) }), ...errors(400, 401) },
      },
    },
    async (request) => {
      const session = await requireEndUser(ctx, request);
      const consents = await liveConsentsOfPerson(ctx.db, session.personId);
      const reads = await readsOfConsents(
        ctx.db,
        consents.map((c) => c.id),
      );
      const language = request.query.language ?? (await accountLanguage(session.personId));
      const texts = await categoryTexts(
        ctx.db,
        consents.flatMap((c) => c.data_categories),
        language,
      );
      return { items: consents.map((c) => presentConnectedApp(c, reads.get(c.id), language, texts)) };
    },
  );

  app.post(
    '/my/apps/:consentId/withdraw',
    {
      config,
      schema: {
        tags,
        summary: "Withdraw a consent: the app's refresh tokens and grant are revoked at once, the partner is mailed and gets an event",
        params: consentParams,
        response: { 204: z.null(), ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const session = await requireEndUser(ctx, request);
      await withdrawConsent(ctx, session.personId, request.params.consentId);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/partner/apps/:appId/events',
    {
      config: { access: 'partner_member' },
      schema: {
        tags: ['partner apps'],
        summary: "The app's events (consent.withdrawn …), oldest first; read on with ?after=<nextAfter>",
        params: appIdParams,
        querystring: eventsQuery,
        response: {
          200: z.object({
            items: z.array(partnerEventSchema),
            nextAfter: z.string().nullable().describe('The seq of the last item: pass as ?after= next time; null when the page is empty'),
          }),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      const row = await requirePartnerApp(ctx.db, partnerOf(request.actor), request.params.appId);
      const events = await listAppEvents(ctx.db, row.id, request.query.after, request.query.limit);
      const items = events.map(presentPartnerEvent);
      return { items, nextAfter: items.length ? items[items.length - 1]!.seq : null };
    },
  );
}
