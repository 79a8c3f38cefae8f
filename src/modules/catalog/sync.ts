import { sql, type Kysely } from 'kysely';
import type { DB, LocalizedTexts } from '../../db/schema.ts';
import type { Queryable } from '../../context.ts';
import { recordAudit, systemActor } from '../audit/record.ts';
import { CATALOG_LANGUAGES, CatalogError, type CatalogApi, type CatalogCategory, type CatalogFile } from './file.ts';

/**
 * Synchronises the catalog file into the tables that hold the catalog (`apis`, `data_categories`) at
 * start: one transaction, one audit row per API or category added, changed or removed. A change that
 * would orphan what live rows use is refused, all such problems at once, each with what to do:
 *  - an API removed while grants, app requests or end-user consents name it;
 *  - an API's grant target changed while it has grants (each grant points at the old kind of target);
 *  - a data category no longer offered under an API while an app's request or a live end-user consent
 *    for that API includes it.
 */

/** One change the synchronisation made, as its audit row records it. */
export interface CatalogChange {
  action:
    'catalog.api_added' | 'catalog.api_changed' | 'catalog.api_removed' | 'catalog.category_added' | 'catalog.category_changed' | 'catalog.category_removed';
  code: string;
}

/** Session-independent lock: two processes starting on one database synchronise one after the other. */
const CATALOG_LOCK = 727362;

const texts = (t: LocalizedTexts | Record<string, unknown>) => Object.fromEntries(CATALOG_LANGUAGES.map((l) => [l, t[l] ?? null]));

