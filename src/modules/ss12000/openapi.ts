import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { endpoints } from './endpoints.ts';
import {
  deletedParams,
  listParams,
  lookupKeys,
  MAX_LIMIT,
  MAX_QUERY_LENGTH,
  MAX_VALUE_LENGTH,
  optionParams,
  paramJsonSchema,
  type QueryParam,
} from './query.ts';
import { deletedEntityKeys, deletedEntityNames, OTHER_ENDPOINTS } from './read.ts';
import { paramGate, releasePolicy, sortGate, withheldUnder, type FieldRelease } from './release.ts';
import { inputSchemas, Meta, type EntityType } from './schemas.ts';
import { clientReportOpenApiPaths } from '../client-reports/schemas.ts';
import { aggregatedAttendanceOpenApi } from './aggregated-attendance.ts';
import { subscriptionOpenApiPaths } from '../subscriptions/schemas.ts';
import { writeOpenApiPaths } from './writes.ts';

/**
 * The facade's own OpenAPI 3.1 document, generated from the same endpoint table and zod schemas
 * that the server validates and filters with (entities: `schemas.ts`; parameters and lookup
 * bodies: `query.ts`): it lists exactly what this server supports, and per parameter the data
 * categories without which it cannot reach a person's field.
 */
const componentName: Record<EntityType, string> = {
  organisations: 'Organisation',
  persons: 'Person',
  placements: 'Placement',
  duties: 'Duty',
  groups: 'Group',
  activities: 'Activity',
  syllabuses: 'Syllabus',
  programmes: 'Programme',
  studyplans: 'StudyPlan',
  rooms: 'Room',
  resources: 'Resource',
  schoolUnitOfferings: 'SchoolUnitOffering',
  calendarEvents: 'CalendarEvent',
  attendances: 'Attendance',
  absences: 'Absence',
  attendanceEvents: 'AttendanceEvent',
  attendanceSchedules: 'AttendanceSchedule',
  grades: 'Grade',
};

/** Paging and presentation parameters reach no field. */
const UNGATED = new Set(['expand', 'expandReferenceNames', 'sortkey', 'limit', 'pageToken']);

/** When a person's field is seen by a gated parameter, lookup key or sort key (release.ts decides), in words. */
function seenWhen(categories: string[], markings: readonly string[]): string | undefined {
  const when = [
    ...(categories.length ? [`the app is approved for ${categories.join(', ')}`] : []),
    ...(markings.length ? [`the person is not marked ${markings.join(' or ')}`] : []),
  ];
  return when.length ? when.join(' and ') : undefined;
}
const gateNote = (categories: string[], markings: readonly string[]) => {
  const when = seenWhen(categories, markings);
  return when ? ` Matches a person only where the reader may see the field it reads: where ${when}.` : '';
};
const sortNote = (type: EntityType, sortkeys: string[]) =>
  sortkeys
    .map((k) => [k, seenWhen(sortGate(type, k), withheldUnder(type, 'sortkeys', k))] as const)
    .filter(([, when]) => when)
    .map(([k, when]) => ` ${k} orders by the field only where ${when}; other persons sort as if it were empty.`)
    .join('');

/** One OpenAPI query parameter from the parameter table of `query.ts`, with the categories that gate it. */
function parameter(type: EntityType | undefined, p: QueryParam, sortkeys?: string[]): Record<string, unknown> {
  const gated = type && !UNGATED.has(p.name);
  const gate = gated ? paramGate(type, p.name) : [];
  const markings = gated ? withheldUnder(type, 'params', p.name) : [];
  const list = p.kind.endsWith('[]');
  return {
    name: p.name,
    in: 'query',
    required: p.required ?? false,
    description: `${p.description}${list ? ' Repeat the key, use key[]=, or give a comma-separated list.' : ''}${gateNote(gate, markings)}${type && sortkeys ? sortNote(type, sortkeys) : ''}`,
    schema: paramJsonSchema(p),
    ...(list ? { style: 'form', explode: true } : {}),
    'x-data-categories': gate,
    ...(markings.length ? { 'x-withheld-under': markings } : {}),
    ...(type && sortkeys
      ? {
          'x-data-categories-per-value': Object.fromEntries(sortkeys.map((k) => [k, sortGate(type, k)])),
          'x-withheld-under-per-value': Object.fromEntries(sortkeys.map((k) => [k, withheldUnder(type, 'sortkeys', k)]).filter(([, m]) => m!.length)),
        }
      : {}),
  };
}

const errorCodes: Record<number, string> = {
  400: 'A parameter, id or body the server cannot use: `invalid_parameter`, `unknown_parameter`, `missing_parameter`, `page_token_with_filters`, `invalid_page_token`, `query_too_long`, `invalid_id`, `invalid_body`, `lookup_too_large`. The message names the parameter.',
  401: 'No access token, or one that is not (or no longer) valid.',
  403: 'The client may not read this API (app not approved, suspended, or no grant).',
  404: 'No entity with this id is available to this client.',
  413: 'The body is too large.',
  415: 'The body is not JSON.',
  429: 'Too many requests for this client (`rate_limited`); see Retry-After.',
};
const errors = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((s) => [s, { description: errorCodes[s], content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }]),
  );

