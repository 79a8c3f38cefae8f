import { INVITATIONS, limitAction } from '../../auth/action-limit.ts';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import type { ZodApp } from '../../http/types.ts';
import { errors } from '../../http/common-schemas.ts';
import { notFound } from '../../http/errors.ts';
import { partnerOf } from '../partners/policies.ts';
import { requirePartnerApp } from './policies.ts';
import { presentApp, presentClient, presentGrant, presentInvitation, presentLogEntry } from './presenters.ts';
import {
  findClientOfApp,
  listApiRequests,
  listAppLog,
  listClientsOfApps,
  listGrantsOfClient,
  listInvitations,
  listLiveSecrets,
  listPartnerApps,
} from './queries.ts';
import {
  appCreateBody,
  appGrantSchema,
  appIdParams,
  appPatchBody,
  appSchema,
  archiveBody,
  clientSchema,
  invitationSchema,
  invitationsBody,
  linkBody,
  logEntrySchema,
  logQuery,
  secretCreatedSchema,
} from './schemas.ts';
import { archiveApp, createApp, createClientSecret, createInvitations, invitationLink, linkLegacyClient, submitApp, updateApp } from './service.ts';

const SECRET_NOTE =
  'Store this client secret now: Schoolgate keeps only a hash of it and will never show it again. ' +
  'If you lose it, create a new one; the previous secret keeps working until previousSecret.expiresAt.';

