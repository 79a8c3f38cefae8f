import { z } from 'zod';
import { institutionNumber, languageSchema } from '../../http/common-schemas.ts';

const text = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters');
// Dates the database can store and people mean: years 1900-9999.
const date = z.coerce.date().refine((d) => d.getUTCFullYear() >= 1900 && d.getUTCFullYear() <= 9999, 'must be a date between 1900 and 9999');

/** The filters the list and the CSV export share. */
export const auditFilters = z.object({
  action: text(100).optional().describe('Exact action, or a family such as grants.*'),
  appId: z.uuid().optional(),
  partnerId: z.uuid().optional(),
  institution: institutionNumber.optional().describe('Entries touching this institution'),
  actor: text(200).optional().describe("User id, or part of the actor's name or e-mail"),
  from: date.optional().describe('Inclusive lower bound of `at`'),
  to: date.optional().describe('Exclusive upper bound of `at`'),
  lang: languageSchema.optional().describe('Language of the sentences; default: Accept-Language, else your own language'),
});

export const auditQuery = auditFilters.extend({
  cursor: z
    .string()
    .regex(/^\d{1,18}$/, 'must be the nextCursor of a previous page')
    .optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const auditEntrySchema = z
  .object({
    id: z.string(),
    at: z.date(),
    actor: z.object({ userId: z.uuid().nullable(), label: z.string(), kind: z.enum(['operator', 'partner', 'school', 'system', 'client', 'person']) }),
    action: z.string(),
    subjectType: z.string(),
    subjectId: z.string(),
    partnerId: z.uuid().nullable(),
    appId: z.uuid().nullable(),
    clientId: z.uuid().nullable(),
    institutionNumbers: z.array(z.string()),
    accessGroupIds: z.array(z.string()),
    reason: z.string().nullable(),
    before: z.unknown(),
    after: z.unknown(),
  })
  .meta({ id: 'AuditEntry' });

/** One changed field of an entry, labelled in the reader's language. */
export const auditChangeSchema = z
  .object({
    field: z.string().describe('The member of before/after'),
    label: z.string().describe("The field's name in the reader's language"),
    before: z.string().nullable().describe('The value before, as text; null when the field is new'),
    after: z.string().nullable().describe('The value after, as text; null when the field is gone'),
  })
  .meta({ id: 'AuditChange' });

/** An entry as the audit log reads it: the structured fields plus the sentence and the diff. */
export const auditEntryInWords = auditEntrySchema
  .extend({
    actionLabel: z.string().describe("The action's short name in the reader's language"),
    sentence: z.string().describe("What happened, in one sentence in the reader's language: who, what, on which app or institution, why"),
    changes: z.array(auditChangeSchema).describe('The fields that changed, with labels and readable values'),
    appName: z.string().nullable(),
    partnerName: z.string().nullable(),
    institutions: z.array(z.object({ number: z.string(), name: z.string().nullable() })).describe('The institutions concerned that the reader may see'),
  })
  .meta({ id: 'AuditEntryInWords' });

export const auditPageInWords = z
  .object({
    data: z.array(auditEntryInWords),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next (older) page; null on the last page'),
  })
  .meta({ id: 'AuditPage' });

export const AUDIT_SUGGESTION_FIELDS = ['app', 'partner', 'institution', 'actor'] as const;

export const suggestionQuery = z.object({
  field: z.enum(AUDIT_SUGGESTION_FIELDS).describe('Which filter to complete: app → appId, partner → partnerId, institution → institution, actor → actor'),
  q: z
    .string()
    .max(100)
    .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters')
    .default('')
    .describe('What the reader typed (part of a name, an e-mail or an institution number)'),
});

export const suggestionList = z
  .object({
    data: z.array(z.object({ value: z.string().describe('Pass as the filter'), label: z.string().describe('Show this') })).max(20),
  })
  .meta({ id: 'AuditSuggestions' });
