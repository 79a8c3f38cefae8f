import { z } from 'zod';
import { securityMarkings } from '../ss12000/schemas.ts';

/**
 * The pre-enrolments API's own schemas (Informat: Voorinschrijvingen; written for Schoolgate, no
 * vendor's document copied): the record as ingestion takes it, and as a reader gets it (what the
 * release declaration, release.ts, lets through: gated members are optional).
 */

export const PRE_ENROLMENT_STATUSES = ['submitted', 'accepted', 'refused', 'withdrawn'] as const;

const date = z.iso.date().describe('A date, YYYY-MM-DD');
const name = (what: string) => z.string().trim().min(1).max(200).describe(what);
const marking = z
  .enum(securityMarkings)
  .describe('Protected identity as the population register marks it (SS 12000 securityMarking): a marked person’s contact data is never released');

export const addressSchema = z
  .object({
    streetAddress: z.string().trim().max(200).optional(),
    postalCode: z.string().trim().max(20).optional(),
    locality: z.string().trim().max(100).optional(),
    countryCode: z
      .string()
      .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code')
      .optional(),
  })
  .meta({ id: 'PreEnrolmentAddress', description: 'A postal address (released with the addresses category, never under a security marking)' });

const childInput = z.object({
  givenName: name('Given name of the child'),
  familyName: name('Family name of the child'),
  securityMarking: marking.default('Ingen'),
  birthDate: date.optional().describe('Date of birth (birth_date category)'),
  address: addressSchema.optional(),
});

const guardianInput = z.object({
  givenName: name('Given name of the guardian'),
  familyName: name('Family name of the guardian'),
  relation: z.enum(['parent', 'guardian', 'other']).describe('How the guardian relates to the child'),
  securityMarking: marking.default('Ingen').describe('The guardian’s own marking: withholds their contact data (never served itself)'),
  email: z.email().max(200).optional().describe('E-mail address of the guardian (withheld under a marking of the child or the guardian)'),
  phone: z.string().trim().min(3).max(40).optional().describe('Phone number of the guardian (withheld under a marking of the child or the guardian)'),
  address: addressSchema.optional(),
});

/** A pre-enrolment as ingestion takes it. Members it does not name are dropped and reported. */
export const preEnrolmentInput = z.object({
  id: z.guid().describe('Stable id of the application (UUID)'),
  institution: z
    .object({ institutionNumber: z.string().regex(/^\d{6}$/, 'must be a six-digit institution number') })
    .describe('The institution applied to (its institution number): the grant target'),
  schoolYear: z.number().int().min(2000).max(2100).describe('The school year applied for, by the calendar year it starts in (2027: 2027–2028)'),
  grade: z.string().trim().min(1).max(40).describe('The grade (leerjaar) applied for, e.g. K3, 1, 7'),
  programme: z.string().trim().min(1).max(200).optional().describe('The programme (studierichting) applied for, where the school has programmes'),
  status: z.enum(PRE_ENROLMENT_STATUSES).describe('submitted, accepted, refused or withdrawn'),
  submittedDate: date.describe('When the application was submitted'),
  decisionDate: date.optional().describe('When the school accepted or refused it'),
  withdrawnDate: date.optional().describe('When the family withdrew it'),
  desiredStartDate: date.optional().describe('When the child would start'),
  child: childInput,
  guardians: z.array(guardianInput).max(10).default([]),
});
export type PreEnrolmentInput = z.output<typeof preEnrolmentInput>;

const meta = z
  .object({ created: z.iso.datetime(), modified: z.iso.datetime() })
  .describe('When Schoolgate first stored the record and last saw it change (meta.modified.after filters on it)');

/** A pre-enrolment as the API serves it: gated members are absent when not released. */
export const preEnrolmentSchema = z
  .object({
    id: z.guid(),
    institution: z.object({ institutionNumber: z.string() }),
    schoolYear: z.number().int(),
    grade: z.string(),
    programme: z.string().optional(),
    status: z.enum(PRE_ENROLMENT_STATUSES),
    submittedDate: z.string(),
    decisionDate: z.string().optional(),
    withdrawnDate: z.string().optional(),
    desiredStartDate: z.string().optional(),
    child: z.object({
      givenName: z.string(),
      familyName: z.string(),
      securityMarking: z.enum(securityMarkings),
      birthDate: z.string().optional().describe('With the birth_date category'),
      address: addressSchema.optional().describe('With the addresses category; never under a security marking'),
    }),
    guardians: z
      .array(
        z.object({
          givenName: z.string(),
          familyName: z.string(),
          relation: z.enum(['parent', 'guardian', 'other']),
          email: z.string().optional().describe('Never under a marking of the child or the guardian'),
          phone: z.string().optional().describe('Never under a marking of the child or the guardian'),
          address: addressSchema.optional().describe('With the addresses category; never under a marking'),
        }),
      )
      .optional()
      .describe('With the guardians category'),
    meta,
  })
  .meta({
    id: 'PreEnrolment',
    description:
      'A pre-enrolment (Informat: voorinschrijving): a child’s application to an institution for a coming school year, with its guardians and status.',
  });

/** The ingestion batch of pre-enrolments: all or nothing, idempotent. */
export const preEnrolmentBatchSchema = z
  .strictObject({
    upsert: z.array(z.unknown()).max(100_000).optional().describe('Pre-enrolments to create or replace, by id'),
    delete: z.array(z.guid()).max(100_000).optional().describe('Ids of pre-enrolments to delete'),
  })
  .meta({ id: 'PreEnrolmentBatch' });

export const preEnrolmentBatchResult = z.object({
  created: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  deleted: z.number().int(),
  noChange: z.boolean(),
  unknownMembers: z
    .record(z.string(), z.number())
    .describe('Members the schema does not know, dropped (never stored, never served), per path, with how many records had them'),
});

/** The lookup body: up to 1000 ids. */
export const lookupBodySchema = z.strictObject({ ids: z.array(z.guid()).min(1).max(1000) });
