import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { notFound } from '../http/errors.ts';
import type { ZodApp } from '../http/types.ts';
import { readoutCustomers, readoutCustomerSchema, readoutRunDetail, readoutRunDetailSchema, readoutRuns, readoutRunSchema } from './runs-view.ts';

const customerKey = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/)
  .meta({ description: 'A customer’s key in the readout configuration file.' });

/**
 * The operator's view of the integrator's readout runs, read from the database the readout shares
 * with the server (see runs-view.ts): the list, the customers, and one run's report.
 */
export default async function readoutRoutes(app: ZodApp, ctx: AppContext): Promise<void> {
  app.get(
    '/operator/readout/runs',
    {
      config: { access: 'operator' },
      schema: {
        tags: ['readout'],
        summary: 'Latest readout runs, newest first, optionally of one customer and one status',
        querystring: z.object({
          customer: customerKey.optional(),
          status: z.enum(['running', 'succeeded', 'failed']).optional(),
          limit: z.coerce.number().int().min(1).max(200).default(50),
        }),
        response: { 200: z.object({ data: z.array(readoutRunSchema) }) },
      },
    },
    async (request) => {
      const { customer, status, limit } = request.query as { customer?: string; status?: 'running' | 'succeeded' | 'failed'; limit: number };
      return { data: await readoutRuns(ctx.db, { customer, status, limit }) };
    },
  );

  app.get(
    '/operator/readout/customers',
    {
      config: { access: 'operator' },
      schema: {
        tags: ['readout'],
        summary: 'The customers the readout has run for, with their last run',
        response: { 200: z.object({ data: z.array(readoutCustomerSchema) }) },
      },
    },
    async () => ({ data: await readoutCustomers(ctx.db) }),
  );

  app.get(
    '/operator/readout/runs/:runId',
    {
      config: { access: 'operator' },
      schema: {
        tags: ['readout'],
        summary: 'One readout run: kept and excluded per rule, the change since the last run, files and warnings',
        params: z.object({ runId: z.string().regex(/^[1-9][0-9]{0,17}$/) }),
        response: { 200: readoutRunDetailSchema },
      },
    },
    async (request) => {
      const { runId } = request.params as { runId: string };
      const run = await readoutRunDetail(ctx.db, runId);
      if (!run) throw notFound('readout_run_not_found', `No readout run ${runId}.`);
      return run;
    },
  );
}
