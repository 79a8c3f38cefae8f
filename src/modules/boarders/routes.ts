import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.ts';
import type { ZodApp } from '../../http/types.ts';
import { installDataApi, reachOf, readOf, refuse, releasedDeletions, releasedPerInstitution, searchOf } from '../data-api/guard.ts';
import { registerIngestionRoute } from '../data-api/ingestion.ts';
import { encodeToken, parseDeleted } from '../data-api/query.ts';
import { ingestBoarders } from './ingest.ts';
import { boardersOpenApi } from './openapi.ts';
import { deletedBoarders, findBoarders, listBoarders, type BoarderRow } from './queries.ts';
import { parseBoarderList } from './query.ts';
import { BOARDER_ENTITY, BOARDERS_API_CODES, BOARDERS_DATA_API, BOARDERS_PREFIX, carriedCategories, releaseRecord } from './release.ts';
import { boarderBatchResult, boarderBatchSchema, boarderLookupSchema } from './schemas.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A stay as the reader sees it: released members only, with Schoolgate's meta. */
const present = (row: BoarderRow, categories: Set<string>) => ({
  ...releaseRecord(
    row.body,
    row.person_found ? { givenName: row.given_name ?? '', familyName: row.family_name ?? '', securityMarking: row.security_marking } : null,
    categories,
  ),
  meta: { created: row.created_at.toISOString(), modified: row.modified_at.toISOString() },
});

/**
 * The boarders data API under /boarders/v1 (Informat: Internen): the shared data-API guard (bearer
 * token of client credentials, live grants and rate count on every request, the access log committed
 * before the answer leaves), the release declaration (release.ts), paging, `meta.modified` and period
 * filters, lookups, deletions and its OpenAPI 3.1 document; and its ingestion batch under
 * /api/v1/ingestion/boarders.
 */
export async function registerBoarders(app: ZodApp, ctx: AppContext): Promise<void> {
  // The catalog's APIs served here (synchronised from the catalog file before the server is built).
  const served = (await ctx.db.selectFrom('apis').select('code').where('served_by', '=', BOARDERS_DATA_API).execute()).map((a) => a.code);

  await registerIngestionRoute(app, ctx, {
    path: 'boarders',
    summary: 'Load boarders (Internen): upsert and delete in one all-or-nothing batch (idempotent)',
    body: boarderBatchSchema,
    result: boarderBatchResult,
    bodyLimit: 256 * 1024 * 1024,
    ingest: (body, who) => ingestBoarders(ctx, body, who),
  });

  await app.register(
    async (api) => {
      const guard = installDataApi(api, ctx, 'boarders');
      api.get('/openapi.json', { schema: { hide: true } }, async () => boardersOpenApi(ctx));
      const opts = { schema: { hide: true }, preHandler: guard, config: { access: 'client' as const } };
      const reach = (request: FastifyRequest) => {
        const state = readOf(request);
        const { institutions, categories, apiCode } = reachOf(state.scope, served);
        const released = (rows: BoarderRow[]) =>
          releasedPerInstitution(
            apiCode ?? BOARDERS_API_CODES[0],
            BOARDER_ENTITY,
            carriedCategories(categories),
            rows.map((r) => r.institution_number),
          );
        return { state, institutions, categories, released };
      };

      api.get(`/${BOARDER_ENTITY}`, opts, async (request) => {
        const { state, institutions, categories, released } = reach(request);
        const { filters, limit, afterId, q } = parseBoarderList(searchOf(request));
        const { rows, more } = await listBoarders(ctx.readDb ?? ctx.db, institutions, filters, limit, afterId);
        state.released = released(rows);
        const data = rows.map((r) => present(r, categories));
        return more ? { data, pageToken: encodeToken('list', q, rows.at(-1)!.id) } : { data };
      });

      api.get(`/${BOARDER_ENTITY}/:id`, opts, async (request) => {
        const { id } = request.params as { id: string };
        if (!UUID.test(id)) throw refuse(400, 'invalid_id', 'The id must be a UUID.');
        if (searchOf(request) !== '') throw refuse(400, 'unknown_parameter', 'This endpoint takes no query parameters.');
        const { state, institutions, categories, released } = reach(request);
        const rows = await findBoarders(ctx.readDb ?? ctx.db, institutions, [id.toLowerCase()]);
        if (!rows.length) throw refuse(404, 'not_found', 'No boarder with this id is available to this client.');
        state.released = released(rows);
        return present(rows[0]!, categories);
      });

      api.post(`/${BOARDER_ENTITY}/lookup`, opts, async (request) => {
        if (searchOf(request) !== '') throw refuse(400, 'unknown_parameter', 'The lookup takes no query parameters; send {"ids": [...]}.');
        const body = boarderLookupSchema.safeParse(request.body);
        if (!body.success) {
          const issue = body.error.issues[0];
          throw refuse(400, 'invalid_lookup', `The lookup body is {"ids": [up to 1000 UUIDs]}: ${issue?.path.join('.') || '(body)'} ${issue?.message}`);
        }
        const { state, institutions, categories, released } = reach(request);
        const rows = await findBoarders(ctx.readDb ?? ctx.db, institutions, [...new Set(body.data.ids.map((i) => i.toLowerCase()))]);
        state.released = released(rows);
        return rows.map((r) => present(r, categories));
      });

      api.get('/deletedEntities', opts, async (request) => {
        const { state, institutions } = reach(request);
        const { after, limit, cursor, q } = parseDeleted(searchOf(request));
        const { rows, more } = await deletedBoarders(ctx.readDb ?? ctx.db, institutions, after, cursor, limit);
        // Ids of deleted records only: logged with their count, bound to no institution (as SS 12000's).
        state.released = releasedDeletions(rows.length);
        const data = { [BOARDER_ENTITY]: rows.map((r) => r.id) };
        const last = rows.at(-1);
        return more && last ? { data, pageToken: encodeToken('deleted', q, { at: last.deleted_at.toISOString(), id: last.id }) } : { data };
      });
    },
    { prefix: BOARDERS_PREFIX },
  );
}
