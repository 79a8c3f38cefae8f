import { z } from 'zod';
import { institutionNumber, languageSchema, timestamp } from '../../http/common-schemas.ts';

/** Sign-in on Schoolgate itself ("My connected apps"). `login` is an e-mail address or a school user name. */
export const endUserLoginBody = z.object({
  login: z
    .string()
    .trim()
    .min(1)
    .max(254)
    .transform((l) => l.toLowerCase()),
  password: z.string().min(1).max(256),
  institution: institutionNumber
    .optional()
    .describe(
      'The school chosen first (GET /my/schools): its people only, by password only where the school allows it. The web app always sends it; without it any school’s account signs in.',
    ),
});

/** `?q=` of the school picker of "My connected apps". */
export const schoolsQuery = z.object({ q: z.string().max(100).default('').describe('Part of the name, number or town') });

/** A school of the picker with the ways its people sign in. */
export const signinSchoolSchema = z
  .object({
    number: institutionNumber,
    name: z.string(),
    town: z.string().nullable(),
    password: z.boolean().describe('A Schoolgate password works here'),
    upstream: z.object({ name: z.string(), url: z.string().describe("Send the browser here to sign in at the school board's own sign-in") }).nullable(),
  })
  .meta({ id: 'SigninSchool' });

/** The end user's session as the web app needs it: who, and the CSRF token for state changes. */
export const endUserSessionSchema = z
  .object({
    person: z.object({ displayName: z.string(), language: languageSchema }),
    csrfToken: z.string().describe('Send in the x-csrf-token header of state-changing /my requests'),
    expiresAt: timestamp,
  })
  .meta({ id: 'EndUserSession' });

/** The role a person signed in with at a school. */
export const roleSchema = z.enum(['student', 'guardian', 'staff']);

const readSchema = z.object({ at: timestamp, endpoint: z.string(), records: z.number().int() });

/** One line of "My connected apps": a live consent. */
export const connectedAppSchema = z
  .object({
    consentId: z.uuid(),
    app: z.object({ id: z.uuid(), name: z.string(), partnerName: z.string() }),
    institution: z.object({ number: institutionNumber, name: z.string() }),
    role: roleSchema.describe('The role the person signed in with at that school'),
    scopes: z.array(z.string()).describe('OpenID Connect scopes consented to'),
    categories: z
      .array(
        z.object({
          apiCode: z.string(),
          category: z.string(),
          name: z.string().describe("The catalog's name of the category in the reader's language"),
          description: z.string().describe("The catalog's description of the category in the reader's language"),
          purpose: z.string().describe("The purpose in the reader's language where the partner gave it, else in another given language"),
          purposeLanguage: languageSchema.describe('The language `purpose` is written in'),
          purposes: z.partialRecord(languageSchema, z.string()).describe('The purpose per language as the partner wrote it'),
        }),
      )
      .describe("Data categories consented to, with the purpose from the app's approved registration"),
    consentedAt: timestamp,
    updatedAt: timestamp,
    reads: z
      .object({
        total: z.number().int().describe("The app's successful reads made with this consent"),
        lastAt: timestamp.nullable(),
        recent: z.array(readSchema).describe('The latest reads, newest first (at most 10)'),
      })
      .describe('From the access log of the SS 12000 API'),
  })
  .meta({ id: 'ConnectedApp' });

/** `?language=` of "My connected apps": the reader's language for purposes and category texts. */
export const myAppsQuery = z.object({
  language: languageSchema
    .optional()
    .describe("The reader's language for purposes and category names (else the language of the person's account, else English)"),
});

/** `:consentId` of the withdrawal route. */
export const consentParams = z.object({ consentId: z.uuid() });

/** An event for the partner about one of its apps. */
export const partnerEventSchema = z
  .object({
    id: z.uuid().describe('Stable id of the event: drop duplicates by it'),
    seq: z.string().describe("Position in the app's event stream; pass as ?after= to read on"),
    type: z.string().describe('e.g. consent.withdrawn'),
    createdAt: timestamp,
    data: z.record(z.string(), z.unknown()).describe('consent.withdrawn: { sub, institution, appId, at }'),
  })
  .meta({ id: 'PartnerEvent' });

/** Paging of the events: a cursor (seq) and a page size. */
export const eventsQuery = z.object({
  after: z
    .string()
    .regex(/^\d{1,18}$/, 'must be the seq of an event')
    .optional()
    .describe('Return events after this seq (exclusive); omit for the oldest'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
