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
