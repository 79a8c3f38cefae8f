import { z } from 'zod';
import type { SignedIn } from '../../auth/actor.ts';
import type { AppContext, Queryable } from '../../context.ts';
import { errors } from '../../http/common-schemas.ts';
import { notFound } from '../../http/errors.ts';
import type { ZodApp } from '../../http/types.ts';
import { createClient, rotateClientSecret } from '../access/clients.ts';
import { auditActor, recordAudit } from '../audit/record.ts';

/** Text that may reach the database: PostgreSQL text cannot hold NUL characters. */
const name = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters');

export const createIngestionClientBody = z.object({ name }).meta({ id: 'CreateIngestionClient' });

export const ingestionClientRow = z
  .object({
    id: z.uuid(),
    name: z.string(),
    createdAt: z.date(),
    secrets: z.array(
      z.object({
        hint: z.string().describe('Last characters of the secret'),
        createdAt: z.date(),
        expiresAt: z.date().nullable(),
        lastUsedAt: z.date().nullable(),
      }),
    ),
  })
  .meta({ id: 'IngestionClient' });

export const createdIngestionClient = z
  .object({
    clientId: z.uuid(),
    name: z.string(),
    secret: z.string().describe('Shown once; only its SHA-256 is stored'),
  })
  .meta({ id: 'CreatedIngestionClient' });

/**
 * The operator issues an ingestion client: an OAuth client (client credentials) of the SIS side
 * that may only load SS 12000 data. It has no app and no grants, so it reads nothing. The secret is
 * returned once; only its SHA-256 and a hint are stored.
 */
export async function createIngestionClient(ctx: AppContext, actor: SignedIn, input: { name: string }) {
  const now = ctx.clock.now();
  const { clientId, secret } = await ctx.db.transaction().execute(async (trx) => {
    const created = await createClient(trx, ctx, { origin: 'ingestion', name: input.name });
    const clientId = created.clientId;
    await recordAudit(trx, now, auditActor(actor), {
      action: 'ingestion_client.created',
      subjectType: 'client',
      subjectId: clientId,
      clientId,
      after: { name: input.name, origin: 'ingestion' },
    });
    return { clientId, secret: created.secret! };
  });
  return { clientId, name: input.name, secret };
}

export const ingestionClientParams = z.object({ clientId: z.uuid() });

export const rotatedIngestionSecret = z
  .object({
    clientId: z.uuid(),
    secret: z.string().describe('Shown once; only its SHA-256 is stored'),
    hint: z.string(),
    previousSecret: z
      .object({ hint: z.string(), expiresAt: z.date() })
      .nullable()
      .describe('The secret that keeps working until the overlap (SECRET_OVERLAP_DAYS) ends, so the loader can be reconfigured without a gap'),
  })
  .meta({ id: 'RotatedIngestionSecret' });

/** Locks an ingestion client's row for the rest of the transaction, or says it does not exist. */
async function lockIngestionClient(trx: Queryable, clientId: string) {
  const client = await trx
    .selectFrom('clients')
    .select(['id', 'name'])
    .where('id', '=', clientId)
    .where('origin', '=', 'ingestion')
    .forUpdate()
    .executeTakeFirst();
  if (!client) throw notFound('ingestion_client_not_found', `There is no ingestion client ${clientId}.`);
  return client;
}

/**
 * Gives an ingestion client a new secret (shown once). The previous one keeps working for the
 * rotation overlap, as for app clients, so a loader can be reconfigured without missing a night.
 */
export async function rotateIngestionSecret(ctx: AppContext, actor: SignedIn, clientId: string) {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const client = await lockIngestionClient(trx, clientId);
    const rotated = await rotateClientSecret(trx, client.id, now, ctx.config.SECRET_OVERLAP_DAYS);
    await recordAudit(trx, now, auditActor(actor), {
      action: 'ingestion_client.secret_rotated',
      subjectType: 'client',
      subjectId: client.id,
      clientId: client.id,
      before: { liveSecrets: rotated.before },
      after: { newSecret: { id: rotated.secretId, hint: rotated.hint }, previousSecret: rotated.previousSecret, endedNow: rotated.endedNow },
    });
    return {
      clientId: client.id,
      secret: rotated.secret,
      hint: rotated.hint,
      previousSecret: rotated.previousSecret && { hint: rotated.previousSecret.hint, expiresAt: rotated.previousSecret.expiresAt },
    };
  });
}

