import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { AppContext } from '../../context.ts';
import { ApiError } from '../../http/errors.ts';
import type { ZodApp } from '../../http/types.ts';
import { hasBearer } from '../../auth/session.ts';
import { authenticateIngestionClient, installBearerChallenge, type IngestionPrincipal } from '../access/tokens/bearer.ts';
import { auditActor } from '../audit/record.ts';
import { authorizeRead } from '../ss12000/access.ts';
import { commitAccess } from '../ss12000/access-log.ts';
import type { Scope } from '../ss12000/scope.ts';
import type { ReleasedGroup } from '../ss12000/tables.ts';
import { ingestInvoices } from './ingest.ts';
import { invoicesOpenApi } from './openapi.ts';
import { deletedInvoices, findInvoices, listInvoices, type InvoiceRow, type Reader } from './queries.ts';
import { encodeToken, parseDeleted, parseList } from './query.ts';
import { carriedCategories, INVOICE_ENTITY, INVOICES_API_CODES, INVOICES_DATA_API, INVOICES_PREFIX, releaseRecord } from './release.ts';
import { invoiceBatchResult, invoiceBatchSchema, lookupBodySchema } from './schemas.ts';

/** What one authorized read of the invoices API holds for its access-log row. */
interface ReadState {
  scope: Scope;
  /** What the answer released, as stored in the access log; empty until a handler sets it. */
  released: ReleasedGroup[];
}

declare module 'fastify' {
  interface FastifyRequest {
    /** An authorized invoices read: its scope and, once answered, what it released. */
    invoices?: ReadState;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const searchOf = (request: FastifyRequest) => {
  const i = request.url.indexOf('?');
  return i < 0 ? '' : request.url.slice(i + 1);
};
const refuse = (status: number, code: string, message: string) => new ApiError(status, code, message);

/**
 * Who reads and what they may see: the client (its reach is read live from `grant_reach` in the
 * statement of each page, queries.ts) under the catalog's APIs served here (grant target access
 * group, checked by the catalog file), and the data categories its app's approval allows.
 */
function readerOf(scope: Scope, apiCodes: readonly string[]): { reader: Reader; categories: Set<string>; apiCode: string } {
  const apiCode = apiCodes[0] ?? INVOICES_API_CODES[0];
  return {
    reader: { clientId: scope.identity.clientId, apiCodes },
    categories: new Set(scope.identity.dataCategories[apiCode] ?? []),
    apiCode,
  };
}

/**
 * The released invoices of a page as access-log elements: one per access group, with its records
 * per institution — each invoice credited once, to the access group it was read through and the
 * institution of its pupil (the SS 12000 log credits per institution; this adds the group).
 */
function releasedOf(rows: InvoiceRow[], apiCode: string, categories: Set<string>): ReleasedGroup[] {
  const byGroup = new Map<string, Record<string, number>>();
  for (const r of rows) {
    const institutions = byGroup.get(r.access_group_id) ?? {};
    institutions[r.institution_number] = (institutions[r.institution_number] ?? 0) + 1;
    byGroup.set(r.access_group_id, institutions);
  }
  const carried = carriedCategories(categories);
  return [...byGroup.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([accessGroup, institutions]) => ({ api: apiCode, entity: INVOICE_ENTITY, categories: carried, institutions, accessGroup }));
}

/** An invoice as the reader sees it: released members only, with Schoolgate's meta. */
const present = (row: InvoiceRow, categories: Set<string>) => ({
  ...releaseRecord(row.body, categories),
  meta: { created: row.created_at.toISOString(), modified: row.modified_at.toISOString() },
});

/** Flat `{code, message, requestId}` errors, as the SS 12000 API has them. */
function installFlatErrors(api: FastifyInstance): void {
  api.setErrorHandler((error: FastifyError, request, reply) => {
    const requestId = request.id;
    if (error instanceof ApiError) return reply.status(error.status).send({ code: error.code, message: error.message, requestId });
    if (hasZodFastifySchemaValidationErrors(error)) return reply.status(400).send({ code: 'invalid_request', message: error.message, requestId });
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500)
      return reply.status(status).send({ code: status === 415 ? 'unsupported_media_type' : 'bad_request', message: error.message, requestId });
    request.log.error({ err: error }, 'unhandled error in the invoices API');
    return reply.status(500).send({ code: 'internal_error', message: 'Internal error.', requestId });
  });
  api.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ code: 'not_found', message: `${request.method} ${request.url.split('?')[0]} does not exist.`, requestId: request.id }),
  );
}

