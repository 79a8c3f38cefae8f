import type { Queryable } from '../../context.ts';
import type { AppStatus } from '../../db/schema.ts';

/** Apps for the review queue, newest change first. */
export async function listAppsForOperator(db: Queryable, filters: { status?: AppStatus | undefined; partnerId?: string | undefined }) {
  let q = db.selectFrom('apps as a').innerJoin('partners as p', 'p.id', 'a.partner_id').selectAll('a').select('p.name as partner_name');
  if (filters.status) q = q.where('a.status', '=', filters.status);
  if (filters.partnerId) q = q.where('a.partner_id', '=', filters.partnerId);
  const apps = await q.orderBy('a.updated_at', 'desc').orderBy('a.id').execute();
  const requests = apps.length
    ? await db
        .selectFrom('app_api_requests as r')
        .innerJoin('apis', 'apis.code', 'r.api_code')
        .select(['r.app_id', 'r.api_code'])
        .where(
          'r.app_id',
          'in',
          apps.map((a) => a.id),
        )
        .orderBy('apis.sort_order')
        .execute()
    : [];
  return apps.map((a) => ({ ...a, api_codes: requests.filter((r) => r.app_id === a.id).map((r) => r.api_code) }));
}

/** Everything the operator needs to judge one app. */
export async function appForReview(db: Queryable, appId: string) {
  const app = await db
    .selectFrom('apps as a')
    .innerJoin('partners as p', 'p.id', 'a.partner_id')
    .leftJoin('users as u', 'u.id', 'a.approved_by')
    .selectAll('a')
    .select(['p.name as partner_name', 'p.contact_email as partner_contact_email', 'p.website as partner_website', 'u.display_name as approver_name'])
    .where('a.id', '=', appId)
    .executeTakeFirst();
  if (!app) return undefined;
  const apis = await db
    .selectFrom('app_api_requests as r')
    .innerJoin('apis', 'apis.code', 'r.api_code')
    .select(['apis.code', 'apis.name', 'r.data_categories', 'r.purposes', 'r.access_level'])
    .where('r.app_id', '=', appId)
    .orderBy('apis.sort_order')
    .execute();
  const client = await db.selectFrom('clients').selectAll().where('app_id', '=', appId).executeTakeFirst();
  const secrets = client ? await clientSecrets(db, [client.id]) : [];
  const history = await db.selectFrom('audit_log').selectAll().where('app_id', '=', appId).orderBy('id', 'desc').limit(200).execute();
  return { app, apis, client, secrets, history };
}

/** Secret metadata (never the hash) of some clients. */
export const clientSecrets = (db: Queryable, clientIds: string[]) =>
  clientIds.length
    ? db
        .selectFrom('client_secrets')
        .select(['client_id', 'hint', 'created_at', 'expires_at', 'last_used_at'])
        .where('client_id', 'in', clientIds)
        .orderBy('created_at', 'desc')
        .execute()
    : Promise.resolve([]);

/** Partners with their apps and the number of members. */
export async function listPartnersForOperator(db: Queryable) {
  const partners = await db
    .selectFrom('partners as p')
    .selectAll('p')
    .select((eb) =>
      eb
        .selectFrom('partner_members as m')
        .select((e) => e.fn.countAll<string>().as('n'))
        .whereRef('m.partner_id', '=', 'p.id')
        .as('members_count'),
    )
    .orderBy('p.name')
    .execute();
  const apps = await db.selectFrom('apps').select(['id', 'name', 'status', 'partner_id']).orderBy('name').execute();
  return partners.map((p) => ({ ...p, apps: apps.filter((a) => a.partner_id === p.id) }));
}

/** Legacy clients (created by the operator or imported), with the app that claimed them, if any. */
export async function listLegacyClients(db: Queryable) {
  const clients = await db
    .selectFrom('clients as c')
    .leftJoin('apps as a', 'a.id', 'c.app_id')
    .leftJoin('partners as p', 'p.id', 'a.partner_id')
    .selectAll('c')
    .select(['a.name as app_name', 'a.status as app_status', 'p.id as partner_id', 'p.name as partner_name'])
    .where('c.origin', '=', 'legacy')
    .orderBy('c.name')
    .orderBy('c.id')
    .execute();
  const ids = clients.map((c) => c.id);
  const grants = ids.length
    ? await db
        .selectFrom('grants')
        .select(['client_id', 'api_code', 'institution_number', 'access_group_id'])
        .where('client_id', 'in', ids)
        .orderBy('api_code')
        .orderBy('institution_number')
        .orderBy('access_group_id')
        .execute()
    : [];
  const secrets = await clientSecrets(db, ids);
  return clients.map((c) => ({
    ...c,
    grants: grants.filter((g) => g.client_id === c.id),
    secrets: secrets.filter((s) => s.client_id === c.id),
  }));
}
