import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { installFlatErrors } from '../../http/flat-errors.ts';
import type { ZodApp } from '../../http/types.ts';
import { authenticateIngestionClient, installBearerChallenge, type IngestionPrincipal } from '../access/tokens/bearer.ts';
import { hasBearer } from '../../auth/session.ts';
import { auditActor } from '../audit/record.ts';
import { ingestionClientRoutes } from './ingestion-clients.ts';
import { endpoints, type EndpointDef } from './endpoints.ts';
import { ingestBatch } from './ingest.ts';
import {
  deletedEntities,
  findVisibleAuthorized,
  joinedBytes,
  listBytes,
  listPage,
  parseListRequest,
  parseOptions,
  present,
  ssError,
  type Row,
} from './read.ts';
import { ingestionBatchSchema } from './schemas.ts';
import { parseLookupBody, requireFilters } from './query.ts';
import { facadeOpenApi } from './openapi.ts';
import { admitRate, beginRead, finishAlone, isPending, type AuthorizeRow, type PendingAuthorization, type ReadAuthorization } from './access.ts';
import { installAccessLog, releasedOf, type AccessState } from './access-log.ts';
import { accessLogRoutes } from './access-routes.ts';
import type { Scope } from './scope.ts';
import { clientReportRoutes } from '../client-reports/routes.ts';
import { subscriptionRoutes } from '../subscriptions/routes.ts';
import { aggregatedAttendanceRoutes } from './aggregated-attendance.ts';
import { writeRoutes } from './writes.ts';

export const SS12000_PREFIX = '/ss12000/v2.0';

declare module 'fastify' {
  interface FastifyRequest {
    /** An authorized SS 12000 read: its scope and, once answered, what it released (for the access log). */
    ss12000?: AccessState;
    /** A read whose authorization the statement that reads its records makes (the guard left it to the handler, `authorizedRead`). */
    ss12000Pending?: PendingAuthorization;
  }
  interface FastifyContextConfig {
    /** The route's handler authorizes in the statement that reads its records when the guard leaves it a `PendingAuthorization`. */
    fusedAuthorization?: boolean;
  }
}

/**
 * Lets an authorized read go on: the rate-limit headers, the read's state for the access log (from
 * here on the request is logged, refusals included), and 429 over the limit.
 */
function admit(request: FastifyRequest, reply: FastifyReply, authorization: ReadAuthorization): void {
  request.ss12000 = { scope: authorization.scope, released: [] };
  admitRate(reply, authorization);
}

const JSON_TYPE = 'application/json; charset=utf-8';
/**
 * An answer's JSON text as the bytes sent. Fastify measures a string payload with
 * Buffer.byteLength and the socket then encodes it again: two passes over a page of up to a few
 * hundred kilobytes. Encoded once here, Fastify takes the length of the buffer (issue 11: 3 % of the
 * server's CPU in the api benchmark's profile was that byteLength).
 */
const bytes = (text: string) => Buffer.from(text, 'utf8');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const searchOf = (request: FastifyRequest) => {
  const i = request.url.indexOf('?');
  return i < 0 ? '' : request.url.slice(i + 1);
};

/**
 * The consent-scoped SS 12000 v2.1 read API under /ss12000/v2.0 (bearer token; live grants on every
 * request; rate-limited per client; every request in the access log), its OpenAPI, and the
 * ingestion API under /api/v1/ingestion (the operator or an ingestion client) with the operator's
 * routes for ingestion clients.
 */
