import { sql } from 'kysely';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import type { ZodApp } from '../../http/types.ts';
import { errors } from '../../http/common-schemas.ts';
import { forbidden, notFound } from '../../http/errors.ts';
import { auditActor, recordAudit } from '../audit/record.ts';
import { DEFAULT_RATE_LIMIT, forgetRateRefusals } from './access.ts';
import { loadAdminScope } from '../../auth/admin-scope.ts';
import { institutionsOfTargets } from '../access/reach.ts';

const dailyRow = z.object({
  day: z.string().describe('YYYY-MM-DD in the deployment time zone'),
  appId: z.string().nullable(),
  institutionNumber: z
    .string()
    .nullable()
    .describe('The institution whose records were released; null: none (refusals, empty answers, deleted ids) or records bound to no institution'),
  api: z.string().nullable().describe('The catalog API the records were released under (students, staff, pre_enrolments, …); null with institutionNumber'),
  endpoint: z.string(),
  entity: z.string().nullable().describe("Entity type of the records: the endpoint's own, or one embedded by expand"),
  requests: z.number().int(),
  records: z.number().int().describe('Records of this institution released (each once per request)'),
  categories: z.array(z.string()).describe('Data categories released with them'),
  sandbox: z.boolean().describe('Records of the developer sandbox (generated data), not of a school'),
});

/** The categories of several parts, `identity` first as each part has them, then in order. */
function unionOfCategories(lists: string[][]): string[] {
  const all = new Set(lists.flat());
  return [...all].sort((a, b) => (a === 'identity' ? -1 : b === 'identity' ? 1 : a.localeCompare(b)));
}

/**
 * The access log of the SS 12000 API as a daily aggregate per app × institution × API × endpoint ×
 * entity type, from what each request released (`ss12000_access_log.released`): the operator sees
 * all, a partner its apps, a school admin the institutions they hold a right on this school year —
 * and only what was released of those institutions.
 */
