import type { Queryable } from '../../context.ts';
import { grantIdsNamingQuery } from '../access/reach.ts';
import type { Language } from '../../db/schema.ts';
import type { AdminScope } from './policies.ts';
import { scopeAccessGroupIds, scopeInstitutionNumbers } from './policies.ts';

/**
 * Grants restricted to the admin's scope (any right): the only grants a school admin ever sees —
 * those that reach one of the admin's institutions directly or name one of the admin's access groups
 * (`grantIdsNamingQuery`, src/modules/access/reach.ts, says why by what the grant names).
 */
function grantsInScope(db: Queryable, scope: AdminScope) {
  const named = grantIdsNamingQuery(db, { institutions: scopeInstitutionNumbers(scope), accessGroups: scopeAccessGroupIds(scope) });
  return db.selectFrom('grants as g').where('g.id', 'in', named);
}

/** Every grant in the admin's scope, with client, app, partner, API and target names (API access table). */
export async function listGrantsInScope(db: Queryable, scope: AdminScope) {
  return grantsInScope(db, scope)
    .innerJoin('clients as c', 'c.id', 'g.client_id')
    .innerJoin('apis as api', 'api.code', 'g.api_code')
    .leftJoin('apps as a', 'a.id', 'c.app_id')
    .leftJoin('partners as p', 'p.id', 'a.partner_id')
    .leftJoin('institutions as i', 'i.number', 'g.institution_number')
    .leftJoin('access_groups as ag', 'ag.id', 'g.access_group_id')
    .select([
      'g.id',
      'g.api_code',
      'g.institution_number',
      'g.access_group_id',
      'g.client_id',
      'g.granted_at',
      'api.name as api_name',
      'api.sort_order',
      'c.name as client_name',
      'a.id as app_id',
      'a.name as app_name',
      'a.status as app_status',
      'p.id as partner_id',
      'p.name as partner_name',
      'i.name as institution_name',
      'ag.name as access_group_name',
    ])
    .orderBy('api.sort_order')
    .orderBy('g.institution_number')
    .orderBy('ag.name')
    .orderBy('c.id')
    .execute();
}

/**
 * Switched-off grants (`suspended_grants`) that name one of the admin's institutions or access
 * groups: what a switch of this admin, or of a colleague with an overlapping scope, turned off here.
 */
export function suspendedInScope(db: Queryable, scope: AdminScope) {
  const institutions = scopeInstitutionNumbers(scope);
  const groups = scopeAccessGroupIds(scope);
  return db.selectFrom('suspended_grants as g').where((eb) => {
    const parts = [];
    if (institutions.length) parts.push(eb('g.institution_number', 'in', institutions));
    if (groups.length) parts.push(eb('g.access_group_id', 'in', groups));
    return parts.length ? eb.or(parts) : eb.val(false);
  });
}

/**
 * Apps whose client holds at least one grant in the admin's scope, live or switched off (the Apps
 * table), with those APIs: an app switched off here stays in the list, marked off.
 */
export async function listVisibleApps(db: Queryable, scope: AdminScope) {
  // Live and switched-off grants alike: only which client holds which API matters here.
  const held = grantsInScope(db, scope)
    .select(['g.client_id', 'g.api_code'])
    .unionAll(suspendedInScope(db, scope).select(['g.client_id', 'g.api_code']));
  const rows = await db
    .selectFrom(held.as('g'))
    .innerJoin('clients as c', 'c.id', 'g.client_id')
    .innerJoin('apps as a', 'a.id', 'c.app_id')
    .innerJoin('partners as p', 'p.id', 'a.partner_id')
    .innerJoin('apis as api', 'api.code', 'g.api_code')
    .select([
      'a.id',
      'a.name',
      'a.status',
      'a.created_at',
      'a.updated_at',
      'p.id as partner_id',
      'p.name as partner_name',
      'c.id as client_id',
      'api.code as api_code',
      'api.name as api_name',
      'api.sort_order',
    ])
    .execute();
  const apps = new Map<string, (typeof rows)[number] & { apis: Map<string, { code: string; name: string; order: number }> }>();
  for (const r of rows) {
    const app = apps.get(r.id) ?? { ...r, apis: new Map() };
    app.apis.set(r.api_code, { code: r.api_code, name: r.api_name, order: r.sort_order });
    apps.set(r.id, app);
  }
  return [...apps.values()].map((a) => ({ ...a, apis: [...a.apis.values()].sort((x, y) => x.order - y.order) }));
}

/** Whether the app's client holds at least one grant in the admin's scope, live or switched off. */
export async function appVisibleByGrants(db: Queryable, scope: AdminScope, appId: string): Promise<boolean> {
  const row = await grantsInScope(db, scope)
    .innerJoin('clients as c', 'c.id', 'g.client_id')
    .select('g.id')
    .where('c.app_id', '=', appId)
    .limit(1)
    .executeTakeFirst();
  if (row) return true;
  const off = await suspendedInScope(db, scope)
    .innerJoin('clients as c', 'c.id', 'g.client_id')
    .select('g.id')
    .where('c.app_id', '=', appId)
    .limit(1)
    .executeTakeFirst();
  return off !== undefined;
}

