import type { Api } from '../../db/schema.ts';
import { dataCategories, fieldsOfCategory, releasePolicy } from '../ss12000/release.ts';

export const presentApi = (api: Api) => ({
  code: api.code,
  name: api.name,
  grantTarget: api.grant_target,
  requiredRights: api.required_rights,
  dataCategories: api.data_categories,
});

/** A category's fields as the release policy declares them (with the markings that withhold each). */
export const releasedFields = (category: string) =>
  (dataCategories as readonly string[]).includes(category)
    ? fieldsOfCategory(category as (typeof dataCategories)[number]).map(({ entity, field }) => {
        const f = releasePolicy[entity].fields[field]!;
        const under = new Set([...(f.withheldUnder ?? []), ...(f.privateElements?.category === category ? f.privateElements.withheldUnder : [])]);
        return { entity, field, withheldUnder: [...under] };
      })
    : [];

/** Every data category with the fields it releases: derived from the release policy, never written twice. */
export const presentDataCategories = () => dataCategories.map((code) => ({ code, fields: releasedFields(code) }));
