import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import type { ZodApp } from '../../http/types.ts';
import { errors } from '../../http/common-schemas.ts';
import { approvedAppsWithApis } from './queries.ts';
import { presentDirectory, presentRegisterEntry } from './presenters.ts';
import { directoryPartner, registerEntry, registerQuery } from './schemas.ts';

/** What anyone may read: the partner directory and the purpose register. */
export default async function publicRoutes(app: ZodApp, ctx: AppContext): Promise<void> {
  app.get(
    '/public/partners',
    {
      config: { access: 'public' },
      schema: {
        tags: ['public'],
        summary: 'Partner directory: public partners with at least one approved app, and those apps',
        response: { 200: z.object({ data: z.array(directoryPartner) }) },
      },
    },
    async () => ({ data: presentDirectory(await approvedAppsWithApis(ctx.db, true)) }),
  );

  app.get(
    '/public/register',
    {
      config: { access: 'public' },
      schema: {
        tags: ['public'],
        summary: 'Purpose register: per approved app, the partner, APIs, data categories, purpose and approval date',
        querystring: registerQuery,
        response: { 200: z.object({ data: z.array(registerEntry) }), ...errors(400) },
      },
    },
    // Every accredited app is listed, also those of partners who keep out of the directory.
    async (request) => ({ data: (await approvedAppsWithApis(ctx.db, false)).map((a) => presentRegisterEntry(a, request.query.language)) }),
  );
}
