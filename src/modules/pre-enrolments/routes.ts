import type { AppContext } from '../../context.ts';
import type { ZodApp } from '../../http/types.ts';
import { installDataApi, readOf, reachOf, refuse, releasedDeletions, releasedPerInstitution, searchOf } from '../data-api/guard.ts';
import { registerIngestionRoute } from '../data-api/ingestion.ts';
import { ingestPreEnrolments } from './ingest.ts';
import { preEnrolmentsOpenApi } from './openapi.ts';
import { deletedPreEnrolments, findPreEnrolments, listPreEnrolments, type PreEnrolmentRow } from './queries.ts';
import { encodeToken, parseDeleted, parseList } from './query.ts';
import { carriedCategories, PRE_ENROLMENT_ENTITY, PRE_ENROLMENTS_API_CODES, PRE_ENROLMENTS_DATA_API, PRE_ENROLMENTS_PREFIX, releaseRecord } from './release.ts';
import { lookupBodySchema, preEnrolmentBatchResult, preEnrolmentBatchSchema } from './schemas.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The released records of a page, per institution, as one access-log element. */
const releasedOf = (rows: PreEnrolmentRow[], apiCode: string, categories: Set<string>) =>
  releasedPerInstitution(
    apiCode,
    PRE_ENROLMENT_ENTITY,
    carriedCategories(categories),
    rows.map((r) => r.institution_number),
  );

/** A record as the reader sees it: released members only, with Schoolgate's meta. */
const present = (row: PreEnrolmentRow, categories: Set<string>) => ({
  ...releaseRecord(row.body, categories),
  meta: { created: row.created_at.toISOString(), modified: row.modified_at.toISOString() },
});

/**
 * The pre-enrolments data API under /pre-enrolments/v1 (Informat: Voorinschrijvingen), behind the
 * data APIs' shared guard (src/modules/data-api/guard.ts): bearer token (the data API token of client
 * credentials, as for SS 12000), live grants on every request (`authorizeRead`: client, app status,
 * scope version, rate count in one statement), the access log committed before the answer; the release
 * declaration (release.ts), paging, `meta.modified` filters, lookups, deletions and
 * its OpenAPI 3.1 document; and its ingestion batch under /api/v1/ingestion/pre-enrolments.
 */
export async function registerPreEnrolments(app: ZodApp, ctx: AppContext): Promise<void> {
  // The catalog's APIs served here (synchronised from the catalog file before the server is built).
  const served = (await ctx.db.selectFrom('apis').select('code').where('served_by', '=', PRE_ENROLMENTS_DATA_API).execute()).map((a) => a.code);

  await registerIngestionRoute(app, ctx, {
    path: 'pre-enrolments',
    summary: 'Load pre-enrolments (Voorinschrijvingen): upsert and delete in one all-or-nothing batch (idempotent)',
    body: preEnrolmentBatchSchema,
    result: preEnrolmentBatchResult,
    bodyLimit: 256 * 1024 * 1024,
    ingest: (body, who) => ingestPreEnrolments(ctx, body, who),
  });

  await app.register(
    async (api) => {
      const guard = installDataApi(api, ctx, 'pre-enrolments');
      api.get('/openapi.json', { schema: { hide: true } }, async () => preEnrolmentsOpenApi(ctx));
      const opts = { schema: { hide: true }, preHandler: guard, config: { access: 'client' as const } };
      // The catalog codes, else this API's own: a client holding no such grant reaches nothing either way.
      const reach = (request: Parameters<typeof readOf>[0]) => {
        const state = readOf(request);
        const { institutions, categories, apiCode } = reachOf(state.scope, served);
        return { state, institutions, categories, apiCode: apiCode ?? PRE_ENROLMENTS_API_CODES[0] };
      };

      api.get(`/${PRE_ENROLMENT_ENTITY}`, opts, async (request) => {
        const { state, institutions, categories, apiCode } = reach(request);
        const { filters, limit, afterId, q } = parseList(searchOf(request));
        const { rows, more } = await listPreEnrolments(ctx.readDb ?? ctx.db, institutions, filters, limit, afterId);
        state.released = releasedOf(rows, apiCode, categories);
        const data = rows.map((r) => present(r, categories));
        return more ? { data, pageToken: encodeToken('list', q, rows.at(-1)!.id) } : { data };
      });

      api.get(`/${PRE_ENROLMENT_ENTITY}/:id`, opts, async (request) => {
        const { id } = request.params as { id: string };
        if (!UUID.test(id)) throw refuse(400, 'invalid_id', 'The id must be a UUID.');
        const { state, institutions, categories, apiCode } = reach(request);
        const rows = await findPreEnrolments(ctx.readDb ?? ctx.db, institutions, [id.toLowerCase()]);
        if (!rows.length) throw refuse(404, 'not_found', 'No pre-enrolment with this id is available to this client.');
        state.released = releasedOf(rows, apiCode, categories);
        return present(rows[0]!, categories);
      });

      api.post(`/${PRE_ENROLMENT_ENTITY}/lookup`, opts, async (request) => {
        if (searchOf(request) !== '') throw refuse(400, 'unknown_parameter', 'The lookup takes no query parameters; send {"ids": [...]}.');
        const body = lookupBodySchema.safeParse(request.body);
        if (!body.success) {
          throw refuse(
            400,
            'invalid_lookup',
            `The lookup body is {"ids": [up to 1000 UUIDs]}: ${body.error.issues[0]?.path.join('.') || '(body)'} ${body.error.issues[0]?.message}`,
          );
        }
        const { state, institutions, categories, apiCode } = reach(request);
        const rows = await findPreEnrolments(ctx.readDb ?? ctx.db, institutions, [...new Set(body.data.ids.map((i) => i.toLowerCase()))]);
        state.released = releasedOf(rows, apiCode, categories);
        return rows.map((r) => present(r, categories));
      });

      api.get('/deletedEntities', opts, async (request) => {
        const { state, institutions } = reach(request);
        const { after, limit, cursor, q } = parseDeleted(searchOf(request));
        const { rows, more } = await deletedPreEnrolments(ctx.readDb ?? ctx.db, institutions, after, cursor, limit);
        // Ids of deleted records only: logged with their count, bound to no institution (as SS 12000's).
        state.released = releasedDeletions(rows.length);
        const data = { [PRE_ENROLMENT_ENTITY]: rows.map((r) => r.id) };
        const last = rows.at(-1);
        return more && last ? { data, pageToken: encodeToken('deleted', q, { at: last.deleted_at.toISOString(), id: last.id }) } : { data };
      });
    },
    { prefix: PRE_ENROLMENTS_PREFIX },
  );
}
