import { z } from 'zod';
import { securityMarkings } from '../ss12000/schemas.ts';

/**
 * The boarders API's own schemas (Informat: Internen; written for Schoolgate, no vendor's document
 * copied): a boarder's stay as ingestion takes it, and as a reader gets it (what the release
 * declaration, release.ts, lets through: gated members are optional).
 */

/** The nights of the week a boarder sleeps at the boarding house (Informat: internaatsnachten). */
export const NIGHTS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
/** Where the boarder spends the weekends: at home, at the boarding house, or every other weekend at each. */
export const WEEKENDS = ['home', 'stays', 'alternate'] as const;
export const GUARDIAN_RELATIONS = ['parent', 'guardian', 'other'] as const;

const date = z.iso.date().describe('A date, YYYY-MM-DD');
const text = (max: number, what: string) => z.string().trim().min(1).max(max).describe(what);

export const boarderAddressSchema = z
  .object({
    streetAddress: z.string().trim().max(200).optional(),
    postalCode: z.string().trim().max(20).optional(),
    locality: z.string().trim().max(100).optional(),
    countryCode: z
      .string()
      .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code')
      .optional(),
  })
  .meta({ id: 'BoarderAddress', description: 'A postal address (released with the addresses category, never for a boarder with a security marking)' });

const arrangementSchema = z
  .object({
    nights: z
      .array(z.enum(NIGHTS))
      .max(7)
      .refine((n) => new Set(n).size === n.length, 'lists a night twice')
      .describe('The nights of the week the boarder sleeps at the boarding house (internaatsnachten)'),
    weekends: z.enum(WEEKENDS).describe('Weekends: home, stays (at the boarding house) or alternate (every other weekend)'),
  })
  .describe('The nights or weekend arrangement (regeling)');

const guardianInput = z.object({
  givenName: text(200, 'Given name of the guardian'),
  familyName: text(200, 'Family name of the guardian'),
  relation: z.enum(GUARDIAN_RELATIONS).describe('How the guardian relates to the boarder'),
  securityMarking: z
    .enum(securityMarkings)
    .default('Ingen')
    .describe('The guardian’s own marking (SS 12000 securityMarking): withholds their contact data; never served itself'),
  email: z.email().max(200).optional().describe('E-mail address to contact the guardian (private_email category)'),
  phone: z.string().trim().min(3).max(40).optional().describe('Phone number to contact the guardian (phone_numbers category)'),
  address: boarderAddressSchema.optional(),
});

/** A boarder's stay as ingestion takes it. Members it does not name are dropped and reported. */
export const boarderInput = z
  .object({
    id: z.guid().describe('Stable id of the stay (UUID)'),
    institution: z
      .object({ institutionNumber: z.string().regex(/^\d{6}$/, 'must be a six-digit institution number') })
      .describe('The boarding school (its institution number): the grant target'),
    person: z.object({ id: z.guid().describe('The id of the person in the SS 12000 store (load the person first)') }).describe('The boarder'),
    boardingHouse: z
      .object({ name: text(200, 'Name of the boarding house (internaat, home)'), address: boarderAddressSchema.optional() })
      .describe('The boarding house the boarder lives in'),
    room: text(40, 'The room (kamer)').optional(),
    group: text(100, 'The living group (leefgroep)').optional(),
    startDate: date.describe('First day of the stay'),
    endDate: date.optional().describe('Last day of the stay; absent while open-ended'),
    arrangement: arrangementSchema,
    guardians: z.array(guardianInput).max(10).default([]).describe('The guardians to contact, in the order to call them'),
  })
  .refine((b) => b.endDate === undefined || b.endDate >= b.startDate, { path: ['endDate'], message: 'must not be before startDate' });
export type BoarderInput = z.output<typeof boarderInput>;

const meta = z
  .object({ created: z.iso.datetime(), modified: z.iso.datetime() })
  .describe('When Schoolgate first stored the record and last saw it change (meta.modified.after filters on it)');

/** A boarder's stay as the API serves it: gated members are absent when not released. */
export const boarderSchema = z
  .object({
    id: z.guid(),
    institution: z.object({ institutionNumber: z.string() }),
    person: z
      .object({
        id: z.guid().describe('The SS 12000 person (GET /ss12000/v2.0/persons/{id} with a Students grant)'),
        givenName: z.string().optional().describe('From the SS 12000 store, as it is now; absent when the person is no longer there'),
        familyName: z.string().optional().describe('From the SS 12000 store, as it is now'),
      })
      .describe('The boarder: a reference to the SS 12000 person'),
    boardingHouse: z.object({
      name: z.string(),
      address: boarderAddressSchema.optional().describe('With the addresses category; never for a boarder with a security marking'),
    }),
    room: z.string().optional().describe('Never for a boarder with a security marking'),
    group: z.string().optional(),
    startDate: z.string(),
    endDate: z.string().optional(),
    arrangement: z.object({ nights: z.array(z.enum(NIGHTS)), weekends: z.enum(WEEKENDS) }),
    guardians: z
      .array(
        z.object({
          givenName: z.string(),
          familyName: z.string(),
          relation: z.enum(GUARDIAN_RELATIONS),
          email: z.string().optional().describe('With private_email; never under a marking of the boarder or the guardian'),
          phone: z.string().optional().describe('With phone_numbers; never under a marking of the boarder or the guardian'),
          address: boarderAddressSchema.optional().describe('With addresses; never under a marking of the boarder or the guardian'),
        }),
      )
      .optional()
      .describe('With the guardians category'),
    meta,
  })
  .meta({
    id: 'Boarder',
    description:
      'A boarder (Informat: intern): a person of the SS 12000 store living at a boarding school, with the boarding house, room or group, period, nights or weekend arrangement and the guardians to contact.',
  });

/** The ingestion batch of boarders: all or nothing, idempotent. */
export const boarderBatchSchema = z
  .strictObject({
    upsert: z.array(z.unknown()).max(100_000).optional().describe('Boarders to create or replace, by id'),
    delete: z.array(z.guid()).max(100_000).optional().describe('Ids of boarders to delete'),
  })
  .meta({ id: 'BoarderBatch' });

export const boarderBatchResult = z.object({
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
export const boarderLookupSchema = z.strictObject({ ids: z.array(z.guid()).min(1).max(1000) });
