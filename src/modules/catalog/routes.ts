import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import type { ZodApp } from '../../http/types.ts';
import { listApis } from './queries.ts';
import { presentApi } from './presenters.ts';
import { apiSchema, dataCategorySchema } from './schemas.ts';
import { presentDataCategories } from './presenters.ts';

/** The public API catalog. */
export default async function catalogRoutes(app: ZodApp, ctx: AppContext): Promise<void> {
  app.get(
    '/catalog/apis',
    {
      config: { access: 'public' },
      schema: {
        tags: ['catalog'],
        summary: 'The data APIs an app can ask for, with the admin right each needs',
        response: { 200: z.object({ data: z.array(apiSchema) }) },
      },
    },
    async () => ({ data: (await listApis(ctx.db)).map(presentApi) }),
  );

  app.get(
    '/catalog/data-categories',
    {
      config: { access: 'public' },
      schema: {
        tags: ['catalog'],
        summary: 'What each data category releases in the data API (from the release policy), and what protected identity withholds',
        response: { 200: z.object({ data: z.array(dataCategorySchema) }) },
      },
    },
    async () => ({ data: presentDataCategories() }),
  );
}