/** A field's release rule as the OpenAPI extension `x-release`. */
function releaseNote(rule: FieldRelease): Record<string, unknown> {
  const r = rule.release;
  return {
    by: r.by,
    ...(r.by === 'category' ? { category: r.category } : {}),
    ...(r.by === 'rule' ? { rule: r.rule, ...(r.category ? { category: r.category } : {}) } : {}),
    ...(rule.withheldUnder?.length ? { withheldUnder: rule.withheldUnder } : {}),
    ...(rule.privateElements ? { privateElements: rule.privateElements } : {}),
  };
}

/** The same in words, appended to the member's description. */
function releaseText(rule: FieldRelease): string {
  const r = rule.release;
  const by =
    r.by === 'always'
      ? 'Released with the entity.'
      : r.by === 'category'
        ? `Released only with the data category ${r.category}.`
        : `Released by the consent rule ${r.rule}${r.category ? ` (data category ${r.category})` : ''}.`;
  const under = rule.withheldUnder?.length ? ` Never released for a person marked ${rule.withheldUnder.join(' or ')}.` : '';
  const priv = rule.privateElements
    ? ` Elements with ${rule.privateElements.match.key} ${rule.privateElements.match.value} need the data category ${rule.privateElements.category} and are never released for a person marked ${rule.privateElements.withheldUnder.join(' or ')}.`
    : '';
  return by + under + priv;
}

let cached: Record<string, unknown> | undefined;

