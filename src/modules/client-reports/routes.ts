import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import type { ZodApp } from '../../http/types.ts';
import { errors } from '../../http/common-schemas.ts';
import { reportReaderFor } from './policies.ts';
import { presentClientReport } from './presenters.ts';
import { listClientReports } from './queries.ts';
import { clientReportQuery, clientReportSchema } from './schemas.ts';
import { parseReport, recordClientReport } from './service.ts';

/** A report is a log line or a few counts: a body beyond this is not one. */
const REPORT_BODY_LIMIT = 64 * 1024;

/**
 * `POST /log` and `POST /statistics` of the SS 12000 data API, registered by the data API inside its
 * prefix (src/modules/ss12000/routes.ts), behind its bearer `guard`: the client's live grants, rate
 * limit and access log as for every read. 201 with no body, as the spec answers; 400 `invalid_body`
 * naming the member; 403 `organisation_out_of_scope` for a report naming a school unit outside the
 * client's grants (see policies.ts) — all in the data API's `{code, message, requestId}` shape.
 */
export function clientReportRoutes(api: FastifyInstance, ctx: AppContext, guard: (request: FastifyRequest, reply: FastifyReply) => Promise<void>): void {
  const opts = { schema: { hide: true }, preHandler: guard, bodyLimit: REPORT_BODY_LIMIT, config: { access: 'client' as const } };
  api.post('/log', opts, async (request, reply) => {
    const entry = parseReport('log', request.body);
    await recordClientReport(ctx, request.ss12000!.scope, request.id, { kind: 'log', entry });
    return reply.status(201).send();
  });
  api.post('/statistics', opts, async (request, reply) => {
    const entry = parseReport('statistics', request.body);
    await recordClientReport(ctx, request.ss12000!.scope, request.id, { kind: 'statistics', entry });
    return reply.status(201).send();
  });
}

/**
 * What clients reported, for the operator (every report) and the school admins of the
 * institutions a report concerns (only those institutions named); newest first.
 */
export default async function clientReportAdminRoutes(app: ZodApp, ctx: AppContext): Promise<void> {
  app.get(
    '/client-reports',
    {
      config: { access: 'signed_in' },
      schema: {
        tags: ['client reports'],
        summary: 'What SS 12000 clients reported through POST /log and POST /statistics',
        description:
          'The operator reads every report; a school admin with user-management access the reports concerning an institution where they hold a right this school year, naming only those institutions.',
        querystring: clientReportQuery,
        response: { 200: z.object({ data: z.array(clientReportSchema) }), ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const reader = await reportReaderFor(ctx, request.actor);
      const q = request.query;
      const rows = await listClientReports(ctx.db, {
        institutions: reader.institutions,
        ...q,
        timeZone: ctx.config.TZ,
        limit: q.limit ?? 200,
      });
      return { data: rows.map(presentClientReport) };
    },
  );
}