/** What the audit row says of an API (and what is compared), in a fixed key order. */
const apiState = (a: {
  names: LocalizedTexts;
  descriptions: LocalizedTexts;
  grantTarget: string;
  requiredRights: readonly string[];
  dataCategories: readonly string[];
  servedBy: string | null;
  sortOrder: number;
}) => ({
  names: texts(a.names),
  descriptions: texts(a.descriptions),
  grantTarget: a.grantTarget,
  requiredRights: [...a.requiredRights],
  dataCategories: [...a.dataCategories],
  servedBy: a.servedBy,
  sortOrder: a.sortOrder,
});
const categoryState = (c: { names: LocalizedTexts; descriptions: LocalizedTexts; sortOrder: number }) => ({
  names: texts(c.names),
  descriptions: texts(c.descriptions),
  sortOrder: c.sortOrder,
});
const fileApiState = (a: CatalogApi, i: number) => apiState({ ...a, sortOrder: i + 1 });
const fileCategoryState = (c: CatalogCategory, i: number) => categoryState({ ...c, sortOrder: i + 1 });
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const quoted = (xs: readonly string[]) => xs.map((x) => `"${x}"`).join(', ');
/** "a", "a and b", "a, b and c". */
const and = (xs: readonly string[]) => (xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs.at(-1)}`);

/** What live rows would be orphaned by the file; each problem names the entry and what to do. */
async function orphans(trx: Queryable, catalog: CatalogFile, current: Map<string, { grant_target: string; data_categories: string[] }>): Promise<string[]> {
  const problems: string[] = [];
  const inFile = new Map(catalog.apis.map((a, i) => [a.code, { api: a, i }]));
  const count = async (table: 'grants' | 'app_api_requests' | 'end_user_consents', code: string) =>
    Number(
      (
        await trx
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('api_code', '=', code)
          .executeTakeFirstOrThrow()
      ).n,
    );

  for (const [code, old] of current) {
    const entry = inFile.get(code);
    if (!entry) {
      const [grants, requests, consents] = [await count('grants', code), await count('app_api_requests', code), await count('end_user_consents', code)];
      if (grants + requests + consents === 0) continue;
      const uses = [grants && plural(grants, 'grant'), requests && plural(requests, 'app request'), consents && plural(consents, 'end-user consent')].filter(
        (x): x is string => Boolean(x),
      );
      problems.push(
        `apis: "${code}" is no longer in the file, but ${and(uses)} ${grants + requests + consents === 1 ? 'uses' : 'use'} it. Put it back in the file` +
          (consents > 0
            ? ' (end-user consents, withdrawn ones too, are kept as history and keep the API in the catalog)'
            : ', or first revoke those grants and remove the API from those apps’ requests, then start again'),
      );
      continue;
    }
    const { api, i } = entry;
    if (api.grantTarget !== old.grant_target) {
      const grants = await count('grants', code);
      if (grants > 0) {
        problems.push(
          `apis[${i}].grantTarget: "${code}" would change from ${old.grant_target} to ${api.grantTarget}, but ${plural(grants, 'grant')} ${grants === 1 ? 'points' : 'point'} at an ${old.grant_target.replace('_', ' ')}. ` +
            `Keep ${old.grant_target}, or first revoke those grants, then start again`,
        );
      }
    }
    const dropped = old.data_categories.filter((c) => !api.dataCategories.includes(c));
    if (dropped.length === 0) continue;
    const requests = await trx
      .selectFrom('app_api_requests as r')
      .innerJoin('apps as a', 'a.id', 'r.app_id')
      .select(['a.name', 'r.data_categories'])
      .where('r.api_code', '=', code)
      .where(sql<boolean>`r.data_categories && ${sql.val(dropped)}::text[]`)
      .orderBy('a.name')
      .execute();
    const consents = await trx
      .selectFrom('end_user_consents')
      .select(['data_categories'])
      .where('api_code', '=', code)
      .where('withdrawn_at', 'is', null)
      .where(sql<boolean>`data_categories && ${sql.val(dropped)}::text[]`)
      .execute();
    if (requests.length + consents.length === 0) continue;
    const used = dropped.filter((c) => [...requests, ...consents].some((r) => r.data_categories.includes(c)));
    const names = requests.slice(0, 5).map((r) => r.name);
    const uses = [
      requests.length && `${plural(requests.length, 'app request')} (${quoted(names)}${requests.length > names.length ? ', …' : ''})`,
      consents.length && plural(consents.length, 'live end-user consent'),
    ].filter((x): x is string => Boolean(x));
    problems.push(
      `apis[${i}].dataCategories: ${quoted(used)} would no longer be offered under "${code}", but ${and(uses)} ${requests.length + consents.length === 1 ? 'includes' : 'include'} ${used.length === 1 ? 'it' : 'them'}. ` +
        `Keep ${used.length === 1 ? 'it' : 'them'} in the list, or first have those apps drop ${used.length === 1 ? 'it' : 'them'} from their request (and the consents be withdrawn), then start again`,
    );
  }
  return problems;
}

/**
 * Makes the catalog tables say what `catalog` says, in one transaction with an audit row per change;
 * refuses (a `CatalogError`, nothing changed) a change that would orphan grants, requests or consents.
 */
export async function syncCatalog(db: Kysely<DB>, catalog: CatalogFile, options: { source: string; at: Date }): Promise<CatalogChange[]> {
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${CATALOG_LOCK})`.execute(trx);
    // In display order, so that problems and audit rows come in the order an operator reads the catalog.
    const apis = new Map((await trx.selectFrom('apis').selectAll().orderBy('sort_order').orderBy('code').execute()).map((a) => [a.code, a]));
    const categories = new Map((await trx.selectFrom('data_categories').selectAll().orderBy('sort_order').orderBy('code').execute()).map((c) => [c.code, c]));

    const problems = await orphans(trx, catalog, apis);
    if (problems.length > 0) throw new CatalogError(options.source, problems, 'The API catalog file would orphan what is in use; nothing was changed');

    const changes: CatalogChange[] = [];
    const audit = async (change: CatalogChange, before: unknown, after: unknown) => {
      changes.push(change);
      await recordAudit(trx, options.at, systemActor, {
        action: change.action,
        subjectType: change.action.startsWith('catalog.api') ? 'api' : 'data_category',
        subjectId: change.code,
        reason: `API catalog file ${options.source}`,
        before,
        after,
      });
    };

    for (const [i, c] of catalog.categories.entries()) {
      const after = fileCategoryState(c, i);
      const row = { names: JSON.stringify(c.names), descriptions: JSON.stringify(c.descriptions), sort_order: i + 1 };
      const old = categories.get(c.code);
      if (!old) {
        await trx
          .insertInto('data_categories')
          .values({ code: c.code, ...row })
          .execute();
        await audit({ action: 'catalog.category_added', code: c.code }, null, after);
        continue;
      }
      const before = categoryState({ names: old.names, descriptions: old.descriptions, sortOrder: old.sort_order });
      if (same(before, after)) continue;
      await trx.updateTable('data_categories').set(row).where('code', '=', c.code).execute();
      await audit({ action: 'catalog.category_changed', code: c.code }, before, after);
    }

    for (const [i, a] of catalog.apis.entries()) {
      const after = fileApiState(a, i);
      const row = {
        name: a.names.en,
        names: JSON.stringify(a.names),
        descriptions: JSON.stringify(a.descriptions),
        grant_target: a.grantTarget,
        // The file names the rights of its vendor; the SIS rights import accepts exactly these.
        required_rights: a.requiredRights,
        data_categories: a.dataCategories,
        served_by: a.servedBy,
        sort_order: i + 1,
      };
      const old = apis.get(a.code);
      if (!old) {
        await trx
          .insertInto('apis')
          .values({ code: a.code, ...row })
          .execute();
        await audit({ action: 'catalog.api_added', code: a.code }, null, after);
        continue;
      }
      const before = apiState({
        names: old.names,
        descriptions: old.descriptions,
        grantTarget: old.grant_target,
        requiredRights: old.required_rights,
        dataCategories: old.data_categories,
        servedBy: old.served_by,
        sortOrder: old.sort_order,
      });
      if (same(before, after) && old.name === a.names.en) continue;
      await trx.updateTable('apis').set(row).where('code', '=', a.code).execute();
      await audit({ action: 'catalog.api_changed', code: a.code }, before, after);
    }

    const keptApis = new Set(catalog.apis.map((a) => a.code));
    for (const [code, old] of apis) {
      if (keptApis.has(code)) continue;
      await trx.deleteFrom('apis').where('code', '=', code).execute();
      await audit(
        { action: 'catalog.api_removed', code },
        apiState({
          names: old.names,
          descriptions: old.descriptions,
          grantTarget: old.grant_target,
          requiredRights: old.required_rights,
          dataCategories: old.data_categories,
          servedBy: old.served_by,
          sortOrder: old.sort_order,
        }),
        null,
      );
    }
    const keptCategories = new Set(catalog.categories.map((c) => c.code));
    for (const [code, old] of categories) {
      if (keptCategories.has(code)) continue;
      await trx.deleteFrom('data_categories').where('code', '=', code).execute();
      await audit(
        { action: 'catalog.category_removed', code },
        categoryState({ names: old.names, descriptions: old.descriptions, sortOrder: old.sort_order }),
        null,
      );
    }
    return changes;
  });
}
