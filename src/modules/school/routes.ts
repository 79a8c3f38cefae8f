import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import type { ZodApp } from '../../http/types.ts';
import type { SignedIn } from '../../auth/actor.ts';
import { errors } from '../../http/common-schemas.ts';
import { conflict } from '../../http/errors.ts';
import { appGrantLog } from '../audit/queries.ts';
import { loadAdminScope, scopeAccessGroupIds, scopeInstitutionNumbers } from './policies.ts';
import { listAccreditedApps, listGrantsInScope, listVisibleApps, requestedApis } from './queries.ts';
import { presentAccreditedApp, presentApiAccessRow, presentLogEntry, presentSchoolAppDetail, presentSchoolAppRow, type SwitchView } from './presenters.ts';
import {
  accreditedAppRow,
  accreditedAppsQuery,
  apiAccessEntry,
  apiAccessRow,
  apiCodeParams,
  clientApiCodeParams,
  invitationQuery,
  logEntry,
  replaceGrantsBody,
  replaceGrantsResult,
  schoolAppDetail,
  schoolAppRow,
  schoolAppsQuery,
  switchBody,
  switchResult,
} from './schemas.ts';
import { apiAccessView, lastSwitch, openAppForAdmin, openClientForAdmin, replaceGrants, switchApp, switchStates, type SwitchState } from './service.ts';
import type { AdminScope } from './policies.ts';
import type { Queryable } from '../../context.ts';

/** The admin's view of each app's switch: the state over their institutions and the latest switch there. */
async function switchViews(db: Queryable, scope: AdminScope, apps: { id: string; client_id: string | null }[]): Promise<Map<string, SwitchView>> {
  const states = await switchStates(
    db,
    scope,
    apps.flatMap((a) => (a.client_id ? [a.client_id] : [])),
  );
  const views = new Map<string, SwitchView>();
  for (const a of apps) {
    const state: SwitchState = (a.client_id && states.get(a.client_id)) || 'not_granted';
    // An app without a client was never granted, so never switched.
    views.set(a.id, { state, lastChange: a.client_id ? await lastSwitch(db, scope, a.id) : null });
  }
  return views;
}
import { consentCountsForAdmin } from '../end-users/queries.ts';

const appParams = z.object({ appId: z.uuid() });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The school back-office ("API portal" in user management): a school admin's Apps and API access
 * tables, an app's General / API access / Logs tabs, and editing the grants of an approved app.
 * Everything is limited to institutions and access groups where the admin holds a right in the
 * current school year; the gate (`school_admin`) turns away SIS users without user management.
 */
