import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { endpoints } from './endpoints.ts';
import { deletedEntityNames, listParams, MAX_LIMIT } from './read.ts';
import { inputSchemas, Meta, type EntityType } from './schemas.ts';

/**
 * The facade's own OpenAPI 3.1 document, generated from the same endpoint table and zod schemas
 * that the server validates and filters with: it lists exactly what this server supports.
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
};

const kindSchema = (kind: string, values?: readonly string[]) => {
  const base = (k: string): Record<string, unknown> =>
    k.startsWith('uuid') ? { type: 'string', format: 'uuid' } : k === 'date' ? { type: 'string', format: 'date' } : k === 'datetime' ? { type: 'string', format: 'date-time' } : k === 'boolean' ? { type: 'boolean' } : k.startsWith('enum') ? { type: 'string', enum: values } : { type: 'string' };
  return kind.endsWith('[]') ? { type: 'array', items: base(kind) } : base(kind);
};

let cached: Record<string, unknown> | undefined;

export function facadeOpenApi(ctx: AppContext): Record<string, unknown> {
  if (cached) return { ...cached, servers: [{ url: `${ctx.config.PUBLIC_URL}/ss12000/v2.0` }] };
  const schemas: Record<string, unknown> = {
    Error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } },
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
    schemas[name] = json;
  }
  const error = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
  const paths: Record<string, unknown> = {};
  for (const def of endpoints) {
    const ref = { $ref: `#/components/schemas/${componentName[def.type]}` };
    const params = Object.entries(listParams(def)).map(([name, p]) => ({
      name,
      in: 'query',
      required: false,
      schema: name === 'limit' ? { type: 'integer', minimum: 1, maximum: MAX_LIMIT } : kindSchema(p.kind, p.values),
      ...(p.kind.endsWith('[]') ? { style: 'form', explode: true, description: 'Repeat the key, use key[]=, or give a comma-separated list.' } : {}),
      ...('description' in p && typeof p.description === 'string' ? { description: p.description } : {}),
    }));
    const options = params.filter((p) => p.name === 'expand' || p.name === 'expandReferenceNames');
    paths[`/${def.path}`] = {
      get: {
        summary: `List ${def.path} the client may see`,
        parameters: params,
        responses: {
          200: { description: 'A page', content: { 'application/json': { schema: { type: 'object', required: ['data'], properties: { data: { type: 'array', items: ref }, pageToken: { type: 'string' } } } } } },
          400: error('Bad parameter, or pageToken combined with filters'),
          401: error('No or invalid token'),
          403: error('Client not allowed'),
          429: error('Rate limit exceeded'),
        },
      },
    };
    paths[`/${def.path}/{id}`] = {
      get: {
        summary: `One ${componentName[def.type]}`,
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }, ...options],
        responses: { 200: { description: 'Found', content: { 'application/json': { schema: ref } } }, 400: error('Bad id'), 401: error('No or invalid token'), 403: error('Client not allowed'), 404: error('Not found or not granted') },
      },
    };
    const lookupProps: Record<string, unknown> = { ids: { type: 'array', items: { type: 'string', format: 'uuid' } } };
    for (const [k, l] of Object.entries(def.lookup)) lookupProps[k] = { type: 'array', items: { type: 'string' }, description: l.description };
    paths[`/${def.path}/lookup`] = {
      post: {
        summary: `Many ${def.path} at once`,
        parameters: options,
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', properties: lookupProps, additionalProperties: false } } } },
        responses: { 200: { description: 'The visible ones', content: { 'application/json': { schema: { type: 'array', items: ref } } } }, 400: error('Bad body'), 401: error('No or invalid token'), 403: error('Client not allowed') },
      },
    };
  }
  const idList = { type: 'array', items: { type: 'string', format: 'uuid' } };
  paths['/deletedEntities'] = {
    get: {
      summary: 'Ids of deleted entities the client could see',
      parameters: [
        { name: 'after', in: 'query', schema: { type: 'string', format: 'date-time' } },
        { name: 'entities', in: 'query', schema: { type: 'array', items: { type: 'string', enum: deletedEntityNames } }, style: 'form', explode: true },
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1 } },
        { name: 'pageToken', in: 'query', schema: { type: 'string' } },
      ],
      responses: {
        200: {
          description: 'Deleted ids per collection (the spec spells activities "activitites")',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['data'],
                properties: {
                  data: { type: 'object', properties: Object.fromEntries(['organisations', 'persons', 'placements', 'duties', 'groups', 'activitites', 'syllabuses', 'programmes', 'studyPlans'].map((k) => [k, idList])) },
                  pageToken: { type: 'string' },
                },
              },
            },
          },
        },
        400: error('Bad parameter'),
        401: error('No or invalid token'),
      },
    },
  };
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'Schoolgate SS 12000 facade',
      version: '2.1.0',
      description: [
        'The SS 12000:2020 (v2.1) read API, scoped by school consent: only granted school units, only approved data categories.',
        '',
        'Two kinds of access token are accepted. A client-credentials token reads everything the schools granted the app.',
        "The access token of an end user's sign-in (\"Log in with Schoolgate\"; it carries the claim `consent`) reads ONLY that",
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
        '- studyplans: their own (students); deletedEntities: always empty lists.',
      ].join('\n'),
    },
    security: [{ bearer: [] }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } }, schemas },
    paths,
  };
  return facadeOpenApi(ctx);
}