export async function accessLogRoutes(app: ZodApp, ctx: AppContext): Promise<void> {
  app.get(
    '/access-log/daily',
    {
      config: { access: 'signed_in' },
      schema: {
        tags: ['access log'],
        summary: 'Records of school data released per day, app, institution, API and endpoint',
        querystring: z.object({
          from: z.iso.date().optional(),
          to: z.iso.date().optional(),
          appId: z.uuid().optional(),
          institutionNumber: z
            .string()
            .regex(/^\d{6}$/)
            .optional(),
        }),
        response: { 200: z.object({ data: z.array(dailyRow) }), ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const actor = request.actor;
      const q = request.query;
      const tz = ctx.config.TZ;
      const conds = [sql`true`];
      if (actor.kind === 'partner') {
        if (!actor.partnerId) throw forbidden('partner_profile_missing', 'Create your partner profile first.');
        conds.push(sql`l.partner_id = ${actor.partnerId}`);
      } else if (actor.kind === 'school') {
        if (!actor.user.user_management_access) throw forbidden('no_access', 'You have no access to user management.');
        // The institutions the admin holds a right on this school year, directly or through an access
        // group: the admin scope and the access core's one reading of access groups.
        const admin = await loadAdminScope(ctx, ctx.db, actor.user);
        const mine = sql`${await institutionsOfTargets(ctx.db, { institutions: admin.institutions.keys(), accessGroups: admin.accessGroups.keys() })}::text[]`;
        // The array test finds the rows by the GIN index; the element test keeps only their institutions' parts.
        conds.push(sql`l.institution_numbers && ${mine}`, sql`e->>'institution' = ANY(${mine})`);
      } else if (actor.kind !== 'operator') {
        throw forbidden('not_allowed', 'Only the operator, partners and school admins read the access log.');
      }
      if (q.appId) conds.push(sql`l.app_id = ${q.appId}`);
      if (q.institutionNumber) conds.push(sql`l.institution_numbers @> ARRAY[${q.institutionNumber}]::text[]`, sql`e->>'institution' = ${q.institutionNumber}`);
      if (q.from) conds.push(sql`(l.at AT TIME ZONE ${tz})::date >= ${q.from}::date`);
      if (q.to) conds.push(sql`(l.at AT TIME ZONE ${tz})::date <= ${q.to}::date`);
      // A request that released nothing (a refusal, an empty page) or only ids (deletedEntities) has
      // no element: it counts in a row without institution, with the ids it returned.
      const rows = await sql<{
        day: string;
        app_id: string | null;
        inst: string | null;
        api: string | null;
        endpoint: string;
        entity: string | null;
        requests: string;
        records: string;
        categories: string[][] | null;
      }>`
        SELECT to_char((l.at AT TIME ZONE ${tz})::date, 'YYYY-MM-DD') AS day, l.app_id, e->>'institution' AS inst, e->>'api' AS api, l.endpoint,
               e->>'entity' AS entity, count(*) AS requests,
               coalesce(sum(CASE WHEN e IS NULL THEN l.record_count ELSE (e->>'records')::integer END), 0) AS records,
               jsonb_agg(DISTINCT e->'categories') FILTER (WHERE e IS NOT NULL) AS categories
        FROM ss12000_access_log l
        LEFT JOIN LATERAL ss12000_access_log_parts(l.released) e ON true
        WHERE ${sql.join(conds, sql` AND `)}
        GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1 DESC, 2, 3, 5, 4, 6 LIMIT 5000`.execute(ctx.db);
      // The developer sandbox's reads are marked, so no one counts them as a school's.
      const sandboxes = new Set((await ctx.db.selectFrom('institutions').select('number').where('sandbox', '=', true).execute()).map((i) => i.number));
      return {
        data: rows.rows.map((r) => ({
          day: r.day,
          appId: r.app_id,
          institutionNumber: r.inst,
          api: r.api,
          endpoint: r.endpoint,
          entity: r.entity,
          requests: Number(r.requests),
          records: Number(r.records),
          categories: unionOfCategories(r.categories ?? []),
          sandbox: r.inst !== null && sandboxes.has(r.inst),
        })),
      };
    },
  );

  app.put(
    '/operator/apps/:appId/rate-limit',
    {
      config: { access: 'operator' },
      schema: {
        tags: ['access log'],
        summary: "Set an app's SS 12000 rate limit (requests per minute); null restores the default",
        params: z.object({ appId: z.uuid() }),
        body: z.object({ requestsPerMinute: z.number().int().min(1).max(1_000_000).nullable(), reason: z.string().max(500).optional() }),
        response: { 200: z.object({ appId: z.string(), requestsPerMinute: z.number().int(), isDefault: z.boolean() }), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { appId } = request.params;
      const { requestsPerMinute, reason } = request.body;
      const appRow = await ctx.db.selectFrom('apps').select(['id', 'partner_id']).where('id', '=', appId).executeTakeFirst();
      if (!appRow) throw notFound('app_not_found', 'No such app.');
      await ctx.db.transaction().execute(async (trx) => {
        const before = await trx.selectFrom('ss12000_rate_limits').select('requests_per_minute').where('app_id', '=', appId).executeTakeFirst();
        if (requestsPerMinute === null) await trx.deleteFrom('ss12000_rate_limits').where('app_id', '=', appId).execute();
        else
          await trx
            .insertInto('ss12000_rate_limits')
            .values({ app_id: appId, requests_per_minute: requestsPerMinute })
            .onConflict((oc) => oc.column('app_id').doUpdateSet({ requests_per_minute: requestsPerMinute }))
            .execute();
        await recordAudit(trx, ctx.clock.now(), auditActor(request.actor), {
          action: 'app.rate_limit_set',
          subjectType: 'app',
          subjectId: appId,
          appId,
          partnerId: appRow.partner_id,
          reason: reason ?? null,
          before: { requestsPerMinute: before?.requests_per_minute ?? null },
          after: { requestsPerMinute },
        });
      });
      // This process answers with the new limit at once; others ask the database within a second.
      forgetRateRefusals(ctx, appId);
      return { appId, requestsPerMinute: requestsPerMinute ?? DEFAULT_RATE_LIMIT, isDefault: requestsPerMinute === null };
    },
  );
}
