import { sql, type SqlBool } from 'kysely';
import type { Queryable } from '../../context.ts';

/**
 * What a grant reaches — the one definition (issue 11).
 *
 * A grant names an institution or an access group; it reaches that institution, or every institution
 * that is a member of that access group at the moment of reading. The rule is written once, as the
 * SQL view `grant_reach` (src/db/live/10_grant_reach.sql: one row per grant and institution reached,
 * with the access group it was reached through or NULL). The database functions of the SS 12000
 * authorization (`ss12000_authorize`, `end_user_consent_state`) and the scope-version triggers read
 * that view; TypeScript reads it through the query factories here. Nothing else joins grants to
 * access-group members.
 *
 * Every factory reads live rows: a grant removed, or an institution leaving an access group, is not
 * reached from the next query on.
 */

/** An institution a client reaches under one API. */
export interface ReachedInstitution {
  institutionNumber: string;
  apiCode: string;
}

/** An SS 12000 school unit (organisation of type Skolenhet) a client reaches under one API. */
export interface ReachedUnit extends ReachedInstitution {
  /** The organisation id of the school unit whose organisation code is the institution number. */
  unitId: string;
}

/** The view `grant_reach` as `r`, to filter and select from. */
export function grantReach(db: Queryable) {
  return db.selectFrom('grant_reach as r');
}

/**
 * Query: the distinct (institution number, API code) that `clientId` reaches under any of `apis`
 * (every API when `apis` is omitted), as columns `institution_number` and `api_code`. Usable as a
 * subquery, e.g. the sign-in's school picker.
 */
export function reachedInstitutionsQuery(db: Queryable, clientId: string, apis?: readonly string[]) {
  let q = grantReach(db).select(['r.institution_number', 'r.api_code']).distinct().where('r.client_id', '=', clientId);
  if (apis) q = apis.length ? q.where('r.api_code', 'in', [...apis]) : q.where(sql<SqlBool>`false`);
  return q;
}

/** The institutions `clientId` reaches under any of `apis` (every API when omitted), sorted. */
export async function reachedInstitutions(db: Queryable, clientId: string, apis?: readonly string[]): Promise<ReachedInstitution[]> {
  const rows = await reachedInstitutionsQuery(db, clientId, apis).orderBy('r.institution_number').orderBy('r.api_code').execute();
  return rows.map((r) => ({ institutionNumber: r.institution_number, apiCode: r.api_code }));
}

/**
 * The SS 12000 school units `clientId` reaches, per API: `grant_reach` joined to the school units of
 * the institutions reached. `ss12000_authorize` sends the same rows on the SS 12000 hot path.
 */
export async function reachedUnits(db: Queryable, clientId: string): Promise<ReachedUnit[]> {
  const rows = await grantReach(db)
    .innerJoin('ss12000_organisations as o', (join) =>
      join.onRef('o.organisation_code', '=', 'r.institution_number').on('o.organisation_type', '=', 'Skolenhet'),
    )
    .select(['r.api_code', 'r.institution_number', 'o.id'])
    .distinct()
    .where('r.client_id', '=', clientId)
    .orderBy('r.api_code')
    .orderBy('r.institution_number')
    .orderBy('o.id')
    .execute();
  return rows.map((r) => ({ apiCode: r.api_code, institutionNumber: r.institution_number, unitId: r.id }));
}

/**
 * Query: ids of the grants that reach one of `institutions` directly (the grant names the
 * institution) or that name one of `accessGroups`. This is how the school back-office decides which
 * grants an admin sees: by what the grant names, matched against what the admin's rights name, so an
 * admin of a member school does not see grants of another admin's access group (and a grant of an
 * access group without members, which reaches nothing, still shows to that group's admin).
 */
export function grantIdsNamingQuery(db: Queryable, targets: { institutions: readonly string[]; accessGroups: readonly string[] }) {
  const direct = targets.institutions.length
    ? grantReach(db)
        .select('r.grant_id')
        .where('r.access_group_id', 'is', null)
        .where('r.institution_number', 'in', [...targets.institutions])
    : undefined;
  const grouped = targets.accessGroups.length
    ? db
        .selectFrom('grants as g')
        .select('g.id as grant_id')
        .where('g.access_group_id', 'in', [...targets.accessGroups])
    : undefined;
  if (direct && grouped) return direct.union(grouped);
  return (
    direct ??
    grouped ??
    db
      .selectFrom('grants as g')
      .select('g.id as grant_id')
      .where(sql<SqlBool>`false`)
  );
}

/**
 * The institutions that targets name: the `institutions` themselves and every member of the
 * `accessGroups` (as an access group reaches them for a grant), sorted. For an admin's rights, which
 * name institutions and access groups as grants do.
 */
export async function institutionsOfTargets(db: Queryable, targets: { institutions: Iterable<string>; accessGroups: Iterable<string> }): Promise<string[]> {
  const numbers = new Set(targets.institutions);
  const groupIds = [...targets.accessGroups];
  if (groupIds.length) {
    const rows = await db.selectFrom('access_group_institutions').select('institution_number').where('access_group_id', 'in', groupIds).execute();
    for (const r of rows) numbers.add(r.institution_number);
  }
  return [...numbers].sort();
}
