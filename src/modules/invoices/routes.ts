import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.ts';
import type { ZodApp } from '../../http/types.ts';
import { installDataApi, readOf, refuse, releasedDeletions, searchOf } from '../data-api/guard.ts';
import { registerIngestionRoute } from '../data-api/ingestion.ts';
import { encodeToken, parseDeleted } from '../data-api/query.ts';
import type { Scope } from '../ss12000/scope.ts';
import type { ReleasedGroup } from '../ss12000/tables.ts';
import { ingestInvoices } from './ingest.ts';
import { invoicesOpenApi } from './openapi.ts';
import { deletedInvoices, findInvoices, listInvoices, type InvoiceRow, type Reader } from './queries.ts';
import { parseInvoiceList } from './query.ts';
import { carriedCategories, INVOICE_ENTITY, INVOICES_API_CODES, INVOICES_DATA_API, INVOICES_PREFIX, releaseRecord } from './release.ts';
import { invoiceBatchResult, invoiceBatchSchema, lookupBodySchema } from './schemas.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Who reads and what they may see: the client (what its grants reach is read live from
 * `grant_reach` in the statement of each page, queries.ts) under the catalog's APIs served here
 * (grant target access group, checked by the catalog file), and the data categories its app's
 * approval allows.
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

/**
 * The invoices data API under /invoices/v1 (Informat: Rekeningen), granted per access group: the
 * shared data-API guard (src/modules/data-api/guard.ts: bearer token of client credentials, live
 * client state and rate count on every request, the access log committed before the answer leaves),
 * what the grants reach read from `grant_reach` in each page's own statement, the release
 * declaration (release.ts), the access log per access group and institution, paging,
 * `meta.modified` filters, lookups, deletions and its OpenAPI 3.1 document; and its ingestion batch
 * under /api/v1/ingestion/invoices.
 */
export async function registerInvoices(app: ZodApp, ctx: AppContext): Promise<void> {
  // The catalog's APIs served here (synchronised from the catalog file before the server is built).
  const served = (await ctx.db.selectFrom('apis').select('code').where('served_by', '=', INVOICES_DATA_API).execute()).map((a) => a.code);

  await registerIngestionRoute(app, ctx, {
    path: 'invoices',
    summary: 'Load invoices (Rekeningen): upsert and delete in one all-or-nothing batch (idempotent)',
    body: invoiceBatchSchema,
    result: invoiceBatchResult,
    bodyLimit: 256 * 1024 * 1024,
    ingest: (body, who) => ingestInvoices(ctx, body, who),
  });

  await app.register(
    async (api) => {
      const guard = installDataApi(api, ctx, 'invoices');
      api.get('/openapi.json', { schema: { hide: true } }, async () => invoicesOpenApi(ctx));
      const opts = { schema: { hide: true }, preHandler: guard, config: { access: 'client' as const } };
      const reading = (request: FastifyRequest) => {
        const state = readOf(request);
        return { state, ...readerOf(state.scope, served) };
      };
      // The primary, never the read replica: each page's statement also reads what the grants reach
      // (grant_reach), and a replica's lagging copy could still show a grant revoked a moment ago.
      const db = ctx.db;

      api.get(`/${INVOICE_ENTITY}`, opts, async (request) => {
        const { state, reader, categories, apiCode } = reading(request);
        const { filters, limit, afterId, q } = parseInvoiceList(searchOf(request));
        const { rows, more } = await listInvoices(db, reader, filters, limit, afterId);
        state.released = releasedOf(rows, apiCode, categories);
        const data = rows.map((r) => present(r, categories));
        return more ? { data, pageToken: encodeToken('list', q, rows.at(-1)!.id) } : { data };
      });

      api.get(`/${INVOICE_ENTITY}/:id`, opts, async (request) => {
        const { state, reader, categories, apiCode } = reading(request);
        const { id } = request.params as { id: string };
        if (!UUID.test(id)) throw refuse(400, 'invalid_id', 'The id must be a UUID.');
        const rows = await findInvoices(db, reader, [id.toLowerCase()]);
        if (!rows.length) throw refuse(404, 'not_found', 'No invoice with this id is available to this client.');
        state.released = releasedOf(rows, apiCode, categories);
        return present(rows[0]!, categories);
      });

      api.post(`/${INVOICE_ENTITY}/lookup`, opts, async (request) => {
        const { state, reader, categories, apiCode } = reading(request);
        if (searchOf(request) !== '') throw refuse(400, 'unknown_parameter', 'The lookup takes no query parameters; send {"ids": [...]}.');
        const body = lookupBodySchema.safeParse(request.body);
        if (!body.success) {
          throw refuse(
            400,
            'invalid_lookup',
            `The lookup body is {"ids": [up to 1000 UUIDs]}: ${body.error.issues[0]?.path.join('.') || '(body)'} ${body.error.issues[0]?.message}`,
          );
        }
        const rows = await findInvoices(db, reader, [...new Set(body.data.ids.map((i) => i.toLowerCase()))]);
        state.released = releasedOf(rows, apiCode, categories);
        return rows.map((r) => present(r, categories));
      });

      api.get('/deletedEntities', opts, async (request) => {
        const { state, reader } = reading(request);
        const { after, limit, cursor, q } = parseDeleted(searchOf(request));
        const { rows, more } = await deletedInvoices(db, reader, after, cursor, limit);
        // Ids of deleted records only: logged with their count, bound to no institution (as SS 12000's).
        state.released = releasedDeletions(rows.length);
        const data = { [INVOICE_ENTITY]: rows.map((r) => r.id) };
        const last = rows.at(-1);
        return more && last ? { data, pageToken: encodeToken('deleted', q, { at: last.deleted_at.toISOString(), id: last.id }) } : { data };
      });
    },
    { prefix: INVOICES_PREFIX },
  );
}
