import { sql } from 'kysely';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext, Queryable } from '../../context.ts';
import type { ZodApp } from '../../http/types.ts';
import { schoolTypes } from './schemas.ts';
import { endpointByType } from './endpoints.ts';
import { decodeQuery, MAX_LIMIT, querySchema, ssError, type QueryParam } from './query.ts';
import { findVisible, present } from './read.ts';
import { releasedOf } from './access-log.ts';
import { uuids, visibleSql, type Scope } from './scope.ts';

/**
 * `GET /aggregatedAttendance` (SS 12000 v2.1, issue 17): a pupil's attendance summed per activity over
 * the days from `startDate` to `endDate` (the deployment's time zone), from the attendance records
 * the scope may see — so exactly what `/attendances` would release, summed: the attendance API at
 * the lesson's unit, the pupil a student there under the students API, never a pupil with protected
 * identity (release policy, `pupilRecord`). It has no id, no `/{id}`, no lookup and no deletions in
 * the spec; a page is keyed by (activity, student).
 */

/** The spec's parameters, in its order. */
export const AGGREGATED_PARAMS: QueryParam[] = [
  { name: 'startDate', kind: 'date', required: true, description: 'Attendance from this day on (inclusive, the deployment’s time zone; required).' },
  { name: 'endDate', kind: 'date', required: true, description: 'Attendance up to this day (inclusive; required).' },
  { name: 'organisation', kind: 'uuid', description: 'Only lessons of activities at this organisation element or the elements below it.' },
  { name: 'schoolType', kind: 'enum[]', values: schoolTypes, description: 'Only activities of groups of these school types.' },
  { name: 'student', kind: 'uuid[]', description: 'Only these pupils.' },
  {
    name: 'expand',
    kind: 'enum[]',
    values: ['activity', 'student'],
    description: 'Embed the activity and the pupil (as the client may see them) in `_embedded`.',
  },
  { name: 'expandReferenceNames', kind: 'boolean', description: 'Fill in `displayName` of references (true/false, 1/0, any case).' },
  {
    name: 'limit',
    kind: 'integer',
    description: `The most rows in one page (1–${MAX_LIMIT}; more is read as ${MAX_LIMIT}). Without it a page holds ${MAX_LIMIT}.`,
  },
  {
    name: 'pageToken',
    kind: 'token',
    description: 'The `pageToken` of the previous page; it may come with `limit`, `expand`, `expandReferenceNames` and its own filters unchanged.',
  },
];
const FILTERS = ['startDate', 'endDate', 'organisation', 'schoolType', 'student'] as const;
const PATH = 'aggregatedAttendance';
/** A window longer than this is refused: it is summed in one statement. */
const MAX_DAYS = 400;

const schema = querySchema(AGGREGATED_PARAMS);
const badToken = () => ssError(400, 'invalid_page_token', 'pageToken is not one this server issued for this endpoint.');
const guid = z.guid().transform((s) => s.toLowerCase());
const tokenShape = z.object({
  v: z.literal(1),
  e: z.literal(PATH),
  q: z.record(z.string(), z.unknown()),
  x: z.array(z.enum(['activity', 'student'])),
  n: z.boolean(),
  l: z.number().int().min(1).max(MAX_LIMIT),
  k: z.tuple([guid, guid]),
});

interface AggregatedQuery {
  filters: Record<string, any>;
  expand: string[];
  names: boolean;
  limit: number;
  after?: [string, string];
}

/** Days from startDate to endDate. */
const days = (f: Record<string, any>) => (Date.parse(f.endDate) - Date.parse(f.startDate)) / 86_400_000;
const canon = (v: unknown) => JSON.stringify(Array.isArray(v) ? [...v].map(String).sort() : v);

