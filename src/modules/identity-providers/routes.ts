import { z } from 'zod';
import type { SignedIn } from '../../auth/actor.ts';
import type { AppContext } from '../../context.ts';
import { errors } from '../../http/common-schemas.ts';
import { notFound } from '../../http/errors.ts';
import type { ZodApp } from '../../http/types.ts';
import { auditActor } from '../audit/record.ts';
import { presentIdentityProvider } from './presenters.ts';
import { createIdentityProviderBody, identityProviderSchema, providerIdParams, schoolBoardSchema, updateIdentityProviderBody } from './schemas.ts';
import { createIdentityProvider, deleteIdentityProvider, institutionsUnder, listBoards, listProviderRows, updateIdentityProvider } from './service.ts';

/**
 * The operator's configuration of upstream identity providers: per school board, an OpenID Connect
 * provider its people may sign in with (src/oidc/upstream runs the sign-in). Operator only; every
 * change is audited; the client secret is write-only.
 */
export default async function identityProviderRoutes(app: ZodApp, ctx: AppContext): Promise<void> {
  const present = async (id?: string) => {
    const rows = await listProviderRows(ctx.db, id);
    const units = await institutionsUnder(ctx.db, [...new Set(rows.map((r) => r.board_organisation_id))]);
    return rows.map((r) => presentIdentityProvider(ctx.config, r, units.get(r.board_organisation_id) ?? []));
  };
  const one = async (id: string) => {
    const [found] = await present(id);
    if (!found) throw notFound('identity_provider_not_found', 'No identity provider has this id.');
    return found;
  };

  app.get(
    '/operator/identity-providers',
    {
      config: { access: 'operator' },
      schema: {
        tags: ['operator'],
        summary: 'Upstream identity providers, one per school board (secrets are never returned)',
        response: { 200: z.object({ data: z.array(identityProviderSchema) }), ...errors(401, 403) },
      },
    },
    async () => ({ data: await present() }),
  );

  app.get(
    '/operator/school-boards',
    {
      config: { access: 'operator' },
      schema: {
        tags: ['operator'],
        summary: 'School boards (SS 12000 organisations of type Huvudman) with their schools and identity provider, for choosing a board',
        response: { 200: z.object({ data: z.array(schoolBoardSchema) }), ...errors(401, 403) },
      },
    },
    async () => ({ data: await listBoards(ctx.db) }),
  );

  app.post(
    '/operator/identity-providers',
    {
      config: { access: 'operator' },
      schema: {
        tags: ['operator'],
        summary: 'Add the upstream identity provider of a school board (the issuer is discovered first)',
        body: createIdentityProviderBody,
        response: { 201: identityProviderSchema, ...errors(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const id = await createIdentityProvider(ctx, auditActor(request.actor as SignedIn), request.body);
      return reply.status(201).send(await one(id));
    },
  );

  app.patch(
    '/operator/identity-providers/:providerId',
    {
      config: { access: 'operator' },
      schema: {
        tags: ['operator'],
        summary: 'Change an upstream identity provider; an omitted clientSecret keeps the current one',
        params: providerIdParams,
        body: updateIdentityProviderBody,
        response: { 200: identityProviderSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      await updateIdentityProvider(ctx, auditActor(request.actor as SignedIn), request.params.providerId, request.body);
      return one(request.params.providerId);
    },
  );

  app.delete(
    '/operator/identity-providers/:providerId',
    {
      config: { access: 'operator' },
      schema: {
        tags: ['operator'],
        summary: 'Remove an upstream identity provider: its schools sign in with passwords only',
        params: providerIdParams,
        response: { 204: z.null().describe('Removed'), ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await deleteIdentityProvider(ctx, auditActor(request.actor as SignedIn), request.params.providerId);
      return reply.status(204).send(null);
    },
  );
}