/**
 * Revokes an ingestion client: the client and its secrets are deleted, so it gets no new token and
 * the bearer check (which reads the client live) refuses the tokens it already holds at once.
 */
export async function revokeIngestionClient(ctx: AppContext, actor: SignedIn, clientId: string, reason: string | undefined): Promise<void> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const client = await lockIngestionClient(trx, clientId);
    await trx.deleteFrom('clients').where('id', '=', client.id).execute();
    await recordAudit(trx, now, auditActor(actor), {
      action: 'ingestion_client.revoked',
      subjectType: 'client',
      subjectId: client.id,
      clientId: client.id,
      reason: reason ?? null,
      before: { name: client.name, origin: 'ingestion' },
      after: null,
    });
  });
}

/** Every ingestion client with its secrets' hints (never a secret). */
export async function listIngestionClients(db: Queryable) {
  const clients = await db.selectFrom('clients').select(['id', 'name', 'created_at']).where('origin', '=', 'ingestion').orderBy('name').orderBy('id').execute();
  const ids = clients.map((c) => c.id);
  const secrets = ids.length
    ? await db
        .selectFrom('client_secrets')
        .select(['client_id', 'hint', 'created_at', 'expires_at', 'last_used_at'])
        .where('client_id', 'in', ids)
        .orderBy('created_at')
        .execute()
    : [];
  return clients.map((c) => ({
    id: c.id,
    name: c.name,
    createdAt: c.created_at,
    secrets: secrets
      .filter((s) => s.client_id === c.id)
      .map((s) => ({ hint: s.hint, createdAt: s.created_at, expiresAt: s.expires_at, lastUsedAt: s.last_used_at })),
  }));
}

/** The operator's routes for ingestion clients (mounted under /api/v1). */
export async function ingestionClientRoutes(app: ZodApp, ctx: AppContext): Promise<void> {
  app.get(
    '/operator/ingestion-clients',
    {
      config: { access: 'operator' },
      schema: {
        tags: ['operator', 'ingestion'],
        summary: 'Ingestion clients (they may only load SS 12000 data), with secret hints',
        response: { 200: z.object({ data: z.array(ingestionClientRow) }), ...errors(401, 403) },
      },
    },
    async () => ({ data: await listIngestionClients(ctx.db) }),
  );

  app.post(
    '/operator/ingestion-clients',
    {
      config: { access: 'operator' },
      schema: {
        tags: ['operator', 'ingestion'],
        summary: 'Issue an ingestion client for POST /api/v1/ingestion/batch; the secret is in this response only',
        body: createIngestionClientBody,
        response: { 201: createdIngestionClient, ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => reply.status(201).send(await createIngestionClient(ctx, request.actor as SignedIn, request.body)),
  );

  app.post(
    '/operator/ingestion-clients/:clientId/secrets',
    {
      config: { access: 'operator' },
      schema: {
        tags: ['operator', 'ingestion'],
        summary: 'Rotate the secret of an ingestion client; the new secret is in this response only, the previous one works until the overlap ends',
        params: ingestionClientParams,
        response: { 201: rotatedIngestionSecret, ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => reply.status(201).send(await rotateIngestionSecret(ctx, request.actor as SignedIn, request.params.clientId)),
  );

  app.delete(
    '/operator/ingestion-clients/:clientId',
    {
      config: { access: 'operator' },
      schema: {
        tags: ['operator', 'ingestion'],
        summary: 'Revoke an ingestion client: its secrets and tokens stop working at once',
        params: ingestionClientParams,
        querystring: z.object({ reason: z.string().trim().max(1000).optional() }),
        response: { 204: z.null(), ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await revokeIngestionClient(ctx, request.actor as SignedIn, request.params.clientId, request.query.reason || undefined);
      return reply.status(204).send(null);
    },
  );
}
