import { z } from 'zod';
import type { AppContext } from '../context.ts';
import type { ZodApp } from '../http/types.ts';
import { listRuns } from './run.ts';

const tallySchema = z.object({ kept: z.number().int(), excluded: z.record(z.string(), z.number().int()) });

const runSchema = z
  .object({
    id: z.string(),
    customer: z.string(),
    trigger: z.enum(['cli', 'schedule']),
    status: z.enum(['running', 'succeeded', 'failed']),
    mode: z.enum(['full', 'incremental']).nullable(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    counts: z
      .object({
        schools: tallySchema,
        students: tallySchema,
        staff: tallySchema,
        guardians: tallySchema,
        groups: tallySchema,
        memberships: tallySchema,
        delta: z.unknown(),
      })
      .partial()
      .nullable(),
    error: z.string().nullable(),
    outputPath: z.string().nullable(),
  })
  .meta({ id: 'ReadoutRun' });

/** The operator's view of the integrator's readout runs (start, end, status, counts, error). */
export default async function readoutRoutes(app: ZodApp, ctx: AppContext): Promise<void> {
  app.get(
    '/operator/readout/runs',
    {
      config: { access: 'operator' },
      schema: {
        tags: ['readout'],
        summary: 'Latest readout runs, newest first, optionally of one customer',
        querystring: z.object({
          customer: z
            .string()
            .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/)
            .optional(),
          limit: z.coerce.number().int().min(1).max(200).default(50),
        }),
        response: { 200: z.object({ data: z.array(runSchema) }) },
      },
    },
    async (request) => {
      const { customer, limit } = request.query as { customer?: string; limit: number };
      const rows = await listRuns(ctx.db, customer, limit);
      return {
        data: rows.map((r) => ({
          id: r.id,
          customer: r.customer_key,
          trigger: r.trigger,
          status: r.status,
          mode: r.mode,
          startedAt: new Date(r.started_at).toISOString(),
          finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null,
          counts: (r.counts as z.infer<typeof runSchema>['counts']) ?? null,
          error: r.error,
          outputPath: r.output_path,
        })),
      };
    },
  );
}
