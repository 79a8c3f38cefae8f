import type { Queryable } from '../../context.ts';

/** A client's grants with the names a person recognises (API, institution, access group). */
export const listClientGrants = (db: Queryable, clientId: string) =>
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
      'g.access_group_id',
      'ag.name as access_group_name',
      'g.granted_at',
    ])
    .where('g.client_id', '=', clientId)
    .orderBy('a.sort_order')
    .orderBy('g.institution_number')
    .orderBy('ag.name')
    .execute();

export type ClientGrantRow = Awaited<ReturnType<typeof listClientGrants>>[number];
