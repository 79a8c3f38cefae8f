import { z } from 'zod';

/**
 * The bodies of `POST /log` and `POST /statistics` of SS 12000 v2.1, written from the spec's
 * description of a log entry and a statistics entry (not copied from its document), and the
 * management API's view of what was reported.
 *
 * Leniency and strictness as in the rest of the data API: the spec's members and nothing else (a
 * member we do not know is an `invalid_body` naming it, so a client learns of a misspelling
 * instead of losing that part of its report); text PostgreSQL can hold (no NUL, bounded); a
 * date-time read as RFC 3339.
 */

/**
 * The entity types a report may be about: every entity type of SS 12000 v2.1, served here or not (a
 * client reports about its own synchronisation, which may cover entities it reads elsewhere).
 */
export const RESOURCE_TYPES = [
  'Organisation',
  'Person',
  'Placement',
  'Duty',
  'Group',
  'Programme',
  'StudyPlan',
  'Syllabus',
  'SchoolUnitOffering',
  'Activity',
  'CalendarEvent',
  'Attendance',
  'AttendanceEvent',
  'AttendanceSchedule',
  'Absence',
  'Grade',
  'Room',
  'Resource',
] as const;

const LONE_SURROGATE = /\p{Cs}/u;

/** Text PostgreSQL can hold: no NUL, no lone surrogate, at least one character, at most `max`. */
function textSchema(name: string, max = 200) {
  return z
    .string({ error: `${name} must be a string.` })
    .min(1, { error: `${name} needs a value.` })
    .max(max, { error: `${name} is longer than ${max} characters.` })
    .refine((s) => !s.includes('\0'), { error: `${name} contains a NUL character.`, abort: true })
    .refine((s) => !LONE_SURROGATE.test(s), { error: `${name} contains an invalid code point (a lone surrogate).` });
}

/** The most characters of a report's message (a log line, not a document). */
export const MAX_MESSAGE_LENGTH = 4000;
/** The longest resourceUrl kept (a query string of ours is at most 12 KiB; a report names it, it need not repeat all of it). */
export const MAX_URL_LENGTH = 4000;
/** Counts are of records at one client: far below 2^53, and below PostgreSQL's bigint. */
const MAX_COUNT = 1_000_000_000_000;

const resourceType = z.enum(RESOURCE_TYPES, {
  error: (i) => `resourceType must be one of ${RESOURCE_TYPES.join(', ')}; got ${JSON.stringify(String(i.input).slice(0, 60))}.`,
});
const resourceId = z
  .string()
  .pipe(z.guid({ error: 'resourceId must be a UUID.' }))
  .transform((s) => s.toLowerCase());
const resourceUrl = textSchema('resourceUrl', MAX_URL_LENGTH).pipe(z.url({ protocol: /^https?$/, error: 'resourceUrl must be an absolute http(s) URL.' }));
const timeOfOccurance = z
  .string({ error: 'timeOfOccurance must be a date-time string.' })
  .trim()
  .pipe(z.iso.datetime({ offset: true, error: 'timeOfOccurance must be an RFC 3339 date-time with an offset, e.g. 2026-11-22T10:00:00Z.' }))
  .transform((s) => new Date(s))
  .refine((d) => d.getUTCFullYear() >= 1 && d.getUTCFullYear() <= 9999, { error: 'timeOfOccurance must be a moment between the years 1 and 9999.' });
const count = (name: string) =>
  z
    .number({ error: `${name} must be a number.` })
    .int({ error: `${name} must be an integer.` })
    .min(0, { error: `${name} must be 0 or more.` })
    .max(MAX_COUNT, { error: `${name} is larger than ${MAX_COUNT}.` });

/** `POST /log`: something that happened at the client, with its severity (Info, Warning, Error). */
export const logEntrySchema = z.strictObject({
  message: textSchema('message', MAX_MESSAGE_LENGTH),
  messageType: textSchema('messageType').optional(),
  resourceType: resourceType.optional(),
  resourceId: resourceId.optional(),
  resourceUrl: resourceUrl.optional(),
  severityLevel: z.enum(['Info', 'Warning', 'Error'], { error: 'severityLevel must be Info, Warning or Error.' }),
  timeOfOccurance: timeOfOccurance.optional(),
});
export type LogEntry = z.output<typeof logEntrySchema>;

