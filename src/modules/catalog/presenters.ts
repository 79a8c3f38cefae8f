import type { Api, DataCategoriesTable } from '../../db/schema.ts';
import type { Selectable } from 'kysely';
import { dataCategories, fieldsOfCategory, releasePolicy } from '../ss12000/release.ts';
import { SS12000_PREFIX } from '../ss12000/routes.ts';
import type { DataApi } from './file.ts';

/** Where each data API of this server is served, below the public URL. */
const DATA_API_PATHS: Record<DataApi, { base: string; openapi: string }> = {
  ss12000: { base: SS12000_PREFIX, openapi: `${SS12000_PREFIX}/openapi.json` },
};

/** An API of the catalog, with the absolute URLs of the data API serving it (from the public URL). */
export const presentApi = (api: Api, publicUrl: string) => {
  const served = api.served_by ? DATA_API_PATHS[api.served_by as DataApi] : undefined;
  return {
    code: api.code,
    name: api.name,
    names: api.names,
    descriptions: api.descriptions,
    grantTarget: api.grant_target,
    requiredRights: api.required_rights,
    dataCategories: api.data_categories,
    servedBy: served ? (api.served_by as DataApi) : null,
    baseUrl: served ? `${publicUrl}${served.base}` : null,
    openapiUrl: served ? `${publicUrl}${served.openapi}` : null,
  };
};

/** A category's fields as the release policy declares them (with the markings that withhold each). */
export const releasedFields = (category: string) =>
  (dataCategories as readonly string[]).includes(category)
    ? fieldsOfCategory(category as (typeof dataCategories)[number]).map(({ entity, field }) => {
        const f = releasePolicy[entity].fields[field]!;
        const under = new Set([...(f.withheldUnder ?? []), ...(f.privateElements?.category === category ? f.privateElements.withheldUnder : [])]);
        return { entity, field, withheldUnder: [...under] };
      })
    : [];

/** A data category of the catalog with the fields it releases: derived from the release policy, never written twice. */
export const presentDataCategory = (c: Selectable<DataCategoriesTable>) => ({
  code: c.code,
  names: c.names,
  descriptions: c.descriptions,
  fields: releasedFields(c.code),
});
