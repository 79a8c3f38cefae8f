import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import type { ZodApp } from '../../http/types.ts';
import { errors } from '../../http/common-schemas.ts';
import { dataApiResource, issuerOf } from '../access/tokens/urls.ts';
import { listClientsOfApps, listPartnerApps } from '../apps/queries.ts';
import { partnerOf } from '../partners/policies.ts';
import { findSandbox } from '../sandbox/service.ts';
import { DEFAULT_RATE_LIMIT } from '../ss12000/access.ts';
import { SS12000_PREFIX } from '../ss12000/routes.ts';
import { oidcErrorCodes, oidcOpenApi, type DiscoveryMetadata } from './oidc-openapi.ts';

/** Where the OAuth/OIDC description is served (under /api/v1). */
export const OIDC_OPENAPI_PATH = '/developers/oidc-openapi.json';

const oidcError = z.object({ code: z.string(), status: z.number().int() });

/** What the partner's Developers page needs besides the two OpenAPI documents: its apps' real values. */
const developerInfo = z
  .object({
    dataApiBaseUrl: z.string().describe('Base URL of the SS 12000 data API'),
    dataApiOpenApiUrl: z.string(),
    dataApiResource: z.string().describe('The `resource` of the data API at the token endpoint'),
    issuer: z.string(),
    discoveryUrl: z.string(),
    tokenUrl: z.string(),
    oidcOpenApiUrl: z.string(),
    rateLimitPerMinute: z.number().int().describe('Requests per minute per client unless the operator set another limit'),
    oidcErrors: z.object({ token: z.array(oidcError), authorization: z.array(oidcError), userinfo: z.array(oidcError) }),
    sandbox: z.object({ institutionNumber: z.string(), name: z.string() }).nullable().describe('The developer sandbox, when there is one'),
    apps: z.array(
      z.object({
        id: z.uuid(),
        name: z.string(),
        status: z.string(),
        clientId: z.uuid().nullable(),
        sandboxApis: z.array(z.string()).describe('APIs this app reads in the sandbox'),
      }),
    ),
  })
  .meta({ id: 'DeveloperInfo' });

/** The developer portal: the OAuth/OIDC description (public, like the data API's) and a partner's quick-start values. */
export default async function developerRoutes(app: ZodApp, ctx: AppContext): Promise<void> {
  app.get(
    OIDC_OPENAPI_PATH,
    {
      config: { access: 'public' },
      schema: {
        tags: ['developers'],
        summary: "OpenAPI description of the OAuth 2.0 / OpenID Connect endpoints, from the provider's discovery metadata",
        response: { 200: z.record(z.string(), z.unknown()) },
      },
    },
    async (request) => {
      // The provider's own metadata, as a client would fetch it (issuer, endpoints, supported values).
      const discovery = await request.server.inject({ method: 'GET', url: '/oidc/.well-known/openid-configuration' });
      if (discovery.statusCode !== 200) throw new Error(`discovery answered ${discovery.statusCode}`);
      return oidcOpenApi(discovery.json() as DiscoveryMetadata, dataApiResource(ctx.config));
    },
  );

  app.get(
    '/partner/developers',
    {
      config: { access: 'partner_member' },
      schema: {
        tags: ['developers'],
        summary: "The developer portal's values for this partner: URLs, rate limit, error codes, the sandbox and its apps' client ids",
        response: { 200: developerInfo, ...errors(401, 403) },
      },
    },
    async (request) => {
      const partnerId = partnerOf(request.actor);
      const apps = await listPartnerApps(ctx.db, partnerId);
      const clients = await listClientsOfApps(
        ctx.db,
        apps.map((a) => a.id),
      );
      const sandbox = await findSandbox(ctx.db);
      const sandboxGrants =
        sandbox && clients.length
          ? await ctx.db
              .selectFrom('grants')
              .select(['client_id', 'api_code'])
              .where('institution_number', '=', sandbox.number)
              .where(
                'client_id',
                'in',
                clients.map((c) => c.id),
              )
              .orderBy('api_code')
              .execute()
          : [];
      const base = ctx.config.PUBLIC_URL;
      const issuer = issuerOf(ctx.config);
      return {
        dataApiBaseUrl: `${base}${SS12000_PREFIX}`,
        dataApiOpenApiUrl: `${base}${SS12000_PREFIX}/openapi.json`,
        dataApiResource: dataApiResource(ctx.config),
        issuer,
        discoveryUrl: `${issuer}/.well-known/openid-configuration`,
        tokenUrl: `${issuer}/token`,
        oidcOpenApiUrl: `${base}/api/v1${OIDC_OPENAPI_PATH}`,
        rateLimitPerMinute: DEFAULT_RATE_LIMIT,
        oidcErrors: { token: oidcErrorCodes('token'), authorization: oidcErrorCodes('authorization'), userinfo: oidcErrorCodes('userinfo') },
        sandbox: sandbox ? { institutionNumber: sandbox.number, name: sandbox.name } : null,
        apps: apps.map((a) => {
          const clientId = clients.find((c) => c.app_id === a.id)?.id ?? null;
          return {
            id: a.id,
            name: a.name,
            status: a.status,
            clientId,
            sandboxApis: sandboxGrants.filter((g) => g.client_id === clientId).map((g) => g.api_code),
          };
        }),
      };
    },
  );
}
