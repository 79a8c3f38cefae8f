import type { Queryable } from '../../context.ts';

/** Approved apps with their partner and, per API, the data categories and purpose. */
export async function approvedAppsWithApis(db: Queryable, onlyPublicPartners: boolean) {
  let q = db
    .selectFrom('apps as a')
    .innerJoin('partners as p', 'p.id', 'a.partner_id')
    .select([
      'a.id',
      'a.name',
      'a.description',
      'a.approved_at',
      'p.id as partner_id',
      'p.name as partner_name',
      'p.description as partner_description',
      'p.website as partner_website',
    ])
    .where('a.status', '=', 'approved');
  if (onlyPublicPartners) q = q.where('p.public', '=', true);
  const apps = await q.orderBy('p.name').orderBy('a.name').orderBy('a.id').execute();
  const requests = apps.length
    ? await db
        .selectFrom('app_api_requests as r')
        .innerJoin('apis', 'apis.code', 'r.api_code')
        .select(['r.app_id', 'apis.code', 'apis.name', 'apis.served_by', 'r.data_categories', 'r.purposes'])
        .where(
          'r.app_id',
          'in',
          apps.map((a) => a.id),
        )
        .orderBy('apis.sort_order')
        .execute()
    : [];
  return apps.map((a) => ({ ...a, apis: requests.filter((r) => r.app_id === a.id) }));
}
