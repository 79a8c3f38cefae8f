import { z } from 'zod';

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
        purpose: z.string(),
      }),
    ),
    approvedAt: z.date().nullable().describe('The accreditation date'),
  })
  .meta({ id: 'PurposeRegisterEntry' });