export function facadeOpenApi(ctx: AppContext): Record<string, unknown> {
  if (cached) return { ...cached, servers: [{ url: `${ctx.config.PUBLIC_URL}/ss12000/v2.0` }] };
  const schemas: Record<string, unknown> = {
    Error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'Stable, snake_case; never changed once published.' },
        message: { type: 'string', description: 'For people.' },
      },
    },
  };
  for (const [type, name] of Object.entries(componentName) as [EntityType, string][]) {
    const schema = (inputSchemas[type] as z.ZodObject).extend({ meta: Meta, _embedded: z.record(z.string(), z.unknown()).optional() });
    // Shared pieces (`.meta({ id })`) come out as local $defs: lift them into components.
    const json = JSON.parse(
      JSON.stringify(z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' })).replace(/"#\/\$defs\//g, '"#/components/schemas/'),
    ) as Record<string, unknown>;
    delete json.$schema;
    Object.assign(schemas, (json.$defs as Record<string, unknown>) ?? {});
    delete json.$defs;
    // Each member says what releases it, from the release policy (the server applies the same).
    const properties = (json.properties ?? {}) as Record<string, Record<string, unknown>>;
    for (const [field, rule] of Object.entries(releasePolicy[type].fields)) {
      const prop = properties[field];
      if (!prop || '$ref' in prop) continue;
      prop['x-release'] = releaseNote(rule);
      prop.description = [prop.description, releaseText(rule)].filter(Boolean).join(' ');
    }
    const pupil = releasePolicy[type].pupilRecord;
    if (pupil) {
      json['x-pupil-record'] = pupil;
      json.description = [
        json.description,
        `A pupil's record: released only under the API ${pupil.api} at a school unit where the pupil is a student released under the students API too,` +
          ` never for a pupil marked ${pupil.withheldUnder.join(' or ')}${pupil.category ? `, and only with the data category ${pupil.category}` : ''}.`,
      ]
        .filter(Boolean)
        .join(' ');
    }
    schemas[name] = json;
  }
  const paths: Record<string, unknown> = {};
  for (const def of endpoints) {
    const ref = { $ref: `#/components/schemas/${componentName[def.type]}` };
    const sortkeys = Object.keys(def.sortkeys);
    const options = optionParams(def).map((p) => parameter(def.type, p));
    paths[`/${def.path}`] = {
      get: {
        operationId: `list${componentName[def.type]}`,
        summary: `List ${def.path} the client may see`,
        parameters: listParams(def).map((p) => parameter(def.type, p, p.name === 'sortkey' ? sortkeys : undefined)),
        responses: {
          200: {
            description: 'A page',
            content: {
              'application/json': {
                schema: { type: 'object', required: ['data'], properties: { data: { type: 'array', items: ref }, pageToken: { type: 'string' } } },
              },
            },
          },
          ...errors(400, 401, 403, 429),
        },
      },
    };
    paths[`/${def.path}/{id}`] = {
      get: {
        operationId: `get${componentName[def.type]}`,
        summary: `One ${componentName[def.type]}`,
        parameters: [{ name: 'id', in: 'path', required: true, description: 'The entity id.', schema: { type: 'string', format: 'uuid' } }, ...options],
        responses: { 200: { description: 'Found', content: { 'application/json': { schema: ref } } }, ...errors(400, 401, 403, 404, 429) },
      },
    };
    const lookupProps = Object.fromEntries(
      lookupKeys(def).map((k) => {
        const gate = paramGate(def.type, k.name);
        const markings = withheldUnder(def.type, 'lookups', k.name);
        const withheld = markings.length ? { 'x-withheld-under': markings } : {};
        const { minItems: _none, ...schema } = paramJsonSchema({ kind: k.kind });
        return [k.name, { ...schema, maxItems: MAX_LIMIT, description: `${k.description}${gateNote(gate, markings)}`, 'x-data-categories': gate, ...withheld }];
      }),
    );
    paths[`/${def.path}/lookup`] = {
      post: {
        operationId: `lookup${componentName[def.type]}`,
        summary: `Many ${def.path} at once: those matching any of the given keys (at most ${MAX_LIMIT} keys in all)`,
        parameters: options,
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', properties: lookupProps, additionalProperties: false } } } },
        responses: {
          200: { description: 'The visible ones', content: { 'application/json': { schema: { type: 'array', items: ref } } } },
          ...errors(400, 401, 403, 413, 415, 429),
        },
      },
    };
  }
  // Attendance summed per activity and pupil (issue 17): no entity of its own, so not in the endpoint table.
  paths['/aggregatedAttendance'] = aggregatedAttendanceOpenApi((p) => parameter(undefined, p), errors(400, 401, 403, 429));
  const idList = { type: 'array', items: { type: 'string', format: 'uuid' } };
  paths['/deletedEntities'] = {
    get: {
      operationId: 'listDeletedEntities',
      summary: 'Ids of deleted entities the client could see',
      parameters: deletedParams([...deletedEntityNames, ...OTHER_ENDPOINTS]).map((p) => parameter(undefined, p)),
      responses: {
        200: {
          description: 'Deleted ids per collection (the spec spells activities "activitites")',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['data'],
                properties: {
                  data: {
                    type: 'object',
                    properties: Object.fromEntries(deletedEntityKeys.map((k) => [k, idList])),
                  },
                  pageToken: { type: 'string' },
                },
              },
            },
          },
        },
        ...errors(400, 401, 403, 429),
      },
    },
  };
  Object.assign(paths, clientReportOpenApiPaths(errors));
  Object.assign(paths, subscriptionOpenApiPaths(errors));
  // The spec's writes (issue 17, point 4), beside the reads of the same paths.
  for (const [path, ops] of Object.entries(writeOpenApiPaths(schemas))) paths[path] = { ...(paths[path] as object | undefined), ...ops };
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'Schoolgate SS 12000 facade',
      version: '2.1.0',
      description: [
        'The SS 12000:2020 (v2.1) read API, scoped by school consent: only granted school units, only approved data categories.',
        '',
        'Two kinds of access token are accepted. A client-credentials token reads everything the schools granted the app.',
        'The access token of an end user\'s sign-in ("Log in with Schoolgate"; it carries the claim `consent`) reads ONLY that',
        "person's own records at the school they chose, under that school's grant of the API covering their role (students and",
        'guardians: Students; staff: Staff), with the data categories the person consented to that the app is approved for.',
        'The consent, the grant and the role are checked on every request: a withdrawn consent answers 401 `invalid_token`,',
        'a removed grant 403 `institution_not_granted`, a role the person no longer holds 403 `role_ended`. Per endpoint:',
        '- organisations: the chosen school unit only;',
        '- persons: the person themselves (`GET /persons` lists only them, anyone else is 404); no expand reaches other persons;',
        '- placements: their own placements as the child (students); nothing for guardians and staff;',
        '- duties: their own duties (staff); nothing for students and guardians;',
        '- groups: the groups they are a member of at that school, with only their own membership; `expand=assignmentRoles` only',
        '  lists roles of their own duties;',
        '- activities: the activities of those groups, without `teachers`;',
        '- syllabuses: those of these activities; programmes: those of their enrolments at the school (students);',
        '- studyplans: their own (students); deletedEntities: always empty lists;',
        '- rooms, resources, schoolUnitOfferings, calendarEvents: nothing (the timetable is granted to apps, per school, under the API Timetable);',
        '- attendances, absences, attendanceEvents, aggregatedAttendance: nothing (granted to apps, per school, under the API Attendance).',
        '- rooms, resources, schoolUnitOfferings, calendarEvents: nothing (the timetable is granted to apps, per school, under the API Timetable);',
        '- grades: nothing (grades are granted to apps, per school, under the API Grades, with its data category `grades`).',
        '',
        'Query parameters: unknown ones are refused (`unknown_parameter`), so that a misspelt filter is never silently ignored.',
        'Lists come as repeated keys, `key[]=`, or comma-separated; booleans as true/false/1/0 in any case; typed values are trimmed.',
        '`pageToken` may come with `limit`, `expand`, `expandReferenceNames`, and with its own filters and sortkey unchanged.',
        `Text values hold at most ${MAX_VALUE_LENGTH} characters and no NUL; the query string at most ${MAX_QUERY_LENGTH} characters (\`query_too_long\`).`,
        '`x-data-categories` on a parameter, lookup key or sort key names the categories the app must be approved for before it',
        "matches or orders by a person's field, `x-withheld-under` the security markings under which it never does.",
      ].join('\n'),
    },
    security: [{ bearer: [] }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } }, schemas },
    paths,
  };
  return facadeOpenApi(ctx);
}
