import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import type { ZodApp } from '../../http/types.ts';
import type { SignedIn } from '../../auth/actor.ts';
import { errors } from '../../http/common-schemas.ts';
import { notFound } from '../../http/errors.ts';
import type { ReviewAction } from './policies.ts';
import { categoryTexts } from '../catalog/queries.ts';
import { appForReview, listAppsForOperator, listLegacyClients, listPartnersForOperator } from './queries.ts';
import { presentGrant, presentLegacyClient, presentOperatorApp, presentOperatorAppRow, presentPartnerRow } from './presenters.ts';
import {
  approveBody,
  createdLegacyClient,
  createLegacyBody,
  grantOutput,
  legacyClientRow,
  operatorAppDetail,
  operatorAppRow,
  operatorAppsQuery,
  partnerRow,
  reapproveBody,
  reasonBody,
  rejectBody,
  reviewLanguageQuery,
  replaceLegacyGrantsBody,
} from './schemas.ts';
import { changeAppStatus, createLegacyClient, replaceLegacyGrants } from './service.ts';

const appParams = z.object({ appId: z.uuid() });

/**
 * The operator's back-office: reviewing apps (the accreditation), the partner list and legacy
 * clients without an app. Every route is operator-only.
 */
export default async function reviewRoutes(app: ZodApp, ctx: AppContext): Promise<void> {
  const userOf = (actor: unknown) => (actor as SignedIn).user;
  const loadDetail = async (appId: string, language: string) => {
    const review = await appForReview(ctx.db, appId);
    if (!review) throw notFound('app_not_found', 'No such app.');
    const texts = await categoryTexts(
      ctx.db,
      review.apis.flatMap((x) => x.data_categories),
      language,
    );
    return presentOperatorApp(review, language, texts);
  };

  app.get(
    '/operator/apps',
    {
      config: { access: 'operator' },
      schema: {
        tags: ['operator'],
        summary: 'Apps to review, filtered by status and partner (default: all)',
        querystring: operatorAppsQuery,
        response: { 200: z.object({ data: z.array(operatorAppRow) }), ...errors(400, 401, 403) },
      },
    },
    async (request) => ({ data: (await listAppsForOperator(ctx.db, request.query)).map(presentOperatorAppRow) }),
  );

  app.get(
    '/operator/apps/:appId',
    {
      config: { access: 'operator' },
      schema: {
        tags: ['operator'],
        summary: 'The full request: APIs, data categories, purposes, redirect URIs, partner, client, accreditation, history',
        params: appParams,
        querystring: reviewLanguageQuery,
        response: { 200: operatorAppDetail, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => loadDetail(request.params.appId, request.query.language ?? userOf(request.actor).language),
  );

  const transitions: { path: string; action: ReviewAction; body: z.ZodType<{ notes?: string | undefined; reason?: string | undefined }>; summary: string }[] = [
    {
      path: 'approve',
      action: 'approve',
      body: approveBody,
      summary: 'Approve a submitted app (the accreditation); creates its client without a secret and mails the partner',
    },
    { path: 'reject', action: 'reject', body: rejectBody, summary: 'Reject a submitted app with a reason' },
    { path: 'suspend', action: 'suspend', body: reasonBody, summary: 'Suspend an approved app: no tokens and no data from the next request on' },
    { path: 'reapprove', action: 'reapprove', body: reapproveBody, summary: 'Re-approve a suspended app' },
    { path: 'archive', action: 'archive', body: reasonBody, summary: 'Archive an app in any state (final)' },
  ];
  for (const t of transitions) {
    app.post(
      `/operator/apps/:appId/${t.path}`,
      {
        config: { access: 'operator' },
        schema: {
          tags: ['operator'],
          summary: t.summary,
          params: appParams,
          body: t.body,
          response: { 200: operatorAppDetail, ...errors(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        await changeAppStatus(ctx, userOf(request.actor), request.params.appId, t.action, request.body);
        return loadDetail(request.params.appId, userOf(request.actor).language);
      },
    );
  }

  app.get(
    '/operator/partners',
    {
      config: { access: 'operator' },
      schema: {
        tags: ['operator'],
        summary: 'Partners with their apps and number of members',
        response: { 200: z.object({ data: z.array(partnerRow) }), ...errors(401, 403) },
      },
    },
    async () => ({ data: (await listPartnersForOperator(ctx.db)).map(presentPartnerRow) }),
  );

  app.get(
    '/operator/legacy-clients',
    {
      config: { access: 'operator' },
      schema: {
        tags: ['operator'],
        summary: 'Legacy clients, with the app that claimed each (if any), scopes and secret hints',
        response: { 200: z.object({ data: z.array(legacyClientRow) }), ...errors(401, 403) },
      },
    },
    async () => ({ data: (await listLegacyClients(ctx.db)).map(presentLegacyClient) }),
  );

  app.post(
    '/operator/legacy-clients',
    {
      config: { access: 'operator' },
      schema: {
        tags: ['operator'],
        summary: 'Issue a legacy client with scopes; the secret is in this response only',
        body: createLegacyBody,
        response: { 201: createdLegacyClient, ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => reply.status(201).send(await createLegacyClient(ctx, userOf(request.actor), request.body)),
  );

  app.put(
    '/operator/legacy-clients/:clientId/grants',
    {
      config: { access: 'operator' },
      schema: {
        tags: ['operator'],
        summary: 'Replace all scopes of a legacy client (the operator may always; admins only once an app has claimed it)',
        params: z.object({ clientId: z.uuid() }),
        body: replaceLegacyGrantsBody,
        response: { 200: z.object({ changed: z.boolean(), grants: z.array(grantOutput) }), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const result = await replaceLegacyGrants(ctx, userOf(request.actor), request.params.clientId, request.body);
      return {
        changed: result.changed,
        grants: result.grants.map((g) => presentGrant({ api_code: g.apiCode, institution_number: g.institutionNumber, access_group_id: g.accessGroupId })),
      };
    },
  );
}
