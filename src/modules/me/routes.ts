import type { AppContext } from '../../context.ts';
import { errors } from '../../http/common-schemas.ts';
import type { ZodApp } from '../../http/types.ts';
import { authenticateClient, installBearerChallenge } from '../access/tokens/bearer.ts';
import { presentClientGrant } from './presenters.ts';
import { listClientGrants } from './queries.ts';
import { myGrantsSchema } from './schemas.ts';

/** What an OAuth client can ask about itself with its bearer token. */
export default async function meRoutes(app: ZodApp, ctx: AppContext): Promise<void> {
  installBearerChallenge(app);

  app.get(
    '/me/grants',
    {
      config: { access: 'client' },
      schema: {
        tags: ['client'],
        summary: 'The grants the calling client holds right now',
        description:
          'For an OAuth client with a bearer access token (client credentials). Read live: a grant removed ' +
          'or an app suspended shows on the very next request.',
        security: [{ bearer: [] }],
        response: { 200: myGrantsSchema, ...errors(401, 403) },
      },
    },
    async (request) => {
      const principal = await authenticateClient(ctx, request);
      const rows = await listClientGrants(ctx.db, principal.clientId);
      return {
        clientId: principal.clientId,
        appId: principal.appId,
        data: rows.map((r) => presentClientGrant(r, principal.dataCategories)),
      };
    },
  );
}
