import { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Actor } from '../../auth/actor.ts';
import type { AppContext } from '../../context.ts';
import type { Language } from '../../db/schema.ts';
import type { ZodApp } from '../../http/types.ts';
import { errors } from '../../http/common-schemas.ts';
import { csvHeader, csvRow } from './csv.ts';
import { auditReaderFor } from './policies.ts';
import { presentAuditEntry } from './presenters.ts';
import { listAuditEntries, suggestFilterValues } from './queries.ts';
import { auditFilters, auditPageInWords, auditQuery, suggestionList, suggestionQuery } from './schemas.ts';
import { describeAuditEntry, loadAuditNames, readerLanguage } from './sentences.ts';

const tags = ['audit'];
// Rows per database round trip while streaming the CSV export.
const EXPORT_PAGE = 500;

const languageOf = (request: FastifyRequest, explicit: Language | undefined, actor: Actor): Language =>
  readerLanguage(explicit, request.headers['accept-language'], actor.kind === 'anonymous' ? undefined : actor.user.language);

/** The audit log, read by each role within what it may see, in words, with autocomplete and CSV export. */
export default async function auditRoutes(app: ZodApp, ctx: AppContext): Promise<void> {
  app.get(
    '/audit-log',
    {
      config: { access: 'signed_in' },
      schema: {
        tags,
        summary:
          'Audit entries newest first, each with a sentence in your language: the operator all, a partner its own, a school admin those of their institutions',
        querystring: auditQuery,
        response: { 200: auditPageInWords, ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const { visibility, scope } = await auditReaderFor(ctx, request.actor);
      const { cursor, limit, lang, ...filters } = request.query;
      const language = languageOf(request, lang, request.actor);
      const { rows, nextCursor } = await listAuditEntries(ctx.db, visibility, filters, { before: cursor, limit });
      const names = await loadAuditNames(ctx.db, rows);
      return { data: rows.map((r) => ({ ...presentAuditEntry(r, scope), ...describeAuditEntry(r, scope, names, language) })), nextCursor };
    },
  );

  app.get(
    '/audit-log/suggestions',
    {
      config: { access: 'signed_in' },
      schema: {
        tags,
        summary: 'Autocomplete for the audit log filters: apps, partners, institutions or actors you may see whose name contains q',
        querystring: suggestionQuery,
        response: { 200: suggestionList, ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const { visibility } = await auditReaderFor(ctx, request.actor);
      return { data: await suggestFilterValues(ctx.db, visibility, request.query.field, request.query.q) };
    },
  );

  app.get(
    '/audit-log/export',
    {
      config: { access: 'signed_in' },
      schema: {
        tags,
        summary: 'The audit entries matching the filters as CSV (UTF-8), newest first, with the sentence in your language',
        querystring: auditFilters,
        response: { 200: z.string().describe('text/csv; charset=utf-8, one line per entry'), ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => {
      // Authorization and input are settled before the first byte: a refusal is still a problem document.
      const { visibility, scope } = await auditReaderFor(ctx, request.actor);
      const { lang, ...filters } = request.query;
      const language = languageOf(request, lang, request.actor);
      async function* lines() {
        yield csvHeader(language);
        let before: string | undefined;
        do {
          const page = await listAuditEntries(ctx.db, visibility, filters, { before, limit: EXPORT_PAGE });
          const names = await loadAuditNames(ctx.db, page.rows);
          yield page.rows.map((r) => csvRow(r, describeAuditEntry(r, scope, names, language), language)).join('');
          before = page.nextCursor ?? undefined;
        } while (before);
      }
      return (
        reply
          .header('content-type', 'text/csv; charset=utf-8')
          .header('content-disposition', 'attachment; filename="audit-log.csv"')
          .header('cache-control', 'no-store')
          // Fastify pipes a stream as it is (no serializer runs); the schema above documents the text.
          .send(Readable.from(lines()) as unknown as string)
      );
    },
  );
}
