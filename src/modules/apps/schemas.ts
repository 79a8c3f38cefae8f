import { z } from 'zod';
import { emailSchema, languageSchema, uuidParam } from '../../http/common-schemas.ts';

export const appIdParams = z.object({ appId: uuidParam });

export const apiRequestInput = z.object({
  apiCode: z.string().trim().min(1).max(64).describe('An API code from GET /api/v1/catalog/apis'),
  dataCategories: z.array(z.string().trim().min(1).max(64)).max(32).describe("Categories of that API's catalog entry; 'identity' is always included"),
  purposes: z
    .partialRecord(languageSchema, z.string().trim().max(4000))
    .optional()
    .describe(
      'Why the app needs this data, per language (en, nl, fr, sv): at least one. Shown to school admins, in mails and in the public purpose register ' +
        "in the reader's language where given, else in another given language",
    ),
  purpose: z
    .string()
    .trim()
    .min(1)
    .max(4000)
    .optional()
    .describe('One purpose in the language of your account (kept for older clients; purposes wins for that language)'),
  accessLevel: z
    .enum(['read', 'read_write'])
    .default('read')
    .describe(
      'read (the default), or read_write: the app also writes through this API (SS 12000 attendances, attendance events and schedules, absences). ' +
        'The operator approves the level with the app; each school then decides whether to grant read-write.',
    ),
});

const redirectUris = z
  .array(z.string().min(1).max(2000))
  .max(20)
  .describe('Exact-match redirect URIs for end-user sign-in: https (http only for localhost), no fragment');

const clientType = z
  .enum(['confidential', 'public'])
  .describe(
    'confidential: a server-side app with a client secret (client credentials and sign-in); public: a single-page or mobile app ' +
      'without a secret, sign-in with PKCE only, no client credentials. Changes only while the app is a draft.',
  );

export const appCreateBody = z.object({
  name: z.string().trim().min(1).max(200),
  description: z.string().trim().max(4000).default(''),
  contactEmail: emailSchema,
  redirectUris: redirectUris.default([]),
  clientType: clientType.default('confidential'),
  apis: z.array(apiRequestInput).max(20).default([]),
});

export const appPatchBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    description: z.string().trim().max(4000),
    contactEmail: emailSchema,
    redirectUris,
    clientType,
    apis: z.array(apiRequestInput).max(20).describe('Replaces the whole list'),
  })
  .partial();

export const archiveBody = z.object({ reason: z.string().trim().max(2000).optional() }).optional();

export const appApiSchema = z.object({
  apiCode: z.string(),
  apiName: z.string(),
  dataCategories: z.array(z.string()),
  purposes: z.partialRecord(languageSchema, z.string()).describe('The purpose per language'),
  purpose: z.string().describe('The purpose in English, else in another given language'),
  accessLevel: z.enum(['read', 'read_write']).describe('What the app asks for: read, or read_write'),
});

export const appSchema = z
  .object({
    id: z.uuid(),
    partnerId: z.uuid(),
    name: z.string(),
    description: z.string(),
    contactEmail: z.string(),
    status: z.enum(['draft', 'submitted', 'approved', 'rejected', 'suspended', 'archived']),
    editable: z
      .enum(['all', 'description_and_contact', 'none'])
      .describe('What PATCH may change now: everything (draft, rejected), only description and contact e-mail, or nothing (archived)'),
    redirectUris: z.array(z.string()),
    clientType: z.enum(['confidential', 'public']).describe('public: no client secret, sign-in with PKCE only'),
    apis: z.array(appApiSchema),
    clientId: z.uuid().nullable(),
    submittedAt: z.date().nullable(),
    approvedAt: z.date().nullable(),
    accreditationNotes: z.string().nullable(),
    rejectionReason: z.string().nullable(),
    statusReason: z.string().nullable(),
    createdAt: z.date(),
    updatedAt: z.date(),
  })
  .meta({ id: 'PartnerApp' });

export const secretInfoSchema = z
  .object({
    id: z.uuid(),
    hint: z.string().describe('Last 4 characters of the secret'),
    createdAt: z.date(),
    lastUsedAt: z.date().nullable(),
    expiresAt: z.date().nullable().describe('Set while a newer secret replaces this one (the rotation overlap)'),
  })
  .meta({ id: 'ClientSecretInfo' });

export const clientSchema = z
  .object({
    clientId: z.uuid(),
    name: z.string(),
    origin: z.enum(['app', 'legacy']),
    linkedAt: z.date().nullable(),
    createdAt: z.date(),
    secrets: z.array(secretInfoSchema).describe('Live secrets only, newest first; never the secret itself'),
  })
  .meta({ id: 'PartnerAppClient' });

export const secretCreatedSchema = z
  .object({
    clientId: z.uuid(),
    secretId: z.uuid(),
    clientSecret: z.string().describe('Shown only in this response'),
    hint: z.string(),
    createdAt: z.date(),
    previousSecret: z
      .object({ id: z.uuid(), hint: z.string(), expiresAt: z.date() })
      .nullable()
      .describe('The secret this one replaces; it keeps working until expiresAt'),
    note: z.string(),
  })
  .meta({ id: 'ClientSecretCreated' });

export const linkBody = z.object({
  // Not z.uuid(): an unknown id of any shape must get the same answer as a wrong secret.
  clientId: z.string().trim().min(1).max(200),
  clientSecret: z.string().min(1).max(500),
});

export const invitationsBody = z.object({
  emails: z.array(emailSchema).min(1).max(50),
});

export const invitationSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    link: z.string().describe('Link to the app page in the school back-office; copy it again at will'),
    createdAt: z.date(),
    expiresAt: z.date(),
    expired: z.boolean(),
    mailId: z.uuid().nullable(),
  })
  .meta({ id: 'Invitation' });

export const logQuery = z.object({
  before: z
    .string()
    .regex(/^[1-9]\d{0,17}$/, 'must be an entry id')
    .optional()
    .describe('Keyset paging: return entries older than this id (nextBefore of the previous page)'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const logEntrySchema = z
  .object({
    id: z.string(),
    at: z.date(),
    actor: z.object({ label: z.string(), kind: z.string() }),
    action: z.string(),
    subjectType: z.string(),
    subjectId: z.string(),
    clientId: z.string().nullable(),
    institutionNumbers: z.array(z.string()),
    reason: z.string().nullable(),
    before: z.unknown(),
    after: z.unknown(),
  })
  .meta({ id: 'AppLogEntry' });

export const appGrantSchema = z
  .object({
    id: z.uuid(),
    apiCode: z.string(),
    apiName: z.string(),
    institutionNumber: z.string().nullable(),
    institutionName: z.string().nullable(),
    sandbox: z.boolean().describe('A grant at the developer sandbox (generated data, granted automatically), not at a school'),
    accessGroupId: z.string().nullable(),
    accessGroupName: z.string().nullable(),
    grantedAt: z.date(),
    reason: z.string().nullable(),
  })
  .meta({ id: 'PartnerAppGrant' });

export type AppCreateInput = z.infer<typeof appCreateBody>;
export type AppPatchInput = z.infer<typeof appPatchBody>;
export type ApiRequestInput = z.infer<typeof apiRequestInput>;