export default async function schoolRoutes(app: ZodApp, ctx: AppContext): Promise<void> {
  const userOf = (actor: unknown) => (actor as SignedIn).user;

  app.get(
    '/school/apps',
    {
      config: { access: 'school_admin' },
      schema: {
        tags: ['school'],
        summary: 'Apps with access to your institutions (App, Status, Partner, Client, Active, API, Created, Modified)',
        querystring: schoolAppsQuery,
        response: { 200: z.object({ data: z.array(schoolAppRow) }), ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const scope = await loadAdminScope(ctx, ctx.db, userOf(request.actor));
      const { status, api, partner, q, sort, order } = request.query;
      let apps = await listVisibleApps(ctx.db, scope);
      if (status) apps = apps.filter((a) => a.status === status);
      if (api) apps = apps.filter((a) => a.apis.some((x) => x.code === api));
      if (partner) {
        apps = UUID.test(partner)
          ? apps.filter((a) => a.partner_id === partner.toLowerCase())
          : apps.filter((a) => a.partner_name.toLowerCase().includes(partner.toLowerCase()));
      }
      if (q) {
        const needle = q.toLowerCase();
        apps = apps.filter((a) => a.name.toLowerCase().includes(needle) || a.partner_name.toLowerCase().includes(needle));
      }
      const key = (a: (typeof apps)[number]) =>
        sort === 'created' ? a.created_at.getTime() : sort === 'modified' ? a.updated_at.getTime() : a.name.toLowerCase();
      apps.sort((a, b) => {
        const x = key(a);
        const y = key(b);
        const c = x < y ? -1 : x > y ? 1 : a.id.localeCompare(b.id);
        return order === 'desc' ? -c : c;
      });
      const views = await switchViews(ctx.db, scope, apps);
      return { data: apps.map((a) => presentSchoolAppRow(a, views.get(a.id)!)) };
    },
  );

  app.get(
    '/school/accredited-apps',
    {
      config: { access: 'school_admin' },
      schema: {
        tags: ['school'],
        summary:
          'Accredited apps: every approved app with its partner, accreditation date, and per API the data categories and purposes it was approved for; with your on/off switch',
        querystring: accreditedAppsQuery,
        response: { 200: z.object({ data: z.array(accreditedAppRow) }), ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const user = userOf(request.actor);
      const scope = await loadAdminScope(ctx, ctx.db, user);
      let apps = await listAccreditedApps(ctx.db);
      const { q, api } = request.query;
      if (api) apps = apps.filter((a) => a.apis.some((x) => x.code === api));
      if (q) {
        const needle = q.toLowerCase();
        apps = apps.filter((a) =>
          [a.name, a.partner_name, a.description, ...a.apis.flatMap((x) => [x.name, ...x.data_categories, ...Object.values(x.purposes)])].some((t) =>
            String(t).toLowerCase().includes(needle),
          ),
        );
      }
      const views = await switchViews(ctx.db, scope, apps);
      return { data: apps.map((a) => presentAccreditedApp(a, user.language, views.get(a.id)!)) };
    },
  );

  app.put(
    '/school/apps/:appId/switch',
    {
      config: { access: 'school_admin' },
      schema: {
        tags: ['school'],
        summary:
          'Switch the app off (or on again) for your institutions, with an optional reason: suspends exactly the grants it holds where you hold the right, and restores exactly those',
        params: appParams,
        body: switchBody,
        response: { 200: switchResult, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const user = userOf(request.actor);
      const scope = await loadAdminScope(ctx, ctx.db, user);
      return switchApp(ctx, user, scope, request.params.appId, request.body);
    },
  );

  app.get(
    '/school/api-access',
    {
      config: { access: 'school_admin' },
      schema: {
        tags: ['school'],
        summary: 'Grants on your institutions and access groups (API, Institution, Access group, Client, App, Status, Partner)',
        querystring: z.object({ api: z.string().max(50).optional() }),
        response: { 200: z.object({ data: z.array(apiAccessRow) }), ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const scope = await loadAdminScope(ctx, ctx.db, userOf(request.actor));
      let rows = await listGrantsInScope(ctx.db, scope);
      if (request.query.api) rows = rows.filter((r) => r.api_code === request.query.api);
      return { data: rows.map(presentApiAccessRow) };
    },
  );

  app.get(
    '/school/apps/:appId',
    {
      config: { access: 'school_admin' },
      schema: {
        tags: ['school'],
        summary: "General tab: the app's read-only properties (visible with access to your schools, or with an invitation)",
        params: appParams,
        querystring: invitationQuery,
        response: { 200: schoolAppDetail, ...errors(400, 401, 403, 404, 410) },
      },
    },
    async (request) => {
      const user = userOf(request.actor);
      const scope = await loadAdminScope(ctx, ctx.db, user);
      const found = await openAppForAdmin(ctx, ctx.db, scope, user, request.params.appId, request.query.invitation);
      // Counts only for the admin's own institutions: an invited admin of another school sees none of ours.
      const consents = await consentCountsForAdmin(ctx.db, scope, found.client_id);
      const views = await switchViews(ctx.db, scope, [found]);
      return { ...presentSchoolAppDetail(found, await requestedApis(ctx.db, found.id), user.language, views.get(found.id)!), consents };
    },
  );

  app.get(
    '/school/apps/:appId/api-access',
    {
      config: { access: 'school_admin' },
      schema: {
        tags: ['school'],
        summary: 'API access tab: per API whether you can edit it (and why not), and the two lists',
        params: appParams,
        querystring: invitationQuery,
        response: { 200: z.object({ data: z.array(apiAccessEntry) }), ...errors(400, 401, 403, 404, 410) },
      },
    },
    async (request) => {
      const user = userOf(request.actor);
      const scope = await loadAdminScope(ctx, ctx.db, user);
      const found = await openAppForAdmin(ctx, ctx.db, scope, user, request.params.appId, request.query.invitation);
      return { data: await apiAccessView(ctx.db, scope, { appId: found.id, appStatus: found.status, clientId: found.client_id }, user.language) };
    },
  );

  app.put(
    '/school/apps/:appId/api-access/:apiCode',
    {
      config: { access: 'school_admin' },
      schema: {
        tags: ['school'],
        summary: 'Replace the granted set of one API within your scope; removing needs confirmRemoval: true',
        params: apiCodeParams,
        querystring: invitationQuery,
        body: replaceGrantsBody,
        response: { 200: replaceGrantsResult, ...errors(400, 401, 403, 404, 409, 410) },
      },
    },
    async (request) => {
      const user = userOf(request.actor);
      const scope = await loadAdminScope(ctx, ctx.db, user);
      return replaceGrants(ctx, user, scope, request.params.appId, request.params.apiCode, request.body, request.query.invitation);
    },
  );

  app.get(
    '/school/apps/:appId/log',
    {
      config: { access: 'school_admin' },
      schema: {
        tags: ['school'],
        summary: 'Logs tab: grant changes of the app that touch your institutions (who, what, when, why)',
        params: appParams,
        querystring: invitationQuery,
        response: { 200: z.object({ data: z.array(logEntry) }), ...errors(400, 401, 403, 404, 410) },
      },
    },
    async (request) => {
      const user = userOf(request.actor);
      const scope = await loadAdminScope(ctx, ctx.db, user);
      const found = await openAppForAdmin(ctx, ctx.db, scope, user, request.params.appId, request.query.invitation);
      const institutionNumbers = scopeInstitutionNumbers(scope);
      const accessGroupIds = scopeAccessGroupIds(scope);
      const rows = await appGrantLog(ctx.db, found.id, institutionNumbers, accessGroupIds);
      const readerScope = { institutions: new Set(institutionNumbers), accessGroups: new Set(accessGroupIds) };
      return { data: rows.map((r) => presentLogEntry(r, readerScope)) };
    },
  );

  app.get(
    '/school/clients/:clientId/api-access',
    {
      config: { access: 'school_admin' },
      schema: {
        tags: ['school'],
        summary: 'API access of a client; a legacy client without an app is read-only (client_without_app)',
        params: z.object({ clientId: z.uuid() }),
        response: { 200: z.object({ data: z.array(apiAccessEntry) }), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const scope = await loadAdminScope(ctx, ctx.db, userOf(request.actor));
      const client = await openClientForAdmin(ctx.db, scope, request.params.clientId);
      return {
        data: await apiAccessView(ctx.db, scope, { appId: client.app_id, appStatus: client.app_status, clientId: client.id }, userOf(request.actor).language),
      };
    },
  );

  app.put(
    '/school/clients/:clientId/api-access/:apiCode',
    {
      config: { access: 'school_admin' },
      schema: {
        tags: ['school'],
        summary: 'Replace grants of a client: only for a client linked to an app (otherwise 409 client_without_app)',
        params: clientApiCodeParams,
        body: replaceGrantsBody,
        response: { 200: replaceGrantsResult, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const user = userOf(request.actor);
      const scope = await loadAdminScope(ctx, ctx.db, user);
      const client = await openClientForAdmin(ctx.db, scope, request.params.clientId);
      if (!client.app_id) {
        throw conflict('client_without_app', 'This client is not linked to an app yet; only the operator can change its access. Ask the partner to link it.');
      }
      return replaceGrants(ctx, user, scope, client.app_id, request.params.apiCode, request.body);
    },
  );
}