/**
 * The access log (src/modules/ss12000/access-log.ts, the one log of every data read): the row of
 * every authorized request — answers and refusals — is committed in `onSend`, before the payload is
 * written; when it cannot be, the answer becomes a 503 and nothing is released.
 */
function installAccessLog(api: FastifyInstance, ctx: AppContext): void {
  api.addHook('onRequest', async (request, reply) => {
    reply.header('X-Request-Id', request.id);
  });
  api.addHook('onSend', async (request, reply, payload) => {
    const state = request.invoices;
    if (!state) return payload;
    try {
      const identity = state.scope.identity;
      const releases = reply.statusCode < 300 && request.method !== 'HEAD';
      const groups = releases ? state.released : [];
      const institutions = [...new Set(groups.flatMap((g) => Object.keys(g.institutions ?? {})))].sort();
      const total = groups.reduce((n, g) => n + (g.records ?? 0) + Object.values(g.institutions ?? {}).reduce((a, b) => a + b, 0), 0);
      request.ss12000Logged = { appId: identity.appId, records: total };
      await commitAccess(ctx, {
        at: ctx.clock.now(),
        client_id: identity.clientId,
        app_id: identity.appId,
        partner_id: identity.partnerId,
        method: request.method,
        endpoint: (request.routeOptions.url ?? request.url.split('?')[0]!).replace(/:(\w+)/g, '{$1}'),
        institution_numbers: institutions,
        record_count: total,
        status: reply.statusCode,
        consent_id: identity.endUser?.consentId ?? null,
        request_id: request.id,
        released: JSON.stringify(groups),
      });
      return payload;
    } catch {
      reply.code(503).header('Retry-After', '1').type('application/json; charset=utf-8');
      return JSON.stringify({
        code: 'access_log_unavailable',
        message: 'The read could not be recorded in the access log, so no data is released. Try again.',
        requestId: request.id,
      });
    }
  });
}

/**
 * The invoices data API under /invoices/v1 (Informat: Rekeningen), granted per access group: bearer
 * token (the data API token of client credentials, as for SS 12000), live grants on every request
 * (`authorizeRead`: client, app status, scope version, rate count in one statement; what the grants
 * reach is read from `grant_reach` in each page's statement), the release declaration (release.ts),
 * the access log per access group and institution, paging, `meta.modified` filters, lookups,
 * deletions and its OpenAPI 3.1 document; and its ingestion batch under /api/v1/ingestion/invoices.
 */
