import { z } from 'zod';
import { timestamp } from '../../http/common-schemas.ts';

export const clientGrantSchema = z
  .object({
    id: z.uuid(),
    api: z.object({ code: z.string(), name: z.string() }),
    institution: z
      .object({ number: z.string(), name: z.string(), sandbox: z.boolean().describe('The developer sandbox (generated data), not a school') })
      .nullable()
      .describe('Set for APIs granted per institution'),
    accessGroup: z.object({ id: z.uuid(), name: z.string() }).nullable().describe('Set for APIs granted per access group (invoices)'),
    dataCategories: z.array(z.string()).describe('Data categories the client may receive from this API'),
    grantedAt: timestamp,
  })
  .meta({ id: 'ClientGrant' });

export const myGrantsSchema = z
  .object({
    clientId: z.uuid(),
    appId: z.uuid().nullable().describe('NULL for a legacy client not linked to an app'),
    data: z.array(clientGrantSchema),
  })
  .meta({ id: 'ClientGrants' });
