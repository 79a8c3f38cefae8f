import type { AppContext } from '../../context.ts';
import type { ZodApp } from '../../http/types.ts';
import { errors } from '../../http/common-schemas.ts';
import { auditReaderFor } from './policies.ts';
import { presentAuditEntry } from './presenters.ts';
import { listAuditEntries } from './queries.ts';
import { auditPage, auditQuery } from './schemas.ts';

/** The audit log, read by each role within what it may see. */
export default async function auditRoutes(app: ZodApp, ctx: AppContext): Promise<void> {
  app.get(
    '/audit-log',
    {
      config: { access: 'signed_in' },
      schema: {
        tags: ['audit'],
        summary: 'Audit entries newest first: the operator all, a partner its own, a school admin those of their institutions',
        querystring: auditQuery,
        response: { 200: auditPage, ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const { visibility, scope } = await auditReaderFor(ctx, request.actor);
      const { cursor, limit, ...filters } = request.query;
      const { rows, nextCursor } = await listAuditEntries(ctx.db, visibility, filters, { before: cursor, limit });
      return { data: rows.map((r) => presentAuditEntry(r, scope)), nextCursor };
    },
  );
}