function parse(search: string): AggregatedQuery {
  const result = schema.safeParse(Object.fromEntries(decodeQuery(search)));
  if (!result.success) {
    const unknown = result.error.issues.find((i) => i.code === 'unrecognized_keys');
    if (unknown) throw ssError(400, 'unknown_parameter', `${unknown.keys[0]} is not a parameter of /${PATH}.`);
    const issue = result.error.issues[0]!;
    const name = String(issue.path[0] ?? '');
    throw ssError(400, 'invalid_parameter', issue.message.startsWith(name) ? issue.message : `${name}: ${issue.message}`);
  }
  const { expand, expandReferenceNames, limit, pageToken, ...filters } = result.data as Record<string, any>;
  if (pageToken === undefined) {
    for (const name of ['startDate', 'endDate']) if (filters[name] === undefined) throw ssError(400, 'missing_parameter', `${name} is required on /${PATH}.`);
    if (filters.endDate < filters.startDate) throw ssError(400, 'invalid_parameter', 'endDate: must not be before startDate.');
    if (days(filters) >= MAX_DAYS) throw ssError(400, 'invalid_parameter', `endDate: the window may be at most ${MAX_DAYS} days.`);
    return { filters, expand: expand ?? [], names: expandReferenceNames ?? false, limit: limit ?? MAX_LIMIT };
  }
  let raw: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(pageToken)) throw badToken();
    raw = JSON.parse(Buffer.from(pageToken, 'base64url').toString('utf8'));
  } catch {
    throw badToken();
  }
  const t = tokenShape.safeParse(raw);
  if (!t.success) throw badToken();
  // The token's filters are re-validated as a query: they go into SQL as typed parameters.
  const again = schema.safeParse(Object.fromEntries(Object.entries(t.data.q).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : [String(v)]])));
  if (!again.success || Object.keys(t.data.q).some((k) => !(FILTERS as readonly string[]).includes(k))) throw badToken();
  const carried = again.data as Record<string, any>;
  // A token is ours only with a window we would have accepted.
  if (!carried.startDate || !carried.endDate || carried.endDate < carried.startDate || days(carried) >= MAX_DAYS) throw badToken();
  for (const [key, value] of Object.entries(filters)) {
    if (!(key in carried) || canon(value) !== canon(carried[key]))
      throw ssError(
        400,
        'page_token_with_filters',
        `pageToken was issued for another query: ${key} differs. Send the token with limit only, or with its own filters unchanged.`,
      );
  }
  return { filters: carried, expand: expand ?? t.data.x, names: expandReferenceNames ?? t.data.n, limit: limit ?? t.data.l, after: t.data.k };
}

interface SumRow {
  activity_id: string;
  student_id: string;
  organisation_id: string;
  attendance: number;
  valid: number;
  invalid: number;
  other: number;
  reported: number;
  offered: number;
}

/** One page of sums, in (activity, student) order. */
async function sums(db: Queryable, scope: Scope, q: AggregatedQuery, timeZone: string): Promise<SumRow[]> {
  const f = q.filters;
  const minutes = (key: string) => sql`coalesce((t.body->>${key})::int, 0)`;
  const length = sql`coalesce((c.body->>'teachingLengthStudent')::int, (extract(epoch FROM c.end_time - c.start_time) / 60)::int)`;
  const conds = [
    visibleSql('attendances', scope),
    sql`c.start_time >= (${f.startDate}::date::timestamp AT TIME ZONE ${timeZone})`,
    sql`c.start_time < ((${f.endDate}::date + 1)::timestamp AT TIME ZONE ${timeZone})`,
  ];
  if (f.organisation)
    conds.push(
      sql`t.organisation_id IN (WITH RECURSIVE below(id) AS (SELECT ${f.organisation}::uuid UNION SELECT o.id FROM ss12000_organisations o JOIN below b ON o.parent_id = b.id) SELECT id FROM below)`,
    );
  if (f.student) conds.push(sql`t.student_id = ANY(${uuids(f.student)})`);
  if (f.schoolType)
    conds.push(
      sql`EXISTS (SELECT 1 FROM ss12000_activities a JOIN ss12000_groups g ON g.id = ANY(a.group_ids) WHERE a.id = t.activity_id AND g.school_type = ANY(${f.schoolType}::text[]))`,
    );
  if (q.after) conds.push(sql`(t.activity_id, t.student_id) > (${q.after[0]}::uuid, ${q.after[1]}::uuid)`);
  const result = await sql<SumRow>`
    SELECT t.activity_id, t.student_id, min(t.organisation_id::text) AS organisation_id,
           sum(${minutes('attendanceMinutes')})::int AS attendance, sum(${minutes('validAbsenceMinutes')})::int AS valid,
           sum(${minutes('invalidAbsenceMinutes')})::int AS invalid, sum(${minutes('otherAttendanceMinutes')})::int AS other,
           sum(CASE WHEN (t.body->>'isReported')::boolean THEN ${length} ELSE 0 END)::int AS reported,
           sum(${length})::int AS offered
      FROM ss12000_attendances t JOIN ss12000_calendar_events c ON c.id = t.calendar_event_id
     WHERE t.activity_id IS NOT NULL AND ${sql.join(conds, sql` AND `)}
     GROUP BY t.activity_id, t.student_id
     ORDER BY t.activity_id, t.student_id
     LIMIT ${q.limit + 1}`.execute(db);
  return result.rows;
}

/** Activities or persons as the scope shows them (each as its `/{id}` would), by id. */
async function shown(db: Queryable, scope: Scope, type: 'activities' | 'persons', ids: string[], names: boolean): Promise<Map<string, Record<string, any>>> {
  if (!ids.length) return new Map();
  const rows = await findVisible(db, scope, endpointByType[type], ids);
  const items = await present(db, scope, type, rows, { expand: [], expandReferenceNames: names });
  return new Map(items.map((text) => JSON.parse(text) as Record<string, any>).map((x) => [x.id as string, x]));
}

