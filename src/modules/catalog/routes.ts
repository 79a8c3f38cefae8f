import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import type { ZodApp } from '../../http/types.ts';
import { listApis, listDataCategories } from './queries.ts';
import { presentApi, presentDataCategory } from './presenters.ts';
import { apiSchema, dataCategorySchema } from './schemas.ts';

/** The public API catalog: the deployment's catalog file as synchronised at start. */
export default async function catalogRoutes(app: ZodApp, ctx: AppContext): Promise<void> {
  app.get(
    '/catalog/apis',
    {
      config: { access: 'public' },
      schema: {
        tags: ['catalog'],
        summary: 'The data APIs an app can ask for: names, the admin right each needs, and where its data is served',
        response: { 200: z.object({ data: z.array(apiSchema) }) },
      },
    },
    // The public URL is read per request: the URLs follow the configuration the server runs with.
    async () => ({ data: (await listApis(ctx.db)).map((a) => presentApi(a, ctx.config.PUBLIC_URL)) }),
  );

  app.get(
    '/catalog/data-categories',
    {
      config: { access: 'public' },
      schema: {
        tags: ['catalog'],
        summary: 'The data categories with their names and descriptions, and what each releases in the SS 12000 data API (from the release policy)',
        response: { 200: z.object({ data: z.array(dataCategorySchema) }) },
      },
    },
    async () => ({ data: (await listDataCategories(ctx.db)).map(presentDataCategory) }),
  );
}