export async function registerSs12000(app: ZodApp, ctx: AppContext): Promise<void> {
  /** The ingestion client of a request, authenticated before its body is read. */
  const ingestionClients = new WeakMap<FastifyRequest, IngestionPrincipal>();
  await app.register(async (api) => {
    installBearerChallenge(api);
    api.post(
      '/api/v1/ingestion/batch',
      {
        // The operator's session, or the bearer token of an ingestion client (checked below).
        config: { access: 'ingestion' },
        bodyLimit: 512 * 1024 * 1024,
        // Before the (up to 512 MB) body is read: an unknown caller must not get that far.
        onRequest: async (request) => {
          if (hasBearer(request)) ingestionClients.set(request, await authenticateIngestionClient(ctx, request));
        },
        schema: {
          tags: ['ingestion'],
          summary: 'Load SS 12000 data: upsert and delete entities in one all-or-nothing batch (idempotent)',
          description: 'For the operator (session) or an ingestion client (bearer access token from client credentials).',
          security: [{ session: [] }, { bearer: [] }],
          body: ingestionBatchSchema,
          response: {
            200: z.object({
              created: z.record(z.string(), z.number()),
              updated: z.record(z.string(), z.number()),
              unchanged: z.record(z.string(), z.number()),
              deleted: z.record(z.string(), z.number()),
              noChange: z.boolean(),
              unknownMembers: z
                .record(z.string(), z.record(z.string(), z.number()))
                .describe(
                  'Members the SS 12000 schemas do not know, dropped (never stored, never served), per collection and path, with how many records had them.',
                ),
            }),
          },
        },
      },
      async (request) => {
        const client = ingestionClients.get(request);
        if (client) {
          const who = { id: null, label: `ingestion client "${client.name}" (${client.clientId})`, kind: 'client' as const, clientId: client.clientId };
          return ingestBatch(ctx, request.body as never, who);
        }
        if (hasBearer(request)) throw new Error('ingestion client not authenticated');
        // No bearer token: the session hook has let only the operator through.
        return ingestBatch(ctx, request.body as never, auditActor(request.actor));
      },
    );
  });
  await app.register(async (api) => accessLogRoutes(api as unknown as ZodApp, ctx), { prefix: '/api/v1' });
  await app.register(async (api) => ingestionClientRoutes(api as unknown as ZodApp, ctx), { prefix: '/api/v1' });

  await app.register(
    async (api) => {
      installFlatErrors(api, 'SS 12000');
      installBearerChallenge(api);
      api.get('/openapi.json', { schema: { hide: true } }, async () => facadeOpenApi(ctx));

      const guard = async (request: FastifyRequest, reply: FastifyReply) => {
        const begun = await beginRead(ctx, request);
        // A read (list, by id, lookup) of a client whose scope this process knows: authorized in the
        // statement that reads its records (`authorizedRead`), one round trip instead of two. Not
        // with a read replica: the authorization counts and reads live state on the primary.
        if (isPending(begun) && begun.knownScope && request.routeOptions.config.fusedAuthorization && !ctx.readDb) {
          request.ss12000Pending = begun;
          return;
        }
        admit(request, reply, isPending(begun) ? await finishAlone(ctx, begun) : begun);
      };
      installAccessLog(api, ctx, (request) => request.ss12000);

      for (const def of endpoints) registerEndpoint(api as unknown as ZodApp, ctx, def, guard);

      clientReportRoutes(api, ctx, guard);
      subscriptionRoutes(api, ctx, guard);
      aggregatedAttendanceRoutes(api as unknown as ZodApp, ctx, guard);
      // The spec's writes (issue 17, point 4): read-write grants only, authorized in each write's transaction.
      writeRoutes(api as unknown as ZodApp, ctx, guard);
      api.get('/deletedEntities', { schema: { hide: true }, preHandler: guard }, async (request) => {
        const scope = request.ss12000!.scope;
        const { data, pageToken, count } = await deletedEntities(pageDb(ctx), scope, searchOf(request));
        // Ids of deleted records only, no institution: logged with their count, bound to none (see the access-log COMMENT).
        request.ss12000!.released = [{ entity: 'deletedEntities', units: Array.from({ length: count ?? 0 }, () => []) }];
        return pageToken ? { data, pageToken } : { data };
      });
    },
    { prefix: SS12000_PREFIX },
  );
}

/**
 * What an answer releases, for the access log: each row through the units `read.ts` says it was
 * released through; the items are looked into only when the answer embeds records (expands other
 * than those the presenting statement does itself, which are part of the entity's own record).
 */
function released(def: EndpointDef, rows: Row[], items: string[], expand: string[]) {
  const embeds = expand.some((e) => !(def.type === 'groups' && e === 'assignmentRoles'));
  return releasedOf(
    def.type,
    rows.map((r) => r.units),
    embeds ? items : undefined,
  );
}

/**
 * Where an answer's records are read: the streaming replica when one is configured
 * (DATABASE_REPLICA_URL), else the primary. Only page reads: the guard (`authorizeRead`: grants, app
 * status, consent, rate limit) and the access log always use `ctx.db`, the primary.
 */
const pageDb = (ctx: AppContext) => ctx.readDb ?? ctx.db;

/**
 * A read's request parsed (`parse`): when its authorization is still pending (the guard left it to
 * the statement that reads), a bad request is authorized on its own first — counted and logged as
 * every other read is, and a refusal of the client comes before the request's error.
 */
