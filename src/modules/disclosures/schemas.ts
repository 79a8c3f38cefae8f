import { z } from 'zod';
import { institutionNumber, timestamp } from '../../http/common-schemas.ts';

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)), 'must be a real date');

/** `:personId` of the back-office report. */
export const personParams = z.object({ personId: z.uuid() });

/**
 * The period of a report, by the deployment's calendar days (both ends included). Defaults to the
 * last 12 months; at most three years at once, so that one request reads a bounded part of the
 * access log.
 */
export const disclosureQuery = z.object({
  from: day.optional().describe('First day (YYYY-MM-DD); default: 12 months before to'),
  to: day.optional().describe('Last day (YYYY-MM-DD), included; default: today'),
});

/** Finding a person of the SS 12000 store at the admin's institutions. */
export const personSearchQuery = z.object({
  q: z.string().trim().min(2).max(100).describe('Part of the name (at least 2 characters)'),
});

/** A person as the back-office search lists them. */
export const personHit = z
  .object({
    id: z.uuid(),
    displayName: z.string(),
    roles: z.array(z.enum(['student', 'guardian', 'staff'])).describe('Roles by which the person relates to your institutions'),
    institutions: z.array(z.object({ number: institutionNumber, name: z.string() })).describe('Your institutions the person relates to'),
  })
  .meta({ id: 'DisclosurePerson' });

const categoryLine = z.object({
  category: z.string().describe('Data category, e.g. identity, civic_number, guardians'),
  firstAt: timestamp,
  lastAt: timestamp,
  requests: z.number().int(),
});

const grantInfo = z
  .object({
    target: z.enum(['institution', 'access_group', 'end_user_consent']),
    accessGroup: z.object({ id: z.uuid(), name: z.string() }).nullable(),
    grantedAt: timestamp.nullable().describe('When the live grant was made; null when it was revoked'),
    grantedBy: z.string().nullable().describe('Who made it (back-office only)'),
    active: z.boolean(),
    revokedAt: timestamp.nullable().describe('When it was last removed, when it is no longer active (from the audit log)'),
    revokedBy: z.string().nullable().describe('Who removed it (back-office only)'),
  })
  .describe('The grant the app read under, as it stands now');

/** What one app received of the person's data under one API at one institution. */
export const disclosureEntry = z.object({
  api: z.string().nullable().describe('students, staff, … (null: data read under no API, e.g. organisations)'),
  institution: z.object({ number: institutionNumber, name: z.string() }),
  grant: grantInfo,
  firstAt: timestamp,
  lastAt: timestamp,
  requests: z.number().int().describe('Requests whose released records at this institution may have included the person'),
  endpoints: z.array(z.string()).describe('e.g. GET /persons'),
  categories: z.array(categoryLine),
});

/** An app (or a legacy client without one) with what it received. */
export const disclosureApp = z.object({
  app: z.object({ id: z.uuid().nullable(), name: z.string(), partnerName: z.string().nullable() }),
  clientId: z.uuid().nullable(),
  entries: z.array(disclosureEntry),
});

/** The disclosure report of one person (GDPR Art. 15(1)(c)). */
export const disclosureReport = z
  .object({
    person: z.object({ id: z.uuid(), displayName: z.string() }),
    from: z.string().describe('First day of the period (YYYY-MM-DD)'),
    to: z.string().describe('Last day of the period (YYYY-MM-DD), included'),
    institutions: z
      .array(z.object({ number: institutionNumber, name: z.string() }))
      .describe('The institutions this report covers: where the person has a relation (and, for a school admin, a right)'),
    apps: z.array(disclosureApp),
  })
  .describe(
    'Derived from the access log and the person\'s relations over time: an app "received" a category when a request it made ' +
      'released records of that category at an institution where the person then was, in a role that request could release. ' +
      'The person may have been on those pages; the log does not record each person.',
  )
  .meta({ id: 'DisclosureReport' });
