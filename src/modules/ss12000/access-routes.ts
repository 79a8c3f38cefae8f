import { sql } from 'kysely';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import type { ZodApp } from '../../http/types.ts';
import { errors } from '../../http/common-schemas.ts';
import { forbidden, notFound } from '../../http/errors.ts';
import { auditActor, recordAudit } from '../audit/record.ts';
import { DEFAULT_RATE_LIMIT, forgetRateRefusals } from './access.ts';
import { currentSchoolYear } from '../../lib/school-year.ts';

const dailyRow = z.object({
  day: z.string().describe('YYYY-MM-DD in the deployment time zone'),
  appId: z.string().nullable(),
  institutionNumber: z.string(),
  endpoint: z.string(),
  requests: z.number().int(),
  records: z.number().int(),
});

/**
 * The access log of the SS 12000 API as a daily aggregate per app × institution × endpoint: the
 * operator sees all, a partner its apps, a school admin the institutions they hold a right on this
 * school year.
 */
export async function accessLogRoutes(app: ZodApp, ctx: AppContext): Promise<void> {
  app.get(
    '/access-log/daily',
    {
      config: { access: 'signed_in' },
      schema: {
        tags: ['access log'],
        summary: 'Reads of school data per day, app, institution and endpoint',
        querystring: z.object({
          from: z.iso.date().optional(),
          to: z.iso.date().optional(),
          appId: z.uuid().optional(),
          institutionNumber: z.string().regex(/^\d{6}$/).optional(),
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
        const year = currentSchoolYear(ctx.clock.now(), { start: ctx.config.SCHOOL_YEAR_START, timeZone: tz });
        conds.push(sql`inst IN (
          SELECT ar.institution_number FROM admin_rights ar WHERE ar.user_id = ${actor.user.id} AND ar.school_year = ${year} AND ar.institution_number IS NOT NULL
          UNION SELECT agi.institution_number FROM admin_rights ar JOIN access_group_institutions agi ON agi.access_group_id = ar.access_group_id
          WHERE ar.user_id = ${actor.user.id} AND ar.school_year = ${year})`);
      } else if (actor.kind !== 'operator') {
        throw forbidden('not_allowed', 'Only the operator, partners and school admins read the access log.');
      }
      if (q.appId) conds.push(sql`l.app_id = ${q.appId}`);
      if (q.institutionNumber) conds.push(sql`inst = ${q.institutionNumber}`);
      if (q.from) conds.push(sql`(l.at AT TIME ZONE ${tz})::date >= ${q.from}::date`);
      if (q.to) conds.push(sql`(l.at AT TIME ZONE ${tz})::date <= ${q.to}::date`);
      const rows = await sql<{ day: string; app_id: string | null; inst: string; endpoint: string; requests: string; records: string }>`
        SELECT to_char((l.at AT TIME ZONE ${tz})::date, 'YYYY-MM-DD') AS day, l.app_id, inst, l.endpoint,
               count(*) AS requests, coalesce(sum(l.record_count), 0) AS records
        FROM ss12000_access_log l CROSS JOIN LATERAL unnest(l.institution_numbers) AS inst
        WHERE ${sql.join(conds, sql` AND `)}
        GROUP BY 1, 2, 3, 4 ORDER BY 1 DESC, 2, 3, 4 LIMIT 5000`.execute(ctx.db);
      return {
        data: rows.rows.map((r) => ({
          day: r.day,
          appId: r.app_id,
          institutionNumber: r.inst,
          endpoint: r.endpoint,
          requests: Number(r.requests),
          records: Number(r.records),
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
