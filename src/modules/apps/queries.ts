import { sql } from 'kysely';
import type { Queryable } from '../../context.ts';
import { reachedInstitutions } from '../access/reach.ts';

/** An app by id, whoever's it is: the caller asks the `AppSubject` rules whether the actor may see it. */
export const findApp = (db: Queryable, appId: string) => db.selectFrom('apps').selectAll().where('id', '=', appId).executeTakeFirst();

/** Same, locking the row for the rest of the transaction (state changes serialize on it). */
export const lockApp = (db: Queryable, appId: string) => db.selectFrom('apps').selectAll().where('id', '=', appId).forUpdate().executeTakeFirst();

/** A partner's apps, newest first. */
export const listPartnerApps = (db: Queryable, partnerId: string) =>
  db.selectFrom('apps').selectAll().where('partner_id', '=', partnerId).orderBy('created_at', 'desc').orderBy('name').execute();

/** What the given apps ask for, per API, in catalog order. */
export const listApiRequests = async (db: Queryable, appIds: string[]) =>
  appIds.length === 0
    ? []
    : db
        .selectFrom('app_api_requests as r')
        .innerJoin('apis as a', 'a.code', 'r.api_code')
        .select(['r.app_id', 'r.api_code', 'r.data_categories', 'r.purposes', 'r.purpose', 'r.access_level', 'a.name as api_name', 'a.sort_order'])
        .where('r.app_id', 'in', appIds)
        .orderBy('a.sort_order')
        .execute();

/** The client of each given app. */
export const listClientsOfApps = async (db: Queryable, appIds: string[]) =>
  appIds.length === 0 ? [] : db.selectFrom('clients').select(['id', 'app_id']).where('app_id', 'in', appIds).execute();

export const findClientOfApp = (db: Queryable, appId: string) => db.selectFrom('clients').selectAll().where('app_id', '=', appId).executeTakeFirst();

/** Secrets that still work at `now`, newest first (owned by the clients' one owner). */
export { listLiveSecrets } from '../access/clients.ts';

/** Institutions and access groups a client currently holds grants for (for audit scoping). */
export async function grantScopeOfClient(db: Queryable, clientId: string): Promise<{ institutionNumbers: string[]; accessGroupIds: string[] }> {
  // What the grants reach (access groups' members included: a school admin of a member institution
  // should see changes that touch the access group too), from the access core's one definition.
  const [reached, groups] = await Promise.all([
    reachedInstitutions(db, clientId),
    db.selectFrom('grants').select('access_group_id').distinct().where('client_id', '=', clientId).where('access_group_id', 'is not', null).execute(),
  ]);
  return {
    institutionNumbers: [...new Set(reached.map((r) => r.institutionNumber))].sort(),
    accessGroupIds: groups.map((g) => g.access_group_id!).sort(),
  };
}

/** The current grants of an app's client, with names, in catalog then institution order. */
export const listGrantsOfClient = (db: Queryable, clientId: string) =>
  db
    .selectFrom('grants as g')
    .innerJoin('apis as a', 'a.code', 'g.api_code')
    .leftJoin('institutions as i', 'i.number', 'g.institution_number')
    .leftJoin('access_groups as ag', 'ag.id', 'g.access_group_id')
    .select([
      'g.id',
      'g.api_code',
      'a.name as api_name',
      'g.institution_number',
      'i.name as institution_name',
      'i.sandbox as institution_sandbox',
      'g.access_group_id',
      'ag.name as access_group_name',
      'g.granted_at',
      'g.reason',
    ])
    .where('g.client_id', '=', clientId)
    .orderBy('a.sort_order')
    .orderBy('g.institution_number')
    .orderBy('ag.name')
    .execute();

export const listInvitations = (db: Queryable, appId: string) =>
  db.selectFrom('invitations').selectAll().where('app_id', '=', appId).orderBy('created_at', 'desc').orderBy('email').execute();

/** One page of an app's audit entries, newest first; `before` is an exclusive id bound. */
export const listAppLog = (db: Queryable, appId: string, before: string | undefined, limit: number) => {
  let q = db.selectFrom('audit_log').selectAll().where('app_id', '=', appId);
  if (before !== undefined) q = q.where('id', '<', sql<string>`${before}::bigint`);
  return q.orderBy('id', 'desc').limit(limit).execute();
};

/** Languages of known users by e-mail, so mail goes out in the recipient's language. */
export const languagesByEmail = async (db: Queryable, emails: string[]) =>
  new Map(
    emails.length === 0
      ? []
      : (await db.selectFrom('users').select(['email', 'language']).where('email', 'in', emails).execute()).map((u) => [u.email, u.language]),
  );

/** How many apps are in each status (statuses without apps are absent). */
export const countAppsByStatus = async (db: Queryable): Promise<{ status: string; count: number }[]> =>
  (
    await db
      .selectFrom('apps')
      .select(['status', (eb) => eb.fn.countAll<string>().as('count')])
      .groupBy('status')
      .execute()
  ).map((r) => ({ status: r.status, count: Number(r.count) }));