/** The partner's apps: registration, review submission, client secrets, legacy linking, invitations, log, grants. */
export default async function appsRoutes(app: ZodApp, ctx: AppContext): Promise<void> {
  const tags = ['partner apps'];
  const config = { access: 'partner_member' as const };

  const loadApp = async (partnerId: string, appId: string) => {
    const row = await requirePartnerApp(ctx.db, partnerId, appId);
    const [requests, client] = await Promise.all([listApiRequests(ctx.db, [appId]), findClientOfApp(ctx.db, appId)]);
    return presentApp(row, requests, client?.id ?? null);
  };

  app.get(
    '/partner/apps',
    {
      config,
      schema: { tags, summary: "The partner's apps with their status", response: { 200: z.object({ data: z.array(appSchema) }), ...errors(401, 403) } },
    },
    async (request) => {
      const partnerId = partnerOf(request.actor);
      const apps = await listPartnerApps(ctx.db, partnerId);
      const ids = apps.map((a) => a.id);
      const [requests, clients] = await Promise.all([listApiRequests(ctx.db, ids), listClientsOfApps(ctx.db, ids)]);
      const clientOf = new Map(clients.map((c) => [c.app_id, c.id]));
      return { data: apps.map((a) => presentApp(a, requests, clientOf.get(a.id) ?? null)) };
    },
  );

  app.post(
    '/partner/apps',
    {
      config,
      schema: {
        tags,
        summary: 'Register an app (draft): APIs with data categories and purpose, optional redirect URIs',
        body: appCreateBody,
        response: { 201: appSchema, ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const partnerId = partnerOf(request.actor);
      const appId = await createApp(ctx, request.actor, partnerId, request.body);
      return reply.status(201).send(await loadApp(partnerId, appId));
    },
  );

  app.get(
    '/partner/apps/:appId',
    {
      config,
      schema: { tags, summary: 'One app', params: appIdParams, response: { 200: appSchema, ...errors(400, 401, 403, 404) } },
    },
    async (request) => loadApp(partnerOf(request.actor), request.params.appId),
  );

  app.patch(
    '/partner/apps/:appId',
    {
      config,
      schema: {
        tags,
        summary: 'Edit an app (everything while draft or rejected; only description and contact e-mail once submitted or approved)',
        params: appIdParams,
        body: appPatchBody,
        response: { 200: appSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const partnerId = partnerOf(request.actor);
      await updateApp(ctx, request.actor, partnerId, request.params.appId, request.body);
      return loadApp(partnerId, request.params.appId);
    },
  );

  app.post(
    '/partner/apps/:appId/submit',
    {
      config,
      schema: { tags, summary: 'Submit a draft app for review', params: appIdParams, response: { 200: appSchema, ...errors(400, 401, 403, 404, 409) } },
    },
    async (request) => {
      const partnerId = partnerOf(request.actor);
      await submitApp(ctx, request.actor, partnerId, request.params.appId);
      return loadApp(partnerId, request.params.appId);
    },
  );

  app.post(
    '/partner/apps/:appId/archive',
    {
      config,
      schema: {
        tags,
        summary: 'Archive an app: it becomes read-only and its client gets no more tokens',
        params: appIdParams,
        body: archiveBody,
        response: { 200: appSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const partnerId = partnerOf(request.actor);
      await archiveApp(ctx, request.actor, partnerId, request.params.appId, request.body?.reason || null);
      return loadApp(partnerId, request.params.appId);
    },
  );

  app.get(
    '/partner/apps/:appId/client',
    {
      config,
      schema: {
        tags,
        summary: "The app's OAuth client and its live secrets (hint, created, last used, expires; never the secret)",
        params: appIdParams,
        response: { 200: clientSchema, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const row = await requirePartnerApp(ctx.db, partnerOf(request.actor), request.params.appId);
      const client = await findClientOfApp(ctx.db, row.id);
      if (!client) throw notFound('client_not_found', 'This app has no client yet: it gets one when it is approved, or link an existing one.');
      return presentClient(client, await listLiveSecrets(ctx.db, client.id, ctx.clock.now()));
    },
  );

  app.post(
    '/partner/apps/:appId/client/secrets',
    {
      config,
      schema: {
        tags,
        summary: 'Create a new client secret, shown once; the previous one keeps working for the overlap period',
        params: appIdParams,
        response: { 201: secretCreatedSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const created = await createClientSecret(ctx, request.actor, partnerOf(request.actor), request.params.appId);
      reply.header('cache-control', 'no-store');
      return reply.status(201).send({ ...created, note: SECRET_NOTE });
    },
  );

  app.post(
    '/partner/apps/:appId/client/link',
    {
      config,
      schema: {
        tags,
        summary: 'Link an existing client without app (legacy) to this app by proving one of its live secrets',
        description:
          "After linking, the client's grants are this app's grants and school admins can edit them once the app is " +
          'approved. While the app is a draft or under review the key keeps working as the legacy key it was (until the ' +
          "legacy cut-over); once approved it follows the app's status, and a rejected, suspended or archived app stops it.",
        params: appIdParams,
        body: linkBody,
        response: { 200: clientSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const clientId = await linkLegacyClient(ctx, request.actor, partnerOf(request.actor), request.params.appId, request.body);
      const client = await findClientOfApp(ctx.db, request.params.appId);
      if (!client || client.id !== clientId) throw new Error('linked client not found');
      return presentClient(client, await listLiveSecrets(ctx.db, client.id, ctx.clock.now()));
    },
  );

  app.get(
    '/partner/apps/:appId/invitations',
    {
      config,
      schema: {
        tags,
        summary: 'Invitations sent for this app, newest first, with their links and expiry',
        params: appIdParams,
        response: { 200: z.object({ data: z.array(invitationSchema) }), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const row = await requirePartnerApp(ctx.db, partnerOf(request.actor), request.params.appId);
      const now = ctx.clock.now();
      const rows = await listInvitations(ctx.db, row.id);
      return { data: rows.map((i) => presentInvitation(i, invitationLink(ctx, row.id, i.token), now)) };
    },
  );

  app.post(
    '/partner/apps/:appId/invitations',
    {
      config,
      schema: {
        tags,
        summary: 'Invite school administrators (1–50 e-mail addresses) to grant this approved app',
        description: 'At most 100 invitation mails per partner member and per client address an hour (429 with Retry-After).',
        params: appIdParams,
        body: invitationsBody,
        response: { 201: z.object({ data: z.array(invitationSchema) }), ...errors(400, 401, 403, 404, 409, 429) },
      },
    },
    async (request, reply) => {
      const partnerId = partnerOf(request.actor);
      // Official mails carrying a partner-chosen app name: limited per sender and per address.
      const sender = 'user' in request.actor ? request.actor.user.id : 'anonymous';
      await limitAction(ctx, INVITATIONS, [`user:${sender}`, `ip:${request.ip}`], request.body.emails.length);
      const ids = await createInvitations(ctx, request.actor, partnerId, request.params.appId, request.body.emails);
      const now = ctx.clock.now();
      const rows = (await listInvitations(ctx.db, request.params.appId)).filter((i) => ids.includes(i.id));
      return reply.status(201).send({ data: rows.map((i) => presentInvitation(i, invitationLink(ctx, i.app_id, i.token), now)) });
    },
  );

  app.get(
    '/partner/apps/:appId/log',
    {
      config,
      schema: {
        tags,
        summary: "The app's audit entries, newest first (keyset paging with ?before=<nextBefore>)",
        params: appIdParams,
        querystring: logQuery,
        response: {
          200: z.object({ data: z.array(logEntrySchema), nextBefore: z.string().nullable().describe('Pass as ?before= for the next page') }),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      const row = await requirePartnerApp(ctx.db, partnerOf(request.actor), request.params.appId);
      const { before, limit } = request.query;
      const rows = await listAppLog(ctx.db, row.id, before, limit + 1);
      const page = rows.slice(0, limit);
      return { data: page.map(presentLogEntry), nextBefore: rows.length > limit ? String(page[page.length - 1]!.id) : null };
    },
  );

  app.get(
    '/partner/apps/:appId/grants',
    {
      config,
      schema: {
        tags,
        summary: "The app's current grants: API, institution or access group",
        params: appIdParams,
        response: { 200: z.object({ data: z.array(appGrantSchema) }), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const row = await requirePartnerApp(ctx.db, partnerOf(request.actor), request.params.appId);
      const client = await findClientOfApp(ctx.db, row.id);
      const grants = client ? await listGrantsOfClient(ctx.db, client.id) : [];
      return { data: grants.map(presentGrant) };
    },
  );
}
