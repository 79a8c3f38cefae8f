import { z } from 'zod';
import { emailSchema, languageSchema } from '../../http/common-schemas.ts';

export const signupBody = z.object({
  email: emailSchema,
  password: z.string().min(1).max(256),
  displayName: z.string().trim().min(1).max(200),
  language: languageSchema.default('en'),
});

export const loginBody = z.object({
  email: emailSchema,
  password: z.string().min(1).max(256),
});

export const confirmBody = z.object({ token: z.string().min(10).max(200) });

export const sessionUserSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    displayName: z.string(),
    kind: z.enum(['operator', 'partner', 'school']),
    language: languageSchema,
    emailConfirmed: z.boolean(),
    partnerId: z.uuid().nullable().describe('Partner members: their partner, once the profile exists'),
    userManagementAccess: z.boolean().describe('SIS users: access to the API portal (school back-office)'),
  })
  .meta({ id: 'SessionUser' });

export const sessionSchema = z
  .object({
    user: sessionUserSchema,
    csrfToken: z.string().describe('Send in the x-csrf-token header on every state-changing request'),
    expiresAt: z.date(),
  })
  .meta({ id: 'Session' });
