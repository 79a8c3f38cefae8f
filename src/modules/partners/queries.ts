import type { Queryable } from '../../context.ts';

/** One partner by id. */
export const findPartner = (db: Queryable, partnerId: string) => db.selectFrom('partners').selectAll().where('id', '=', partnerId).executeTakeFirst();

/** The members of a partner, oldest first. */
export const listPartnerMembers = (db: Queryable, partnerId: string) =>
  db
    .selectFrom('partner_members as pm')
    .innerJoin('users as u', 'u.id', 'pm.user_id')
    .select(['u.id', 'u.display_name', 'u.email'])
    .where('pm.partner_id', '=', partnerId)
    .orderBy('pm.created_at')
    .orderBy('u.email')
    .execute();

/** The partner a user belongs to, if any. */
export const partnerIdOfUser = async (db: Queryable, userId: string): Promise<string | null> =>
  (await db.selectFrom('partner_members').select('partner_id').where('user_id', '=', userId).executeTakeFirst())?.partner_id ?? null;
