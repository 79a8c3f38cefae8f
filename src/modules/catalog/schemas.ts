import { z } from 'zod';
import { DATA_APIS, type DataApi } from './file.ts';

/** A text in each language of the web app. */
export const localizedTextsSchema = z
  .object({ en: z.string(), nl: z.string(), fr: z.string(), sv: z.string() })
  .meta({ id: 'LocalizedTexts', description: 'One text per language of the web app (en, nl, fr, sv)' });

export const apiSchema = z
  .object({
    code: z.string().describe('Stable API code, e.g. students'),
    name: z.string().describe('The English name (names has every language)'),
    names: localizedTextsSchema,
    descriptions: localizedTextsSchema.describe('What the API holds, per language'),
    grantTarget: z.enum(['institution', 'access_group']),
    requiredRights: z.array(z.string()).describe('Any one of these admin rights lets a school admin grant the API'),
    dataCategories: z.array(z.string()).describe('Codes of the data categories an app may ask for under this API (GET /api/v1/catalog/data-categories)'),
    servedBy: z
      .enum(Object.keys(DATA_APIS) as [DataApi, ...DataApi[]])
      .nullable()
      .describe('The data API of this server that serves its records, or null when no data is served yet'),
    baseUrl: z.url().nullable().describe('Absolute base URL of the data API serving this API’s records; null when no data is served yet'),
    openapiUrl: z.url().nullable().describe('Absolute URL of that data API’s own OpenAPI document; null when no data is served yet'),
  })
  .meta({ id: 'Api' });

export const releasedFieldSchema = z
  .object({
    entity: z.string().describe('SS 12000 entity collection, e.g. persons'),
    field: z.string().describe('Member of the entity, e.g. civicNo'),
    withheldUnder: z.array(z.string()).describe('Security markings under which the field is never released'),
  })
  .meta({ id: 'ReleasedField' });

export const dataCategorySchema = z
  .object({
    code: z.string().describe('Data category code, e.g. civic_number; identity is what every reader gets'),
    names: localizedTextsSchema,
    descriptions: localizedTextsSchema.describe('What the category holds, per language'),
    fields: z.array(releasedFieldSchema).describe('The fields of the SS 12000 data API this category releases (empty when it releases none there)'),
  })
  .meta({ id: 'DataCategory' });