/** The switched-off grants of a client (unfiltered; callers restrict to what the reader may see). */
export async function clientSuspendedGrants(db: Queryable, clientId: string) {
  return db
    .selectFrom('suspended_grants')
    .select(['id', 'api_code', 'institution_number', 'access_group_id', 'suspended_at', 'suspended_by', 'suspension_reason'])
    .where('client_id', '=', clientId)
    .execute();
}

/**
 * The accredited apps: every approved app with its partner, accreditation date and, per API, the
 * approved data categories and purposes — the list a school admin enables an app from.
 */
export async function listAccreditedApps(db: Queryable) {
  const apps = await db
    .selectFrom('apps as a')
    .innerJoin('partners as p', 'p.id', 'a.partner_id')
    .leftJoin('clients as c', 'c.app_id', 'a.id')
    .select(['a.id', 'a.name', 'a.description', 'a.approved_at', 'p.id as partner_id', 'p.name as partner_name', 'c.id as client_id'])
    .where('a.status', '=', 'approved')
    .orderBy('a.name')
    .orderBy('a.id')
    .execute();
  const requests = apps.length
    ? await db
        .selectFrom('app_api_requests as r')
        .innerJoin('apis as api', 'api.code', 'r.api_code')
        .select(['r.app_id', 'api.code', 'api.name', 'api.sort_order', 'r.data_categories', 'r.purposes'])
        .where(
          'r.app_id',
          'in',
          apps.map((a) => a.id),
        )
        .orderBy('api.sort_order')
        .execute()
    : [];
  return apps.map((a) => ({ ...a, apis: requests.filter((r) => r.app_id === a.id) }));
}

/** Whether the client holds at least one grant in the admin's scope. */
export async function clientVisibleByGrants(db: Queryable, scope: AdminScope, clientId: string): Promise<boolean> {
  const row = await grantsInScope(db, scope).select('g.id').where('g.client_id', '=', clientId).limit(1).executeTakeFirst();
  return row !== undefined;
}

/** An app with its partner and client (if any). */
export async function findAppWithClient(db: Queryable, appId: string) {
  return db
    .selectFrom('apps as a')
    .innerJoin('partners as p', 'p.id', 'a.partner_id')
    .leftJoin('clients as c', 'c.app_id', 'a.id')
    .selectAll('a')
    .select(['p.name as partner_name', 'c.id as client_id', 'c.name as client_name'])
    .where('a.id', '=', appId)
    .executeTakeFirst();
}

/** A client with its app (if linked). */
export async function findClientWithApp(db: Queryable, clientId: string) {
  return db
    .selectFrom('clients as c')
    .leftJoin('apps as a', 'a.id', 'c.app_id')
    .select(['c.id', 'c.name', 'c.app_id', 'c.origin', 'a.status as app_status'])
    .where('c.id', '=', clientId)
    .executeTakeFirst();
}

/** The APIs an app asked for, with the catalog entry of each. */
export async function requestedApis(db: Queryable, appId: string) {
  return db
    .selectFrom('app_api_requests as r')
    .innerJoin('apis as api', 'api.code', 'r.api_code')
    .selectAll('api')
    .select(['r.purposes', 'r.data_categories as requested_categories', 'r.access_level as requested_level'])
    .where('r.app_id', '=', appId)
    .orderBy('api.sort_order')
    .execute();
}

/** All grants of a client (unfiltered; callers restrict to what the reader may see). */
export async function clientGrants(db: Queryable, clientId: string) {
  return db
    .selectFrom('grants')
    .select(['id', 'api_code', 'institution_number', 'access_group_id', 'granted_at', 'granted_by', 'reason', 'access_level'])
    .where('client_id', '=', clientId)
    .execute();
}

/** Names of institutions and access groups, for labels. */
export async function targetNames(db: Queryable, institutionNumbers: string[], accessGroupIds: string[]) {
  const names = new Map<string, string>();
  if (institutionNumbers.length) {
    for (const i of await db.selectFrom('institutions').select(['number', 'name']).where('number', 'in', institutionNumbers).execute()) {
      names.set(i.number, i.name);
    }
  }
  if (accessGroupIds.length) {
    for (const g of await db.selectFrom('access_groups').select(['id', 'name']).where('id', 'in', accessGroupIds).execute()) {
      names.set(g.id, g.name);
    }
  }
  return names;
}

/** A valid-or-expired invitation for this app with this token, if one exists. */
export async function findInvitation(db: Queryable, appId: string, token: string) {
  return db.selectFrom('invitations').select(['id', 'expires_at', 'email']).where('app_id', '=', appId).where('token', '=', token).executeTakeFirst();
}

/** The language to write to an address in: that of the user with this e-mail, else English. */
export async function recipientLanguage(db: Queryable, email: string): Promise<Language> {
  const user = await db.selectFrom('users').select('language').where('email', '=', email.toLowerCase()).executeTakeFirst();
  return user?.language ?? 'en';
}
