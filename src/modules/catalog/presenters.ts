import type { Api, DataCategoriesTable } from '../../db/schema.ts';
import type { Selectable } from 'kysely';
import { dataCategories, fieldsOfCategory, releasePolicy } from '../ss12000/release.ts';
import { SS12000_PREFIX } from '../ss12000/routes.ts';
import type { DataApi } from './file.ts';
import { PRE_ENROLMENTS_DATA_API, PRE_ENROLMENTS_OPENAPI, PRE_ENROLMENTS_PREFIX, preEnrolmentFieldsOf } from '../pre-enrolments/release.ts';
import { BOARDERS_DATA_API, BOARDERS_OPENAPI, BOARDERS_PREFIX, boarderFieldsOf } from '../boarders/release.ts';
import { INVOICES_DATA_API, INVOICES_OPENAPI, INVOICES_PREFIX, invoiceFieldsOf } from '../invoices/release.ts';

/** Where each data API of this server is served, below the public URL. */
const DATA_API_PATHS: Record<DataApi, { base: string; openapi: string }> = {
  ss12000: { base: SS12000_PREFIX, openapi: `${SS12000_PREFIX}/openapi.json` },
  pre_enrolments: { base: PRE_ENROLMENTS_PREFIX, openapi: PRE_ENROLMENTS_OPENAPI },
  boarders: { base: BOARDERS_PREFIX, openapi: BOARDERS_OPENAPI },
  invoices: { base: INVOICES_PREFIX, openapi: INVOICES_OPENAPI },
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
        // A pupil's attendance record is withheld whole under the pupil's marking (release policy, `pupilRecord`).
        const under = new Set([
          ...(f.withheldUnder ?? []),
          ...(f.privateElements?.category === category ? f.privateElements.withheldUnder : []),
          ...(releasePolicy[entity].pupilRecord?.withheldUnder ?? []),
        ]);
        return { entity, field, withheldUnder: [...under] };
      })
    : [];

/**
 * The fields a category releases under an API served by `servedBy` (the catalog's value): the SS 12000
 * release policy's, the pre-enrolments, boarders or invoices declaration's, or none for an API no data API serves yet.
 */
export const servedFields = (servedBy: string | null, category: string): { entity: string; field: string; withheldUnder: string[] }[] =>
  servedBy === 'ss12000'
    ? releasedFields(category)
    : servedBy === PRE_ENROLMENTS_DATA_API
      ? preEnrolmentFieldsOf(category)
      : servedBy === BOARDERS_DATA_API
        ? boarderFieldsOf(category)
        : servedBy === INVOICES_DATA_API
          ? invoiceFieldsOf(category)
          : [];

/** A data category of the catalog with the fields it releases: derived from the release policy, never written twice. */
export const presentDataCategory = (c: Selectable<DataCategoriesTable>) => ({
  code: c.code,
  names: c.names,
  descriptions: c.descriptions,
  fields: releasedFields(c.code),
});
