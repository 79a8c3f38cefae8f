import { z } from 'zod';
import { emailSchema } from '../../http/common-schemas.ts';

/** A web address the public directory can link to: http(s) only, no javascript: or data: URLs. */
export const websiteSchema = z.url({ protocol: /^https?$/, message: 'must be an http:// or https:// address' }).max(2000);

export const profileBody = z.object({
  name: z.string().trim().min(1).max(200),
  description: z.string().trim().max(4000).default(''),
  website: websiteSchema.nullable().default(null),
  contactEmail: emailSchema,
  public: z.boolean().default(true).describe('Listed in the public partner directory once it has an approved app'),
});

export const profileSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string(),
    website: z.string().nullable(),
    contactEmail: z.string(),
    public: z.boolean(),
    members: z.array(z.object({ userId: z.uuid(), displayName: z.string(), email: z.string() })),
    createdAt: z.date(),
    updatedAt: z.date(),
  })
  .meta({ id: 'PartnerProfile' });

export type ProfileInput = z.infer<typeof profileBody>;
