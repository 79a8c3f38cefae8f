import { z } from 'zod';
import { institutionNumber, languageSchema } from '../../http/common-schemas.ts';
import { auditEntrySchema } from '../audit/schemas.ts';

export const appStatusSchema = z.enum(['draft', 'submitted', 'approved', 'rejected', 'suspended', 'archived']);

export const operatorAppsQuery = z.object({
  status: appStatusSchema.optional(),
  partnerId: z.uuid().optional(),
});

export const operatorAppRow = z
  .object({
    id: z.uuid(),
    name: z.string(),
    status: appStatusSchema,
    partner: z.object({ id: z.uuid(), name: z.string() }),
    apis: z.array(z.string()).describe('Codes of the requested APIs'),
    submittedAt: z.date().nullable(),
    approvedAt: z.date().nullable(),
    createdAt: z.date(),
    updatedAt: z.date(),
  })
  .meta({ id: 'OperatorAppRow' });

const secretInfo = z.object({
  hint: z.string().describe('Last characters of the secret'),
  createdAt: z.date(),
  expiresAt: z.date().nullable(),
  lastUsedAt: z.date().nullable(),
});

export const operatorAppDetail = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string(),
    contactEmail: z.string(),
    status: appStatusSchema,
    statusReason: z.string().nullable(),
    rejectionReason: z.string().nullable(),
    redirectUris: z.array(z.string()),
    partner: z.object({ id: z.uuid(), name: z.string(), contactEmail: z.string(), website: z.string().nullable() }),
    apis: z.array(
      z.object({
        code: z.string(),
        name: z.string(),
        dataCategories: z.array(z.string()),
        categories: z
          .array(z.object({ code: z.string(), name: z.string(), description: z.string() }))
          .describe("The data categories with the catalog's name and description in the reader's language"),
        purpose: z.string().describe("The purpose in the reader's language where the partner gave it, else in another given language"),
        purposeLanguage: languageSchema.describe('The language `purpose` is written in'),
        purposes: z.partialRecord(languageSchema, z.string()).describe('The purpose per language as the partner wrote it'),
        accessLevel: z
          .enum(['read', 'read_write'])
          .describe('What the app asks for: read, or read_write (it also writes through this API); approving the app approves the level'),
      }),
    ),
    client: z
      .object({ id: z.uuid(), name: z.string(), origin: z.enum(['app', 'legacy']), secrets: z.array(secretInfo) })
      .nullable()
      .describe('Created on approval without a secret: the partner fetches the secret once from its own endpoint'),
    accreditation: z
      .object({ approvedAt: z.date(), approvedBy: z.object({ id: z.uuid(), name: z.string() }).nullable(), notes: z.string().nullable() })
      .nullable(),
    submittedAt: z.date().nullable(),
    createdAt: z.date(),
    updatedAt: z.date(),
    history: z.array(auditEntrySchema).describe('Audit entries of the app, newest first'),
  })
  .meta({ id: 'OperatorAppDetail' });

/** `?language=` of the app's review page. */
export const reviewLanguageQuery = z.object({
  language: languageSchema.optional().describe("The reader's language for purposes and category texts (else the operator's account language)"),
});

/** Text that may reach the database: PostgreSQL text cannot hold NUL characters. */
export const text = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters');
/** An optional body: a POST without one (curl -X POST) counts as {}. */
const optionalBody = <T extends z.ZodRawShape>(shape: T) =>
  z
    .object(shape)
    .nullish()
    .transform((v) => v ?? {});
export const approveBody = optionalBody({ notes: text(4000).optional().describe('Accreditation notes') });
export const reapproveBody = approveBody;
export const rejectBody = z.object({ reason: text(4000).min(1, 'a reason is required') });
export const reasonBody = optionalBody({ reason: text(4000).optional() });

export const partnerRow = z
  .object({
    id: z.uuid(),
    name: z.string(),
    contactEmail: z.string(),
    website: z.string().nullable(),
    public: z.boolean(),
    membersCount: z.number().int(),
    apps: z.array(z.object({ id: z.uuid(), name: z.string(), status: appStatusSchema })),
    createdAt: z.date(),
  })
  .meta({ id: 'OperatorPartnerRow' });

export const grantInput = z
  .object({
    apiCode: text(50).min(1),
    institutionNumber: institutionNumber.optional(),
    accessGroupId: z.uuid().optional(),
  })
  .meta({ id: 'GrantInput' });

export const grantOutput = z.object({
  apiCode: z.string(),
  institutionNumber: z.string().nullable(),
  accessGroupId: z.string().nullable(),
});

export const createLegacyBody = z.object({
  name: text(200).min(1),
  grants: z.array(grantInput).max(2000).default([]),
});

export const replaceLegacyGrantsBody = z.object({
  grants: z.array(grantInput).max(2000),
  reason: text(2000).min(1, 'a reason is required'),
});

export const legacyClientRow = z
  .object({
    id: z.uuid(),
    name: z.string(),
    createdAt: z.date(),
    linkedAt: z.date().nullable(),
    app: z
      .object({ id: z.uuid(), name: z.string(), status: appStatusSchema, partner: z.object({ id: z.uuid(), name: z.string() }) })
      .nullable()
      .describe('The app that claimed the client, if any'),
    grants: z.array(grantOutput),
    secrets: z.array(secretInfo),
  })
  .meta({ id: 'LegacyClient' });

export const createdLegacyClient = z
  .object({
    clientId: z.uuid(),
    name: z.string(),
    secret: z.string().describe('Shown once; only its SHA-256 is stored'),
    grants: z.array(grantOutput),
  })
  .meta({ id: 'CreatedLegacyClient' });
