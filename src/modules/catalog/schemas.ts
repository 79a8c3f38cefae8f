import { z } from 'zod';

export const apiSchema = z
  .object({
    code: z.string().describe('Stable API code, e.g. students'),
    name: z.string(),
    grantTarget: z.enum(['institution', 'access_group']),
    requiredRights: z.array(z.string()).describe('Any one of these admin rights lets a school admin grant the API'),
    dataCategories: z.array(z.string()),
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
    fields: z.array(releasedFieldSchema).describe('The fields of the data API this category releases'),
  })
  .meta({ id: 'DataCategory' });
