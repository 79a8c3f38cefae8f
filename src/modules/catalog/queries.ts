import type { Queryable } from '../../context.ts';
import { textIn } from '../../lib/purposes.ts';

/** The API catalog in display order. */
export const listApis = (db: Queryable) => db.selectFrom('apis').selectAll().orderBy('sort_order').execute();

export const findApi = (db: Queryable, code: string) => db.selectFrom('apis').selectAll().where('code', '=', code).executeTakeFirst();

/** The catalog's data categories in display order. */
export const listDataCategories = (db: Queryable) => db.selectFrom('data_categories').selectAll().orderBy('sort_order').execute();

/** A data category's name and description in one reader's language. */
export interface CategoryText {
  name: string;
  description: string;
}

/**
 * The catalog's name and description of each of `codes` in the reader's language (the one fallback
 * rule, src/lib/purposes.ts). A code the catalog does not declare gets itself as its name.
 */
export async function categoryTexts(db: Queryable, codes: readonly string[], reader: string): Promise<Map<string, CategoryText>> {
  const unique = [...new Set(codes)];
  const rows = unique.length ? await db.selectFrom('data_categories').select(['code', 'names', 'descriptions']).where('code', 'in', unique).execute() : [];
  const byCode = new Map(rows.map((r) => [r.code, { name: textIn(r.names, reader).text || r.code, description: textIn(r.descriptions, reader).text }]));
  return new Map(unique.map((c) => [c, byCode.get(c) ?? { name: c, description: '' }]));
}