async function parsed<T>(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, parse: () => T): Promise<T> {
  try {
    return parse();
  } catch (error) {
    const pending = request.ss12000Pending;
    if (pending) {
      request.ss12000Pending = undefined;
      admit(request, reply, await finishAlone(ctx, pending));
    }
    throw error;
  }
}

/**
 * A read's records: `read` runs with the admitted scope, or — when the guard left the
 * authorization pending — with the scope this process knows for the client and the authorization's
 * call in the same statement, then the read is admitted from that call's answer. What was read with
 * the known scope is released only when the live scope is still that one; otherwise it is dropped
 * unseen and read again with the live one. A failed statement fails its authorization with it: the
 * read is then authorized on its own, so that the failure is answered to an admitted client and
 * logged like any other (it may count twice in its rate window: the failed count is not taken back).
 */
async function authorizedRead<T extends { authorization?: unknown }>(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  read: (db: AppContext['db'], scope: Scope, authorize?: PendingAuthorization) => Promise<T>,
): Promise<T> {
  const pending = request.ss12000Pending;
  if (!pending) return read(pageDb(ctx), request.ss12000!.scope);
  request.ss12000Pending = undefined;
  let result: T;
  try {
    result = await read(ctx.db, pending.knownScope!, pending);
  } catch (error) {
    admit(request, reply, await finishAlone(ctx, pending));
    throw error;
  }
  const authorization = pending.finish(result.authorization as AuthorizeRow | null);
  admit(request, reply, authorization);
  return authorization.scope === pending.knownScope ? result : read(pageDb(ctx), authorization.scope);
}

function registerEndpoint(api: ZodApp, ctx: AppContext, def: EndpointDef, guard: (r: FastifyRequest, p: FastifyReply) => Promise<void>) {
  const db = pageDb(ctx);
  // Reads whose authorization the guard may leave to their statement (`authorizedRead`).
  const opts = { schema: { hide: true }, preHandler: guard, config: { access: 'client' as const, fusedAuthorization: true } };
  // Items arrive as JSON text from the database (see present.ts) and are sent as they are.
  api.get(`/${def.path}`, opts, async (request, reply) => {
    const { query, limit, after } = await parsed(ctx, request, reply, () => {
      const list = parseListRequest(def, searchOf(request));
      requireFilters(def, list.query);
      return list;
    });
    const { rows, pageToken } = await authorizedRead(ctx, request, reply, (db, scope, call) => listPage(db, scope, def, query, limit, after, call));
    const scope = request.ss12000!.scope;
    const data = await present(db, scope, def.type, rows, query);
    request.ss12000!.released = released(def, rows, data, query.expand);
    return reply.type(JSON_TYPE).send(listBytes(data, pageToken));
  });

  api.get(`/${def.path}/:id`, opts, async (request, reply) => {
    const { id } = request.params as { id: string };
    const options = await parsed(ctx, request, reply, () => {
      if (!UUID.test(id)) throw ssError(400, 'invalid_id', 'The id must be a UUID.');
      return parseOptions(def, searchOf(request));
    });
    const { rows } = await authorizedRead(ctx, request, reply, (db, scope, call) =>
      findVisibleAuthorized(db, scope, def, [id.toLowerCase()], [], options.expand, call),
    );
    if (!rows.length) throw ssError(404, 'not_found', `No ${def.path} entity with this id is available to this client.`);
    const scope = request.ss12000!.scope;
    const [item] = await present(db, scope, def.type, rows, options);
    request.ss12000!.released = released(def, rows, [item!], options.expand);
    return reply.type(JSON_TYPE).send(bytes(item!));
  });

  api.post(`/${def.path}/lookup`, opts, async (request, reply) => {
    // The lookup body's schema is generated from the endpoint table like the query's (query.ts).
    const { options, ids, keys } = await parsed(ctx, request, reply, () => ({
      options: parseOptions(def, searchOf(request)),
      ...parseLookupBody(def, request.body),
    }));
    const { rows } = await authorizedRead(ctx, request, reply, (db, scope, call) => {
      const extra = Object.entries(keys).map(([key, values]) => def.lookup[key]!.where(values, scope));
      return findVisibleAuthorized(db, scope, def, ids, extra, options.expand, call);
    });
    const scope = request.ss12000!.scope;
    const items = await present(db, scope, def.type, rows, options);
    request.ss12000!.released = released(def, rows, items, options.expand);
    return reply.type(JSON_TYPE).send(joinedBytes('[', items, ']'));
  });
}
