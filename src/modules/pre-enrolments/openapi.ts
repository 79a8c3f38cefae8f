import type { AppContext } from '../../context.ts';
import { errors, jsonSchema, limitParam, pageSchema, pageTokenParam, param, recordSchemas, releaseNotes as notesOf } from '../data-api/openapi.ts';
import { declaredPaths, PRE_ENROLMENT_ENTITY, PRE_ENROLMENTS_PREFIX } from './release.ts';
import { lookupBodySchema, PRE_ENROLMENT_STATUSES, preEnrolmentSchema } from './schemas.ts';

/**
 * The pre-enrolments API's own OpenAPI 3.1 document, from the zod schemas the server uses and the
 * release declaration (each member says which categories release it and which markings withhold it).
 */
/** The document at `${PRE_ENROLMENTS_PREFIX}/openapi.json`, with the deployment's public URL as its server. */
export function preEnrolmentsOpenApi(ctx: AppContext): Record<string, unknown> {
  const schemas = recordSchemas('PreEnrolment', jsonSchema(preEnrolmentSchema));
  const releaseNotes = notesOf(declaredPaths());
  const page = pageSchema('PreEnrolment');
  const limit = limitParam;
  const pageToken = pageTokenParam;
  return {
    openapi: '3.1.0',
    info: {
      title: 'Schoolgate pre-enrolments API (Voorinschrijvingen)',
      version: '1.0.0',
      description: [
        'Pre-enrolments (Informat: voorinschrijvingen): applications of children for a coming school year at an institution —',
        'the child, the guardians, the grade or programme applied for, the status (submitted, accepted, refused, withdrawn) and its dates.',
        '',
        'Read with the data API token of client credentials (the same token as the SS 12000 API, audience `/ss12000`).',
        'A client sees the pre-enrolments of the institutions that granted its app the Pre-enrolments API, checked on every',
        'request (a removed grant counts from the next request), with the data categories its approval allows:',
        ...releaseNotes,
        '',
        'A marking is the child’s `securityMarking` (for a guardian’s contact data, also the guardian’s own). Every read is in the',
        'access log before its answer leaves; requests count against the client’s rate limit (429 `rate_limited`).',
        'Unknown query parameters are refused (`unknown_parameter`). Lists come as repeated keys, `key[]=` or comma-separated.',
        'An end user’s sign-in token is refused here (403 `end_user_token`).',
      ].join('\n'),
    },
    servers: [{ url: `${ctx.config.PUBLIC_URL}${PRE_ENROLMENTS_PREFIX}` }],
    security: [{ bearer: [] }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } }, schemas },
    paths: {
      [`/${PRE_ENROLMENT_ENTITY}`]: {
        get: {
          operationId: 'listPreEnrolments',
          summary: 'Pre-enrolments of the granted institutions, by id',
          parameters: [
            param('institution', 'Only these institutions (institution numbers); never widens what the grants reach', {
              type: 'array',
              items: { type: 'string' },
            }),
            param('schoolYear', 'Only applications for these school years (the calendar year each starts in)', { type: 'array', items: { type: 'integer' } }),
            param('status', 'Only these statuses', { type: 'array', items: { type: 'string', enum: [...PRE_ENROLMENT_STATUSES] } }),
            param('meta.modified.after', 'Only records Schoolgate saw change after this time', { type: 'string', format: 'date-time' }),
            param('meta.modified.before', 'Only records last changed before this time', { type: 'string', format: 'date-time' }),
            limit,
            pageToken,
          ],
          responses: { 200: { description: 'A page', content: { 'application/json': { schema: page } } }, ...errors(400, 401, 403, 429, 503) },
        },
      },
      [`/${PRE_ENROLMENT_ENTITY}/{id}`]: {
        get: {
          operationId: 'getPreEnrolment',
          summary: 'One pre-enrolment',
          parameters: [param('id', 'Its id', { type: 'string', format: 'uuid' }, true)],
          responses: {
            200: { description: 'The record', content: { 'application/json': { schema: { $ref: '#/components/schemas/PreEnrolment' } } } },
            ...errors(400, 401, 403, 404, 429, 503),
          },
        },
      },
      [`/${PRE_ENROLMENT_ENTITY}/lookup`]: {
        post: {
          operationId: 'lookupPreEnrolments',
          summary: 'Several pre-enrolments by id (those not available to the client are left out)',
          requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(lookupBodySchema) } } },
          responses: {
            200: {
              description: 'The records found',
              content: { 'application/json': { schema: { type: 'array', items: { $ref: '#/components/schemas/PreEnrolment' } } } },
            },
            ...errors(400, 401, 403, 429, 503),
          },
        },
      },
      '/deletedEntities': {
        get: {
          operationId: 'deletedPreEnrolments',
          summary: 'Ids of pre-enrolments deleted at the granted institutions',
          parameters: [param('after', 'Only deletions after this time', { type: 'string', format: 'date-time' }), limit, pageToken],
          responses: {
            200: {
              description: 'Deleted ids',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['data'],
                    properties: {
                      data: { type: 'object', properties: { [PRE_ENROLMENT_ENTITY]: { type: 'array', items: { type: 'string', format: 'uuid' } } } },
                      pageToken: { type: 'string' },
                    },
                  },
                },
              },
            },
            ...errors(400, 401, 403, 429, 503),
          },
        },
      },
    },
  };
}