export async function registerInvoices(app: ZodApp, ctx: AppContext): Promise<void> {
  // The catalog's APIs served here (synchronised from the catalog file before the server is built).
  const served = (await ctx.db.selectFrom('apis').select('code').where('served_by', '=', INVOICES_DATA_API).execute()).map((a) => a.code);

  const ingestionClients = new WeakMap<FastifyRequest, IngestionPrincipal>();
  await app.register(async (api) => {
    installBearerChallenge(api);
    api.post(
      '/api/v1/ingestion/invoices',
      {
        // The operator's session, or the bearer token of an ingestion client (checked below).
        config: { access: 'ingestion' },
        bodyLimit: 256 * 1024 * 1024,
        onRequest: async (request) => {
          if (hasBearer(request)) ingestionClients.set(request, await authenticateIngestionClient(ctx, request));
        },
        schema: {
          tags: ['ingestion'],
          summary: 'Load invoices (Rekeningen): upsert and delete in one all-or-nothing batch (idempotent)',
          description: 'For the operator (session) or an ingestion client (bearer access token from client credentials).',
          security: [{ session: [] }, { bearer: [] }],
          body: invoiceBatchSchema,
          response: { 200: invoiceBatchResult },
        },
      },
      async (request) => {
        const client = ingestionClients.get(request);
        const body = request.body as { upsert?: unknown[]; delete?: string[] };
        if (client) {
          const who = { id: null, label: `ingestion client "${client.name}" (${client.clientId})`, kind: 'client' as const, clientId: client.clientId };
          return ingestInvoices(ctx, body, who);
        }
        if (hasBearer(request)) throw new Error('ingestion client not authenticated');
        return ingestInvoices(ctx, body, auditActor(request.actor));
      },
    );
  });

  await app.register(
    async (api) => {
      installFlatErrors(api);
      installBearerChallenge(api);
      api.get('/openapi.json', { schema: { hide: true } }, async () => invoicesOpenApi(ctx));

      const guard = async (request: FastifyRequest, reply: FastifyReply) => {
        const { scope, ...rate } = await authorizeRead(ctx, request);
        reply.header('RateLimit-Limit', String(rate.limit));
        reply.header('RateLimit-Remaining', String(Math.max(0, rate.limit - rate.count)));
        reply.header('RateLimit-Reset', String(rate.resetSeconds));
        request.invoices = { scope, released: [] };
        if (rate.count > rate.limit) {
          reply.header('Retry-After', String(rate.resetSeconds));
          throw refuse(429, 'rate_limited', `Too many requests: at most ${rate.limit} per minute for this client.`);
        }
        if (scope.identity.endUser) {
          throw refuse(
            403,
            'end_user_token',
            'An end user’s sign-in token reads that person’s own SS 12000 records only; read invoices with the app’s own token.',
          );
        }
      };
      installAccessLog(api, ctx);
      const opts = { schema: { hide: true }, preHandler: guard, config: { access: 'client' as const } };
      // The primary, never the read replica: each page's statement also reads what the grants reach
      // (grant_reach), and a replica's lagging copy could still show a grant revoked a moment ago.
      const db = ctx.db;

      api.get(`/${INVOICE_ENTITY}`, opts, async (request) => {
        const state = request.invoices!;
        const { reader, categories, apiCode } = readerOf(state.scope, served);
        const { filters, limit, afterId, q } = parseList(searchOf(request));
        const { rows, more } = await listInvoices(db, reader, filters, limit, afterId);
        state.released = releasedOf(rows, apiCode, categories);
        const data = rows.map((r) => present(r, categories));
        return more ? { data, pageToken: encodeToken('list', q, rows.at(-1)!.id) } : { data };
      });

      api.get(`/${INVOICE_ENTITY}/:id`, opts, async (request) => {
        const state = request.invoices!;
        const { id } = request.params as { id: string };
        if (!UUID.test(id)) throw refuse(400, 'invalid_id', 'The id must be a UUID.');
        const { reader, categories, apiCode } = readerOf(state.scope, served);
        const rows = await findInvoices(db, reader, [id.toLowerCase()]);
        if (!rows.length) throw refuse(404, 'not_found', 'No invoice with this id is available to this client.');
        state.released = releasedOf(rows, apiCode, categories);
        return present(rows[0]!, categories);
      });

      api.post(`/${INVOICE_ENTITY}/lookup`, opts, async (request) => {
        const state = request.invoices!;
        if (searchOf(request) !== '') throw refuse(400, 'unknown_parameter', 'The lookup takes no query parameters; send {"ids": [...]}.');
        const body = lookupBodySchema.safeParse(request.body);
        if (!body.success) {
          throw refuse(
            400,
            'invalid_lookup',
            `The lookup body is {"ids": [up to 1000 UUIDs]}: ${body.error.issues[0]?.path.join('.') || '(body)'} ${body.error.issues[0]?.message}`,
          );
        }
        const { reader, categories, apiCode } = readerOf(state.scope, served);
        const rows = await findInvoices(db, reader, [...new Set(body.data.ids.map((i) => i.toLowerCase()))]);
        state.released = releasedOf(rows, apiCode, categories);
        return rows.map((r) => present(r, categories));
      });

      api.get('/deletedEntities', opts, async (request) => {
        const state = request.invoices!;
        const { reader } = readerOf(state.scope, served);
        const { after, limit, cursor, q } = parseDeleted(searchOf(request));
        const { rows, more } = await deletedInvoices(db, reader, after, cursor, limit);
        // Ids of deleted records only: logged with their count, bound to no institution (as SS 12000's).
        if (rows.length) state.released = [{ api: null, entity: 'deletedEntities', categories: ['identity'], records: rows.length }];
        const data = { [INVOICE_ENTITY]: rows.map((r) => r.id) };
        const last = rows.at(-1);
        return more && last ? { data, pageToken: encodeToken('deleted', q, { at: last.deleted_at.toISOString(), id: last.id }) } : { data };
      });
    },
    { prefix: INVOICES_PREFIX },
  );
}
