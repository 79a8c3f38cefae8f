import { z } from 'zod';
import { languageSchema } from '../../http/common-schemas.ts';

export const registerQuery = z.object({
  language: languageSchema.default('en').describe("The reader's language: each purpose in it where the partner gave it, else in another given language"),
});

export const directoryPartner = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string(),
    website: z.string().nullable(),
    apps: z.array(z.object({ id: z.uuid(), name: z.string(), description: z.string(), apis: z.array(z.object({ code: z.string(), name: z.string() })) })),
  })
  .meta({ id: 'DirectoryPartner' });

export const registerEntry = z
  .object({
    partner: z.object({ id: z.uuid(), name: z.string() }),
    app: z.object({ id: z.uuid(), name: z.string() }),
    apis: z.array(
      z.object({
        code: z.string(),
        name: z.string(),
        dataCategories: z.array(z.string()),
        releases: z
          .record(z.string(), z.array(z.string()))
          .describe('Per data category, the data API fields it releases (entity.field), from the release policy'),
        purposes: z.partialRecord(languageSchema, z.string()).describe('The purpose per language the partner wrote it in'),
        purpose: z.string().describe('The purpose in the requested language where given, else in another given language'),
      }),
    ),
    approvedAt: z.date().nullable().describe('The accreditation date'),
  })
  .meta({ id: 'PurposeRegisterEntry' });
