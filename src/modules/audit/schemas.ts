import { z } from 'zod';
import { institutionNumber } from '../../http/common-schemas.ts';

const text = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters');
// Dates the database can store and people mean: years 1900-9999.
const date = z.coerce.date().refine((d) => d.getUTCFullYear() >= 1900 && d.getUTCFullYear() <= 9999, 'must be a date between 1900 and 9999');

export const auditQuery = z.object({
  action: text(100).optional().describe('Exact action, or a family such as grants.*'),
  appId: z.uuid().optional(),
  partnerId: z.uuid().optional(),
  institution: institutionNumber.optional().describe('Entries touching this institution'),
  actor: text(200).optional().describe("User id, or part of the actor's name or e-mail"),
  from: date.optional().describe('Inclusive lower bound of `at`'),
  to: date.optional().describe('Exclusive upper bound of `at`'),
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

export const auditPage = z
  .object({
    data: z.array(auditEntrySchema),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next (older) page; null on the last page'),
  })
  .meta({ id: 'AuditPage' });