/** Registers `GET /aggregatedAttendance` behind the data API's guard (bearer token, live grants, access log). */
export function aggregatedAttendanceRoutes(api: ZodApp, ctx: AppContext, guard: (r: FastifyRequest, p: FastifyReply) => Promise<void>): void {
  const db = ctx.readDb ?? ctx.db;
  api.get(`/${PATH}`, { schema: { hide: true }, preHandler: guard, config: { access: 'client' as const } }, async (request, reply) => {
    const scope = request.ss12000!.scope;
    const i = request.url.indexOf('?');
    const q = parse(i < 0 ? '' : request.url.slice(i + 1));
    const rows = await sums(db, scope, q, ctx.config.TZ);
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    const token =
      rows.length > q.limit && last
        ? Buffer.from(JSON.stringify({ v: 1, e: PATH, q: q.filters, x: q.expand, n: q.names, l: q.limit, k: [last.activity_id, last.student_id] })).toString(
            'base64url',
          )
        : undefined;
    // References (and embedded records) only as the scope shows them: a pupil's name only where the
    // persons API releases the pupil, which the attendance's own rule already requires.
    const wantActivities = q.names || q.expand.includes('activity');
    const wantStudents = q.names || q.expand.includes('student');
    const activities = wantActivities ? await shown(db, scope, 'activities', [...new Set(page.map((r) => r.activity_id))], q.names) : new Map();
    const students = wantStudents ? await shown(db, scope, 'persons', [...new Set(page.map((r) => r.student_id))], q.names) : new Map();
    const nameOf = (x: Record<string, any> | undefined) => (x?.displayName ? { displayName: x.displayName as string } : {});
    const personName = (x: Record<string, any> | undefined) => (x ? { displayName: [x.givenName, x.familyName].filter(Boolean).join(' ') } : {});
    const data = page.map((r) => {
      const activity = activities.get(r.activity_id);
      const student = students.get(r.student_id);
      const embedded = {
        ...(q.expand.includes('activity') && activity ? { activity } : {}),
        ...(q.expand.includes('student') && student ? { student } : {}),
      };
      return {
        activity: { id: r.activity_id, ...(q.names ? nameOf(activity) : {}) },
        student: { id: r.student_id, ...(q.names ? personName(student) : {}) },
        startDate: q.filters.startDate as string,
        endDate: q.filters.endDate as string,
        attendanceSum: r.attendance,
        validAbsenceSum: r.valid,
        invalidAbsenceSum: r.invalid,
        otherAttendanceSum: r.other,
        reportedSum: r.reported,
        offeredSum: r.offered,
        ...(Object.keys(embedded).length ? { _embedded: embedded } : {}),
      };
    });
    // In the access log as attendance records of the lesson's unit, with what they embed.
    request.ss12000!.released = releasedOf(
      'attendances',
      page.map((r) => [r.organisation_id]),
      q.expand.length ? data.map((d) => JSON.stringify(d)) : undefined,
    );
    return reply.send(token ? { data, pageToken: token } : { data });
  });
}

/** The path's OpenAPI operation (the facade's document). */
export function aggregatedAttendanceOpenApi(parameter: (p: QueryParam) => Record<string, unknown>, errors: Record<string, unknown>): Record<string, unknown> {
  const sum = (what: string) => ({ type: 'integer', description: `Summed minutes: ${what}.` });
  const ref = { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' }, displayName: { type: 'string' } } };
  return {
    get: {
      operationId: 'listAggregatedAttendance',
      summary: 'Attendance summed per activity and pupil over a window of days (records the client may see, as /attendances)',
      parameters: AGGREGATED_PARAMS.map(parameter),
      responses: {
        200: {
          description: 'A page',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['data'],
                properties: {
                  data: {
                    type: 'array',
                    items: {
                      type: 'object',
                      required: ['activity', 'student', 'startDate', 'endDate', 'attendanceSum'],
                      properties: {
                        activity: ref,
                        student: ref,
                        startDate: { type: 'string', format: 'date' },
                        endDate: { type: 'string', format: 'date' },
                        attendanceSum: sum('present'),
                        validAbsenceSum: sum('absent with a valid reason'),
                        invalidAbsenceSum: sum('absent without a valid reason'),
                        otherAttendanceSum: sum('at another school activity instead'),
                        reportedSum: sum('of lessons reported'),
                        offeredSum: sum('of lessons offered'),
                        _embedded: { type: 'object', properties: { activity: { type: 'object' }, student: { type: 'object' } } },
                      },
                    },
                  },
                  pageToken: { type: 'string' },
                },
              },
            },
          },
        },
        ...errors,
      },
    },
  };
}
