import type { Queryable } from '../../context.ts';

/** The API catalog in display order. */
export const listApis = (db: Queryable) => db.selectFrom('apis').selectAll().orderBy('sort_order').execute();

export const findApi = (db: Queryable, code: string) => db.selectFrom('apis').selectAll().where('code', '=', code).executeTakeFirst();

/** The catalog's data categories in display order. */
export const listDataCategories = (db: Queryable) => db.selectFrom('data_categories').selectAll().orderBy('sort_order').execute();