/** `POST /statistics`: what a synchronisation of one entity type created, changed and deleted at the client. */
export const statisticsEntrySchema = z.strictObject({
  resourceType,
  newCount: count('newCount'),
  updatedCount: count('updatedCount'),
  deletedCount: count('deletedCount'),
  resourceUrl: resourceUrl.optional(),
  timeOfOccurance: timeOfOccurance.optional(),
});
export type StatisticsEntry = z.output<typeof statisticsEntrySchema>;

/** The two kinds of report, by the endpoint that takes them. */
export const REPORT_KINDS = ['log', 'statistics'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];

/** The management API's query: newest first, narrowed by kind, app, institution and period. */
export const clientReportQuery = z.object({
  kind: z.enum(REPORT_KINDS).optional(),
  appId: z.uuid().optional(),
  clientId: z.uuid().optional(),
  institutionNumber: z
    .string()
    .regex(/^\d{6}$/, 'must be a six-digit institution number')
    .optional(),
  severityLevel: z.enum(['Info', 'Warning', 'Error']).optional(),
  from: z.iso.date().optional().describe('First day (deployment time zone) of the reports received'),
  to: z.iso.date().optional().describe('Last day (deployment time zone) of the reports received'),
  limit: z.coerce.number().int().min(1).max(1000).optional().describe('At most this many reports (default 200)'),
});

/** One report as the operator and school admins read it. */
export const clientReportSchema = z
  .object({
    id: z.string().describe('The report id (a number, as text)'),
    kind: z.enum(REPORT_KINDS),
    receivedAt: z.string().describe('When the server received it'),
    requestId: z.string().describe('The request id: the same as its row in the access log'),
    client: z.object({ id: z.string(), name: z.string() }),
    app: z.object({ id: z.string(), name: z.string() }).nullable(),
    institutionNumbers: z
      .array(z.string())
      .describe(
        "The institutions the report concerns (the school units it names, else every institution of the client's scope); a school admin sees only theirs",
      ),
    resourceType: z.string().nullable(),
    resourceId: z.string().nullable(),
    resourceUrl: z.string().nullable(),
    timeOfOccurance: z.string().nullable().describe("When it happened, as the client says (the spec's spelling)"),
    severityLevel: z.enum(['Info', 'Warning', 'Error']).nullable(),
    messageType: z.string().nullable(),
    message: z.string().nullable(),
    newCount: z.number().int().nullable(),
    updatedCount: z.number().int().nullable(),
    deletedCount: z.number().int().nullable(),
  })
  .meta({ id: 'ClientReport' });
export type ClientReportView = z.infer<typeof clientReportSchema>;

/**
 * The facade OpenAPI's entries for `POST /log` and `POST /statistics` (src/modules/ss12000/openapi.ts
 * adds them), their bodies from the zod schemas above; `errors` is the facade's error responses.
 */
export function clientReportOpenApiPaths(errors: (...statuses: number[]) => Record<string, unknown>): Record<string, unknown> {
  const body = (schema: z.ZodType) => {
    const { $schema: _dialect, ...json } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
    return { required: true, content: { 'application/json': { schema: json } } };
  };
  const created = (what: string) => ({ 201: { description: `${what} stored with the client (no body)` }, ...errors(400, 401, 403, 413, 415, 429) });
  const concerns =
    'A report naming a school unit (the resourceId of an Organisation, organisation= or /organisations/{id} in resourceUrl) concerns its institution and must be within the grants ' +
    "(else 403 organisation_out_of_scope); one naming none concerns every institution of the client's grants. The operator and those institutions' school admins read it.";
  return {
    '/log': {
      post: {
        operationId: 'postLog',
        summary: 'Report an event at the client (a log entry)',
        description: concerns,
        requestBody: body(logEntrySchema),
        responses: created('The log entry'),
      },
    },
    '/statistics': {
      post: {
        operationId: 'postStatistics',
        summary: 'Report what a synchronisation created, changed and deleted at the client',
        description: concerns,
        requestBody: body(statisticsEntrySchema),
        responses: created('The statistics entry'),
      },
    },
  };
}
