import type { AppContext } from '../../context.ts';
import { errors } from '../../http/common-schemas.ts';
import { forbidden, invalidField, notFound } from '../../http/errors.ts';
import type { ZodApp } from '../../http/types.ts';
import { loadAdminScope } from '../../auth/admin-scope.ts';
import { localDate } from '../../lib/school-year.ts';
import { authorize } from '../access/policies.ts';
import { grantsByDay } from '../access/queries.ts';
import { institutionsOfTargets } from '../access/reach.ts';
import { AppSubject } from '../apps/policies.ts';
import { countAppsByStatus, findApp } from '../apps/queries.ts';
import { readsPerDay } from '../ss12000/access-stats.ts';
import { APP_STATUSES, DEFAULT_DAYS, MAX_DAYS, dashboardResponse, rangeQuery, readsQuery, readsResponse } from './schemas.ts';

const DAY_MS = 86_400_000;
const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
const daysBetween = (from: string, to: string) => Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);

/**
 * The window of days asked for, in the deployment time zone: `to` defaults to today, `from` to
 * `days` − 1 (default 29) days before `to`. 400 `date_range_ambiguous` for both `from` and `days`,
 * `date_range_inverted` when `from` is after `to`, `date_range_too_long` beyond 366 days (a chart
 * of more is unreadable, and the query would scan without bound).
 */
export function resolveRange(
  q: { from?: string | undefined; to?: string | undefined; days?: number | undefined },
  today: string,
): { from: string; to: string; days: string[] } {
  if (q.from !== undefined && q.days !== undefined) throw invalidField('days', 'date_range_ambiguous', 'Give either `from` or `days`, not both.');
  const to = q.to ?? today;
  const from = q.from ?? addDays(to, -((q.days ?? DEFAULT_DAYS) - 1));
  const span = daysBetween(from, to) + 1;
  if (span < 1) throw invalidField('from', 'date_range_inverted', '`from` must not be after `to`.');
  if (span > MAX_DAYS) throw invalidField('to', 'date_range_too_long', `A window is at most ${MAX_DAYS} days.`);
  return { from, to, days: Array.from({ length: span }, (_, i) => addDays(from, i)) };
}

/**
 * Numbers for the charts (issue 14 point 9): reads per day and app for whoever reads the access log
 * (the operator all, a partner its apps, a school admin what was released of their institutions),
 * and the operator's dashboard. Read-only; the queries live with their resources.
 */
export default async function statsRoutes(app: ZodApp, ctx: AppContext): Promise<void> {
  const today = () => localDate(ctx.clock.now(), ctx.config.TZ);

  app.get(
    '/stats/reads',
    {
      config: { access: 'signed_in' },
      schema: {
        tags: ['access log'],
        summary: 'Answered SS 12000 reads per day and app, in the deployment time zone, within what the caller may see',
        querystring: readsQuery,
        response: { 200: readsResponse, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const actor = request.actor;
      const { from, to } = resolveRange(request.query, today());
      const appId = request.query.appId;
      const timeZone = ctx.config.TZ;
      let partnerId: string | undefined;
      let institutions: string[] | undefined;
      if (actor.kind === 'partner') {
        if (!actor.partnerId) throw forbidden('partner_profile_missing', 'Create your partner profile first.');
        partnerId = actor.partnerId;
      } else if (actor.kind === 'school') {
        if (!actor.user.user_management_access) throw forbidden('no_access', 'You have no access to user management.');
        const admin = await loadAdminScope(ctx, ctx.db, actor.user);
        institutions = await institutionsOfTargets(ctx.db, { institutions: admin.institutions.keys(), accessGroups: admin.accessGroups.keys() });
      } else if (actor.kind !== 'operator') {
        throw forbidden('not_allowed', 'Only the operator, partners and school admins read the access log.');
      }
      if (appId) {
        const row = await findApp(ctx.db, appId);
        if (!row) throw notFound('app_not_found', 'No such app.');
        // Another partner's app is not revealed; a school admin sees only its reads of their institutions.
        if (partnerId) authorize({ kind: 'partner', partnerId }, 'read', AppSubject, row);
      }
      const data = await readsPerDay(ctx.db, { timeZone, from, to, partnerId, appId, institutions });
      const ids = [...new Set(data.flatMap((d) => (d.appId ? [d.appId] : [])))];
      const apps = ids.length ? await ctx.db.selectFrom('apps').select(['id', 'name']).where('id', 'in', ids).orderBy('name').execute() : [];
      return { timeZone, from, to, apps, data };
    },
  );

  app.get(
    '/operator/dashboard',
    {
      config: { access: 'operator' },
      schema: {
        tags: ['operator'],
        summary: 'Apps by status, grants given and in force per day, and reads per day, in the deployment time zone',
        querystring: rangeQuery,
        response: { 200: dashboardResponse, ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const { from, to, days } = resolveRange(request.query, today());
      const timeZone = ctx.config.TZ;
      const [statuses, grants, reads] = await Promise.all([
        countAppsByStatus(ctx.db),
        grantsByDay(ctx.db, { timeZone, from, to }),
        readsPerDay(ctx.db, { timeZone, from, to }),
      ]);
      const count = new Map(statuses.map((s) => [s.status, s.count]));
      const moved = new Map(grants.days.map((d) => [d.day, d]));
      const readsOf = new Map<string, { requests: number; records: number }>();
      for (const r of reads) {
        const sum = readsOf.get(r.day) ?? { requests: 0, records: 0 };
        readsOf.set(r.day, { requests: sum.requests + r.requests, records: sum.records + r.records });
      }
      let inForce = grants.before;
      return {
        timeZone,
        from,
        to,
        appsByStatus: APP_STATUSES.map((status) => ({ status, count: count.get(status) ?? 0 })),
        grants: days.map((day) => {
          const m = moved.get(day);
          inForce += m?.delta ?? 0;
          return { day, given: m?.given ?? 0, inForce };
        }),
        reads: days.map((day) => ({ day, ...(readsOf.get(day) ?? { requests: 0, records: 0 }) })),
      };
    },
  );
}
