import { z } from 'zod';
import type { SignedIn } from '../../auth/actor.ts';
import type { AppContext } from '../../context.ts';
import { errors } from '../../http/common-schemas.ts';
import type { ZodApp } from '../../http/types.ts';
import { auditActor } from '../audit/record.ts';
import { createSandbox, removeSandbox, sandboxStatus } from './service.ts';

const statusSchema = z
  .object({
    sandbox: z
      .object({
        institutionNumber: z.string(),
        name: z.string(),
        grants: z.number().int().describe('Sandbox grants (one per app and API)'),
        clients: z.number().int().describe('Clients that read the sandbox'),
      })
      .nullable(),
    removedAt: z.date().nullable().describe('When the operator removed it (then it is not created again at start)'),
  })
  .meta({ id: 'SandboxStatus' });

const removeBody = z
  .object({
    reason: z
      .string()
      .trim()
      .max(4000)
      .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters')
      .optional(),
  })
  .nullish()
  .transform((v) => v ?? {});

/** The operator's control of the developer sandbox: see it, create it, remove it (with its grants). */
export default async function sandboxRoutes(app: ZodApp, ctx: AppContext): Promise<void> {
  const tags = ['operator'];
  const config = { access: 'operator' as const };
  app.get(
    '/operator/sandbox',
    {
      config,
      schema: { tags, summary: 'The developer sandbox: its institution and how many apps read it', response: { 200: statusSchema, ...errors(401, 403) } },
    },
    async () => sandboxStatus(ctx.db),
  );
  app.post(
    '/operator/sandbox',
    {
      config,
      schema: {
        tags,
        summary: 'Create the developer sandbox (generated data) and grant it to every approved app',
        response: { 200: statusSchema, ...errors(401, 403, 409) },
      },
    },
    async (request) => {
      await createSandbox(ctx, auditActor(request.actor));
      return sandboxStatus(ctx.db);
    },
  );
  app.delete(
    '/operator/sandbox',
    {
      config,
      schema: {
        tags,
        summary: 'Remove the developer sandbox: its grants (reads stop at the next request), its institution and its data',
        body: removeBody,
        response: { 200: statusSchema.extend({ removedGrants: z.number().int() }), ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const who = { ...auditActor(request.actor), id: (request.actor as SignedIn).user.id };
      const { removedGrants } = await removeSandbox(ctx, who, request.body.reason?.length ? request.body.reason : null);
      return { ...(await sandboxStatus(ctx.db)), removedGrants };
    },
  );
}
